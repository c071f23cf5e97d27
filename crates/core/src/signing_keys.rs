//! The port of each tenant's token-signing keys (sealed private halves, rotation).
//! `store` implements it (`key_queries.rs`).

use async_trait::async_trait;

use crate::ports::StoreResult;

/// A tenant's token-signing key. The private half is sealed with the instance key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    pub kid: String,
    pub tenant_id: String,
    /// `ES256` or `EdDSA`.
    pub alg: String,
    /// `next` (published, not yet signing), `active` (signing) or `retired` (published
    /// until `retire_after`, so tokens it signed still verify).
    pub status: String,
    pub sealed_secret: String,
    /// The public JWK, as JSON.
    pub public_jwk: String,
    pub created_at: i64,
    pub retire_after: Option<i64>,
}

/// Persistence of signing keys.
#[async_trait]
pub trait SigningKeyStore: Send + Sync + 'static {
    /// Keys of the tenant that are not past `retire_after`.
    async fn signing_keys(&self, tenant_id: &str, now: i64) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Inserts keys of algorithms the tenant has none of (an `active` and a `next` each), all
    /// in one transaction; `Conflict` if another node inserted one of them first.
    async fn insert_initial_keys(&self, keys: &[SigningKeyRecord]) -> StoreResult<()>;
    /// In one transaction: `active` → `retired` (until `retire_after`), `next` → `active`,
    /// and `new_next` inserted. `Conflict` when a concurrent rotation got there first.
    async fn rotate_keys(
        &self,
        tenant_id: &str,
        alg: &str,
        retire_after: i64,
        new_next: &SigningKeyRecord,
    ) -> StoreResult<()>;
}
