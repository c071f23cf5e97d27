//! Secrets encrypted at rest with the instance key (AES-256-GCM): signing keys today,
//! TOTP seeds later. The instance key never enters the database.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The key that seals secrets stored in the database. Every node of one installation
/// needs the same one.
#[derive(Clone)]
pub struct InstanceKey(Key<Aes256Gcm>);

impl std::fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InstanceKey(…)")
    }
}

const VERSION: &str = "v1.";

impl InstanceKey {
    pub fn generate() -> InstanceKey {
        InstanceKey(Aes256Gcm::generate_key(OsRng))
    }

    /// From its base64url text form (43 characters).
    pub fn parse(text: &str) -> Result<InstanceKey, String> {
        let bytes =
            URL_SAFE_NO_PAD.decode(text.trim()).map_err(|e| format!("the instance key is not base64url: {e}"))?;
        if bytes.len() != 32 {
            return Err(format!("the instance key must be 32 bytes, not {}", bytes.len()));
        }
        Ok(InstanceKey(*Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    pub fn to_text(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// A 32-byte key for `purpose`, derived from this one (HMAC-SHA256), so a secret IntelliAuth
    /// shares with an outside system needs no storage: the same purpose gives the same key
    /// on every node, and another purpose a key that says nothing of this one.
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Encrypts `plaintext`; `context` (e.g. the key id) is authenticated with it, so a
    /// sealed value cannot be moved to another row.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = aes_gcm::aead::Payload { msg: plaintext, aad: context.as_bytes() };
        let ciphertext = Aes256Gcm::new(&self.0)
            .encrypt(&nonce, payload)
            .expect("AES-GCM encryption cannot fail for in-memory input");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{VERSION}{}", URL_SAFE_NO_PAD.encode(sealed))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, String> {
        let body = sealed.strip_prefix(VERSION).ok_or("unknown sealing format")?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| "sealed value is not base64url")?;
        if bytes.len() < 12 {
            return Err("sealed value is too short".into());
        }
        let (nonce, ciphertext) = bytes.split_at(12);
        let payload = aes_gcm::aead::Payload { msg: ciphertext, aad: context.as_bytes() };
        Aes256Gcm::new(&self.0)
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| "cannot open the sealed value: wrong instance key or tampered data".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_only_with_the_same_key_and_context() {
        let key = InstanceKey::generate();
        let sealed = key.seal(b"secret", "kid-1");
        assert_eq!(key.open(&sealed, "kid-1").unwrap(), b"secret");
        assert!(key.open(&sealed, "kid-2").is_err(), "bound to its context");
        assert!(InstanceKey::generate().open(&sealed, "kid-1").is_err(), "bound to its key");
        assert_eq!(InstanceKey::parse(&key.to_text()).unwrap().to_text(), key.to_text());
    }
}
