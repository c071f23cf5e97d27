//! The port of OAuth grants: authorization requests, codes, refresh tokens, consents and
//! revocations. `store` implements it (`grant_queries.rs`).

use async_trait::async_trait;

use crate::ports::StoreResult;

/// An authorization code as stored: who it is for and what it grants (as JSON, owned by
/// the OIDC layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeRecord {
    pub digest: String,
    pub tenant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub grant_data: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A device authorization (RFC 8628): the device polls with the device code (stored as its
/// digest) while the user approves the user code on another screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodeRecord {
    pub device_digest: String,
    /// Without its dash, upper-case.
    pub user_code: String,
    pub tenant_id: String,
    pub client_id: String,
    pub scope: String,
    /// The API the tokens are for (its identifier); `None` for the tenant's own.
    pub audience: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub interval_s: i64,
    /// When the device last polled (its creation before the first poll).
    pub polled_at: i64,
    pub status: DeviceStatus,
    /// Who approved it, and what the approval grants (JSON owned by the OIDC layer).
    pub user_id: Option<String>,
    pub grant_data: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
    /// Approved, and its tokens issued: a second poll gets nothing.
    Used,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Approved => "approved",
            DeviceStatus::Denied => "denied",
            DeviceStatus::Used => "used",
        }
    }

    pub fn parse(text: &str) -> Option<DeviceStatus> {
        [DeviceStatus::Pending, DeviceStatus::Approved, DeviceStatus::Denied, DeviceStatus::Used]
            .into_iter()
            .find(|status| status.as_str() == text)
    }
}

/// What OAuth grants leave behind: authorization requests waiting for a sign-in, codes,
/// refresh token families, consents, revocations and used client-assertion ids.
#[async_trait]
pub trait GrantStore: Send + Sync + 'static {
    /// Keeps an authorization request while the user signs in; returns nothing new.
    async fn insert_authorization_request(
        &self,
        id: &str,
        tenant_id: &str,
        params: &str,
        created_at: i64,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// The request's parameters and creation time, if unexpired.
    async fn authorization_request(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<(String, i64)>>;
    /// The request's parameters if unexpired, deleting it: a pushed request is used once.
    async fn take_authorization_request(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<String>>;
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()>;
    async fn insert_device_code(&self, record: &DeviceCodeRecord) -> StoreResult<()>;
    /// The tenant's device authorization with this user code, whatever its state.
    async fn device_code_by_user_code(&self, tenant_id: &str, user_code: &str)
        -> StoreResult<Option<DeviceCodeRecord>>;
    /// Approves (with who and what) or denies a pending, unexpired authorization; false when
    /// it was not pending any more.
    async fn decide_device_code(
        &self,
        tenant_id: &str,
        user_code: &str,
        approved: Option<(&str, &str)>,
        now: i64,
    ) -> StoreResult<bool>;
    /// The authorization the device polls for, as it was before this poll, which is noted.
    async fn poll_device_code(&self, device_digest: &str, now: i64) -> StoreResult<Option<DeviceCodeRecord>>;
    /// Marks an approved authorization used; true only for the one poll that did.
    async fn use_device_code(&self, device_digest: &str) -> StoreResult<bool>;
    /// Uses the code once, noting in the same statement the grant (refresh family) its
    /// exchange starts, so a replay racing the exchange still finds it. `Err(Conflict)`
    /// when it exists but was already used (a replay).
    async fn consume_code(&self, digest: &str, now: i64, grant_id: &str) -> StoreResult<Option<CodeRecord>>;
    /// The tenant and grant of a used code, if any.
    async fn code_grant(&self, digest: &str) -> StoreResult<Option<(String, String)>>;
    async fn insert_refresh_token(&self, token: &RefreshTokenRecord) -> StoreResult<()>;
    /// Marks the token rotated if it is current and its grant is not revoked; returns it
    /// either way (`None` if unknown), with `revoked_at` set when its grant was revoked
    /// (even after it was issued: a family revoked while a racing rotation inserted its
    /// successor stays revoked). `rotated_now` is true only for the one caller that rotated it.
    async fn rotate_refresh_token(&self, digest: &str, now: i64) -> StoreResult<Option<(RefreshTokenRecord, bool)>>;
    async fn refresh_token(&self, digest: &str) -> StoreResult<Option<RefreshTokenRecord>>;
    /// Records a client assertion's `jti`; `Err(Conflict)` if it was used before.
    async fn use_assertion_id(&self, tenant_id: &str, client_id: &str, jti: &str, expires_at: i64) -> StoreResult<()>;
    /// Revokes a grant: every refresh token of the family, and every access token carrying
    /// its `grant_id`, including tokens issued after this call. Kept until `until`.
    async fn revoke_grant(&self, tenant_id: &str, grant_id: &str, until: i64, now: i64) -> StoreResult<()>;
    /// Revokes one access token by `jti` until it expires.
    async fn revoke_access_token(&self, tenant_id: &str, jti: &str, until: i64) -> StoreResult<()>;
    /// Whether any of these token or grant ids was revoked.
    async fn any_revoked(&self, ids: &[&str]) -> StoreResult<bool>;
    async fn consented_scopes(&self, tenant_id: &str, user_id: &str, client_id: &str) -> StoreResult<Vec<String>>;
    async fn set_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
        now: i64,
    ) -> StoreResult<()>;
    /// Every consent of the user: client id, scopes, when granted.
    async fn user_consents(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<(String, Vec<String>, i64)>>;
    /// Withdraws the consent and revokes the grants (refresh and access tokens) the client
    /// holds for the user; grants end at `until`.
    async fn revoke_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
        until: i64,
        now: i64,
    ) -> StoreResult<bool>;
}

/// A refresh token as stored (the token itself is not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    pub digest: String,
    pub family_id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub session_id: String,
    pub grant_data: String,
    pub created_at: i64,
    pub family_expires_at: i64,
    pub idle_expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
}
