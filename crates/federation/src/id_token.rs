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
            Failure::UnknownKey => {
                UpstreamFailure::Invalid("no key of the issuer's key set signed the ID token".into())
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use intelliauth_oidc::keys::{generate, Algorithm, Signer};
    use serde_json::json;

    const ISSUER: &str = "https://idp.example";

    fn expected() -> Expected<'static> {
        Expected { issuer: ISSUER, client_id: "client-1", nonce: "nonce-1" }
    }

    fn good_claims() -> Value {
        let now = intelliauth_core::ids::now_ms() / 1000;
        json!({ "iss": ISSUER, "aud": "client-1", "sub": "u-1", "nonce": "nonce-1", "iat": now, "exp": now + 300 })
    }

    /// A key set with one key, and a token over `claims` signed by it.
    fn signed(alg: Algorithm, claims: &Value) -> (Vec<Value>, String) {
        let (secret, mut jwk) = generate(alg);
        jwk["kid"] = json!(intelliauth_core::secret::generate("kid-"));
        let signer = Signer::from_secret(alg, &secret).unwrap();
        let header = json!({ "alg": alg.as_str(), "kid": jwk["kid"], "typ": "JWT" });
        (vec![jwk], intelliauth_oidc::jwt::encode(&header, claims, &signer).unwrap())
    }

    fn reason(result: Result<Map<String, Value>, Failure>) -> String {
        match result {
            Err(Failure::Invalid(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_token_of_the_issuer_for_us_with_our_nonce_passes_with_every_algorithm() {
        for alg in [Algorithm::Es256, Algorithm::Rs256, Algorithm::EdDsa] {
            let (mut keys, token) = signed(alg, &good_claims());
            assert_eq!(verify(&token, &keys, &expected()).unwrap()["sub"], "u-1", "{alg:?}");
            // Providers that leave `alg` out of their keys (Microsoft) are read by key type.
            keys[0].as_object_mut().unwrap().remove("alg");
            assert!(verify(&token, &keys, &expected()).is_ok(), "{alg:?} without alg in the JWK");
        }
    }

    #[test]
    fn every_claim_check_refuses_its_own_case() {
        let cases: [(&str, Value, &str); 6] = [
            ("nonce", json!("another"), "nonce"),
            ("aud", json!("client-2"), "aud"),
            ("aud", json!(["client-1", "client-2"]), "azp"),
            ("iss", json!("https://evil.example"), "iss"),
            ("exp", json!(intelliauth_core::ids::now_ms() / 1000 - 3600), "expired"),
            ("sub", json!(""), "sub"),
        ];
        for (claim, value, said) in cases {
            let mut claims = good_claims();
            claims[claim] = value;
            let (keys, token) = signed(Algorithm::Es256, &claims);
            let why = reason(verify(&token, &keys, &expected()));
            assert!(why.contains(said), "{claim}: {why}");
        }
    }

    #[test]
    fn a_forged_or_unknown_signature_is_refused() {
        let (keys, token) = signed(Algorithm::Es256, &good_claims());
        // Claims swapped under the same signature.
        let (_, other) = signed(Algorithm::Es256, &json!({ "sub": "admin" }));
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = other.split('.').nth(1).unwrap();
        assert!(reason(verify(&parts.join("."), &keys, &expected())).contains("signature"));
        // `none` and HMAC never verify against a public key set.
        for alg in ["none", "HS256"] {
            let header = URL_SAFE_NO_PAD.encode(json!({ "alg": alg, "kid": keys[0]["kid"] }).to_string());
            let forged = format!("{header}.{}.", token.split('.').nth(1).unwrap());
            assert!(verify(&forged, &keys, &expected()).is_err(), "{alg}");
        }
        // Another issuer's key: unknown, so the set is read again before refusing.
        let (other_keys, _) = signed(Algorithm::Es256, &good_claims());
        assert!(matches!(verify(&token, &other_keys, &expected()), Err(Failure::UnknownKey)));
    }
}
