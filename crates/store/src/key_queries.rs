//! `core::ports::SigningKeyStore` for both backends: each tenant's signing keys.

use async_trait::async_trait;
use intelliauth_core::ports::{SigningKeyRecord, SigningKeyStore, StoreError, StoreResult};

use crate::rows;
use crate::{map_error, on_pool, SqlStore};

const INSERT: &str =
    "INSERT INTO signing_keys (kid, tenant_id, alg, status, sealed_secret, public_jwk, created_at, retire_after)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

macro_rules! insert_key {
    ($executor:expr, $key:expr) => {
        sqlx::query(INSERT)
            .bind(&$key.kid)
            .bind(&$key.tenant_id)
            .bind(&$key.alg)
            .bind(&$key.status)
            .bind(&$key.sealed_secret)
            .bind(&$key.public_jwk)
            .bind($key.created_at)
            .bind($key.retire_after)
            .execute($executor)
            .await
            .map_err(map_error)
    };
}

#[async_trait]
impl SigningKeyStore for SqlStore {
    async fn signing_keys(&self, tenant_id: &str, now: i64) -> StoreResult<Vec<SigningKeyRecord>> {
        fetch_all_as!(
            self,
            rows::signing_key,
            sqlx::query(
                "SELECT * FROM signing_keys WHERE tenant_id = $1 AND (retire_after IS NULL OR retire_after > $2) ORDER BY created_at"
            )
            .bind(tenant_id)
            .bind(now)
        )
    }

    async fn insert_initial_keys(&self, keys: &[SigningKeyRecord]) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            for key in keys {
                insert_key!(&mut *tx, key)?;
            }
            tx.commit().await.map_err(map_error)
        })
    }

    async fn rotate_keys(
        &self,
        tenant_id: &str,
        alg: &str,
        retire_after: i64,
        new_next: &SigningKeyRecord,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            let retired = sqlx::query(
                "UPDATE signing_keys SET status = 'retired', retire_after = $1 WHERE tenant_id = $2 AND alg = $3 AND status = 'active'")
                .bind(retire_after).bind(tenant_id).bind(alg)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected();
            let promoted = sqlx::query(
                "UPDATE signing_keys SET status = 'active' WHERE tenant_id = $1 AND alg = $2 AND status = 'next'")
                .bind(tenant_id).bind(alg)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected();
            if retired != 1 || promoted != 1 {
                // Another rotation won the race; dropping the transaction rolls it back.
                return Err(StoreError::Conflict);
            }
            insert_key!(&mut *tx, new_next)?;
            tx.commit().await.map_err(map_error)
        })
    }
}
