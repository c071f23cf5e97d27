//! Compact JWS: encoding signed tokens and checking them against a key set.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

use crate::keys::{verify, Signer};

/// `header.claims.signature`, each part base64url without padding; `internal` only if the
/// signer has no randomness to sign with.
pub fn encode(header: &Value, claims: &Value, signer: &Signer) -> intelliauth_core::Result<String> {
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string().as_bytes()),
        URL_SAFE_NO_PAD.encode(claims.to_string().as_bytes())
    );
    let signature = signer.sign(signing_input.as_bytes()).map_err(intelliauth_core::Error::internal)?;
    Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
}

/// The claims of `token` without checking its signature: only to learn which tenant's keys
/// to check it with.
pub fn unverified_claims(token: &str) -> Option<Value> {
    let claims = token.split('.').nth(1)?;
    if token.len() > 8192 {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()
}

/// The header and claims of `token` if a key of `jwks` with its `kid` and `alg` signed it.
/// Expiry and audience are the caller's to check.
pub fn decode_verified(token: &str, jwks: &[Value]) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let (header, claims, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || token.len() > 8192 {
        return None;
    }
    let header_json: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    let kid = header_json.get("kid")?.as_str()?;
    let alg = header_json.get("alg")?.as_str()?;
    // The key decides the algorithm; a header cannot talk us into `none` or another alg.
    let key = jwks.iter().find(|key| key.get("kid").and_then(Value::as_str) == Some(kid))?;
    if key.get("alg").and_then(Value::as_str) != Some(alg) {
        return None;
    }
    let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
    if !verify(key, format!("{header}.{claims}").as_bytes(), &signature) {
        return None;
    }
    let claims_json = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(claims).ok()?).ok()?;
    Some((header_json, claims_json))
}
