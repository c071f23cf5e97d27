//! The refresh grant: rotation on every use, reuse detection that revokes the family, a
//! grace window for racing tabs, and RFC 7009 revocation.

use intelliauth_catalogue::Code;
use intelliauth_core::model::{Application, Grant, Tenant};
use intelliauth_core::{ids, secret, Error, Result};

use crate::authorize::Granted;
use crate::client_auth::ClientCredentials;
use crate::exchange::invalid_grant;
use crate::provider::{Oidc, TokenRequest, TokenResponse};

fn revoked() -> Error {
    Error::new(Code::SessionRevoked).oauth("invalid_grant")
}

fn expired() -> Error {
    Error::new(Code::SessionExpired).oauth("invalid_grant")
}

impl Oidc {
    pub(crate) async fn refresh(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: TokenRequest,
    ) -> Result<TokenResponse> {
        if !application.allowed_grants.contains(&Grant::RefreshToken) {
            return Err(Error::new(Code::UnauthorizedClient).oauth("unauthorized_client"));
        }
        let token = request
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty() && t.len() <= 128)
            .ok_or_else(|| invalid_grant("no refresh_token"))?;
        let now = ids::now_ms();
        let (record, rotated_now) = self
            .authorizations
            .rotate_refresh_token(&secret::digest(token), now)
            .await?
            .ok_or_else(|| invalid_grant("unknown refresh token"))?;
        if record.tenant_id != tenant.id || record.client_id != application.id {
            return Err(invalid_grant("the refresh token was issued to another client"));
        }
        if record.revoked_at.is_some() {
            return Err(revoked());
        }
        if now >= record.family_expires_at || now >= record.idle_expires_at {
            return Err(expired());
        }
        if !rotated_now {
            let grace_ms = tenant.settings.oauth.refresh_reuse_grace_s as i64 * 1000;
            // A request that started before the rotation was recorded sees it in its future:
            // count that as no time elapsed, so a zero grace window still means no reuse.
            if record.rotated_at.is_some_and(|rotated| (now - rotated).max(0) >= grace_ms) {
                // A rotated token came back after the grace window: it was copied. End the family.
                self.authorizations.revoke_refresh_family(&record.family_id, now).await?;
                return Err(revoked().with_detail("reason", "refresh token reuse"));
            }
        }
        let user = match self.store.get_user(&tenant.id, &record.user_id).await? {
            Some(user) if !user.disabled => user,
            _ => {
                self.authorizations.revoke_refresh_family(&record.family_id, now).await?;
                return Err(revoked());
            }
        };
        let mut granted: Granted = serde_json::from_str(&record.grant_data).map_err(Error::internal)?;
        if let Some(scope) = request.scope.as_deref() {
            let held: Vec<&str> = granted.scope.split(' ').collect();
            let asked: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            if asked.iter().any(|s| !held.contains(s)) {
                return Err(Error::new(Code::InvalidScope).oauth("invalid_scope"));
            }
            granted.scope = asked.join(" ");
        }
        // A refreshed ID token carries no nonce (OIDC Core §12.2).
        granted.nonce = None;
        let issued = self
            .issue_tokens(tenant, application, &user, &granted, Some((&record.family_id, record.family_expires_at)))
            .await?;
        Ok(issued.response)
    }

    /// RFC 7009: revokes a refresh token's family. Unknown tokens and access tokens answer
    /// the same (access tokens are short-lived JWTs and end by themselves).
    pub async fn revoke(&self, tenant_id: &str, client: ClientCredentials, token: &str) -> Result<()> {
        self.tenant(tenant_id).await?;
        let application = self.authenticate_client(tenant_id, &client).await?;
        if token.is_empty() || token.len() > 128 {
            return Ok(());
        }
        if let Some(record) = self.authorizations.refresh_token(&secret::digest(token)).await? {
            if record.tenant_id == tenant_id && record.client_id == application.id {
                self.authorizations.revoke_refresh_family(&record.family_id, ids::now_ms()).await?;
            }
        }
        Ok(())
    }
}
