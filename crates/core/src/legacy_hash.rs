//! Password hashes brought from other systems: the forms IntelliAuth stores them in, the
//! cost bounds that keep one sign-in cheap, Auth0's `custom_password_hash` read into them,
//! and their verification. A user's first sign-in replaces one with today's argon2id.
//!
//! Stored forms (each self-describing, so a row needs no other column):
//! - argon2id / argon2i: the PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`);
//! - bcrypt: the modular crypt string (`$2a$`, `$2b$`, `$2y$`);
//! - PBKDF2: the PHC string `$pbkdf2-sha256$i=…,l=…$salt$hash` (or `-sha512`);
//! - scrypt: the PHC string `$scrypt$ln=…,r=…,p=…$salt$hash`;
//! - salted SHA-2: `$salted-sha256$pos=prefix$salt$hash` (or `-sha512`, `pos=suffix`): one
//!   digest of the salt and the password's UTF-8 bytes in that order.
//!
//! Salts and hashes in the PHC forms are base64 (standard alphabet, padding optional).

use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// Bounds on an imported hash's cost, so one imported row cannot make each sign-in attempt
/// for it allocate gigabytes or spin for seconds (OWASP's profiles stay far below).
const MAX_ARGON2_MEMORY_KIB: u32 = 256 * 1024;
const MAX_ARGON2_PASSES: u32 = 16;
const MAX_ARGON2_LANES: u32 = 8;
/// bcrypt cost 15 is about 2.5 s on a server core; 10–12 is usual.
const MAX_BCRYPT_COST: u32 = 15;
/// OWASP asks 600,000 for PBKDF2-SHA256 and 210,000 for SHA-512.
const MAX_PBKDF2_ROUNDS: u32 = 2_000_000;
/// scrypt's memory is 128·N·r bytes: at most 256 MiB.
const MAX_SCRYPT_MEMORY: u64 = 256 * 1024 * 1024;
const MAX_SCRYPT_PARALLELISM: u32 = 16;
/// Longest derived key or digest accepted.
const MAX_OUTPUT_BYTES: usize = 128;
const MAX_SALT_BYTES: usize = 256;

/// The algorithm a stored hash was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Argon2,
    Bcrypt,
    Pbkdf2,
    Scrypt,
    SaltedSha2,
}

impl Scheme {
    /// The scheme of a stored hash, by its prefix.
    pub fn of(hash: &str) -> Option<Scheme> {
        let scheme = if hash.starts_with("$argon2") {
            Scheme::Argon2
        } else if ["$2a$", "$2b$", "$2y$"].iter().any(|prefix| hash.starts_with(prefix)) {
            Scheme::Bcrypt
        } else if hash.starts_with("$pbkdf2-") {
            Scheme::Pbkdf2
        } else if hash.starts_with("$scrypt$") {
            Scheme::Scrypt
        } else if hash.starts_with("$salted-sha") {
            Scheme::SaltedSha2
        } else {
            return None;
        };
        Some(scheme)
    }

    /// Its name in reports, metrics and the tenant log.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Argon2 => "argon2",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Pbkdf2 => "pbkdf2",
            Scheme::Scrypt => "scrypt",
            Scheme::SaltedSha2 => "salted_sha2",
        }
    }
}

/// Whether `hash` is a stored form sign-in can verify within the cost bounds; `Err` says
/// why not, in words for the import's `details.fields`.
pub fn check(hash: &str) -> Result<(), String> {
    match Scheme::of(hash) {
        Some(Scheme::Argon2) => check_argon2(hash),
        Some(Scheme::Bcrypt) => check_bcrypt(hash),
        Some(Scheme::Pbkdf2) => Pbkdf2::parse(hash).map(drop),
        Some(Scheme::Scrypt) => Scrypt::parse(hash).map(drop),
        Some(Scheme::SaltedSha2) => SaltedSha2::parse(hash).map(drop),
        None => Err(
            "must be a bcrypt ($2a$, $2b$, $2y$), argon2, PBKDF2 ($pbkdf2-sha256$ or $pbkdf2-sha512$) or scrypt hash"
                .into(),
        ),
    }
}

fn check_argon2(hash: &str) -> Result<(), String> {
    use argon2::password_hash::PasswordHash;
    use argon2::{Algorithm, Params};
    let parsed = PasswordHash::new(hash)
        .map_err(|_| "must be a PHC string such as $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>".to_owned())?;
    if parsed.algorithm != Algorithm::Argon2id.ident() && parsed.algorithm != Algorithm::Argon2i.ident() {
        return Err(format!("{} hashes are not imported; argon2id and argon2i are", parsed.algorithm));
    }
    let (Ok(params), Some(_)) = (Params::try_from(&parsed), parsed.hash) else {
        return Err("is not a complete argon2 hash (parameters, salt and hash)".into());
    };
    let bounded = params.m_cost() <= MAX_ARGON2_MEMORY_KIB
        && params.t_cost() <= MAX_ARGON2_PASSES
        && params.p_cost() <= MAX_ARGON2_LANES;
    if !bounded {
        return Err(format!(
            "costs more than sign-in allows (at most m={MAX_ARGON2_MEMORY_KIB}, t={MAX_ARGON2_PASSES}, p={MAX_ARGON2_LANES})"
        ));
    }
    Ok(())
}

fn check_bcrypt(hash: &str) -> Result<(), String> {
    let parts: bcrypt::HashParts =
        hash.parse().map_err(|_| "is not a complete bcrypt hash ($2b$<cost>$<53 characters>)".to_owned())?;
    if parts.get_cost() > MAX_BCRYPT_COST {
        return Err(format!("has cost {}; sign-in allows at most {MAX_BCRYPT_COST}", parts.get_cost()));
    }
    Ok(())
}

/// Verifies `password` against a stored hash that is not argon2 (the hasher pool does
/// those). Comparisons are constant-time; `Err` only for a hash that cannot be read.
pub fn verify_legacy(password: &[u8], hash: &str) -> Result<bool, String> {
    match Scheme::of(hash) {
        Some(Scheme::Bcrypt) => {
            check_bcrypt(hash)?;
            // bcrypt reads at most 72 bytes; a longer password is refused, not truncated.
            if password.len() > 72 {
                return Ok(false);
            }
            bcrypt::verify(password, hash).map_err(|error| error.to_string())
        }
        Some(Scheme::Pbkdf2) => Pbkdf2::parse(hash).map(|stored| stored.matches(password)),
        Some(Scheme::Scrypt) => Scrypt::parse(hash)?.matches(password),
        Some(Scheme::SaltedSha2) => SaltedSha2::parse(hash).map(|stored| stored.matches(password)),
        Some(Scheme::Argon2) | None => Err("not a legacy hash".into()),
    }
}

/// Standard base64, padded or not.
fn decode_b64(text: &str) -> Option<Vec<u8>> {
    STANDARD_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

fn encode_b64(bytes: &[u8]) -> String {
    STANDARD_NO_PAD.encode(bytes)
}

/// A PHC-style string's four fields.
struct PhcFields<'a> {
    id: &'a str,
    /// `key=value` pairs.
    params: Vec<(&'a str, &'a str)>,
    salt: &'a str,
    digest: &'a str,
}

/// `$id$params$salt$hash`, split.
fn phc_fields(hash: &str) -> Option<PhcFields<'_>> {
    let mut fields = hash.strip_prefix('$')?.split('$');
    let (id, params, salt, digest) = (fields.next()?, fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    let params = params.split(',').map(|pair| pair.split_once('=')).collect::<Option<Vec<_>>>()?;
    Some(PhcFields { id, params, salt, digest })
}

fn param<T: std::str::FromStr>(params: &[(&str, &str)], key: &str) -> Option<T> {
    params.iter().find(|(name, _)| *name == key).and_then(|(_, value)| value.parse().ok())
}

/// Salt and hash bytes within bounds.
fn salt_and_output(salt: &str, digest: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let salt = decode_b64(salt).ok_or("has a salt that is not base64")?;
    let output = decode_b64(digest).ok_or("has a hash that is not base64")?;
    if salt.len() > MAX_SALT_BYTES || output.is_empty() || output.len() > MAX_OUTPUT_BYTES {
        return Err(format!("needs a salt of at most {MAX_SALT_BYTES} bytes and a hash of 1 to {MAX_OUTPUT_BYTES}"));
    }
    Ok((salt, output))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sha2 {
    Sha256,
    Sha512,
}

impl Sha2 {
    /// By the name hash forms give it (`sha256`, `sha512`).
    fn named(name: &str) -> Option<Sha2> {
        match name {
            "sha256" => Some(Sha2::Sha256),
            "sha512" => Some(Sha2::Sha512),
            _ => None,
        }
    }
}

/// A PBKDF2-HMAC hash.
struct Pbkdf2 {
    digest: Sha2,
    rounds: u32,
    salt: Vec<u8>,
    output: Vec<u8>,
}

impl Pbkdf2 {
    fn parse(hash: &str) -> Result<Pbkdf2, String> {
        const FORM: &str = "must be a PHC string such as $pbkdf2-sha256$i=600000,l=32$<salt>$<hash>";
        let PhcFields { id, params, salt, digest } = phc_fields(hash).ok_or(FORM)?;
        let digest_kind = id
            .strip_prefix("pbkdf2-")
            .and_then(Sha2::named)
            .ok_or("PBKDF2 is imported with SHA-256 or SHA-512 ($pbkdf2-sha256$, $pbkdf2-sha512$)")?;
        let rounds: u32 = param(&params, "i").ok_or(FORM)?;
        if rounds == 0 || rounds > MAX_PBKDF2_ROUNDS {
            return Err(format!("has {rounds} iterations; sign-in allows 1 to {MAX_PBKDF2_ROUNDS}"));
        }
        let (salt, output) = salt_and_output(salt, digest)?;
        if let Some(length) = param::<usize>(&params, "l") {
            if length != output.len() {
                return Err(format!("says l={length} but its hash has {} bytes", output.len()));
            }
        }
        Ok(Pbkdf2 { digest: digest_kind, rounds, salt, output })
    }

    fn matches(&self, password: &[u8]) -> bool {
        let mut computed = vec![0u8; self.output.len()];
        match self.digest {
            Sha2::Sha256 => pbkdf2::pbkdf2_hmac::<Sha256>(password, &self.salt, self.rounds, &mut computed),
            Sha2::Sha512 => pbkdf2::pbkdf2_hmac::<Sha512>(password, &self.salt, self.rounds, &mut computed),
        }
        bool::from(computed.ct_eq(&self.output))
    }
}

/// An scrypt hash.
struct Scrypt {
    log_n: u8,
    r: u32,
    p: u32,
    salt: Vec<u8>,
    output: Vec<u8>,
}

impl Scrypt {
    fn parse(hash: &str) -> Result<Scrypt, String> {
        const FORM: &str = "must be a PHC string such as $scrypt$ln=15,r=8,p=1$<salt>$<hash>";
        let PhcFields { id, params, salt, digest } = phc_fields(hash).ok_or(FORM)?;
        let (Some(log_n), Some(r), Some(p)) = (param::<u8>(&params, "ln"), param(&params, "r"), param(&params, "p"))
        else {
            return Err(FORM.into());
        };
        if id != "scrypt" {
            return Err(FORM.into());
        }
        check_scrypt_cost(log_n, r, p)?;
        let (salt, output) = salt_and_output(salt, digest)?;
        Ok(Scrypt { log_n, r, p, salt, output })
    }

    fn matches(&self, password: &[u8]) -> Result<bool, String> {
        let params = scrypt::Params::new(self.log_n, self.r, self.p, self.output.len()).map_err(|e| e.to_string())?;
        let mut computed = vec![0u8; self.output.len()];
        scrypt::scrypt(password, &self.salt, &params, &mut computed).map_err(|e| e.to_string())?;
        Ok(bool::from(computed.ct_eq(&self.output)))
    }
}

fn check_scrypt_cost(log_n: u8, r: u32, p: u32) -> Result<(), String> {
    let memory = 128u64.saturating_mul(1u64.checked_shl(u32::from(log_n)).unwrap_or(u64::MAX)).saturating_mul(r.into());
    if log_n == 0 || log_n >= 32 || r == 0 || p == 0 || p > MAX_SCRYPT_PARALLELISM || memory > MAX_SCRYPT_MEMORY {
        return Err(format!(
            "costs more than sign-in allows (at most {} MiB of memory, 128·N·r, and p ≤ {MAX_SCRYPT_PARALLELISM})",
            MAX_SCRYPT_MEMORY >> 20
        ));
    }
    Ok(())
}

/// One salted SHA-2 digest.
struct SaltedSha2 {
    digest: Sha2,
    salt_first: bool,
    salt: Vec<u8>,
    output: Vec<u8>,
}

impl SaltedSha2 {
    fn parse(hash: &str) -> Result<SaltedSha2, String> {
        const FORM: &str = "must be such as $salted-sha256$pos=prefix$<salt>$<hash>";
        let PhcFields { id, params, salt, digest } = phc_fields(hash).ok_or(FORM)?;
        let digest_kind = id.strip_prefix("salted-").and_then(Sha2::named).ok_or(FORM)?;
        let salt_first = match param::<String>(&params, "pos").as_deref() {
            Some("prefix") => true,
            Some("suffix") => false,
            _ => return Err(FORM.into()),
        };
        let salt = decode_b64(salt).ok_or("has a salt that is not base64")?;
        let output = decode_b64(digest).ok_or("has a hash that is not base64")?;
        let expected = match digest_kind {
            Sha2::Sha256 => 32,
            Sha2::Sha512 => 64,
        };
        if output.len() != expected || salt.len() > MAX_SALT_BYTES {
            return Err(format!("needs a {expected}-byte hash and a salt of at most {MAX_SALT_BYTES} bytes"));
        }
        Ok(SaltedSha2 { digest: digest_kind, salt_first, salt, output })
    }

    fn matches(&self, password: &[u8]) -> bool {
        let (first, second) = if self.salt_first { (&self.salt[..], password) } else { (password, &self.salt[..]) };
        let computed = match self.digest {
            Sha2::Sha256 => Sha256::new().chain_update(first).chain_update(second).finalize().to_vec(),
            Sha2::Sha512 => Sha512::new().chain_update(first).chain_update(second).finalize().to_vec(),
        };
        bool::from(computed.ct_eq(&self.output))
    }
}

/// Auth0's `custom_password_hash` object (bulk-import schema), as far as IntelliAuth reads it.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomHash {
    pub algorithm: String,
    pub hash: Encoded,
    #[serde(default)]
    pub salt: Option<Salt>,
    #[serde(default)]
    pub password: Option<PasswordEncoding>,
    /// scrypt: the derived key's length (Auth0's default 64).
    #[serde(default)]
    pub keylen: Option<usize>,
    /// scrypt: N (Auth0's default 16384).
    #[serde(default)]
    pub cost: Option<u64>,
    /// scrypt: r (default 8).
    #[serde(default, rename = "blockSize")]
    pub block_size: Option<u32>,
    /// scrypt: p (default 1).
    #[serde(default)]
    pub parallelization: Option<u32>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Encoded {
    pub value: String,
    #[serde(default)]
    pub encoding: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Salt {
    pub value: String,
    #[serde(default)]
    pub encoding: Option<String>,
    #[serde(default)]
    pub position: Option<String>,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordEncoding {
    pub encoding: String,
}

/// The algorithms `custom_password_hash.algorithm` may name.
pub const IMPORTED_ALGORITHMS: &str = "argon2, bcrypt, pbkdf2, scrypt, sha256 or sha512";

/// The stored form of an Auth0 `custom_password_hash`, or the field (under
/// `custom_password_hash.`) and why it cannot be imported.
pub fn from_custom(custom: &CustomHash) -> Result<String, FieldProblem> {
    if let Some(password) = &custom.password {
        if !matches!(password.encoding.as_str(), "utf8" | "utf-8") {
            return Err(("password.encoding", "must be utf8 (the only password encoding imported)".into()));
        }
    }
    let as_text = |expected: &str| -> Result<String, FieldProblem> {
        match custom.hash.encoding.as_deref() {
            None | Some("utf8") => Ok(custom.hash.value.clone()),
            Some(_) => Err(("hash.encoding", format!("must be utf8 for {expected} (its hash is a string)"))),
        }
    };
    let stored = match custom.algorithm.as_str() {
        "argon2" => as_text("argon2")?,
        "bcrypt" => as_text("bcrypt")?,
        "pbkdf2" => as_text("pbkdf2")?,
        "scrypt" => scrypt_from_custom(custom)?,
        "sha256" | "sha512" => salted_sha2_from_custom(custom)?,
        other => {
            return Err(("algorithm", format!("{other} hashes are not imported; use one of {IMPORTED_ALGORITHMS}")));
        }
    };
    let expected = match custom.algorithm.as_str() {
        "argon2" => Scheme::Argon2,
        "bcrypt" => Scheme::Bcrypt,
        "pbkdf2" => Scheme::Pbkdf2,
        "scrypt" => Scheme::Scrypt,
        _ => Scheme::SaltedSha2,
    };
    if Scheme::of(&stored) != Some(expected) {
        return Err(("hash.value", format!("is not a {} hash", custom.algorithm)));
    }
    check(&stored).map_err(|why| ("hash.value", why))?;
    Ok(stored)
}

/// Bytes in one of Auth0's encodings (`hex`, `base64`, `utf8`; `default` when absent).
fn decode(value: &str, encoding: Option<&str>, default: &str) -> Option<Vec<u8>> {
    match encoding.unwrap_or(default) {
        "hex" => hex_decode(value),
        "base64" => STANDARD.decode(value).ok().or_else(|| decode_b64(value)),
        "utf8" | "utf-8" => Some(value.as_bytes().to_vec()),
        _ => None,
    }
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len()).step_by(2).map(|at| u8::from_str_radix(text.get(at..at + 2)?, 16).ok()).collect()
}

const ENCODINGS: &str = "must be hex, base64 or utf8";

/// A field under `custom_password_hash.` and what is wrong with it.
type FieldProblem = (&'static str, String);

fn salt_bytes(custom: &CustomHash) -> Result<Option<(Vec<u8>, &Salt)>, FieldProblem> {
    let Some(salt) = &custom.salt else { return Ok(None) };
    let bytes = decode(&salt.value, salt.encoding.as_deref(), "utf8").ok_or(("salt.encoding", ENCODINGS.into()))?;
    Ok(Some((bytes, salt)))
}

fn hash_bytes(custom: &CustomHash, default: &str) -> Result<Vec<u8>, FieldProblem> {
    decode(&custom.hash.value, custom.hash.encoding.as_deref(), default)
        .ok_or(("hash.value", format!("is not valid {}", custom.hash.encoding.as_deref().unwrap_or(default))))
}

fn scrypt_from_custom(custom: &CustomHash) -> Result<String, FieldProblem> {
    let output = hash_bytes(custom, "base64")?;
    let salt = salt_bytes(custom)?.map(|(bytes, _)| bytes).unwrap_or_default();
    let cost = custom.cost.unwrap_or(16384);
    if !cost.is_power_of_two() || cost < 2 {
        return Err(("cost", "must be a power of two (scrypt's N)".into()));
    }
    if custom.keylen.is_some_and(|length| length != output.len()) {
        return Err(("keylen", format!("says {} bytes but the hash has {}", custom.keylen.unwrap_or(0), output.len())));
    }
    let (log_n, r, p) =
        (cost.trailing_zeros() as u8, custom.block_size.unwrap_or(8), custom.parallelization.unwrap_or(1));
    check_scrypt_cost(log_n, r, p).map_err(|why| ("cost", why))?;
    Ok(format!("$scrypt$ln={log_n},r={r},p={p}${}${}", encode_b64(&salt), encode_b64(&output)))
}

fn salted_sha2_from_custom(custom: &CustomHash) -> Result<String, FieldProblem> {
    let output = hash_bytes(custom, "hex")?;
    let (salt, position) = match salt_bytes(custom)? {
        Some((bytes, salt)) => (bytes, salt.position.as_deref().unwrap_or("prefix")),
        None => (Vec::new(), "prefix"),
    };
    if !matches!(position, "prefix" | "suffix") {
        return Err(("salt.position", "must be prefix or suffix".into()));
    }
    Ok(format!("$salted-{}$pos={position}${}${}", custom.algorithm, encode_b64(&salt), encode_b64(&output)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn custom(json: serde_json::Value) -> CustomHash {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn bcrypt_variants_verify_and_a_costly_one_is_refused() {
        let hash = bcrypt::hash_with_result("correct horse", 4).unwrap();
        for variant in [bcrypt::Version::TwoA, bcrypt::Version::TwoB, bcrypt::Version::TwoY] {
            let text = hash.format_for_version(variant);
            check(&text).unwrap();
            assert!(verify_legacy(b"correct horse", &text).unwrap(), "{text}");
            assert!(!verify_legacy(b"correct horsf", &text).unwrap());
        }
        let costly = "$2b$17$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
        assert!(check(costly).unwrap_err().contains("at most 15"));
    }

    #[test]
    fn pbkdf2_scrypt_and_salted_sha2_verify() {
        let salt = b"NaCl-salt";
        let mut derived = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(b"pw", salt, 1000, &mut derived);
        let pbkdf2 = format!("$pbkdf2-sha256$i=1000,l=32${}${}", STANDARD.encode(salt), encode_b64(&derived));
        check(&pbkdf2).unwrap();
        assert!(verify_legacy(b"pw", &pbkdf2).unwrap());
        assert!(!verify_legacy(b"px", &pbkdf2).unwrap());

        let params = scrypt::Params::new(10, 8, 1, 32).unwrap();
        scrypt::scrypt(b"pw", salt, &params, &mut derived).unwrap();
        let scrypt_custom = custom(serde_json::json!({
            "algorithm": "scrypt", "hash": { "value": STANDARD.encode(derived), "encoding": "base64" },
            "salt": { "value": "NaCl-salt", "encoding": "utf8" }, "keylen": 32, "cost": 1024 }));
        let stored = from_custom(&scrypt_custom).unwrap();
        assert!(stored.starts_with("$scrypt$ln=10,r=8,p=1$"), "{stored}");
        assert!(verify_legacy(b"pw", &stored).unwrap());
        assert!(!verify_legacy(b"px", &stored).unwrap());

        let digest = Sha256::digest(b"pwNaCl-salt");
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let sha = custom(serde_json::json!({ "algorithm": "sha256", "hash": { "value": hex, "encoding": "hex" },
            "salt": { "value": "NaCl-salt", "position": "suffix" } }));
        let stored = from_custom(&sha).unwrap();
        assert!(verify_legacy(b"pw", &stored).unwrap(), "{stored}");
        assert!(!verify_legacy(b"NaCl-saltpw", &stored).unwrap(), "the salt's position matters");
    }

    #[test]
    fn what_cannot_be_imported_is_named() {
        let md5 = custom(serde_json::json!({ "algorithm": "md5", "hash": { "value": "x" } }));
        assert_eq!(from_custom(&md5).unwrap_err().0, "algorithm");
        let latin1 = custom(
            serde_json::json!({ "algorithm": "sha256", "hash": { "value": "00" }, "password": { "encoding": "latin1" } }),
        );
        assert_eq!(from_custom(&latin1).unwrap_err().0, "password.encoding");
        let huge =
            custom(serde_json::json!({ "algorithm": "scrypt", "hash": { "value": "AAAA" }, "cost": 1u64 << 22 }));
        assert_eq!(from_custom(&huge).unwrap_err().0, "cost");
        let short =
            custom(serde_json::json!({ "algorithm": "sha512", "hash": { "value": "abcd", "encoding": "hex" } }));
        assert_eq!(from_custom(&short).unwrap_err().0, "hash.value");
        let many = "$pbkdf2-sha256$i=9000000,l=32$c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert!(check(many).unwrap_err().contains("iterations"));
    }
}
