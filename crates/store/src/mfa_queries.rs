//! `core::mfa::FactorStore` for both backends: factors and single-use backup codes.

use async_trait::async_trait;
use intelliauth_core::events::Event;
use intelliauth_core::mfa::{Ceremony, Factor, FactorKind, FactorStore, SmsCode, SmsSends};
use intelliauth_core::ports::{StoreError, StoreResult};

use crate::rows::Columns;
use crate::{map_error, on_pool, SqlStore};

fn factor(row: &impl Columns) -> sqlx::Result<Factor> {
    let kind = row.text("kind")?;
    Ok(from_columns!(row => Factor {
        text: id, tenant_id, user_id;
        opt_text: label, phone, credential_id, credential;
        opt_int: last_used_step, confirmed_at, last_used_at;
        int: created_at;
    } and {
        kind: FactorKind::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
        index: "kind".into(),
        source: format!("unknown factor kind {kind:?}").into(),
            })?,
        secret_sealed: row.opt_text("secret")?,
    }))
}

#[async_trait]
impl FactorStore for SqlStore {
    async fn insert_factor(&self, f: &Factor) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mfa_factors (id, tenant_id, user_id, kind, label, secret, last_used_step, confirmed_at, created_at,
             last_used_at, phone, credential_id, credential) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
            .bind(&f.id).bind(&f.tenant_id).bind(&f.user_id).bind(f.kind.as_str()).bind(&f.label).bind(&f.secret_sealed)
            .bind(f.last_used_step).bind(f.confirmed_at).bind(f.created_at).bind(f.last_used_at).bind(&f.phone)
            .bind(&f.credential_id).bind(&f.credential)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn user_factors(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
        fetch_all_as!(
            self,
            factor,
            sqlx::query("SELECT * FROM mfa_factors WHERE user_id = $1 ORDER BY created_at, id").bind(user_id)
        )
    }

    async fn confirm_factor(&self, f: &Factor, step: i64, now: i64, events: &[Event]) -> StoreResult<bool> {
        in_outbox!(self, events, tx => {
            let confirmed = sqlx::query(
                "UPDATE mfa_factors SET confirmed_at = $1, last_used_step = $2, last_used_at = $1
                 WHERE id = $3 AND confirmed_at IS NULL")
                .bind(now).bind(step).bind(&f.id)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            if confirmed {
                sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND confirmed_at IS NULL AND kind = $2")
                    .bind(&f.user_id).bind(f.kind.as_str())
                    .execute(&mut *tx).await.map_err(map_error)?;
            }
            (confirmed, confirmed)
        })
    }

    async fn use_totp_step(&self, factor_id: &str, step: i64, now: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE mfa_factors SET last_used_step = $1, last_used_at = $2
                 WHERE id = $3 AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $1)"
            )
            .bind(step)
            .bind(now)
            .bind(factor_id)
        )
    }

    async fn delete_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1 AND id = $2").bind(user_id).bind(factor_id)
        )
    }

    async fn delete_user_factors(&self, user_id: &str) -> StoreResult<u64> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            let factors = sqlx::query("DELETE FROM mfa_factors WHERE user_id = $1").bind(user_id)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected();
            sqlx::query("DELETE FROM mfa_backup_codes WHERE user_id = $1").bind(user_id)
                .execute(&mut *tx).await.map_err(map_error)?;
            tx.commit().await.map_err(map_error)?;
            Ok::<_, StoreError>(factors)
        })
    }

    async fn replace_backup_codes(&self, user_id: &str, digests: &[String], now: i64) -> StoreResult<()> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            sqlx::query("DELETE FROM mfa_backup_codes WHERE user_id = $1").bind(user_id)
                .execute(&mut *tx).await.map_err(map_error)?;
            for digest in digests {
                sqlx::query("INSERT INTO mfa_backup_codes (user_id, digest, created_at) VALUES ($1, $2, $3)")
                    .bind(user_id).bind(digest).bind(now)
                    .execute(&mut *tx).await.map_err(map_error)?;
            }
            tx.commit().await.map_err(map_error)
        })
    }

    async fn use_backup_code(&self, user_id: &str, digest: &str, now: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE mfa_backup_codes SET used_at = $1 WHERE user_id = $2 AND digest = $3 AND used_at IS NULL"
            )
            .bind(now)
            .bind(user_id)
            .bind(digest)
        )
    }

    async fn insert_sms_code(&self, code: &SmsCode) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mfa_sms_codes (id, factor_id, user_id, phone, digest, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&code.id).bind(&code.factor_id).bind(&code.user_id).bind(&code.phone).bind(&code.digest)
            .bind(code.created_at).bind(code.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn delete_sms_code(&self, id: &str) -> StoreResult<()> {
        touched!(self, sqlx::query("DELETE FROM mfa_sms_codes WHERE id = $1").bind(id)).map(|_| ())
    }

    async fn sms_sends_since(&self, user_id: &str, phone: &str, since: i64) -> StoreResult<SmsSends> {
        let (per_user, oldest_for_user): (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM mfa_sms_codes WHERE user_id = $1 AND created_at >= $2")
            .bind(user_id).bind(since).fetch_one(pool).await.map_err(map_error))?;
        let (per_phone, oldest_for_phone): (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM mfa_sms_codes WHERE phone = $1 AND created_at >= $2")
            .bind(phone).bind(since).fetch_one(pool).await.map_err(map_error))?;
        Ok(SmsSends { per_user, oldest_for_user, per_phone, oldest_for_phone })
    }

    async fn use_sms_code(&self, factor_id: &str, digest: &str, now: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE mfa_sms_codes SET used_at = $1
                 WHERE factor_id = $2 AND digest = $3 AND used_at IS NULL AND expires_at > $1"
            )
            .bind(now)
            .bind(factor_id)
            .bind(digest)
        )
    }

    async fn insert_ceremony(&self, c: &Ceremony) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO webauthn_ceremonies (id, tenant_id, user_id, purpose, state, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&c.id).bind(&c.tenant_id).bind(&c.user_id).bind(&c.purpose).bind(&c.state).bind(c.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn take_ceremony(&self, id: &str, purpose: &str, now: i64) -> StoreResult<Option<Ceremony>> {
        let row: Option<(String, String, Option<String>, String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "DELETE FROM webauthn_ceremonies WHERE id = $1 AND purpose = $2
             RETURNING id, tenant_id, user_id, purpose, state, expires_at")
            .bind(id).bind(purpose).fetch_optional(pool).await.map_err(map_error))?;
        Ok(row.filter(|(.., expires_at)| *expires_at > now).map(
            |(id, tenant_id, user_id, purpose, state, expires_at)| Ceremony {
                id,
                tenant_id,
                user_id,
                purpose,
                state,
                expires_at,
            },
        ))
    }

    async fn update_passkey(&self, user_id: &str, credential_id: &str, credential: &str, now: i64) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query(
                "UPDATE mfa_factors SET credential = $1, last_used_at = $2 WHERE user_id = $3 AND credential_id = $4"
            )
            .bind(credential)
            .bind(now)
            .bind(user_id)
            .bind(credential_id)
        )
        .map(|_| ())
    }

    async fn unused_backup_codes(&self, user_id: &str) -> StoreResult<i64> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT COUNT(*) FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NULL")
            .bind(user_id).fetch_one(pool).await.map_err(map_error))
    }
}
