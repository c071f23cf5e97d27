//! `core::ports::GrantStore` for both backends: authorization requests, codes, refresh
//! token families, consents, revocations and used client-assertion ids.

use async_trait::async_trait;
use intelliauth_core::ports::{
    CodeRecord, DeviceCodeRecord, DeviceStatus, GrantStore, RefreshTokenRecord, StoreError, StoreResult,
};

use crate::rows::{self, corrupt, Columns};
use crate::{map_error, on_pool, SqlStore};

fn device_code(row: &impl Columns) -> sqlx::Result<DeviceCodeRecord> {
    let status = row.text("status")?;
    Ok(from_columns!(row => DeviceCodeRecord {
        text: device_digest, user_code, tenant_id, client_id, scope;
        int: created_at, expires_at, interval_s, polled_at;
        opt_text: user_id, grant_data, audience;
    } and {
        status: DeviceStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
    }))
}

#[async_trait]
impl GrantStore for SqlStore {
    async fn insert_authorization_request(
        &self,
        id: &str,
        tenant_id: &str,
        params: &str,
        created_at: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO authorization_requests (id, tenant_id, params, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(tenant_id).bind(params).bind(created_at).bind(expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn authorization_request(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<(String, i64)>> {
        on_pool!(self, pool => sqlx::query_as(
            "SELECT params, created_at FROM authorization_requests WHERE id = $1 AND tenant_id = $2 AND expires_at > $3")
            .bind(id).bind(tenant_id).bind(now)
            .fetch_optional(pool).await.map_err(map_error))
    }

    async fn take_authorization_request(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<String>> {
        let taken: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "DELETE FROM authorization_requests WHERE id = $1 AND tenant_id = $2 AND expires_at > $3 RETURNING params")
            .bind(id).bind(tenant_id).bind(now)
            .fetch_optional(pool).await.map_err(map_error))?;
        Ok(taken.map(|(params,)| params))
    }

    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO authorization_codes (digest, tenant_id, client_id, user_id, grant_data, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&code.digest).bind(&code.tenant_id).bind(&code.client_id).bind(&code.user_id).bind(&code.grant_data)
            .bind(code.created_at).bind(code.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn insert_device_code(&self, r: &DeviceCodeRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO device_codes (device_digest, user_code, tenant_id, client_id, scope, created_at, expires_at,
             interval_s, polled_at, status, audience) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind(&r.device_digest).bind(&r.user_code).bind(&r.tenant_id).bind(&r.client_id).bind(&r.scope)
            .bind(r.created_at).bind(r.expires_at).bind(r.interval_s).bind(r.polled_at).bind(r.status.as_str())
            .bind(&r.audience)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn device_code_by_user_code(
        &self,
        tenant_id: &str,
        user_code: &str,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        fetch_one_as!(
            self,
            device_code,
            sqlx::query("SELECT * FROM device_codes WHERE tenant_id = $1 AND user_code = $2")
                .bind(tenant_id)
                .bind(user_code)
        )
    }

    async fn decide_device_code(
        &self,
        tenant_id: &str,
        user_code: &str,
        approved: Option<(&str, &str)>,
        now: i64,
    ) -> StoreResult<bool> {
        let status = if approved.is_some() { DeviceStatus::Approved } else { DeviceStatus::Denied };
        touched!(
            self,
            sqlx::query(
                "UPDATE device_codes SET status = $1, user_id = $2, grant_data = $3
                 WHERE tenant_id = $4 AND user_code = $5 AND status = 'pending' AND expires_at > $6"
            )
            .bind(status.as_str())
            .bind(approved.map(|(user_id, _)| user_id))
            .bind(approved.map(|(_, grant)| grant))
            .bind(tenant_id)
            .bind(user_code)
            .bind(now)
        )
    }

    async fn poll_device_code(&self, device_digest: &str, now: i64) -> StoreResult<Option<DeviceCodeRecord>> {
        let found = fetch_one_as!(
            self,
            device_code,
            sqlx::query("SELECT * FROM device_codes WHERE device_digest = $1").bind(device_digest)
        )?;
        if found.is_some() {
            touched!(
                self,
                sqlx::query("UPDATE device_codes SET polled_at = $1 WHERE device_digest = $2")
                    .bind(now)
                    .bind(device_digest)
            )?;
        }
        Ok(found)
    }

    async fn use_device_code(&self, device_digest: &str) -> StoreResult<bool> {
        // One statement: of two polls racing for an approved code, one marks it used.
        touched!(
            self,
            sqlx::query("UPDATE device_codes SET status = 'used' WHERE device_digest = $1 AND status = 'approved'")
                .bind(device_digest)
        )
    }

    async fn consume_code(&self, digest: &str, now: i64, grant_id: &str) -> StoreResult<Option<CodeRecord>> {
        let used = fetch_one_as!(
            self,
            rows::code,
            sqlx::query(
                "UPDATE authorization_codes SET used_at = $1, issued_family = $3
                 WHERE digest = $2 AND used_at IS NULL AND expires_at > $1
                 RETURNING digest, tenant_id, client_id, user_id, grant_data, created_at, expires_at"
            )
            .bind(now)
            .bind(digest)
            .bind(grant_id)
        )?;
        if used.is_some() {
            return Ok(used);
        }
        let replayed: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT created_at FROM authorization_codes WHERE digest = $1 AND used_at IS NOT NULL")
            .bind(digest).fetch_optional(pool).await.map_err(map_error))?;
        match replayed {
            Some(_) => Err(StoreError::Conflict),
            None => Ok(None),
        }
    }

    async fn consented_scopes(&self, tenant_id: &str, user_id: &str, client_id: &str) -> StoreResult<Vec<String>> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT scopes FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3")
            .bind(tenant_id).bind(user_id).bind(client_id)
            .fetch_optional(pool).await.map_err(map_error))?;
        Ok(row.and_then(|(json,)| serde_json::from_str(&json).ok()).unwrap_or_default())
    }

    async fn set_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: i64,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(scopes).unwrap_or_else(|_| "[]".into());
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO consents (tenant_id, user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET scopes = $4, granted_at = $5")
            .bind(tenant_id).bind(user_id).bind(client_id).bind(&json).bind(now)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn code_grant(&self, digest: &str) -> StoreResult<Option<(String, String)>> {
        let row: Option<(String, Option<String>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT tenant_id, issued_family FROM authorization_codes WHERE digest = $1")
            .bind(digest).fetch_optional(pool).await.map_err(map_error))?;
        Ok(row.and_then(|(tenant, family)| family.map(|family| (tenant, family))))
    }

    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO refresh_tokens (digest, family_id, tenant_id, client_id, user_id, session_id, grant_data, created_at,
             family_expires_at, idle_expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&token.digest).bind(&token.family_id).bind(&token.tenant_id).bind(&token.client_id).bind(&token.user_id)
            .bind(&token.session_id).bind(&token.grant_data).bind(token.created_at).bind(token.family_expires_at)
            .bind(token.idle_expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn rotate_refresh_token(&self, digest: &str, now: i64) -> StoreResult<Option<(RefreshTokenRecord, bool)>> {
        // One statement decides the single winner of a current token of a live grant, across
        // nodes. Revocation is recorded per grant (revoked_tokens), so it also covers a
        // successor that a racing winner inserts after the family was revoked.
        let rotated = fetch_one_as!(
            self,
            rows::refresh_token,
            sqlx::query(
                "UPDATE refresh_tokens SET rotated_at = $1 WHERE digest = $2 AND rotated_at IS NULL AND revoked_at IS NULL
                   AND NOT EXISTS (SELECT 1 FROM revoked_tokens WHERE revoked_tokens.id = refresh_tokens.family_id)
                 RETURNING *"
            )
            .bind(now)
            .bind(digest)
        )?;
        if let Some(record) = rotated {
            return Ok(Some((record, true)));
        }
        Ok(self.refresh_token(digest).await?.map(|record| (record, false)))
    }

    async fn refresh_token(&self, digest: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        let record = fetch_one_as!(
            self,
            rows::refresh_token,
            sqlx::query("SELECT * FROM refresh_tokens WHERE digest = $1").bind(digest)
        )?;
        let Some(mut record) = record else { return Ok(None) };
        if record.revoked_at.is_none() && self.any_revoked(&[&record.family_id]).await? {
            // Revoked with its grant after it was issued.
            record.revoked_at = Some(record.rotated_at.unwrap_or(record.created_at));
        }
        Ok(Some(record))
    }

    async fn revoke_grant(&self, tenant_id: &str, grant_id: &str, until: i64, now: i64) -> StoreResult<()> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await.map_err(map_error)?;
            sqlx::query(REVOKE_ID).bind(grant_id).bind(tenant_id).bind(until).execute(&mut *tx).await.map_err(map_error)?;
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now).bind(grant_id).execute(&mut *tx).await.map_err(map_error)?;
            tx.commit().await.map_err(map_error)
        }.await)
    }

    async fn revoke_access_token(&self, tenant_id: &str, jti: &str, until: i64) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(REVOKE_ID).bind(jti).bind(tenant_id).bind(until)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn any_revoked(&self, ids: &[&str]) -> StoreResult<bool> {
        // One round trip for the usual pair (an access token's jti and its grant).
        let mut found = false;
        for pair in ids.chunks(2) {
            let (first, second) = (pair[0], pair.get(1).copied().unwrap_or(pair[0]));
            let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
                "SELECT expires_at FROM revoked_tokens WHERE id IN ($1, $2) LIMIT 1")
                .bind(first).bind(second).fetch_optional(pool).await.map_err(map_error))?;
            found |= row.is_some();
        }
        Ok(found)
    }

    async fn use_assertion_id(&self, tenant_id: &str, client_id: &str, jti: &str, expires_at: i64) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO client_assertion_ids (tenant_id, client_id, jti, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id).bind(client_id).bind(jti).bind(expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn user_consents(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<(String, Vec<String>, i64)>> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT client_id, scopes, granted_at FROM consents WHERE tenant_id = $1 AND user_id = $2 ORDER BY client_id")
            .bind(tenant_id).bind(user_id).fetch_all(pool).await.map_err(map_error))?;
        Ok(rows
            .into_iter()
            .map(|(client, scopes, at)| (client, serde_json::from_str(&scopes).unwrap_or_default(), at))
            .collect())
    }

    async fn revoke_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
        until: i64,
        now: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await.map_err(map_error)?;
            let removed = sqlx::query("DELETE FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3")
                .bind(tenant_id).bind(user_id).bind(client_id)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            // The grants end with the consent, their access tokens too.
            sqlx::query(
                "INSERT INTO revoked_tokens (id, tenant_id, expires_at)
                 SELECT DISTINCT family_id, tenant_id, $4 FROM refresh_tokens
                 WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3 AND revoked_at IS NULL
                 ON CONFLICT (id) DO NOTHING")
                .bind(tenant_id).bind(user_id).bind(client_id).bind(until)
                .execute(&mut *tx).await.map_err(map_error)?;
            sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND client_id = $4 AND revoked_at IS NULL")
                .bind(now).bind(tenant_id).bind(user_id).bind(client_id)
                .execute(&mut *tx).await.map_err(map_error)?;
            tx.commit().await.map_err(map_error)?;
            Ok(removed)
        }.await)
    }
}

/// Records a revoked token or grant id; revoking twice keeps the first record.
const REVOKE_ID: &str =
    "INSERT INTO revoked_tokens (id, tenant_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING";
