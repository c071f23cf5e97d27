//! The transactional outbox: a change and the events it causes commit together.
//!
//! Each event is stored once and fanned out, in the same transaction, into one pending
//! webhook message per enabled subscription that wants its type. Delivery workers only
//! ever read messages, so nothing between the change and the receiver can lose an event.

/// Writes tenant log entries on `$tx` (see `log_queries::WriteEntries`) and counts them in
/// their hours' rollup, one upsert per (tenant, hour, type, code): a batch of a hundred issued
/// tokens costs a few statements, not two hundred.
macro_rules! append_logs {
    ($tx:ident, $entries:expr) => {{
        let entries: &[intelliauth_core::log::LogEntry] = $entries;
        $crate::log_queries::WriteEntries::write_entries(&mut $tx, entries).await.map_err($crate::map_error)?;
        for ((tenant_id, hour, kind, code), count) in $crate::log_queries::hourly_groups(entries) {
            count_in_hour!($tx, tenant_id, hour, kind, code, count);
        }
    }};
}

/// Adds `$count` to the tenant log's hourly rollup of (`$tenant_id`, `$hour`, `$kind`, `$code`).
macro_rules! count_in_hour {
    ($tx:ident, $tenant_id:expr, $hour:expr, $kind:expr, $code:expr, $count:expr) => {
        sqlx::query($crate::log_queries::COUNT_IN_HOUR)
            .bind($tenant_id)
            .bind($hour)
            .bind($kind)
            .bind($code)
            .bind($crate::log_queries::shard())
            .bind($count)
            .execute(&mut *$tx)
            .await
            .map_err($crate::map_error)?
    };
}

/// Writes one tenant log entry on `$tx` and counts it in its hour's rollup.
macro_rules! append_log {
    ($tx:ident, $entry:expr) => {{
        let entry: &intelliauth_core::log::LogEntry = $entry;
        append_logs!($tx, std::slice::from_ref(entry));
    }};
}

/// Stores `$event` on `$tx`, records it in the tenant log, and queues it for the
/// subscriptions that want it.
macro_rules! append_event {
    ($tx:ident, $event:expr) => {{
        let event: &intelliauth_core::events::Event = $event;
        append_log!($tx, &intelliauth_core::log::LogEntry::for_event(event));
        sqlx::query("INSERT INTO events (id, tenant_id, type, occurred_at, data) VALUES ($1, $2, $3, $4, $5)")
            .bind(&event.id)
            .bind(&event.tenant_id)
            .bind(event.kind.as_str())
            .bind(event.occurred_at)
            .bind(event.data.to_string())
            .execute(&mut *$tx)
            .await
            .map_err($crate::map_error)?;
        sqlx::query($crate::outbox::FAN_OUT)
            .bind(&event.id)
            .bind(event.kind.as_str())
            .bind(event.occurred_at)
            .bind(&event.tenant_id)
            .bind(true)
            .bind(format!("%,{},%", event.kind.as_str()))
            .execute(&mut *$tx)
            .await
            .map_err($crate::map_error)?;
    }};
}

/// Runs `$body` in a transaction on `$tx`. The body evaluates to `(value, changed)`;
/// when `changed`, `$events` are appended before the commit. After a commit that queued
/// events, the local delivery worker is woken so it need not wait for its next poll.
macro_rules! in_outbox {
    ($store:expr, $events:expr, $tx:ident => $body:block) => {{
        let events: &[intelliauth_core::events::Event] = $events;
        let outcome = $crate::on_pool!($store, pool => async {
            let mut $tx = pool.begin().await.map_err($crate::map_error)?;
            let (value, changed) = $body;
            if changed {
                for event in events {
                    append_event!($tx, event);
                }
            }
            $tx.commit().await.map_err($crate::map_error)?;
            Ok::<_, intelliauth_core::ports::StoreError>((value, changed && !events.is_empty()))
        }
        .await);
        outcome.map(|(value, queued)| {
            if queued {
                $store.queued();
            }
            value
        })
    }};
}

/// One message per enabled subscription of the tenant that wants this event type
/// (`event_types` is `*` or a comma-delimited list with leading and trailing commas).
/// The message id joins the event's and the subscription's ids, so it is unique and
/// sorts by event time.
pub(crate) const FAN_OUT: &str = "INSERT INTO webhook_messages
    (id, tenant_id, subscription_id, event_id, event_type, status, attempts, cycle_attempts, next_attempt_at, created_at)
    SELECT 'msg_' || substr($1, 5) || '_' || substr(s.id, 5), s.tenant_id, s.id, $1, $2, 'pending', 0, 0, $3, $3
    FROM webhook_subscriptions s
    WHERE s.tenant_id = $4 AND s.enabled = $5 AND (s.event_types = '*' OR s.event_types LIKE $6)";
