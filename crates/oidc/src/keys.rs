//! Signing keys: generation, signatures and public JWKs for ES256 (P-256), EdDSA (Ed25519)
//! and RS256 (RSA 2048, PKCS#1 v1.5) for clients that only speak RSA.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Es256,
    EdDsa,
    Rs256,
}

impl Algorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Es256 => "ES256",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Rs256 => "RS256",
        }
    }

    pub fn parse(name: &str) -> Option<Algorithm> {
        match name {
            "ES256" => Some(Algorithm::Es256),
            "EdDSA" => Some(Algorithm::EdDsa),
            "RS256" => Some(Algorithm::Rs256),
            _ => None,
        }
    }
}

/// A new key pair: the private scalar (to be sealed) and the public JWK (without `kid`).
pub fn generate(alg: Algorithm) -> (Vec<u8>, Value) {
    let mut rng = rand::rngs::OsRng;
    match alg {
        Algorithm::Es256 => {
            let secret = p256::ecdsa::SigningKey::random(&mut rng);
            let point = secret.verifying_key().to_encoded_point(false);
            let jwk = json!({
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(point.x().map(|x| x.as_slice()).unwrap_or_default()),
                "y": URL_SAFE_NO_PAD.encode(point.y().map(|y| y.as_slice()).unwrap_or_default()),
            });
            (secret.to_bytes().to_vec(), jwk)
        }
        Algorithm::EdDsa => {
            let secret = ed25519_dalek::SigningKey::generate(&mut rng);
            let jwk = json!({
                "kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(secret.verifying_key().as_bytes()),
            });
            (secret.to_bytes().to_vec(), jwk)
        }
        Algorithm::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            use rsa::traits::PublicKeyParts;
            let secret = rsa::RsaPrivateKey::new(&mut rng, 2048).expect("RSA key generation");
            let der = secret.to_pkcs1_der().expect("PKCS#1 encoding of a fresh key");
            let jwk = json!({
                "kty": "RSA", "alg": "RS256", "use": "sig",
                "n": URL_SAFE_NO_PAD.encode(secret.n().to_bytes_be()),
                "e": URL_SAFE_NO_PAD.encode(secret.e().to_bytes_be()),
            });
            (der.as_bytes().to_vec(), jwk)
        }
    }
}

/// A private key ready to sign.
#[derive(Clone)]
pub enum Signer {
    /// P-256 through ring's assembly-optimised arithmetic: the token endpoint signs every
    /// answer, and portable Rust's field arithmetic was about 30% of its CPU under load.
    Es256(std::sync::Arc<ring::signature::EcdsaKeyPair>),
    EdDsa(Box<ed25519_dalek::SigningKey>),
    Rs256(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl Signer {
    pub fn from_secret(alg: Algorithm, secret: &[u8]) -> Result<Signer, String> {
        match alg {
            Algorithm::Es256 => {
                let key = p256::ecdsa::SigningKey::from_slice(secret).map_err(|e| e.to_string())?;
                let public = key.verifying_key().to_encoded_point(false);
                let pair = ring::signature::EcdsaKeyPair::from_private_key_and_public_key(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    secret,
                    public.as_bytes(),
                    &ring::rand::SystemRandom::new(),
                )
                .map_err(|e| e.to_string())?;
                Ok(Signer::Es256(std::sync::Arc::new(pair)))
            }
            Algorithm::EdDsa => {
                let bytes: [u8; 32] = secret.try_into().map_err(|_| "an Ed25519 secret is 32 bytes".to_owned())?;
                Ok(Signer::EdDsa(Box::new(ed25519_dalek::SigningKey::from_bytes(&bytes))))
            }
            Algorithm::Rs256 => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                let key = rsa::RsaPrivateKey::from_pkcs1_der(secret).map_err(|e| e.to_string())?;
                Ok(Signer::Rs256(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
            }
        }
    }

    /// The JWS signature of `message` (for ES256, r‖s as RFC 7518 §3.4 asks). Fails only if
    /// the system's random source does (ECDSA needs a fresh nonce for every signature).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        Ok(match self {
            Signer::Es256(pair) => {
                let signature = pair.sign(&ring::rand::SystemRandom::new(), message).map_err(|e| e.to_string())?;
                signature.as_ref().to_vec()
            }
            Signer::EdDsa(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(message).to_bytes().to_vec()
            }
            Signer::Rs256(key) => {
                use rsa::signature::{SignatureEncoding, Signer as _};
                key.sign(message).to_vec()
            }
        })
    }
}

fn coordinate(jwk: &Value, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok()
}

/// Checks a JWS signature against a public JWK, with the algorithm the JWK names.
pub fn verify(jwk: &Value, message: &[u8], signature: &[u8]) -> bool {
    jwk.get("alg")
        .and_then(Value::as_str)
        .and_then(Algorithm::parse)
        .is_some_and(|alg| verify_as(alg, jwk, message, signature))
}

/// Whether `jwk` is a public key of the type `alg` signs with: P-256 for ES256, Ed25519 for
/// EdDSA, RSA of at least 2048 bits for RS256 — and no private member.
pub fn public_key_of(alg: Algorithm, jwk: &Value) -> bool {
    let text = |name: &str| jwk.get(name).and_then(Value::as_str);
    let private = ["d", "p", "q", "dp", "dq", "qi", "k"].iter().any(|name| jwk.get(*name).is_some());
    let fits = match alg {
        Algorithm::Es256 => text("kty") == Some("EC") && text("crv") == Some("P-256"),
        Algorithm::EdDsa => text("kty") == Some("OKP") && text("crv") == Some("Ed25519"),
        Algorithm::Rs256 => text("kty") == Some("RSA") && coordinate(jwk, "n").is_some_and(|n| n.len() >= 256),
    };
    fits && !private
}

/// The RFC 7638 thumbprint of a public JWK: SHA-256 over its required members in
/// lexicographic order, base64url.
pub fn thumbprint(jwk: &Value) -> Option<String> {
    // Written member by member: the order is the RFC's, whatever a JSON map would keep.
    let quoted = |name: &str| jwk.get(name).and_then(Value::as_str).map(|value| Value::from(value).to_string());
    let canonical = match jwk.get("kty").and_then(Value::as_str)? {
        "EC" => format!(r#"{{"crv":{},"kty":"EC","x":{},"y":{}}}"#, quoted("crv")?, quoted("x")?, quoted("y")?),
        "OKP" => format!(r#"{{"crv":{},"kty":"OKP","x":{}}}"#, quoted("crv")?, quoted("x")?),
        "RSA" => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, quoted("e")?, quoted("n")?),
        _ => return None,
    };
    use sha2::Digest;
    Some(URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes())))
}

/// Checks a JWS signature made with `alg` against a public JWK.
pub fn verify_as(alg: Algorithm, jwk: &Value, message: &[u8], signature: &[u8]) -> bool {
    match Some(alg) {
        Some(Algorithm::Es256) => {
            let (Some(x), Some(y)) = (coordinate(jwk, "x"), coordinate(jwk, "y")) else { return false };
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            // The uncompressed point, 0x04 ‖ x ‖ y; ring checks it is on the curve.
            let point = [&[4u8][..], &x, &y].concat();
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
                .is_ok()
        }
        Some(Algorithm::EdDsa) => {
            let Some(Ok(x)) = coordinate(jwk, "x").map(<[u8; 32]>::try_from) else { return false };
            let (Ok(key), Ok(signature)) =
                (ed25519_dalek::VerifyingKey::from_bytes(&x), ed25519_dalek::Signature::from_slice(signature))
            else {
                return false;
            };
            key.verify_strict(message, &signature).is_ok()
        }
        Some(Algorithm::Rs256) => {
            use rsa::signature::Verifier as _;
            let (Some(n), Some(e)) = (coordinate(jwk, "n"), coordinate(jwk, "e")) else { return false };
            let Ok(public) = rsa::RsaPublicKey::new(rsa::BigUint::from_bytes_be(&n), rsa::BigUint::from_bytes_be(&e))
            else {
                return false;
            };
            let Ok(signature) = rsa::pkcs1v15::Signature::try_from(signature) else { return false };
            rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public).verify(message, &signature).is_ok()
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies() {
        for alg in [Algorithm::Es256, Algorithm::EdDsa, Algorithm::Rs256] {
            let (secret, jwk) = generate(alg);
            let signer = Signer::from_secret(alg, &secret).unwrap();
            let signature = signer.sign(b"message").unwrap();
            assert!(verify(&jwk, b"message", &signature), "{alg:?}");
            assert!(!verify(&jwk, b"other message", &signature), "{alg:?}");
        }
    }

    #[test]
    fn thumbprints_follow_rfc7638() {
        // RFC 7638 §3.1's example key and thumbprint.
        let jwk = serde_json::json!({
            "kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
            "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
        });
        assert_eq!(thumbprint(&jwk).as_deref(), Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    }
}
