//! A tenant's published keys as one node holds them: which key signs, and how long the node
//! may trust its copy before looking for another node's rotation.
//!
//! Each node keeps a tenant's keys for up to [`KEY_CACHE_TTL`], so a key another node has
//! just created is unknown here for that long. The rule that makes this safe on every node,
//! whatever its cache: a key signs only once it has been in the store for longer than any
//! node keeps a copy ([`SIGNS_AFTER_MS`]). Until then the node that rotated signs with the
//! newest key that is old enough (retired keys stay published for a token lifetime plus a
//! margin, which is longer). So a token any node signed verifies on every node, and every
//! node's JWKS lists its key, with no node asking another.

use std::sync::Arc;
use std::time::{Duration, Instant};

use intelliauth_core::model::Tenant;
use intelliauth_core::ports::{SigningKeyRecord, StoreError};
use intelliauth_core::{ids, Error, Result};
use serde_json::Value;

use crate::jwt;
use crate::keys::{Algorithm, Signer};
use crate::provider::Oidc;

/// How long a node uses keys it loaded before looking for a rotation by another node.
pub(crate) const KEY_CACHE_TTL: Duration = Duration::from_secs(60);
/// How long after its creation a key may sign: every node's copy has been reloaded by then,
/// with a margin for the time a load takes and for clocks that disagree a little.
pub(crate) const SIGNS_AFTER_MS: i64 = KEY_CACHE_TTL.as_millis() as i64 + 5_000;
/// The longest a token may live: an application may set its own access-token lifetime up to
/// this, above its tenant's.
pub(crate) const LONGEST_TOKEN_MS: i64 = 86_400 * 1000;

pub(crate) struct TenantKeys {
    /// When this copy must be reloaded: the cache's lifetime, or sooner when a key
    /// becomes the signing key.
    fresh_until: Instant,
    pub(crate) kid: String,
    pub(crate) alg: Algorithm,
    pub(crate) signer: Signer,
    /// Public JWKs of every published key (next, active, retired but not yet expired).
    pub(crate) jwks: Vec<Value>,
}

/// The key that signs at `now` among a tenant's published `records` of `alg`, and when the
/// choice changes (the active key's first moment to sign, if it has not come yet).
///
/// The active key once it is old enough. Before that, the newest active or retired key that
/// is; failing that (rotations soon after a tenant's first keys were made), the oldest,
/// which every node's copy has since no copy can be older than the tenant's first keys.
/// A retired key signs only while its tokens will expire before it stops being published.
pub(crate) fn signing_key(
    records: &[SigningKeyRecord],
    alg: Algorithm,
    now: i64,
) -> Option<(&SigningKeyRecord, Option<i64>)> {
    let active = records.iter().find(|key| key.status == "active" && key.alg == alg.as_str())?;
    let signs_from = active.created_at + SIGNS_AFTER_MS;
    if signs_from <= now {
        return Some((active, None));
    }
    let may_sign = |key: &&SigningKeyRecord| {
        key.alg == alg.as_str()
            && (key.status == "active"
                || key.status == "retired" && key.retire_after.is_none_or(|until| until - now >= LONGEST_TOKEN_MS))
    };
    let newest_old_enough = records
        .iter()
        .filter(may_sign)
        .filter(|key| key.created_at + SIGNS_AFTER_MS <= now)
        .max_by_key(|key| key.created_at);
    let oldest = || records.iter().filter(may_sign).min_by_key(|key| (key.created_at, key.status != "active"));
    let chosen = newest_old_enough.or_else(oldest).unwrap_or(active);
    Some((chosen, (chosen.kid != active.kid).then_some(signs_from)))
}

impl Oidc {
    /// The tenant's keys, creating its first active and next keys on first use.
    pub(crate) async fn tenant_keys(&self, tenant: &Tenant) -> Result<Arc<TenantKeys>> {
        let alg = Algorithm::parse(&tenant.settings.oauth.signing_alg).unwrap_or(Algorithm::Es256);
        if let Some(cached) = self.key_cache.read().await.get(&tenant.id) {
            if Instant::now() < cached.fresh_until && cached.alg == alg {
                return Ok(cached.clone());
            }
        }
        self.load_tenant_keys(tenant, alg).await
    }

    /// The header and claims of `token` if one of the tenant's published keys signed it.
    /// No node signs with a key another node's copy lacks, so this node's copy is enough.
    pub(crate) async fn verified(&self, tenant: &Tenant, token: &str) -> Result<Option<(Value, Value)>> {
        Ok(jwt::decode_verified(token, &self.tenant_keys(tenant).await?.jwks))
    }

    async fn load_tenant_keys(&self, tenant: &Tenant, alg: Algorithm) -> Result<Arc<TenantKeys>> {
        let now = ids::now_ms();
        let mut records = self.keys.signing_keys(&tenant.id, now).await?;
        if !records.iter().any(|key| key.status == "active" && key.alg == alg.as_str()) {
            let (active, next) =
                (self.new_key(&tenant.id, alg, "active", now), self.new_key(&tenant.id, alg, "next", now));
            match self.keys.insert_initial_keys(&active, &next).await {
                // Another node created them at the same moment; use theirs.
                Ok(()) | Err(StoreError::Conflict) => {}
                Err(error) => return Err(error.into()),
            }
            records = self.keys.signing_keys(&tenant.id, now).await?;
        }
        let (signing, changes_at) = signing_key(&records, alg, now)
            .ok_or_else(|| Error::internal("no active signing key after creating one"))?;
        let secret = self.instance_key.open(&signing.sealed_secret, &signing.kid).map_err(Error::internal)?;
        let signer = Signer::from_secret(alg, &secret).map_err(Error::internal)?;
        let jwks = records.iter().filter_map(|key| serde_json::from_str(&key.public_jwk).ok()).collect();
        let until_change = changes_at.map_or(KEY_CACHE_TTL, |at| Duration::from_millis((at - now).max(0) as u64));
        let loaded = Arc::new(TenantKeys {
            fresh_until: Instant::now() + until_change.min(KEY_CACHE_TTL),
            kid: signing.kid.clone(),
            alg,
            signer,
            jwks,
        });
        self.key_cache.write().await.insert(tenant.id.clone(), loaded.clone());
        Ok(loaded)
    }

    /// Forgets this node's copy of the tenant's keys (after it rotated them).
    pub(crate) async fn forget_keys(&self, tenant_id: &str) {
        self.key_cache.write().await.remove(tenant_id);
    }
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

    fn chosen(records: &[SigningKeyRecord], now: i64) -> (String, Option<i64>) {
        let (key, changes_at) = signing_key(records, Algorithm::Es256, now).unwrap();
        (key.kid.clone(), changes_at)
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
        assert_eq!(chosen(&records, created + 1), ("k2".into(), None));
    }

    #[test]
    fn other_algorithms_keys_never_sign() {
        let mut eddsa = key("e1", "retired", 0);
        eddsa.alg = "EdDSA".into();
        let records = [eddsa, key("k1", "active", 1_000_000)];
        assert_eq!(chosen(&records, 1_000_001), ("k1".into(), None));
    }
}
