//! ID token verification (OpenID Connect Core §3.1.3.7): a key of the issuer's set signed
//! it with an asymmetric algorithm, it is ours (issuer, audience, authorized party), it is
//! current, and it answers our request (nonce).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use intelliauth_core::federation::{presets, UpstreamFailure};
use serde_json::{Map, Value};

/// Clock difference tolerated between the upstream and us.
const CLOCK_SKEW_S: i64 = 120;

pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

#[derive(Debug)]
pub enum Failure {
    /// No key of the set has the token's `kid`: the set may have rotated.
    UnknownKey,
    Invalid(String),
}

impl From<Failure> for UpstreamFailure {
    fn from(failure: Failure) -> UpstreamFailure {
        match failure {
            Failure::UnknownKey => UpstreamFailure::Invalid("no key of the issuer's key set signed the ID token".into()),
            Failure::Invalid(reason) => UpstreamFailure::Invalid(reason),
        }
    }
}

fn invalid(reason: &str) -> Failure {
    Failure::Invalid(format!("ID token: {reason}"))
}

fn part(text: &str) -> Result<Value, Failure> {
    let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid("not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| invalid("not JSON"))
}

/// The algorithm a key may verify, from its own `alg` or its type; only the asymmetric
/// ones we implement (never `none`, never HMAC with a public key).
fn key_algorithm(key: &Value) -> Option<&'static str> {
    let own = key.get("alg").and_then(Value::as_str);
    let by_type = match (key.get("kty").and_then(Value::as_str), key.get("crv").and_then(Value::as_str)) {
        (Some("RSA"), _) => "RS256",
        (Some("EC"), Some("P-256")) => "ES256",
        (Some("OKP"), Some("Ed25519")) => "EdDSA",
        _ => return None,
    };
    match own {
        None => Some(by_type),
        Some(alg) if alg == by_type => Some(by_type),
        Some(_) => None,
    }
}

/// The claims of `token` when it passes every check.
pub fn verify(token: &str, keys: &[Value], expected: &Expected<'_>) -> Result<Map<String, Value>, Failure> {
    if token.len() > 16 * 1024 {
        return Err(invalid("longer than 16 KiB"));
    }
    let mut parts = token.split('.');
    let (Some(header_text), Some(claims_text), Some(signature_text), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("not a compact JWS"));
    };
    let header = part(header_text)?;
    let alg = header.get("alg").and_then(Value::as_str).unwrap_or_default();
    let kid = header.get("kid").and_then(Value::as_str);
    let candidates: Vec<&Value> = keys
        .iter()
        .filter(|key| key.get("use").and_then(Value::as_str).is_none_or(|usage| usage == "sig"))
        .filter(|key| kid.is_none() || key.get("kid").and_then(Value::as_str) == kid)
        .filter(|key| key_algorithm(key) == Some(alg))
        .collect();
    if candidates.is_empty() {
        return Err(if kid.is_some() { Failure::UnknownKey } else { invalid(&format!("no key verifies {alg:?}")) });
    }
    let signature = URL_SAFE_NO_PAD.decode(signature_text).map_err(|_| invalid("signature not base64url"))?;
    let message = format!("{header_text}.{claims_text}");
    let signed = candidates.iter().any(|key| {
        let mut key = (*key).clone();
        key["alg"] = Value::String(alg.to_owned());
        intelliauth_oidc::keys::verify(&key, message.as_bytes(), &signature)
    });
    if !signed {
        return Err(invalid("the signature does not verify"));
    }
    let claims = match part(claims_text)? {
        Value::Object(claims) => claims,
        _ => return Err(invalid("claims are not an object")),
    };
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let iss = text("iss").unwrap_or_default();
    if !presets::issuer_matches(expected.issuer, iss, text("tid")) {
        return Err(invalid(&format!("iss is {iss:?}, not {:?}", expected.issuer)));
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(invalid("aud is not this connection's client_id"));
    }
    if audiences.len() > 1 && text("azp") != Some(expected.client_id) {
        return Err(invalid("several audiences and azp is not this connection's client_id"));
    }
    let now = intelliauth_core::ids::now_ms() / 1000;
    let exp = claims.get("exp").and_then(Value::as_i64).ok_or_else(|| invalid("no exp"))?;
    if exp + CLOCK_SKEW_S < now {
        return Err(invalid("expired"));
    }
    if claims.get("iat").and_then(Value::as_i64).is_some_and(|iat| iat > now + CLOCK_SKEW_S) {
        return Err(invalid("issued in the future"));
    }
    let nonce = text("nonce").unwrap_or_default();
    if !intelliauth_core::secret::digests_equal(
        &intelliauth_core::secret::digest(nonce),
        &intelliauth_core::secret::digest(expected.nonce),
    ) {
        return Err(invalid("nonce is not this sign-in's"));
    }
    if text("sub").is_none_or(str::is_empty) {
        return Err(invalid("no sub"));
    }
    Ok(claims)
}
