//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): which applications a
//! session signed in to, the logout tokens owed to them when it ends, and the ports that
//! keep them (`LogoutStore`) and sign them (`LogoutTokens`, the provider's).
//!
//! A delivery is queued in the transaction that ends the session (the store's session
//! revocation writes it), so a session cannot end without its applications being owed a
//! logout token; a worker signs and sends each through the webhooks' egress guard, with
//! their retry schedule.

use async_trait::async_trait;

use crate::ports::StoreResult;

/// The event a logout token carries (Back-Channel Logout 1.0 §2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// One logout token owed to one application for one ended session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutDelivery {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub user_id: String,
    pub session_id: String,
    /// Attempts made so far.
    pub attempts: i64,
    pub created_at: i64,
}

/// Where a delivery goes after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoutNext {
    Delivered,
    RetryAt(i64),
    /// No more attempts: the schedule ran out, the receiver refused the token (4xx), or the
    /// application no longer has a back-channel logout URI.
    GaveUp,
}

/// Where session-to-application links and logout deliveries are kept. Deliveries are
/// queued by the session store's revocations, in their transaction.
#[async_trait]
pub trait LogoutStore: Send + Sync {
    /// Records that `session_id` signed in to `client_id` (once; later calls change nothing).
    async fn record_session_client(
        &self,
        tenant_id: &str,
        session_id: &str,
        client_id: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// The applications (client ids) `session_id` signed in to, for front-channel logout.
    async fn session_clients(&self, session_id: &str) -> StoreResult<Vec<String>>;
    /// Leases up to `limit` due deliveries to `owner` until `lease_until`; a delivery leased
    /// by another owner whose lease has not run out is not taken.
    async fn claim_logout_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<LogoutDelivery>>;
    /// Records an attempt's result for a delivery `owner` leased.
    async fn finish_logout_delivery(&self, id: &str, owner: &str, outcome: &str, next: LogoutNext) -> StoreResult<()>;
    /// Deletes deliveries that ended (delivered or given up) before `before`.
    async fn prune_logout_deliveries(&self, before: i64) -> StoreResult<u64>;
}

/// Signs a delivery's logout token: `(back-channel logout URI, token)`, or `None` when the
/// application is gone or no longer has a URI.
#[async_trait]
pub trait LogoutTokens: Send + Sync {
    async fn logout_token(&self, delivery: &LogoutDelivery) -> crate::Result<Option<(String, String)>>;
}
