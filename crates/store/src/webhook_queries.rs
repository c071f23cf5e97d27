//! `core::webhooks::WebhookStore` for both backends: subscriptions, leases on due
//! messages, attempts and the delivery feed.

use async_trait::async_trait;
use intelliauth_catalogue::{Code, Family};
use intelliauth_core::events::{Event, EventType};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::{StoreError, StoreResult};
use intelliauth_core::webhooks::{
    Attempt, Claimed, MadeAttempt, Message, MessageFilter, MessageStatus, NextStep, QueueStats, Subscription,
    WebhookStore, ALL_EVENTS,
};

use crate::rows::{corrupt, meta, Columns};
use crate::{map_error, on_pool, Db, SqlStore};

/// Stored form of a subscription's event types: `*` or `,a,b,`.
fn event_types_text(types: &[String]) -> String {
    if types.iter().any(|t| t == ALL_EVENTS) {
        ALL_EVENTS.to_owned()
    } else {
        format!(",{},", types.join(","))
    }
}

fn event_types_list(text: &str) -> Vec<String> {
    text.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn subscription(row: &impl Columns) -> sqlx::Result<Subscription> {
    Ok(from_columns!(row => Subscription {
        text: id, tenant_id, url;
        opt_text: description;
        flag: enabled;
        opt_int: previous_secret_expires_at;
    } and {
        event_types: event_types_list(&row.text("event_types")?),
        secret_sealed: row.text("secret")?,
        previous_secret_sealed: row.opt_text("previous_secret")?,
        meta: meta(row)?,
    }))
}

fn message(row: &impl Columns) -> sqlx::Result<Message> {
    let status = row.text("status")?;
    Ok(from_columns!(row => Message {
        text: id, tenant_id, subscription_id, event_id, event_type;
        int: attempts, cycle_attempts, created_at;
        opt_int: next_attempt_at, finished_at;
    } and {
        status: MessageStatus::parse(&status)
            .ok_or_else(|| corrupt("status", format!("unknown message status {status:?}")))?,
        last_outcome: row.opt_text("last_outcome")?.map(|code| observation("last_outcome", &code)).transpose()?,
    }))
}

/// A stored observation: a code of the catalogue's webhook family.
fn observation(column: &str, code: &str) -> sqlx::Result<Code> {
    Family::Webhook.parse(code).ok_or_else(|| corrupt(column, format!("not a webhook observation: {code:?}")))
}

fn attempt(row: &impl Columns) -> sqlx::Result<Attempt> {
    Ok(from_columns!(row => Attempt {
        text: id, message_id, node;
        int: number, started_at, latency_ms;
        opt_int: http_status;
        opt_text: response_excerpt, error;
    } and {
        outcome: observation("outcome", &row.text("outcome")?)?,
    }))
}

fn claimed(row: &impl Columns) -> sqlx::Result<Claimed> {
    let message = message(row)?;
    let kind = row.text("event_type")?;
    let data = row.text("event_data")?;
    let event = Event {
        id: message.event_id.clone(),
        tenant_id: message.tenant_id.clone(),
        kind: EventType::parse(&kind).ok_or_else(|| sqlx::Error::ColumnDecode {
            index: "event_type".into(),
            source: format!("unknown event type {kind:?}").into(),
        })?,
        occurred_at: row.int("event_occurred_at")?,
        data: serde_json::from_str(&data)
            .map_err(|e| sqlx::Error::ColumnDecode { index: "event_data".into(), source: e.into() })?,
    };
    Ok(Claimed {
        message,
        event,
        url: row.text("url")?,
        secret_sealed: row.text("secret")?,
        previous_secret_sealed: row.opt_text("previous_secret")?,
        previous_secret_expires_at: row.opt_int("previous_secret_expires_at")?,
    })
}

/// Leases due messages. The candidates are the earliest due (an index range, however long
/// the queue), ranked per subscription after the attempts already in flight there, so no
/// subscription has more than `$5` in flight across all nodes: one slow receiver cannot
/// take every worker. On PostgreSQL, `FOR UPDATE SKIP LOCKED` lets nodes claim side by side.
/// The CTEs are materialized so the planner cannot re-run the ranking for every row it
/// locks (it did, on a table it had no statistics for yet). Leases of nodes whose heartbeat
/// is older than `$8` count as expired.
fn claim_sql() -> String {
    // A lease is in force while unexpired and its node (the owner's prefix before ':') beats.
    let live = |table: &str| {
        format!(
            "({table}.lease_until >= $3 AND EXISTS (SELECT 1 FROM webhook_nodes n WHERE n.seen_at >= $8
                AND substr({table}.lease_owner, 1, length(n.node) + 1) = n.node || ':'))"
        )
    };
    let held = live("webhook_messages");
    // A lapsed lease is not taken over here: `release_lapsed_leases` records its attempt first.
    format!(
        "WITH candidates AS MATERIALIZED (
        SELECT id, subscription_id, next_attempt_at FROM webhook_messages
        WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_owner IS NULL
          -- A disabled subscription's messages wait until it is enabled again.
          AND subscription_id IN (SELECT id FROM webhook_subscriptions WHERE enabled = $6)
        ORDER BY next_attempt_at LIMIT $7),
    in_flight AS (
        SELECT subscription_id, COUNT(*) AS leased FROM webhook_messages
        WHERE lease_until >= $3 AND status = 'pending' AND {held} GROUP BY subscription_id),
    ranked AS MATERIALIZED (
        SELECT c.id, COALESCE(f.leased, 0)
            + ROW_NUMBER() OVER (PARTITION BY c.subscription_id ORDER BY c.next_attempt_at, c.id) AS place
        FROM candidates c LEFT JOIN in_flight f ON f.subscription_id = c.subscription_id)
    UPDATE webhook_messages SET lease_owner = $1, lease_until = $2, leased_at = $3
    WHERE id IN (
        SELECT m.id FROM ranked r JOIN webhook_messages m ON m.id = r.id
        WHERE r.place <= $5
          AND m.status = 'pending' AND m.next_attempt_at <= $3 AND m.lease_owner IS NULL
        ORDER BY m.next_attempt_at
        LIMIT $4 /*lock*/)"
    )
}

/// Inserts `$attempt` (an [`Attempt`]) on the transaction `$tx`.
macro_rules! insert_attempt {
    ($tx:ident, $attempt:expr) => {{
        let attempt: &Attempt = $attempt;
        sqlx::query(
            "INSERT INTO webhook_attempts (id, message_id, number, started_at, latency_ms, outcome, http_status,
             response_excerpt, error, node) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&attempt.id)
        .bind(&attempt.message_id)
        .bind(attempt.number)
        .bind(attempt.started_at)
        .bind(attempt.latency_ms)
        .bind(attempt.outcome.as_str())
        .bind(attempt.http_status)
        .bind(&attempt.response_excerpt)
        .bind(&attempt.error)
        .bind(&attempt.node)
        .execute(&mut *$tx)
        .await
        .map_err(map_error)?;
    }};
}

/// Leases whose time ran out, or whose node (the owner's prefix before ':') stopped beating.
/// A node never takes its own leases for a stopped node's ($3): it knows they are in flight,
/// even when a busy moment made its own heartbeat late.
const LAPSED: &str = "SELECT id, tenant_id, lease_owner, attempts, leased_at FROM webhook_messages m
    WHERE m.lease_until IS NOT NULL AND m.status = 'pending' AND (m.lease_until < $1
      OR (substr(m.lease_owner, 1, length($3) + 1) <> $3 || ':'
          AND NOT EXISTS (SELECT 1 FROM webhook_nodes n WHERE n.seen_at >= $2
                          AND substr(m.lease_owner, 1, length(n.node) + 1) = n.node || ':')))";

/// A delivery node whose heartbeat is older than this is taken for dead: three missed beats.
pub const NODE_STALE_MS: i64 = 1500;

/// How many due messages a claim looks at per free slot: enough to find work for other
/// subscriptions when the earliest ones belong to a subscription at its cap.
const CANDIDATES_PER_SLOT: i64 = 8;

const CLAIMED: &str = "SELECT m.*, e.occurred_at AS event_occurred_at, e.data AS event_data,
        s.url, s.secret, s.previous_secret, s.previous_secret_expires_at
    FROM webhook_messages m
    JOIN events e ON e.id = m.event_id
    JOIN webhook_subscriptions s ON s.id = m.subscription_id
    WHERE m.lease_owner = $1 AND m.status = 'pending'";

#[async_trait]
impl WebhookStore for SqlStore {
    async fn insert_subscription(&self, s: &Subscription) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO webhook_subscriptions (id, tenant_id, url, event_types, description, enabled, secret, previous_secret,
             previous_secret_expires_at, created_at, updated_at, version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(&s.id).bind(&s.tenant_id).bind(&s.url).bind(event_types_text(&s.event_types)).bind(&s.description)
            .bind(s.enabled).bind(&s.secret_sealed).bind(&s.previous_secret_sealed).bind(s.previous_secret_expires_at)
            .bind(s.meta.created_at).bind(s.meta.updated_at).bind(s.meta.version)
            .execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn get_subscription(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Subscription>> {
        fetch_one_as!(
            self,
            subscription,
            sqlx::query("SELECT * FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2")
                .bind(tenant_id)
                .bind(id)
        )
    }

    async fn list_subscriptions(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Subscription>> {
        fetch_all_as!(
            self,
            subscription,
            sqlx::query("SELECT * FROM webhook_subscriptions WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3")
                .bind(tenant_id)
                .bind(page.after.as_deref().unwrap_or(""))
                .bind(i64::from(page.limit))
        )
    }

    async fn update_subscription(&self, s: &Subscription, expected_version: i64) -> StoreResult<bool> {
        let updated = touched!(self, sqlx::query(
            "UPDATE webhook_subscriptions SET url = $1, event_types = $2, description = $3, enabled = $4, secret = $5,
             previous_secret = $6, previous_secret_expires_at = $7, updated_at = $8, version = $9
             WHERE tenant_id = $10 AND id = $11 AND version = $12")
            .bind(&s.url).bind(event_types_text(&s.event_types)).bind(&s.description).bind(s.enabled)
            .bind(&s.secret_sealed).bind(&s.previous_secret_sealed).bind(s.previous_secret_expires_at)
            .bind(s.meta.updated_at).bind(s.meta.version).bind(&s.tenant_id).bind(&s.id).bind(expected_version));
        // Enabling a subscription may make its waiting messages due: wake the worker.
        self.queued();
        updated
    }

    async fn delete_subscription(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool> {
        touched!(
            self,
            sqlx::query("DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND id = $2 AND version = $3")
                .bind(tenant_id)
                .bind(id)
                .bind(expected_version)
        )
    }

    async fn insert_targeted_event(&self, event: &Event, subscription_id: &str) -> StoreResult<String> {
        let message_id =
            format!("msg_{}_{}", event.id.get(4..).unwrap_or_default(), subscription_id.get(4..).unwrap_or_default());
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            sqlx::query("INSERT INTO events (id, tenant_id, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5)")
                .bind(&event.id).bind(&event.tenant_id).bind(event.kind.as_str()).bind(event.occurred_at)
                .bind(event.data.to_string())
                .execute(&mut *tx).await.map_err(map_error)?;
            sqlx::query(
                "INSERT INTO webhook_messages (id, tenant_id, subscription_id, event_id, event_type, status, attempts,
                 cycle_attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, 0, $6, $6)")
                .bind(&message_id).bind(&event.tenant_id).bind(subscription_id).bind(&event.id)
                .bind(event.kind.as_str()).bind(event.occurred_at)
                .execute(&mut *tx).await.map_err(map_error)?;
            tx.commit().await.map_err(map_error)
        })?;
        self.queued();
        Ok(message_id)
    }

    async fn release_lapsed_leases(&self, node: &str, now: i64) -> StoreResult<u64> {
        type Lapsed = (String, String, String, i64, Option<i64>);
        let lapsed: Vec<Lapsed> = on_pool!(self, pool => sqlx::query_as(LAPSED)
            .bind(now).bind(now - NODE_STALE_MS).bind(node).fetch_all(pool).await.map_err(map_error))?;
        if lapsed.is_empty() {
            return Ok(0);
        }
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            let mut released = 0;
            for (message_id, tenant_id, owner, attempts, leased_at) in &lapsed {
                // Only the node that changes the lease records its attempt, once.
                let changed = sqlx::query(
                    "UPDATE webhook_messages SET lease_owner = NULL, lease_until = NULL, leased_at = NULL,
                     attempts = attempts + 1, cycle_attempts = cycle_attempts + 1, last_outcome = $1
                     WHERE id = $2 AND lease_owner = $3")
                    .bind(Code::AttemptInterrupted.as_str()).bind(message_id).bind(owner)
                    .execute(&mut *tx).await.map_err(map_error)?.rows_affected();
                if changed == 0 {
                    continue;
                }
                let started_at = leased_at.unwrap_or(now);
                let interrupted = Attempt {
                    id: intelliauth_core::ids::new_id("att"),
                    message_id: message_id.clone(),
                    number: attempts + 1,
                    started_at,
                    latency_ms: now - started_at,
                    outcome: Code::AttemptInterrupted,
                    http_status: None,
                    response_excerpt: None,
                    error: Some("the node sending this attempt stopped before recording an answer".into()),
                    node: owner.split(':').next().unwrap_or(owner).to_owned(),
                };
                insert_attempt!(tx, &interrupted);
                let hour = crate::log_queries::hour_of(started_at);
                count_in_hour!(tx, tenant_id, hour, "webhook.attempt", Code::AttemptInterrupted.as_str(), 1_i64);
                released += 1;
            }
            tx.commit().await.map_err(map_error)?;
            Ok::<_, StoreError>(released)
        })
    }

    async fn claim_messages(
        &self,
        lease_owner: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
        per_subscription: i64,
    ) -> StoreResult<Vec<Claimed>> {
        let claim = match self.db {
            Db::Postgres(_) => claim_sql().replace("/*lock*/", "FOR UPDATE OF m SKIP LOCKED"),
            Db::Sqlite(_) => claim_sql(),
        };
        let taken = touched!(
            self,
            sqlx::query(&claim)
                .bind(lease_owner)
                .bind(lease_until)
                .bind(now)
                .bind(limit)
                .bind(per_subscription)
                .bind(true)
                .bind(limit * CANDIDATES_PER_SLOT)
                .bind(now - NODE_STALE_MS)
        )?;
        if !taken {
            return Ok(Vec::new());
        }
        fetch_all_as!(self, claimed, sqlx::query(CLAIMED).bind(lease_owner))
    }

    async fn heartbeat(&self, node: &str, now: i64) -> StoreResult<()> {
        // Nodes gone long ago are forgotten by `prune_expired`.
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO webhook_nodes (node, seen_at) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET seen_at = $2")
            .bind(node).bind(now).execute(pool).await.map(|_| ()).map_err(map_error))
    }

    async fn record_attempts(&self, made: &[MadeAttempt<'_>]) -> StoreResult<Vec<bool>> {
        on_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(map_error)?;
            let mut held = Vec::with_capacity(made.len());
            // Attempts per (tenant, hour, observation), counted with one statement each.
            let mut counts: std::collections::BTreeMap<(String, i64, &str), i64> = Default::default();
            for MadeAttempt { lease_owner, attempt, next } in made {
                let (status, next_attempt_at, finished_at, outcome) = match next {
                    NextStep::Delivered => ("delivered", None, Some(attempt.started_at + attempt.latency_ms), attempt.outcome),
                    NextStep::RetryAt(at) => ("pending", Some(*at), None, attempt.outcome),
                    NextStep::Dead => ("dead", None, Some(attempt.started_at + attempt.latency_ms), Code::DlqMaxAttempts),
                };
                // The message's tenant comes back for the counts and the dead letter's entry.
                let tenant: Option<(String,)> = sqlx::query_as(
                    "UPDATE webhook_messages SET status = $1, next_attempt_at = $2, finished_at = $3, last_outcome = $4,
                     attempts = attempts + 1, cycle_attempts = cycle_attempts + 1, lease_owner = NULL, lease_until = NULL,
                     leased_at = NULL
                     WHERE id = $5 AND lease_owner = $6 RETURNING tenant_id")
                    .bind(status).bind(next_attempt_at).bind(finished_at).bind(outcome.as_str())
                    .bind(&attempt.message_id).bind(*lease_owner)
                    .fetch_optional(&mut *tx).await.map_err(map_error)?;
                held.push(tenant.is_some());
                let Some((tenant_id,)) = tenant else { continue };
                insert_attempt!(tx, attempt);
                if *next == NextStep::Dead {
                    // The dead letter is an entry of its tenant's log, with the message it names.
                    let details = serde_json::json!({ "message_id": attempt.message_id, "attempts": attempt.number,
                                                      "last_outcome": attempt.outcome });
                    let entry = intelliauth_core::log::LogEntry::new(&tenant_id, "webhook.dead_lettered", Code::DlqMaxAttempts.as_str(), details)
                        .at(attempt.started_at + attempt.latency_ms);
                    append_log!(tx, &entry);
                }
                // Counted for the console's charts (deliveries by observation), without a log row each.
                let hour = crate::log_queries::hour_of(attempt.started_at);
                *counts.entry((tenant_id, hour, attempt.outcome.as_str())).or_default() += 1;
            }
            for ((tenant_id, hour, code), count) in &counts {
                count_in_hour!(tx, tenant_id, *hour, "webhook.attempt", *code, *count);
            }
            tx.commit().await.map_err(map_error)?;
            Ok::<_, StoreError>(held)
        })
    }

    async fn list_messages(
        &self,
        tenant_id: &str,
        subscription_id: Option<&str>,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Message>> {
        // Optional filters as "($n IS NULL OR column = $n)" keep one SQL text for every combination.
        fetch_all_as!(
            self,
            message,
            sqlx::query(
                "SELECT * FROM webhook_messages WHERE tenant_id = $1
                 AND ($2 = '' OR subscription_id = $2) AND ($3 = '' OR status = $3) AND ($4 = '' OR event_type = $4)
                 AND ($5 = '' OR id < $5) AND ($7 = '' OR event_id = $7) AND ($8 = '' OR last_outcome = $8)
                 ORDER BY id DESC LIMIT $6"
            )
            .bind(tenant_id)
            .bind(subscription_id.unwrap_or(""))
            .bind(filter.status.map(MessageStatus::as_str).unwrap_or(""))
            .bind(filter.event_type.as_deref().unwrap_or(""))
            .bind(page.after.as_deref().unwrap_or(""))
            .bind(i64::from(page.limit))
            .bind(filter.event_id.as_deref().unwrap_or(""))
            .bind(filter.outcome.map_or("", Code::as_str))
        )
    }

    async fn get_message(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Message>> {
        fetch_one_as!(
            self,
            message,
            sqlx::query("SELECT * FROM webhook_messages WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn message_attempts(&self, message_id: &str) -> StoreResult<Vec<Attempt>> {
        fetch_all_as!(
            self,
            attempt,
            sqlx::query("SELECT * FROM webhook_attempts WHERE message_id = $1 ORDER BY number").bind(message_id)
        )
    }

    async fn replay_message(&self, tenant_id: &str, id: &str, now: i64) -> StoreResult<bool> {
        let replayed = touched!(
            self,
            sqlx::query(
                "UPDATE webhook_messages SET status = 'pending', cycle_attempts = 0, next_attempt_at = $1, finished_at = NULL
                 WHERE tenant_id = $2 AND id = $3 AND status <> 'pending'"
            )
            .bind(now)
            .bind(tenant_id)
            .bind(id)
        )?;
        if replayed {
            self.queued();
        }
        Ok(replayed)
    }

    async fn replay_dead_messages(&self, tenant_id: &str, since: i64, now: i64) -> StoreResult<u64> {
        let replayed = on_pool!(self, pool => sqlx::query(
            "UPDATE webhook_messages SET status = 'pending', cycle_attempts = 0, next_attempt_at = $1, finished_at = NULL
             WHERE tenant_id = $2 AND status = 'dead' AND finished_at >= $3")
            .bind(now).bind(tenant_id).bind(since)
            .execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))?;
        if replayed > 0 {
            self.queued();
        }
        Ok(replayed)
    }

    async fn queue_stats(&self) -> StoreResult<QueueStats> {
        let (pending, oldest): (i64, Option<i64>) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM webhook_messages WHERE status = 'pending'")
            .fetch_one(pool).await.map_err(map_error))?;
        Ok(QueueStats { pending, oldest_pending_created_at: oldest })
    }

    async fn prune_finished(&self, before: i64) -> StoreResult<u64> {
        let messages = on_pool!(self, pool => sqlx::query(
            "DELETE FROM webhook_messages WHERE status <> 'pending' AND finished_at < $1")
            .bind(before).execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))?;
        let events = on_pool!(self, pool => sqlx::query(
            "DELETE FROM events WHERE occurred_at < $1
             AND NOT EXISTS (SELECT 1 FROM webhook_messages m WHERE m.event_id = events.id)")
            .bind(before).execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))?;
        Ok(messages + events)
    }
}
