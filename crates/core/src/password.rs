//! Passwords: the tenant's policy, and argon2id hashing off the async runtime.

use std::sync::{Arc, Mutex};

use argon2::password_hash::{self, rand_core::OsRng, Output, ParamsString, PasswordHash, Salt, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
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
    /// argon2's working memory, kept between hashes: at most one per permit. Allocating
    /// 19 MiB per hash cost a page fault for every 4 KiB of it and its zeroing, a fifth of
    /// the CPU a sign-in spends (see bench/RESULTS.md's profile).
    memory: Arc<Mutex<Vec<Vec<Block>>>>,
}

/// Working memory larger than this (an imported hash's parameters) is not kept.
const KEPT_BLOCKS: usize = 64 * 1024;

impl PasswordHasherPool {
    pub fn new(max_concurrent: usize) -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).expect("OWASP argon2 parameters are valid");
        PasswordHasherPool { permits: Arc::new(Semaphore::new(max_concurrent.max(1))), params, memory: Arc::default() }
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    /// Runs `work` on the blocking pool under a permit, with working memory from the pool.
    async fn with_memory<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        let memory = self.memory.clone();
        tokio::task::spawn_blocking(move || {
            let mut blocks = memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).pop().unwrap_or_default();
            let result = work(&mut blocks);
            if blocks.len() <= KEPT_BLOCKS {
                memory.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).push(blocks);
            }
            result
        })
        .await
        .map_err(Error::internal)
    }

    pub async fn hash(&self, password: String) -> Result<String> {
        let argon2 = self.argon2();
        self.with_memory(move |blocks| {
            let salt = SaltString::generate(&mut OsRng);
            let output = compute(&argon2, password.as_bytes(), salt.as_salt(), Params::DEFAULT_OUTPUT_LEN, blocks)?;
            let hash = PasswordHash {
                algorithm: Algorithm::Argon2id.ident(),
                version: Some(Version::V0x13.into()),
                params: ParamsString::try_from(argon2.params()).map_err(|e| e.to_string())?,
                salt: Some(salt.as_salt()),
                hash: Some(output),
            };
            Ok::<_, String>(hash.to_string())
        })
        .await?
        .map_err(Error::internal)
    }

    /// How every hash made today begins: `$argon2id$v=19$m=…,t=…,p=…$`.
    pub fn current_prefix(&self) -> String {
        let params = ParamsString::try_from(&self.params).map(|params| params.to_string()).unwrap_or_default();
        format!("${}$v={}${params}$", Algorithm::Argon2id.ident(), Version::V0x13 as u32)
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

    /// True when `password` matches the stored `hash`: argon2 in PHC form (its own
    /// algorithm, version and parameters), or a form imported from another system (see
    /// [`crate::legacy_hash`]). Comparisons are constant-time.
    pub async fn verify(&self, password: String, hash: String) -> Result<bool> {
        self.with_memory(move |blocks| {
            if crate::legacy_hash::Scheme::of(&hash) != Some(crate::legacy_hash::Scheme::Argon2) {
                return crate::legacy_hash::verify_legacy(password.as_bytes(), &hash);
            }
            let parsed = PasswordHash::new(&hash).map_err(|e| e.to_string())?;
            let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else { return Ok(false) };
            let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| e.to_string())?;
            let version = parsed.version.map(Version::try_from).transpose().map_err(|e| e.to_string())?;
            let params = Params::try_from(&parsed).map_err(|e| e.to_string())?;
            let argon2 = Argon2::new(algorithm, version.unwrap_or_default(), params);
            let computed = compute(&argon2, password.as_bytes(), salt, expected.len(), blocks)?;
            // `Output`'s equality is constant-time.
            Ok::<_, String>(computed == expected)
        })
        .await?
        .map_err(Error::internal)
    }
}

/// argon2 of `password` and the (B64) `salt` into an output of `length` bytes, in `blocks`
/// (grown to the parameters' size when smaller).
fn compute(
    argon2: &Argon2,
    password: &[u8],
    salt: Salt,
    length: usize,
    blocks: &mut Vec<Block>,
) -> std::result::Result<Output, String> {
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
    let needed = argon2.params().block_count();
    if blocks.len() < needed {
        blocks.resize(needed, Block::default());
    }
    Output::init_with(length, |out| {
        argon2
            .hash_password_into_with_memory(password, salt, out, &mut blocks[..needed])
            .map_err(|_| password_hash::Error::Crypto)
    })
    .map_err(|e| e.to_string())
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

    /// The kept working memory changes nothing: hashes made by the argon2 crate's own
    /// `PasswordHasher` (argon2id and argon2i, other costs) verify, one after another on the
    /// same memory, and ours verify with it.
    #[tokio::test]
    async fn reused_memory_agrees_with_the_reference_hasher() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let pool = PasswordHasherPool::new(1);
        for (algorithm, memory_kib, passes) in
            [(Algorithm::Argon2id, 19 * 1024, 2), (Algorithm::Argon2i, 8 * 1024, 3), (Algorithm::Argon2id, 4096, 1)]
        {
            let reference = Argon2::new(algorithm, Version::V0x13, Params::new(memory_kib, passes, 1, None).unwrap());
            let salt = SaltString::generate(&mut OsRng);
            let hash = reference.hash_password(b"correct horse", &salt).unwrap().to_string();
            assert!(pool.verify("correct horse".into(), hash.clone()).await.unwrap(), "{hash}");
            assert!(!pool.verify("correct horsf".into(), hash).await.unwrap());
        }
        let ours = pool.hash("correct horse".into()).await.unwrap();
        assert!(Argon2::default().verify_password(b"correct horse", &PasswordHash::new(&ours).unwrap()).is_ok());
        assert!(!pool.verify("anything".into(), "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ".into()).await.unwrap());
    }

    #[tokio::test]
    async fn hash_then_verify() {
        let pool = PasswordHasherPool::new(2);
        let hash = pool.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_eq!(pool.current_prefix(), "$argon2id$v=19$m=19456,t=2,p=1$", "what /metrics counts as today's");
        assert!(pool.verify("correct horse".into(), hash.clone()).await.unwrap());
        assert!(!pool.verify("wrong horse".into(), hash).await.unwrap());
    }
}
