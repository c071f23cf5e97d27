//! The refresh grant: rotation on every use, reuse detection that revokes the family, a
//! grace window for racing tabs, and RFC 7009 revocation.

use intelliauth_catalogue::Code;
use intelliauth_core::model::{Application, Grant, Tenant};
use intelliauth_core::ports::RefreshTokenRecord;
use intelliauth_core::{ids, secret, Error, Refusal, Result};

use crate::authorize::Granted;
use crate::client_auth::ClientCredentials;
use crate::exchange::{invalid_grant, redeemed, ACCESS_TOKEN_BOUND_MS};
use crate::provider::{Oidc, TokenRequest, TokenResponse};

fn revoked() -> Error {
    Error::new(Code::SessionRevoked).with_refusal(Refusal::BadGrant)
}

fn expired() -> Error {
    Error::new(Code::SessionExpired).with_refusal(Refusal::BadGrant)
}

impl Oidc {
    pub(crate) async fn refresh(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: TokenRequest,
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        let token = redeemed(application, Grant::RefreshToken, request.refresh_token.as_deref(), "refresh_token")?;
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
                self.revoke_family(&record, now).await?;
                return Err(revoked().with_detail("reason", "refresh token reuse"));
            }
        }
        let user = match self.store.get_user(&tenant.id, &record.user_id).await? {
            Some(user) if !user.disabled => user,
            _ => {
                self.revoke_family(&record, now).await?;
                return Err(revoked());
            }
        };
        let mut granted: Granted = serde_json::from_str(&record.grant_data).map_err(Error::internal)?;
        crate::resource::same_audience(request.audience.as_deref(), granted.audience.as_deref())?;
        if let Err(error) = crate::dpop::bind_grant(&mut granted, application, key) {
            // A refresh token bound to a key, presented without it, was taken from its
            // client: end the grant, as for a replayed token.
            self.revoke_family(&record, now).await?;
            return Err(error);
        }
        if let Some(scope) = request.scope.as_deref() {
            let held: Vec<&str> = granted.scope.split(' ').collect();
            let asked: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
            let refused: Vec<&str> = asked.iter().copied().filter(|s| !held.contains(s)).collect();
            if !refused.is_empty() {
                return Err(Error::new(Code::InvalidScope)
                    .with_refusal(Refusal::BadScope)
                    .with_detail("scopes", refused)
                    .with_detail("reason", "a refresh cannot widen the scopes the grant holds"));
            }
            granted.scope = asked.join(" ");
        }
        // A refreshed ID token carries no nonce (OIDC Core §12.2).
        granted.nonce = None;
        let issued = self
            .issue_tokens(tenant, application, &user, &granted, ((&record.family_id, record.family_expires_at), key))
            .await?;
        Ok(issued.response)
    }

    /// Revokes the grant a refresh token belongs to, remembered until its last access
    /// token could expire.
    async fn revoke_family(&self, record: &RefreshTokenRecord, now: i64) -> Result<()> {
        let until = record.family_expires_at.max(now) + ACCESS_TOKEN_BOUND_MS;
        Ok(self.authorizations.revoke_grant(&record.tenant_id, &record.family_id, until, now).await?)
    }

    /// RFC 7009: revokes a refresh token's grant (its family and the access tokens issued
    /// with it), or one access token. Tokens that are unknown, foreign or of another client
    /// answer the same, so the endpoint tells nothing about them.
    pub async fn revoke(&self, tenant_id: &str, client: ClientCredentials, token: &str) -> Result<()> {
        let tenant = self.tenant(tenant_id).await?;
        let application = self.authenticate_client(tenant_id, &client).await?;
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Ok(());
        }
        if let Some(record) = self.authorizations.refresh_token(&secret::digest(token)).await? {
            if record.tenant_id == tenant_id && record.client_id == application.id {
                self.revoke_family(&record, ids::now_ms()).await?;
            }
            return Ok(());
        }
        let Some((_, claims)) = self.verified(&tenant, token).await? else { return Ok(()) };
        let ours = claims["iss"] == self.issuer(tenant_id).as_str()
            && claims["client_id"] == application.id.as_str()
            && claims["jti"].is_string();
        if ours {
            let until = claims["exp"].as_i64().unwrap_or_default().saturating_mul(1000);
            if until > ids::now_ms() {
                let jti = claims["jti"].as_str().unwrap_or_default();
                self.authorizations.revoke_access_token(tenant_id, jti, until).await?;
            }
        }
        Ok(())
    }
}

/// The longest token `/oauth/revoke` looks at: access tokens are JWTs of a few KiB at most,
/// Actions' claims included.
const MAX_TOKEN_BYTES: usize = 16 * 1024;
