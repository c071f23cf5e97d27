//! Ports: what the domain needs from persistence. `store` implements them.

use async_trait::async_trait;

use crate::events::Event;
use crate::model::{Application, ManagementCredential, Tenant, User};
use crate::page::PageRequest;

/// How a storage operation failed, in terms the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint rejected the write.
    #[error("unique constraint violated")]
    Conflict,
    /// The database could not be reached in time; the request may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data.
    #[error("database error: {0}")]
    Internal(String),
}

impl From<StoreError> for crate::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => crate::Error::new(intelliauth_catalogue::Code::Conflict),
            StoreError::Unavailable(cause) => crate::Error::unavailable(cause),
            StoreError::Internal(cause) => crate::Error::internal(cause),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Normalised email prefix.
    pub email_prefix: Option<String>,
}

/// Persistence for the management domain. Updates and deletes are conditional on the
/// version the caller read (`expected_version`), so concurrent writers cannot silently
/// overwrite each other: `Ok(false)` / `Ok(None)` means the row changed or vanished.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>>;
    async fn update_tenant(&self, tenant: &Tenant, expected_version: i64) -> StoreResult<bool>;
    async fn delete_tenant(&self, id: &str, expected_version: i64) -> StoreResult<bool>;

    async fn insert_user(&self, user: &User, events: &[Event]) -> StoreResult<()>;
    async fn get_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant_id: &str, filter: &UserFilter, page: &PageRequest) -> StoreResult<Vec<User>>;
    async fn update_user(&self, user: &User, expected_version: i64, events: &[Event]) -> StoreResult<bool>;
    async fn delete_user(
        &self,
        tenant_id: &str,
        id: &str,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;

    async fn insert_application(&self, application: &Application, events: &[Event]) -> StoreResult<()>;
    async fn get_application(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Application>>;
    async fn list_applications(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Application>>;
    async fn update_application(
        &self,
        application: &Application,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;
    async fn delete_application(
        &self,
        tenant_id: &str,
        id: &str,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;

    async fn insert_credential(&self, credential: &ManagementCredential) -> StoreResult<()>;
    async fn credential_by_digest(&self, token_digest: &str) -> StoreResult<Option<ManagementCredential>>;
    async fn list_credentials(
        &self,
        tenant_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ManagementCredential>>;
    async fn delete_credential(&self, id: &str) -> StoreResult<bool>;
    async fn count_credentials(&self) -> StoreResult<i64>;
    /// Points the credential `id` at a new token digest (the bootstrap token from the environment).
    async fn set_credential_digest(&self, id: &str, token_digest: &str) -> StoreResult<bool>;
}

/// A sign-in, registration or recovery flow as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowRecord {
    pub id: String,
    pub tenant_id: String,
    pub kind: String,
    /// The step the user is on, e.g. `credentials` or `new_password`.
    pub step: String,
    /// Browser flows are bound to a CSRF cookie; API flows (native apps) are not.
    pub browser: bool,
    pub csrf_digest: String,
    /// Where a browser goes after the flow.
    pub return_to: Option<crate::paths::ReturnTo>,
    pub created_at: i64,
    pub expires_at: i64,
    pub finished_at: Option<i64>,
    /// The user who passed the password step (login flows at an MFA step).
    pub user_id: Option<String>,
    /// Authentication methods (RFC 8176) used so far in this flow.
    pub amr: Vec<String>,
}

/// A signed-in browser or app session. The token itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: String,
    pub token_digest: String,
    pub tenant_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
    pub idle_expires_at: i64,
    pub revoked_at: Option<i64>,
    /// How the user authenticated (RFC 8176 method names: `pwd`, `otp`, …).
    pub amr: Vec<String>,
    /// Token claims the sign-in's post-login Actions set.
    pub custom_claims: Option<crate::actions::CustomClaims>,
}

/// A single-use token sent by mail (email verification, password reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeToken {
    pub digest: String,
    pub purpose: String,
    pub tenant_id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// The arithmetic of a failed sign-in, applied atomically by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailurePolicy {
    pub now: i64,
    pub window_ms: i64,
    pub threshold: i64,
    pub lock_ms: i64,
}

impl FailurePolicy {
    /// A failure at `now` under the tenant's lockout settings.
    pub fn for_sign_in(policy: &crate::model::SignInPolicy, now: i64) -> FailurePolicy {
        FailurePolicy {
            now,
            window_ms: policy.lockout_window_s as i64 * 1000,
            threshold: i64::from(policy.lockout_threshold),
            lock_ms: policy.lockout_duration_s as i64 * 1000,
        }
    }
}

/// Whether a password attempt may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    Admitted,
    /// Locked (until `locked_until`, ms), or as many attempts as the threshold allows are
    /// already counted or in flight (`locked_until` in the past).
    Refused {
        locked_until: i64,
    },
}

/// Whose password attempts are counted: an account, or an address without one (by digest),
/// which locks the same way so a lock does not reveal which addresses have accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptSubject<'a> {
    User(&'a str),
    Unknown { tenant_id: &'a str, email_digest: &'a str },
}

/// Persistence for sign-in. Every operation that must be exact under concurrency (and
/// across nodes) is one SQL statement: counting failures, finishing a flow, consuming a
/// token or a captcha challenge.
#[async_trait]
pub trait AuthStore: Send + Sync + 'static {
    async fn user_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Option<User>>;
    async fn clear_failed_sign_ins(&self, user_id: &str) -> StoreResult<()>;
    /// Counts a password attempt before its password is checked, in one statement, so
    /// concurrent guesses cannot all be evaluated: an attempt is admitted while the subject
    /// is unlocked and the count (failures and attempts still in flight) stays within the
    /// threshold; otherwise it is refused and changes nothing. A refused attempt must be
    /// answered unchecked.
    async fn reserve_sign_in_attempt(
        &self,
        subject: AttemptSubject<'_>,
        policy: FailurePolicy,
    ) -> StoreResult<Reservation>;
    /// Settles a reserved attempt whose password was wrong: locks the subject when the
    /// count has reached the threshold, and appends `events` (and `lock_event` when this
    /// settlement locks). Unknown addresses and accounts cost the same.
    async fn settle_failed_sign_in(
        &self,
        subject: AttemptSubject<'_>,
        policy: FailurePolicy,
        events: &[Event],
        lock_event: Option<&Event>,
    ) -> StoreResult<()>;
    /// Deletes what has expired: flows, captcha challenges, single-use tokens, old counters.
    async fn prune_expired(&self, now: i64, keep_ms: i64) -> StoreResult<u64>;
    /// An admin unlock: clears the counter and the lock.
    async fn unlock_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<bool>;
    /// Stores a new password hash; `clear_reset` also lifts a forced reset and any lock.
    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        clear_reset: bool,
        now: i64,
        events: &[Event],
    ) -> StoreResult<()>;
    async fn mark_email_verified(&self, user_id: &str, now: i64, events: &[Event]) -> StoreResult<()>;

    async fn insert_flow(&self, flow: &FlowRecord) -> StoreResult<()>;
    async fn get_flow(&self, id: &str) -> StoreResult<Option<FlowRecord>>;
    /// Marks the flow finished; `false` if it already was (a replay).
    async fn finish_flow(&self, id: &str, now: i64) -> StoreResult<bool>;
    /// Moves an unfinished flow to `step`, remembering who passed the steps before it.
    async fn advance_flow(&self, id: &str, step: &str, user_id: &str, amr: &[String]) -> StoreResult<bool>;

    async fn insert_session(&self, session: &SessionRecord, events: &[Event]) -> StoreResult<()>;
    async fn session_by_digest(&self, token_digest: &str) -> StoreResult<Option<SessionRecord>>;
    /// The user's sessions that are neither revoked nor past their absolute lifetime.
    async fn user_sessions(&self, tenant_id: &str, user_id: &str, now: i64) -> StoreResult<Vec<SessionRecord>>;
    async fn touch_session(&self, id: &str, now: i64, idle_expires_at: i64) -> StoreResult<()>;
    /// Ends the session and every refresh token issued under it.
    async fn revoke_session(&self, id: &str, now: i64, events: &[Event]) -> StoreResult<()>;
    /// Ends every session of the user and every refresh token issued to them.
    async fn revoke_user_sessions(&self, user_id: &str, now: i64, events: &[Event]) -> StoreResult<()>;

    async fn insert_token(&self, token: &OneTimeToken) -> StoreResult<()>;
    /// Uses the token if it exists, has this purpose, is unused and unexpired.
    async fn consume_token(&self, digest: &str, purpose: &str, now: i64) -> StoreResult<Option<OneTimeToken>>;

    async fn insert_captcha(
        &self,
        id: &str,
        tenant_id: &str,
        nonce: &str,
        difficulty: u8,
        expires_at: i64,
    ) -> StoreResult<()>;
    /// Uses the challenge once; returns its nonce and difficulty.
    async fn consume_captcha(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<(String, u8)>>;
}

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Delivers mail: SMTP in production, files in the data directory by default.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &Mail) -> Result<(), String>;
}

/// Options for the browser and the state to keep until it answers.
#[derive(Debug, Clone)]
pub struct PasskeyCeremony {
    pub options: serde_json::Value,
    pub state: String,
}

/// A credential that passed a ceremony, in its stored form.
#[derive(Debug, Clone)]
pub struct VerifiedPasskey {
    pub credential_id: String,
    pub credential: String,
}

/// WebAuthn ceremonies. `Err` says why a ceremony failed; the caller answers `webauthn_failed`.
pub trait Passkeys: Send + Sync + 'static {
    fn start_registration(
        &self,
        user_handle: uuid::Uuid,
        name: &str,
        existing: &[String],
    ) -> Result<PasskeyCeremony, String>;
    fn finish_registration(&self, response: &serde_json::Value, state: &str) -> Result<VerifiedPasskey, String>;
    fn start_authentication(&self, stored: &[String]) -> Result<PasskeyCeremony, String>;
    fn finish_authentication(
        &self,
        response: &serde_json::Value,
        state: &str,
        stored: &[String],
    ) -> Result<VerifiedPasskey, String>;
    fn start_discoverable(&self) -> Result<PasskeyCeremony, String>;
    /// The user handle a discoverable credential's assertion names.
    fn discoverable_user(&self, response: &serde_json::Value) -> Result<uuid::Uuid, String>;
    fn finish_discoverable(
        &self,
        response: &serde_json::Value,
        state: &str,
        stored: &[String],
    ) -> Result<VerifiedPasskey, String>;
}

/// Sends text messages (one-time codes) through an SMS gateway.
#[async_trait]
pub trait SmsSender: Send + Sync + 'static {
    /// `to` is E.164; `Err` says why the gateway did not take the message.
    async fn send(&self, to: &str, body: &str) -> Result<(), String>;
}

/// Checks a captcha response with a third-party siteverify service.
#[async_trait]
pub trait CaptchaVerifier: Send + Sync + 'static {
    /// The public key the browser widget needs.
    fn site_key(&self) -> &str;
    async fn verify(&self, response: &str, remote_ip: std::net::IpAddr) -> Result<bool, String>;
}

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
pub trait KeyStore: Send + Sync + 'static {
    /// Keys of the tenant that are not past `retire_after`.
    async fn signing_keys(&self, tenant_id: &str, now: i64) -> StoreResult<Vec<SigningKeyRecord>>;
    /// Inserts a tenant's first `active` and `next` keys; `Conflict` if another node did.
    async fn insert_initial_keys(&self, active: &SigningKeyRecord, next: &SigningKeyRecord) -> StoreResult<()>;
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

/// Persistence of the authorization-code flow.
#[async_trait]
pub trait AuthorizationStore: Send + Sync + 'static {
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
    async fn insert_code(&self, code: &CodeRecord) -> StoreResult<()>;
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
