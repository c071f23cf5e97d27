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
    Es256(p256::ecdsa::SigningKey),
    EdDsa(ed25519_dalek::SigningKey),
    Rs256(Box<rsa::pkcs1v15::SigningKey<sha2::Sha256>>),
}

impl Signer {
    pub fn from_secret(alg: Algorithm, secret: &[u8]) -> Result<Signer, String> {
        match alg {
            Algorithm::Es256 => {
                p256::ecdsa::SigningKey::from_slice(secret).map(Signer::Es256).map_err(|e| e.to_string())
            }
            Algorithm::EdDsa => {
                let bytes: [u8; 32] = secret.try_into().map_err(|_| "an Ed25519 secret is 32 bytes".to_owned())?;
                Ok(Signer::EdDsa(ed25519_dalek::SigningKey::from_bytes(&bytes)))
            }
            Algorithm::Rs256 => {
                use rsa::pkcs1::DecodeRsaPrivateKey;
                let key = rsa::RsaPrivateKey::from_pkcs1_der(secret).map_err(|e| e.to_string())?;
                Ok(Signer::Rs256(Box::new(rsa::pkcs1v15::SigningKey::new(key))))
            }
        }
    }

    /// The JWS signature of `message` (for ES256, r‖s as RFC 7518 §3.4 asks).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Signer::Es256(key) => {
                use p256::ecdsa::signature::Signer as _;
                let signature: p256::ecdsa::Signature = key.sign(message);
                signature.to_bytes().to_vec()
            }
            Signer::EdDsa(key) => {
                use ed25519_dalek::Signer as _;
                key.sign(message).to_bytes().to_vec()
            }
            Signer::Rs256(key) => {
                use rsa::signature::{SignatureEncoding, Signer as _};
                key.sign(message).to_vec()
            }
        }
    }
}

fn coordinate(jwk: &Value, name: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(jwk.get(name)?.as_str()?).ok()
}

/// Checks a JWS signature against a public JWK.
pub fn verify(jwk: &Value, message: &[u8], signature: &[u8]) -> bool {
    match jwk.get("alg").and_then(Value::as_str).and_then(Algorithm::parse) {
        Some(Algorithm::Es256) => {
            use p256::ecdsa::signature::Verifier as _;
            let (Some(x), Some(y)) = (coordinate(jwk, "x"), coordinate(jwk, "y")) else { return false };
            if x.len() != 32 || y.len() != 32 {
                return false;
            }
            let point = p256::EncodedPoint::from_affine_coordinates(x.as_slice().into(), y.as_slice().into(), false);
            let (Ok(key), Ok(signature)) =
                (p256::ecdsa::VerifyingKey::from_encoded_point(&point), p256::ecdsa::Signature::from_slice(signature))
            else {
                return false;
            };
            key.verify(message, &signature).is_ok()
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
            let signature = signer.sign(b"message");
            assert!(verify(&jwk, b"message", &signature), "{alg:?}");
            assert!(!verify(&jwk, b"other message", &signature), "{alg:?}");
        }
    }
}
