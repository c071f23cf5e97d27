//! Apple's client secret: not a shared secret but a short-lived ES256 JWT that the client
//! signs with its Sign in with Apple key (the `.p8` file), naming its team and key. The
//! connection stores the key (sealed); a fresh secret is made for each code exchange.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use intelliauth_core::federation::UpstreamFailure;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;

/// Apple's token endpoint checks the secret's audience against this.
const AUDIENCE: &str = "https://appleid.apple.com";
/// Apple accepts up to six months; a secret made per exchange needs minutes.
const LIFETIME_S: i64 = 300;

/// Whether a connection's stored client secret is a private key to sign with (the `.p8`
/// file's PEM) rather than a secret to send as it is.
pub fn is_private_key(secret: &str) -> bool {
    intelliauth_core::federation::presets::is_pem_private_key(secret)
}

/// The client secret for `client_id` (Apple's Services ID), signed with `pem`.
pub fn client_secret(pem: &str, team_id: &str, key_id: &str, client_id: &str) -> Result<String, UpstreamFailure> {
    let unusable = |why: &str| UpstreamFailure::Invalid(format!("the connection's Apple key {why}"));
    let body: String = pem.lines().filter(|line| !line.starts_with("-----")).map(str::trim).collect();
    let der = STANDARD.decode(body).map_err(|_| unusable("is not base64 PEM"))?;
    let rng = SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng)
        .map_err(|_| unusable("is not a PKCS#8 P-256 private key"))?;
    let now = intelliauth_core::ids::now_ms() / 1000;
    let header = json!({ "alg": "ES256", "kid": key_id, "typ": "JWT" });
    let claims = json!({ "iss": team_id, "iat": now, "exp": now + LIFETIME_S, "aud": AUDIENCE, "sub": client_id });
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = key.sign(&rng, input.as_bytes()).map_err(|_| unusable("could not sign"))?;
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())))
}
