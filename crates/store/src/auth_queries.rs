//! `core::ports::SignInStore` for both backends. Counting, finishing and consuming are
//! single statements, so they are exact under concurrency and across nodes.

use async_trait::async_trait;
use intelliauth_core::events::Event;
use intelliauth_core::model::User;
use intelliauth_core::ports::{
    AttemptSubject, FailurePolicy, FlowRecord, OneTimeToken, Reservation, SessionRecord, SignInStore, StoreResult,
};

use crate::macros::decoded;
use crate::rows;
use crate::{map_error, on_pool, SqlStore};

/// A reservation over the row `row` (a table name or alias, so an upsert is unambiguous on
/// PostgreSQL) with window column `start`: the SET list, and the condition under which the
/// attempt is admitted (not locked, and the count stays within the threshold `$3`). A
/// refused attempt changes nothing. A count restarted after an expired lock clears that
/// lock, so the next threshold's worth of failures locks again. Every expression reads the
/// row as it was.
fn reservation(row: &str, start: &str) -> (String, String) {
    let window = format!("({row}.{start} > $1 AND NOT ({row}.locked_until > 0 AND {row}.locked_until <= $2))");
    let next = format!("(CASE WHEN {window} THEN {row}.failed_attempts + 1 ELSE 1 END)");
    let assignments = format!(
        "failed_attempts = {next},
         {start} = CASE WHEN {window} THEN {row}.{start} ELSE $2 END,
         locked_until = CASE WHEN {window} THEN {row}.locked_until ELSE 0 END"
    );
    let admitted = format!("NOT ({row}.locked_until > $2) AND {next} <= $3");
    (assignments, admitted)
}

fn reserve_user_sql() -> String {
    let (assignments, admitted) = reservation("users", "failed_window_start");
    format!(
        "UPDATE users SET {assignments} WHERE id = $5 AND $6 = '' AND {admitted}
         RETURNING failed_attempts, failed_window_start, locked_until"
    )
}

fn reserve_unknown_sql() -> String {
    let (assignments, admitted) = reservation("seen", "window_start");
    format!(
        "INSERT INTO unknown_sign_in_failures AS seen (tenant_id, email_digest, failed_attempts, window_start, locked_until)
         SELECT $5, $6, 1, $2, 0 WHERE 1 <= $3 AND $4 >= 0
         ON CONFLICT (tenant_id, email_digest) DO UPDATE SET {assignments} WHERE {admitted}
         RETURNING failed_attempts, window_start AS failed_window_start, locked_until"
    )
}

/// The two key values every attempt statement binds last: a user's id and `''` (which the
/// user statements compare to `''`, so both kinds bind the same parameters), or the tenant
/// and the address's digest.
fn subject_keys(subject: AttemptSubject<'_>) -> (&str, &str) {
    match subject {
        AttemptSubject::User(user_id) => (user_id, ""),
        AttemptSubject::Unknown { tenant_id, email_digest } => (tenant_id, email_digest),
    }
}

/// Where a refused attempt's subject stands, for its `Retry-After`.
fn lock_of_sql(subject: &AttemptSubject<'_>) -> &'static str {
    match subject {
        AttemptSubject::User(_) => "SELECT locked_until FROM users WHERE id = $1 AND $2 = ''",
        AttemptSubject::Unknown { .. } => {
            "SELECT locked_until FROM unknown_sign_in_failures WHERE tenant_id = $1 AND email_digest = $2"
        }
    }
}

/// A wrong password settles its reserved attempt: at the threshold within the window, lock.
fn settle_sql(table: &str, start: &str, key: &str) -> String {
    format!(
        "UPDATE {table} SET locked_until = CASE
            WHEN failed_attempts >= $3 AND {start} > $1 AND locked_until <= $2 THEN $2 + $4 ELSE locked_until END
         WHERE {key}
         RETURNING failed_attempts, {start} AS failed_window_start, locked_until"
    )
}

fn settle_user_sql() -> String {
    settle_sql("users", "failed_window_start", "id = $5 AND $6 = ''")
}

fn settle_unknown_sql() -> String {
    settle_sql("unknown_sign_in_failures", "window_start", "tenant_id = $5 AND email_digest = $6")
}

#[async_trait]
impl SignInStore for SqlStore {
    async fn user_by_email(&self, tenant_id: &str, email: &str) -> StoreResult<Option<User>> {
        fetch_one_as!(
            self,
            rows::user,
            sqlx::query("SELECT * FROM users WHERE tenant_id = $1 AND email = $2").bind(tenant_id).bind(email)
        )
    }

    async fn clear_failed_sign_ins(&self, user_id: &str) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query(
                "UPDATE users SET failed_attempts = 0, failed_window_start = 0 WHERE id = $1 AND failed_attempts <> 0"
            )
            .bind(user_id)
        )
        .map(|_| ())
    }

    async fn reserve_sign_in_attempt(
        &self,
        subject: AttemptSubject<'_>,
        policy: FailurePolicy,
    ) -> StoreResult<Reservation> {
        let sql = match subject {
            AttemptSubject::User(_) => reserve_user_sql(),
            AttemptSubject::Unknown { .. } => reserve_unknown_sql(),
        };
        let (first, second) = subject_keys(subject);
        let admitted = on_pool!(self, pool => sqlx::query(&sql)
            .bind(policy.now - policy.window_ms).bind(policy.now).bind(policy.threshold).bind(policy.lock_ms)
            .bind(first).bind(second)
            .fetch_optional(pool).await.map(|row| row.is_some()).map_err(map_error))?;
        if admitted {
            return Ok(Reservation::Admitted);
        }
        let lock: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(lock_of_sql(&subject))
            .bind(first).bind(second).fetch_optional(pool).await.map_err(map_error))?;
        Ok(Reservation::Refused { locked_until: lock.map_or(0, |(until,)| until) })
    }

    async fn settle_failed_sign_in(
        &self,
        subject: AttemptSubject<'_>,
        policy: FailurePolicy,
        events: &[Event],
        lock_event: Option<&Event>,
    ) -> StoreResult<()> {
        let sql = match subject {
            AttemptSubject::User(_) => settle_user_sql(),
            AttemptSubject::Unknown { .. } => settle_unknown_sql(),
        };
        in_outbox!(self, events, tx => {
            let (first, second) = subject_keys(subject);
            let row = sqlx::query(&sql)
                .bind(policy.now - policy.window_ms).bind(policy.now).bind(policy.threshold).bind(policy.lock_ms)
                .bind(first).bind(second)
                .fetch_optional(&mut *tx).await.map_err(map_error)?;
            if let (Some(row), Some(lock_event)) = (row, lock_event) {
                if decoded(rows::lockout(&row))?.locked_until == policy.now + policy.lock_ms {
                    append_event!(tx, lock_event);
                }
            }
            ((), true)
        })
    }

    async fn prune_expired(&self, now: i64, keep_ms: i64) -> StoreResult<u64> {
        let horizon = now - keep_ms;
        let statements = [
            "DELETE FROM flows WHERE expires_at < $1",
            "DELETE FROM captcha_challenges WHERE expires_at < $1",
            "DELETE FROM one_time_tokens WHERE expires_at < $1",
            "DELETE FROM unknown_sign_in_failures WHERE window_start < $1",
            "DELETE FROM sessions WHERE expires_at < $1",
            "DELETE FROM client_assertion_ids WHERE expires_at < $1",
            "DELETE FROM revoked_tokens WHERE expires_at < $1",
            "DELETE FROM webhook_nodes WHERE seen_at < $1",
            "DELETE FROM upstream_requests WHERE expires_at < $1",
            "DELETE FROM device_codes WHERE expires_at < $1",
        ];
        let mut deleted = 0;
        for sql in statements {
            deleted += on_pool!(self, pool => sqlx::query(sql).bind(horizon).execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))?;
        }
        Ok(deleted)
    }

    async fn unlock_user(&self, tenant_id: &str, user_id: &str) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query(
                "UPDATE users SET failed_attempts = 0, failed_window_start = 0, locked_until = 0 WHERE tenant_id = $1 AND id = $2"
            )
            .bind(tenant_id)
            .bind(user_id)
        )
    }

    async fn set_password_hash(
        &self,
        user_id: &str,
        hash: &str,
        clear_reset: bool,
        now: i64,
        events: &[Event],
    ) -> StoreResult<()> {
        let sql = if clear_reset {
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1, must_reset_password = FALSE,
             failed_attempts = 0, failed_window_start = 0, locked_until = 0 WHERE id = $3"
        } else {
            "UPDATE users SET password_hash = $1, updated_at = $2, version = version + 1 WHERE id = $3"
        };
        in_outbox!(self, events, tx => {
            let changed = sqlx::query(sql).bind(hash).bind(now).bind(user_id)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            ((), changed)
        })
    }

    async fn mark_email_verified(&self, user_id: &str, now: i64, events: &[Event]) -> StoreResult<()> {
        in_outbox!(self, events, tx => {
            // Only a change of state is an event: a second click on the link is not.
            let changed = sqlx::query(
                "UPDATE users SET email_verified = TRUE, updated_at = $1, version = version + 1
                 WHERE id = $2 AND email_verified = FALSE")
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            ((), changed)
        })
    }

    async fn insert_flow(&self, flow: &FlowRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO flows (id, tenant_id, kind, step, browser, csrf_digest, return_to, created_at, expires_at)
             VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8)")
            .bind(&flow.id).bind(&flow.tenant_id).bind(&flow.kind).bind(flow.browser).bind(&flow.csrf_digest)
            .bind(flow.return_to.as_ref().map(|back| back.path(&flow.tenant_id))).bind(flow.created_at).bind(flow.expires_at).bind(&flow.step)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_flow(&self, id: &str) -> StoreResult<Option<FlowRecord>> {
        fetch_one_as!(self, rows::flow, sqlx::query("SELECT * FROM flows WHERE id = $1").bind(id))
    }

    async fn finish_flow(&self, id: &str, now: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("UPDATE flows SET finished_at = $1 WHERE id = $2 AND finished_at IS NULL").bind(now).bind(id)
        )
    }

    async fn advance_flow(&self, id: &str, step: &str, user_id: &str, amr: &[String]) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("UPDATE flows SET step = $1, user_id = $2, amr = $3 WHERE id = $4 AND finished_at IS NULL")
                .bind(step)
                .bind(user_id)
                .bind(crate::rows::json_text(amr))
                .bind(id)
        )
    }

    async fn insert_session(&self, session: &SessionRecord, events: &[Event]) -> StoreResult<()> {
        in_outbox!(self, events, tx => {
            sqlx::query(
            "INSERT INTO sessions (id, token_digest, tenant_id, user_id, created_at, last_seen_at, expires_at, idle_expires_at, amr,
             custom_claims) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(&session.id).bind(&session.token_digest).bind(&session.tenant_id).bind(&session.user_id)
            .bind(session.created_at).bind(session.last_seen_at).bind(session.expires_at).bind(session.idle_expires_at)
            .bind(crate::rows::json_text(&session.amr))
            .bind(session.custom_claims.as_ref().map(crate::rows::json_text))
            .execute(&mut *tx).await.map_err(map_error)?;
            ((), true)
        })
    }

    async fn session_by_digest(&self, token_digest: &str) -> StoreResult<Option<SessionRecord>> {
        fetch_one_as!(
            self,
            rows::session,
            sqlx::query("SELECT * FROM sessions WHERE token_digest = $1").bind(token_digest)
        )
    }

    async fn user_sessions(&self, tenant_id: &str, user_id: &str, now: i64) -> StoreResult<Vec<SessionRecord>> {
        fetch_all_as!(
            self,
            rows::session,
            sqlx::query(
                "SELECT * FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3
                 AND idle_expires_at > $3 ORDER BY created_at"
            )
            .bind(tenant_id)
            .bind(user_id)
            .bind(now)
        )
    }

    async fn touch_session(&self, id: &str, now: i64, idle_expires_at: i64) -> StoreResult<()> {
        touched!(
            self,
            sqlx::query("UPDATE sessions SET last_seen_at = $1, idle_expires_at = $2 WHERE id = $3")
                .bind(now)
                .bind(idle_expires_at)
                .bind(id)
        )
        .map(|_| ())
    }

    async fn revoke_session(&self, id: &str, now: i64, events: &[Event]) -> StoreResult<()> {
        self.revoke_sessions(REVOKE_BY_SESSION, id, now, events).await
    }

    async fn revoke_user_sessions(&self, user_id: &str, now: i64, events: &[Event]) -> StoreResult<()> {
        self.revoke_sessions(REVOKE_BY_USER, user_id, now, events).await
    }

    async fn insert_token(&self, token: &OneTimeToken) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO one_time_tokens (digest, purpose, tenant_id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(&token.digest).bind(&token.purpose).bind(&token.tenant_id).bind(&token.user_id)
            .bind(token.created_at).bind(token.expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn consume_token(&self, digest: &str, purpose: &str, now: i64) -> StoreResult<Option<OneTimeToken>> {
        fetch_one_as!(
            self,
            rows::one_time_token,
            sqlx::query(
                "UPDATE one_time_tokens SET used_at = $1
                 WHERE digest = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1
                 RETURNING digest, purpose, tenant_id, user_id, created_at, expires_at"
            )
            .bind(now)
            .bind(digest)
            .bind(purpose)
        )
    }

    async fn insert_captcha(
        &self,
        id: &str,
        tenant_id: &str,
        nonce: &str,
        difficulty: u8,
        expires_at: i64,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO captcha_challenges (id, tenant_id, nonce, difficulty, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(tenant_id).bind(nonce).bind(i32::from(difficulty)).bind(expires_at)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn consume_captcha(&self, id: &str, tenant_id: &str, now: i64) -> StoreResult<Option<(String, u8)>> {
        let row: Option<(String, i32)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE captcha_challenges SET used_at = $1
             WHERE id = $2 AND tenant_id = $3 AND used_at IS NULL AND expires_at > $1
             RETURNING nonce, difficulty")
            .bind(now).bind(id).bind(tenant_id)
            .fetch_optional(pool).await.map_err(map_error))?;
        Ok(row.map(|(nonce, difficulty)| (nonce, u8::try_from(difficulty).unwrap_or(u8::MAX))))
    }
}

/// The back-channel logout deliveries owed by the live sessions whose `$column` is `$2` (`$1`
/// now): one per application each signed in to that takes logout tokens, kept once however
/// often it is queued.
macro_rules! owed_logouts {
    ($column:literal) => {
        concat!(
            "INSERT INTO logout_deliveries (id, tenant_id, client_id, user_id, session_id, created_at, status, attempts, next_attempt_at)
             SELECT session_clients.session_id || ' ' || session_clients.client_id, sessions.tenant_id, session_clients.client_id,
                    sessions.user_id, sessions.id, $1, 'pending', 0, $1
             FROM session_clients JOIN sessions ON sessions.id = session_clients.session_id
             JOIN applications ON applications.id = session_clients.client_id
                              AND applications.backchannel_logout_uri IS NOT NULL
             WHERE ", $column, " = $2 AND sessions.revoked_at IS NULL
             ON CONFLICT DO NOTHING"
        )
    };
}

/// Revoking one session: the logout tokens its applications are owed, the session, then the
/// refresh tokens it holds (`$1` now, `$2` its id).
const REVOKE_BY_SESSION: (&str, &str, &str) = (
    // Back-channel logout: each application the live session signed in to is owed a logout
    // token, queued before the session is marked ended (the same transaction).
    owed_logouts!("sessions.id"),
    "UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
    "UPDATE refresh_tokens SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
);
/// Revoking every session of a user, and the refresh tokens they hold (`$2` the user's id).
const REVOKE_BY_USER: (&str, &str, &str) = (
    owed_logouts!("sessions.user_id"),
    "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
    "UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
);

impl SqlStore {
    /// Runs [`REVOKE_BY_SESSION`]-shaped statements in one transaction — the logout tokens
    /// owed, the sessions, their refresh tokens; `events` are recorded when a session was
    /// still live.
    async fn revoke_sessions(
        &self,
        statements: (&str, &str, &str),
        key: &str,
        now: i64,
        events: &[Event],
    ) -> StoreResult<()> {
        let (logouts, sessions, tokens) = statements;
        in_outbox!(self, events, tx => {
            sqlx::query(logouts).bind(now).bind(key).execute(&mut *tx).await.map_err(map_error)?;
            let changed =
                sqlx::query(sessions).bind(now).bind(key).execute(&mut *tx).await.map_err(map_error)?.rows_affected() > 0;
            sqlx::query(tokens).bind(now).bind(key).execute(&mut *tx).await.map_err(map_error)?;
            ((), changed)
        })
    }
}
