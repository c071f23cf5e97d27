//! Sessions: created at sign-in with absolute and idle lifetimes, looked up by the digest
//! of their token, ended at sign-out.

use intelliauth_catalogue::Code;

use super::Auth;
use crate::actions::CustomClaims;
use crate::events::{Event, EventType};
use crate::model::{Tenant, User};
use crate::ports::SessionRecord;
use crate::{ids, secret, Error, Result};
use serde_json::json;

/// A session and, right after sign-in only, its token (the cookie value or bearer).
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub token: Option<String>,
    pub record: SessionRecord,
}

/// Idle renewals are written at most this often, so busy sessions do not write on every request.
const TOUCH_INTERVAL_MS: i64 = 60 * 1000;

impl Auth {
    /// A new session for `user`, authenticated with the methods in `amr`.
    pub(super) async fn create_session(
        &self,
        tenant: &Tenant,
        user: &User,
        amr: Vec<String>,
        custom_claims: Option<CustomClaims>,
    ) -> Result<ActiveSession> {
        let now = ids::now_ms();
        let policy = &tenant.settings.sign_in;
        let token = secret::generate("ias_s_");
        let record = SessionRecord {
            id: ids::new_id("ses"),
            token_digest: secret::digest(&token),
            tenant_id: tenant.id.clone(),
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + policy.session_absolute_s as i64 * 1000,
            idle_expires_at: now + policy.session_idle_s as i64 * 1000,
            revoked_at: None,
            amr,
            custom_claims,
        };
        let signed_in = Event::new(
            &tenant.id,
            EventType::UserLoginSucceeded,
            json!({ "user_id": user.id, "email": user.email, "session_id": record.id }),
        );
        self.auth_store.insert_session(&record, &[signed_in]).await?;
        Ok(ActiveSession { token: Some(token), record })
    }

    /// The live session for `token` in this tenant, renewing its idle lifetime.
    pub async fn session(&self, tenant_id: &str, token: Option<&str>) -> Result<(ActiveSession, User)> {
        let expired = || Error::new(Code::SessionExpired);
        let token = token.filter(|token| token.len() <= 128).ok_or_else(expired)?;
        let record = self.auth_store.session_by_digest(&secret::digest(token)).await?.ok_or_else(expired)?;
        if record.tenant_id != tenant_id {
            return Err(expired());
        }
        if record.revoked_at.is_some() {
            return Err(Error::new(Code::SessionRevoked));
        }
        let now = ids::now_ms();
        if now >= record.expires_at || now >= record.idle_expires_at {
            return Err(expired());
        }
        let user = self.store.get_user(tenant_id, &record.user_id).await?.ok_or_else(expired)?;
        if user.disabled {
            return Err(Error::new(Code::SessionRevoked));
        }
        if now - record.last_seen_at >= TOUCH_INTERVAL_MS {
            let tenant = self.tenant(tenant_id).await?;
            let idle_expires_at = now + tenant.settings.sign_in.session_idle_s as i64 * 1000;
            self.auth_store.touch_session(&record.id, now, idle_expires_at).await?;
        }
        Ok((ActiveSession { token: None, record }, user))
    }

    /// Ends the session behind `token`, if there is one.
    pub async fn end_session(&self, token: &str) -> Result<()> {
        if token.len() > 128 {
            return Ok(());
        }
        if let Some(record) = self.auth_store.session_by_digest(&secret::digest(token)).await? {
            let ended = Event::session_revoked(&record.tenant_id, &record.user_id, Some(&record.id), "sign_out");
            self.auth_store.revoke_session(&record.id, ids::now_ms(), &[ended]).await?;
        }
        Ok(())
    }
}
