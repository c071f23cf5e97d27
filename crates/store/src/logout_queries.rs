//! `core::logout::LogoutStore` for both backends: the applications each session signed in
//! to, and the logout deliveries the session revocations queue (`auth_queries.rs`), leased
//! to one worker at a time.

use async_trait::async_trait;
use intelliauth_core::logout::{LogoutDelivery, LogoutNext, LogoutStore};
use intelliauth_core::ports::StoreResult;

use crate::rows::Columns;
use crate::{map_error, on_pool, SqlStore};

fn delivery(row: &impl Columns) -> sqlx::Result<LogoutDelivery> {
    Ok(from_columns!(row => LogoutDelivery {
        text: id, tenant_id, client_id, user_id, session_id;
        int: attempts, created_at;
    }))
}

#[async_trait]
impl LogoutStore for SqlStore {
    async fn record_session_client(
        &self,
        tenant_id: &str,
        session_id: &str,
        client_id: &str,
        now: i64,
    ) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query(
                "INSERT INTO session_clients (session_id, client_id, tenant_id, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING"
            )
            .bind(session_id)
            .bind(client_id)
            .bind(tenant_id)
            .bind(now)
        )
        .map(|_| ())
    }

    async fn session_clients(&self, session_id: &str) -> StoreResult<Vec<String>> {
        on_pool!(self, pool => sqlx::query_scalar(
            "SELECT client_id FROM session_clients WHERE session_id = $1 ORDER BY created_at, client_id")
            .bind(session_id)
            .fetch_all(pool).await.map_err(map_error))
    }

    async fn claim_logout_deliveries(
        &self,
        owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<LogoutDelivery>> {
        // The lease condition is repeated outside the subquery: on PostgreSQL a row another
        // node leased meanwhile is checked again after its commit, and skipped.
        fetch_all_as!(
            self,
            delivery,
            sqlx::query(
                "UPDATE logout_deliveries SET lease_owner = $1, lease_until = $2
                 WHERE id IN (SELECT id FROM logout_deliveries
                              WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until < $3)
                              ORDER BY next_attempt_at LIMIT $4)
                   AND status = 'pending' AND (lease_until IS NULL OR lease_until < $3)
                 RETURNING *"
            )
            .bind(owner)
            .bind(lease_until)
            .bind(now)
            .bind(limit)
        )
    }

    async fn finish_logout_delivery(&self, id: &str, owner: &str, outcome: &str, next: LogoutNext) -> StoreResult<()> {
        let now = intelliauth_core::ids::now_ms();
        let (status, next_attempt_at, finished_at) = match next {
            LogoutNext::Delivered => ("delivered", None, Some(now)),
            LogoutNext::RetryAt(at) => ("pending", Some(at), None),
            LogoutNext::GaveUp => ("dead", None, Some(now)),
        };
        touched!(
            self,
            sqlx::query(
                "UPDATE logout_deliveries SET status = $1, next_attempt_at = $2, finished_at = $3, last_outcome = $4,
                        attempts = attempts + 1, lease_owner = NULL, lease_until = NULL
                 WHERE id = $5 AND lease_owner = $6"
            )
            .bind(status)
            .bind(next_attempt_at)
            .bind(finished_at)
            .bind(outcome)
            .bind(id)
            .bind(owner)
        )
        .map(|_| ())
    }

    async fn prune_logout_deliveries(&self, before: i64) -> StoreResult<u64> {
        on_pool!(self, pool => sqlx::query(
            "DELETE FROM logout_deliveries WHERE status <> 'pending' AND finished_at < $1")
            .bind(before)
            .execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))
    }
}
