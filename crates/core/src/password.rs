//! Passwords: the tenant's policy, and argon2id hashing off the async runtime.

use std::sync::Arc;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

use crate::validate::FieldErrors;
use crate::{Error, Result};

/// The tenant's password rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordPolicy {
    /// NIST SP 800-63B asks for at least 8.
    pub min_length: usize,
    /// Reject passwords found in the built-in list of the most common passwords.
    pub reject_common: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy { min_length: 8, reject_common: true }
    }
}

/// Longer inputs are refused so a hash request cannot be used to burn CPU.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The most common passwords of public breach corpora (lower-cased); a local list, so
/// registration never calls out to a third party.
const COMMON_PASSWORDS: &[&str] = &[
    "123456",
    "123456789",
    "12345678",
    "password",
    "qwerty123",
    "qwerty1",
    "111111",
    "12345",
    "secret",
    "123123",
    "1234567890",
    "1234567",
    "000000",
    "qwerty",
    "abc123",
    "password1",
    "iloveyou",
    "11111111",
    "dragon",
    "monkey",
    "123123123",
    "123321",
    "qwertyuiop",
    "00000000",
    "letmein",
    "football",
    "baseball",
    "welcome",
    "welcome1",
    "admin",
    "admin123",
    "princess",
    "sunshine",
    "master",
    "shadow",
    "superman",
    "trustno1",
    "passw0rd",
    "p@ssw0rd",
    "password123",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "qazwsx",
    "asdfghjkl",
    "asdfgh",
    "987654321",
    "654321",
    "michael",
    "jennifer",
    "hunter2",
    "starwars",
    "whatever",
    "charlie",
    "donald",
    "freedom",
    "computer",
    "internet",
    "login",
    "changeme",
    "changeme1",
    "default",
    "guest",
    "test1234",
    "testtest",
    "pass1234",
    "mustang",
    "access",
    "batman",
    "killer",
    "hello123",
    "loveme",
    "flower",
    "pokemon",
    "liverpool",
    "chelsea",
    "arsenal",
    "soccer",
    "hockey",
    "jordan23",
    "summer2024",
    "winter2024",
    "spring2024",
    "autumn2024",
    "qwerty12",
    "1234qwer",
    "aa123456",
    "abcd1234",
    "a123456",
    "12341234",
    "88888888",
    "87654321",
    "google",
    "samsung",
    "iloveyou1",
];

impl PasswordPolicy {
    /// Checks a candidate password, adding every broken rule to `errors` under `field`.
    pub fn check(&self, errors: &mut FieldErrors, field: &str, password: &str) {
        let length = password.chars().count();
        if length < self.min_length {
            errors.add(field, format!("must be at least {} characters", self.min_length));
        }
        if password.len() > MAX_PASSWORD_BYTES {
            errors.add(field, format!("must be at most {MAX_PASSWORD_BYTES} bytes"));
        }
        if self.is_common(password) {
            errors.add(field, "is one of the most common passwords; choose one that is harder to guess");
        }
    }

    /// Whether the policy rejects this password as one of the most common ones.
    pub fn is_common(&self, password: &str) -> bool {
        self.reject_common && COMMON_PASSWORDS.contains(&password.to_lowercase().as_str())
    }

    pub fn validate(&self, errors: &mut FieldErrors) {
        if !(1..=MAX_PASSWORD_BYTES).contains(&self.min_length) {
            errors.add("settings.password_policy.min_length", format!("must be between 1 and {MAX_PASSWORD_BYTES}"));
        }
    }
}

/// argon2id with the OWASP minimum (19 MiB, t=2, p=1), run on the blocking pool with a
/// bound on concurrent hashes so a burst of sign-ups cannot exhaust memory or starve the
/// async runtime.
#[derive(Clone)]
pub struct PasswordHasherPool {
    permits: Arc<Semaphore>,
    params: Params,
}

impl PasswordHasherPool {
    pub fn new(max_concurrent: usize) -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
        PasswordHasherPool { permits: Arc::new(Semaphore::new(max_concurrent.max(1))), params }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2.hash_password(password.as_bytes(), &salt).map(|hash| hash.to_string())
        })
        .await
        .map_err(Error::internal)?
        .map_err(|e| Error::internal(e.to_string()))
    }

    /// Whether `hash` was made with other parameters than today's (or another algorithm),
    /// so the password should be hashed again while it is at hand.
    pub fn needs_rehash(&self, hash: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else { return true };
        let current = Params::try_from(&parsed).ok();
        parsed.algorithm != Algorithm::Argon2id.ident()
            || current.is_none_or(|params| {
                (params.m_cost(), params.t_cost(), params.p_cost())
                    != (self.params.m_cost(), self.params.t_cost(), self.params.p_cost())
            })
    }

    /// True when `password` matches the PHC-format `hash`.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&hash).map_err(|e| e.to_string())?;
            Ok::<_, String>(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .map_err(Error::internal)?
        .map_err(Error::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_reports_every_rule() {
        let mut errors = FieldErrors::new();
        PasswordPolicy::default().check(&mut errors, "password", "secret");
        let json = errors.into_json();
        assert_eq!(json["password"].as_array().unwrap().len(), 2, "{json}");
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let pool = PasswordHasherPool::new(2);
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(pool.verify("correct horse".into(), hash.clone()).await.unwrap());
        assert!(!pool.verify("wrong horse".into(), hash).await.unwrap());
    }
}
