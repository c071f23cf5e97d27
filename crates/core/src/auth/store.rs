//! Sign-in's port: flows, sessions, one-time tokens (verification, reset), attempt
//! counting and captcha challenges. `store` implements it (`auth_queries.rs`).

use async_trait::async_trait;

use crate::events::Event;
use crate::model::User;
use crate::ports::StoreResult;

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
pub trait SignInStore: Send + Sync + 'static {
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
