//! A tenant's published keys as one node holds them: which key signs for each algorithm, and
//! how long the node may trust its copy before looking for another node's rotation.
//!
//! Each node keeps a tenant's keys for up to its key cache's lifetime (60 s by default), so a
//! key another node has just created is unknown here for that long. The rule that makes this
//! safe on every node, whatever its cache: a key signs only once it has been in the store for
//! longer than any node keeps a copy (`signs_after_ms`). Until then the node signs with the
//! newest key of that algorithm that is old enough (retired keys stay published for a token
//! lifetime plus a margin, which is longer); an algorithm with no key that old yet (one an
//! API or the tenant has just chosen) yields to the tenant's algorithm, then to any that
//! signs. The one exception is a tenant's first keys, which sign at once: no node can hold
//! an older copy, since they were created in one transaction when there was none. So a
//! token any node signed verifies on every node, and every node's JWKS lists its key, with
//! no node asking another.

use std::sync::Arc;
use std::time::{Duration, Instant};

use intelliauth_core::model::Tenant;
use intelliauth_core::ports::{SigningKeyRecord, StoreError};
use intelliauth_core::{ids, Error, Result};
use serde_json::Value;

use crate::jwt;
use crate::keys::{Algorithm, Signer};
use crate::provider::Oidc;

/// How long a node uses keys it loaded before looking for a rotation by another node, unless
/// the operator sets another (`--signing-key-cache-s`).
pub const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
/// How much longer than a node keeps its copy a new key waits before it signs: for the time a
/// load takes and for clocks that disagree a little.
const SIGNS_AFTER_MARGIN_MS: i64 = 5_000;
/// The longest a token may live: an application may set its own access-token lifetime up to
/// this, above its tenant's.
pub(crate) const LONGEST_TOKEN_MS: i64 = 86_400 * 1000;
/// Every algorithm a tenant or an API may sign with.
const ALGORITHMS: [Algorithm; 3] = [Algorithm::Es256, Algorithm::EdDsa, Algorithm::Rs256];

/// A key that signs now.
pub(crate) struct SigningKey {
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
    pub(crate) signer: Signer,
}

impl SigningKey {
    /// The JWS header of a token this key signs, of type `typ`.
    pub(crate) fn header(&self, typ: &str) -> Value {
        serde_json::json!({ "alg": self.alg.as_str(), "typ": typ, "kid": self.kid })
    }

    /// `claims` signed with this key, with a header of type `typ`.
    pub(crate) fn sign(&self, typ: &str, claims: &Value) -> Result<String> {
        jwt::encode(&self.header(typ), claims, &self.signer)
    }
}

pub(crate) struct TenantKeys {
    /// When this copy must be reloaded: the cache's lifetime, or sooner when a key
    /// becomes the signing key.
    fresh_until: Instant,
    /// The tenant's own algorithm when this copy was loaded.
    tenant_alg: Algorithm,
    /// One key per algorithm that may sign now.
    signing: Vec<SigningKey>,
    /// Algorithms with an active key, signing yet or not.
    published: Vec<Algorithm>,
    /// Public JWKs of every published key (next, active, retired but not yet expired), of
    /// every algorithm.
    pub(crate) jwks: Vec<Value>,
}

impl TenantKeys {
    /// The key for tokens of the tenant's own algorithm: ID tokens, logout tokens, and
    /// access tokens for no API or for an API without an algorithm of its own.
    pub(crate) fn tenant_key(&self) -> &SigningKey {
        self.key_for(None)
    }

    /// The key for `alg` when one of that algorithm signs now; otherwise the tenant's, and
    /// failing that (an algorithm the tenant has just switched to) whichever signs.
    pub(crate) fn key_for(&self, alg: Option<Algorithm>) -> &SigningKey {
        let of = |alg: Algorithm| self.signing.iter().find(|key| key.alg == alg);
        alg.and_then(of)
            .or_else(|| of(self.tenant_alg))
            .or_else(|| self.signing.first())
            .expect("a tenant's keys always include one that signs")
    }
}

/// The key of `alg` that signs at `now` among a tenant's published `records`, and when the
/// choice changes (the active key's first moment to sign, if it has not come yet).
///
/// The active key once it is old enough. Before that, the newest active or retired key of
/// the algorithm that is; failing that, the oldest, if it is one of the tenant's first keys
/// (no node's copy can be older). Otherwise none signs yet: the algorithm is new to the
/// tenant and other nodes may not publish it. A retired key signs only while its tokens
/// will expire before it stops being published.
pub(crate) fn signing_key(
    records: &[SigningKeyRecord],
    alg: Algorithm,
    now: i64,
    signs_after_ms: i64,
) -> (Option<&SigningKeyRecord>, Option<i64>) {
    let Some(active) = active_key(records, alg) else {
        return (None, None);
    };
    let signs_from = active.created_at + signs_after_ms;
    if signs_from <= now {
        return (Some(active), None);
    }
    let may_sign = |key: &&SigningKeyRecord| {
        key.alg == alg.as_str()
            && (key.status == "active"
                || key.status == "retired" && key.retire_after.is_none_or(|until| until - now >= LONGEST_TOKEN_MS))
    };
    let newest_old_enough = records
        .iter()
        .filter(may_sign)
        .filter(|key| key.created_at + signs_after_ms <= now)
        .max_by_key(|key| key.created_at);
    let first_keys_at = records.iter().map(|key| key.created_at).min();
    let oldest_if_first = || {
        records
            .iter()
            .filter(may_sign)
            .min_by_key(|key| (key.created_at, key.status != "active"))
            .filter(|key| Some(key.created_at) == first_keys_at)
    };
    let chosen = newest_old_enough.or_else(oldest_if_first);
    let changes = chosen.is_none_or(|chosen| chosen.kid != active.kid);
    (chosen, changes.then_some(signs_from))
}

impl Oidc {
    /// How long after its creation a key may sign: every node's copy has been reloaded by
    /// then. Every node of a cluster must run with the same key cache lifetime.
    pub(crate) fn signs_after_ms(&self) -> i64 {
        self.key_cache_ttl.as_millis() as i64 + SIGNS_AFTER_MARGIN_MS
    }

    /// The tenant's keys, creating its first keys of its algorithm on first use.
    pub(crate) async fn tenant_keys(&self, tenant: &Tenant) -> Result<Arc<TenantKeys>> {
        self.tenant_keys_for(tenant, None).await
    }

    /// The tenant's keys, with keys of `alg` (an API's algorithm) published too: created now
    /// if the tenant had none, so they sign once every node has them.
    pub(crate) async fn tenant_keys_for(&self, tenant: &Tenant, alg: Option<Algorithm>) -> Result<Arc<TenantKeys>> {
        let tenant_alg = tenant_algorithm(tenant);
        if let Some(cached) = self.key_cache.read().await.get(&tenant.id) {
            let fresh = Instant::now() < cached.fresh_until && cached.tenant_alg == tenant_alg;
            if fresh && alg.is_none_or(|alg| cached.published.contains(&alg)) {
                return Ok(cached.clone());
            }
        }
        self.load_tenant_keys(tenant, tenant_alg, alg).await
    }

    /// Publishes keys of `alg` for the tenant ahead of its first token of that algorithm (an
    /// API or the tenant has chosen it), so that, once every node has them, they sign from
    /// the first token on.
    pub async fn publish_keys(&self, tenant_id: &str, alg: &str) -> Result<()> {
        let Some(alg) = Algorithm::parse(alg) else { return Ok(()) };
        let tenant = self.tenant(tenant_id).await?;
        self.tenant_keys_for(&tenant, Some(alg)).await.map(drop)
    }

    /// The header and claims of `token` if one of the tenant's published keys signed it.
    /// No node signs with a key another node's copy lacks, so this node's copy is enough.
    pub(crate) async fn verified(&self, tenant: &Tenant, token: &str) -> Result<Option<(Value, Value)>> {
        Ok(jwt::decode_verified(token, &self.tenant_keys(tenant).await?.jwks))
    }

    async fn load_tenant_keys(
        &self,
        tenant: &Tenant,
        tenant_alg: Algorithm,
        wanted: Option<Algorithm>,
    ) -> Result<Arc<TenantKeys>> {
        let now = ids::now_ms();
        let mut records = self.keys.signing_keys(&tenant.id, now).await?;
        // Twice at most: a concurrent node may create some of the same keys first.
        for _ in 0..2 {
            let mut missing: Vec<Algorithm> = Vec::with_capacity(2);
            for alg in [Some(tenant_alg), wanted].into_iter().flatten() {
                if !has_active(&records, alg) && !missing.contains(&alg) {
                    missing.push(alg);
                }
            }
            if missing.is_empty() {
                break;
            }
            self.create_keys(&tenant.id, &missing, &records).await?;
            records = self.keys.signing_keys(&tenant.id, now).await?;
        }
        // Making an RSA key takes a while: decide at the moment the keys are read.
        let now = ids::now_ms();
        let signs_after_ms = self.signs_after_ms();
        let mut signing = Vec::new();
        let mut changes_at: Option<i64> = None;
        for alg in ALGORITHMS {
            let (chosen, changes) = signing_key(&records, alg, now, signs_after_ms);
            changes_at = changes_at.into_iter().chain(changes).min();
            if let Some(record) = chosen {
                signing.push(self.open_key(record, alg)?);
            }
        }
        if signing.is_empty() {
            // No key is old enough and none is a first key: only when keys were deleted
            // behind the server's back or rotated before any was old enough. The active key
            // of the tenant's algorithm signs rather than none.
            let active = active_key(&records, tenant_alg)
                .ok_or_else(|| Error::internal("no active signing key after creating one"))?;
            signing.push(self.open_key(active, tenant_alg)?);
        }
        let jwks = records.iter().filter_map(|key| serde_json::from_str(&key.public_jwk).ok()).collect();
        let ttl = self.key_cache_ttl;
        let until_change = changes_at.map_or(ttl, |at| Duration::from_millis((at - now).max(0) as u64));
        let loaded = Arc::new(TenantKeys {
            fresh_until: Instant::now() + until_change.min(ttl),
            tenant_alg,
            signing,
            published: active_algorithms(&records),
            jwks,
        });
        self.key_cache.write().await.insert(tenant.id.clone(), loaded.clone());
        Ok(loaded)
    }

    /// The private half of `record`, unsealed, ready to sign.
    fn open_key(&self, record: &SigningKeyRecord, alg: Algorithm) -> Result<SigningKey> {
        let secret = self.instance_key.open(&record.sealed_secret, &record.kid).map_err(Error::internal)?;
        let signer = Signer::from_secret(alg, &secret).map_err(Error::internal)?;
        Ok(SigningKey { kid: record.kid.clone(), alg, signer })
    }

    /// Creates an active and a next key of each of `algs`, in one transaction, dated when
    /// they are stored (after an RSA key's slow generation, so none signs early). Keys added
    /// to a tenant that has some are dated after its first, so they never pass for first
    /// keys (which sign at once).
    async fn create_keys(&self, tenant_id: &str, algs: &[Algorithm], records: &[SigningKeyRecord]) -> Result<()> {
        let mut created = Vec::with_capacity(algs.len() * 2);
        for &alg in algs {
            for status in ["active", "next"] {
                created.push(self.new_key(tenant_id, alg, status, 0).await?);
            }
        }
        let now = ids::now_ms();
        let created_at = records.iter().map(|key| key.created_at).min().map_or(now, |first| now.max(first + 1));
        for key in &mut created {
            key.created_at = created_at;
        }
        match self.keys.insert_initial_keys(&created).await {
            // Another node created some of them at the same moment; use theirs.
            Ok(()) | Err(StoreError::Conflict) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Forgets this node's copy of the tenant's keys (after it rotated them).
    pub(crate) async fn forget_keys(&self, tenant_id: &str) {
        self.key_cache.write().await.remove(tenant_id);
    }
}

fn active_key(records: &[SigningKeyRecord], alg: Algorithm) -> Option<&SigningKeyRecord> {
    records.iter().find(|key| key.status == "active" && key.alg == alg.as_str())
}

fn has_active(records: &[SigningKeyRecord], alg: Algorithm) -> bool {
    active_key(records, alg).is_some()
}

/// The algorithms the tenant has an active key of.
pub(crate) fn active_algorithms(records: &[SigningKeyRecord]) -> Vec<Algorithm> {
    ALGORITHMS.into_iter().filter(|&alg| has_active(records, alg)).collect()
}

/// The algorithm the tenant's settings name.
fn tenant_algorithm(tenant: &Tenant) -> Algorithm {
    Algorithm::parse(&tenant.settings.oauth.signing_alg).unwrap_or(Algorithm::Es256)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, status: &str, created_at: i64) -> SigningKeyRecord {
        SigningKeyRecord {
            kid: kid.into(),
            tenant_id: "t".into(),
            alg: "ES256".into(),
            status: status.into(),
            sealed_secret: String::new(),
            public_jwk: String::new(),
            created_at,
            retire_after: None,
        }
    }

    const SIGNS_AFTER_MS: i64 = 65_000;

    fn chosen(records: &[SigningKeyRecord], now: i64) -> (String, Option<i64>) {
        let (key, changes_at) = signing_key(records, Algorithm::Es256, now, SIGNS_AFTER_MS);
        (key.unwrap().kid.clone(), changes_at)
    }

    #[test]
    fn a_tenants_first_keys_sign_at_once() {
        let records = [key("k1", "active", 1_000), key("k2", "next", 1_000)];
        assert_eq!(chosen(&records, 1_001), ("k1".into(), None));
    }

    #[test]
    fn an_active_key_published_long_enough_signs() {
        let records = [key("k1", "retired", 0), key("k2", "active", 0), key("k3", "next", 500_000)];
        assert_eq!(chosen(&records, 500_001), ("k2".into(), None));
    }

    #[test]
    fn after_two_rotations_back_to_back_the_older_key_signs_until_every_node_has_the_new_one() {
        // k3 was created by the first rotation a second ago; other nodes' copies may lack it.
        let created = 1_000_000;
        let records = [key("k2", "retired", 0), key("k3", "active", created), key("k4", "next", created + 1_000)];
        let now = created + 1_000;
        assert_eq!(chosen(&records, now), ("k2".into(), Some(created + SIGNS_AFTER_MS)));
        assert_eq!(chosen(&records, created + SIGNS_AFTER_MS), ("k3".into(), None));
    }

    #[test]
    fn rotations_soon_after_the_first_keys_sign_with_the_first_ones() {
        // Another node may hold only k1 and k2 (the first keys): k3 waits, a first key signs.
        let records =
            [key("k1", "retired", 0), key("k2", "retired", 0), key("k3", "active", 1_000), key("k4", "next", 2_000)];
        assert_eq!(chosen(&records, 2_000), ("k1".into(), Some(1_000 + SIGNS_AFTER_MS)));
    }

    #[test]
    fn a_retired_key_about_to_be_unpublished_never_signs() {
        let created = 10 * LONGEST_TOKEN_MS;
        let mut retired = key("k1", "retired", 0);
        retired.retire_after = Some(created + 1_000);
        let records = [retired, key("k2", "active", created)];
        let none = signing_key(&records, Algorithm::Es256, created + 1, SIGNS_AFTER_MS);
        assert_eq!(none, (None, Some(created + SIGNS_AFTER_MS)));
    }

    #[test]
    fn other_algorithms_keys_never_sign() {
        let mut eddsa = key("e1", "retired", 0);
        eddsa.alg = "EdDSA".into();
        let records = [eddsa, key("k1", "active", 1_000_000)];
        let none = signing_key(&records, Algorithm::Es256, 1_000_001, SIGNS_AFTER_MS);
        assert_eq!(none, (None, Some(1_000_000 + SIGNS_AFTER_MS)), "the EdDSA key is no ES256 key");
        assert_eq!(chosen(&records, 1_000_000 + SIGNS_AFTER_MS), ("k1".into(), None));
    }

    #[test]
    fn an_algorithm_new_to_the_tenant_signs_once_every_node_publishes_it() {
        // The tenant has signed with EdDSA for long; an API has just chosen ES256.
        let mut eddsa = key("e1", "active", 0);
        eddsa.alg = "EdDSA".into();
        let created = 10_000_000;
        let records = [eddsa, key("k1", "active", created), key("k2", "next", created)];
        assert_eq!(
            signing_key(&records, Algorithm::Es256, created + 1, SIGNS_AFTER_MS),
            (None, Some(created + SIGNS_AFTER_MS))
        );
        assert_eq!(chosen(&records, created + SIGNS_AFTER_MS), ("k1".into(), None));
    }

    #[test]
    fn first_keys_of_two_algorithms_made_together_both_sign_at_once() {
        let mut eddsa = key("e1", "active", 1_000);
        eddsa.alg = "EdDSA".into();
        let records = [eddsa, key("k1", "active", 1_000), key("k2", "next", 1_000)];
        assert_eq!(chosen(&records, 1_001), ("k1".into(), None));
    }

    #[test]
    fn an_algorithm_without_keys_has_none_to_sign() {
        let records = [key("k1", "active", 0)];
        assert_eq!(signing_key(&records, Algorithm::Rs256, 1, SIGNS_AFTER_MS), (None, None));
    }
}
