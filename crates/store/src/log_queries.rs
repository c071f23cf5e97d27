//! The tenant log's queries: entries written by the outbox (or alone), listed and counted.

use async_trait::async_trait;
use intelliauth_core::ids::time_floor;
use intelliauth_core::log::{LogCount, LogEntry, LogFilter, LogStore, HOUR_MS};
use intelliauth_core::page::PageRequest;
use intelliauth_core::ports::{StoreError, StoreResult};

use crate::rows::{json_column, Columns};
use crate::{map_error, on_pool, SqlStore};

/// How far an entry's id (made when it is written) may lie from its `occurred_at`.
const ID_TIME_SLACK_MS: i64 = 15 * 60 * 1000;
/// Sorts after every `log_…` id (`~` after every hex digit).
const AFTER_EVERY_ID: &str = "log_~";

/// Entries one SQLite INSERT writes at most (12 parameters each, well under its limit).
const ROWS_PER_INSERT: usize = 50;
const COLUMNS: usize = 12;

/// Writes a batch of entries on a transaction, the cheapest way each backend has.
pub(crate) trait WriteEntries {
    async fn write_entries(&mut self, entries: &[LogEntry]) -> sqlx::Result<()>;
}

/// PostgreSQL: one INSERT of twelve column arrays, however many entries — one statement to
/// bind and plan instead of a 600-parameter one per fifty entries.
const INSERT_COLUMNS: &str = "INSERT INTO tenant_log (id, tenant_id, occurred_at, type, code, request_id, user_id, \
    client_id, ip, user_agent, actor, details) SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[], \
    $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[])";

impl WriteEntries for sqlx::Transaction<'_, sqlx::Postgres> {
    async fn write_entries(&mut self, entries: &[LogEntry]) -> sqlx::Result<()> {
        let text = |pick: fn(&LogEntry) -> &String| entries.iter().map(pick).collect::<Vec<_>>();
        let optional = |pick: fn(&LogEntry) -> &Option<String>| entries.iter().map(pick).collect::<Vec<_>>();
        sqlx::query(INSERT_COLUMNS)
            .bind(text(|entry| &entry.id))
            .bind(text(|entry| &entry.tenant_id))
            .bind(entries.iter().map(|entry| entry.occurred_at).collect::<Vec<_>>())
            .bind(text(|entry| &entry.kind))
            .bind(text(|entry| &entry.code))
            .bind(optional(|entry| &entry.request_id))
            .bind(optional(|entry| &entry.user_id))
            .bind(optional(|entry| &entry.client_id))
            .bind(optional(|entry| &entry.ip))
            .bind(optional(|entry| &entry.user_agent))
            .bind(optional(|entry| &entry.actor))
            .bind(entries.iter().map(|entry| entry.details.to_string()).collect::<Vec<_>>())
            .execute(&mut **self)
            .await
            .map(drop)
    }
}

/// SQLite: multi-row INSERTs of up to [`ROWS_PER_INSERT`] entries with anonymous `?`
/// placeholders — binding a numbered one (`$n`) looks its name up in a list of all of them,
/// so a 600-parameter statement bound in quadratic time (seen in a profile of the token
/// endpoint under load).
impl WriteEntries for sqlx::Transaction<'_, sqlx::Sqlite> {
    async fn write_entries(&mut self, entries: &[LogEntry]) -> sqlx::Result<()> {
        for chunk in entries.chunks(ROWS_PER_INSERT) {
            let mut query = sqlx::query(insert_rows(chunk.len()));
            for entry in chunk {
                query = query
                    .bind(&entry.id)
                    .bind(&entry.tenant_id)
                    .bind(entry.occurred_at)
                    .bind(&entry.kind)
                    .bind(&entry.code)
                    .bind(&entry.request_id)
                    .bind(&entry.user_id)
                    .bind(&entry.client_id)
                    .bind(&entry.ip)
                    .bind(&entry.user_agent)
                    .bind(&entry.actor)
                    .bind(entry.details.to_string());
            }
            query.execute(&mut **self).await?;
        }
        Ok(())
    }
}

/// SQLite's INSERT of `rows` entries (1 ..= [`ROWS_PER_INSERT`]), built once per size so
/// each is one prepared statement.
fn insert_rows(rows: usize) -> &'static str {
    use std::sync::OnceLock;
    static TEXTS: [OnceLock<String>; ROWS_PER_INSERT] = [const { OnceLock::new() }; ROWS_PER_INSERT];
    let rows = rows.clamp(1, ROWS_PER_INSERT);
    TEXTS[rows - 1].get_or_init(|| {
        let row = format!("({})", ["?"; COLUMNS].join(", "));
        format!(
            "INSERT INTO tenant_log (id, tenant_id, occurred_at, type, code, request_id, user_id, client_id, ip, \
             user_agent, actor, details) VALUES {}",
            vec![row; rows].join(", ")
        )
    })
}

/// Adds `$6` to the count of a (tenant, hour, type, code) in one of its shards.
pub(crate) const COUNT_IN_HOUR: &str = "INSERT INTO tenant_log_hours (tenant_id, hour, type, code, shard, count)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT (tenant_id, hour, type, code, shard) DO UPDATE SET count = tenant_log_hours.count + excluded.count";

/// The start of the hour `at` falls in.
pub(crate) fn hour_of(at: i64) -> i64 {
    at - at.rem_euclid(HOUR_MS)
}

/// How many of `entries` fall in each (tenant, hour, type, code).
pub(crate) fn hourly_groups(entries: &[LogEntry]) -> std::collections::BTreeMap<(&str, i64, &str, &str), i64> {
    let mut groups = std::collections::BTreeMap::new();
    for entry in entries {
        let key = (entry.tenant_id.as_str(), hour_of(entry.occurred_at), entry.kind.as_str(), entry.code.as_str());
        *groups.entry(key).or_insert(0) += 1;
    }
    groups
}

/// Rows an hour's count is spread over.
const SHARDS: u64 = 8;

/// A shard for the next count: concurrent transactions mostly land on different rows.
pub(crate) fn shard() -> i64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    (NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS) as i64
}

fn entry(row: &impl Columns) -> sqlx::Result<LogEntry> {
    Ok(from_columns!(row => LogEntry {
        text: id, tenant_id, code;
        int: occurred_at;
        opt_text: request_id, user_id, client_id, ip, user_agent, actor;
    } and {
        kind: row.text("type")?,
        details: json_column(row, "details")?,
    }))
}

fn count(row: &impl Columns) -> sqlx::Result<LogCount> {
    Ok(LogCount { bucket: row.int("hour")?, kind: row.text("type")?, code: row.text("code")?, count: row.int("n")? })
}

#[async_trait]
impl LogStore for SqlStore {
    async fn append_logs(&self, entries: &[LogEntry]) -> StoreResult<()> {
        let error = match self.write_log_batch(entries).await {
            Err(error @ StoreError::Internal(_)) => error,
            written => return written,
        };
        // A tenant deleted while its entries waited in the queue took its log with it, and
        // the foreign key refuses its entries: they go too, the other tenants' are written.
        let mut gone = Vec::new();
        for tenant_id in entries.iter().map(|entry| entry.tenant_id.as_str()).collect::<std::collections::BTreeSet<_>>()
        {
            let found = on_pool!(self, pool => sqlx::query("SELECT 1 FROM tenants WHERE id = $1").bind(tenant_id)
                .fetch_optional(pool).await.map(|row| row.is_some()).map_err(map_error))?;
            if !found {
                gone.push(tenant_id);
            }
        }
        if gone.is_empty() {
            return Err(error);
        }
        let kept: Vec<LogEntry> =
            entries.iter().filter(|entry| !gone.contains(&entry.tenant_id.as_str())).cloned().collect();
        self.write_log_batch(&kept).await
    }

    async fn list_log(&self, tenant_id: &str, filter: &LogFilter, page: &PageRequest) -> StoreResult<Vec<LogEntry>> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        fetch_all_as!(
            self,
            entry,
            sqlx::query(
                "SELECT * FROM tenant_log WHERE tenant_id = $1
                 AND ($2 = '' OR request_id = $2) AND ($3 = '' OR user_id = $3) AND ($4 = '' OR client_id = $4)
                 AND ($5 = '' OR type = $5) AND ($6 = '' OR code = $6)
                 AND occurred_at >= $7 AND occurred_at <= $8 AND ($9 = '' OR id < $9)
                 AND id >= $11 AND id < $12
                 ORDER BY id DESC LIMIT $10"
            )
            .bind(tenant_id)
            .bind(text(&filter.request_id))
            .bind(text(&filter.user_id))
            .bind(text(&filter.client_id))
            .bind(text(&filter.kind))
            .bind(text(&filter.code))
            .bind(filter.from.unwrap_or(i64::MIN))
            .bind(filter.to.unwrap_or(i64::MAX))
            .bind(page.after.clone().unwrap_or_default())
            .bind(i64::from(page.limit))
            // The same bounds on the id's time, which the key is ordered by: an entry's id
            // is made within moments of what it records (an Action's run, a webhook
            // attempt: seconds), never [`ID_TIME_SLACK_MS`] away.
            .bind(filter.from.map_or_else(String::new, |from| time_floor("log", from.saturating_sub(ID_TIME_SLACK_MS))))
            .bind(
                filter.to.map_or_else(
                    || AFTER_EVERY_ID.to_owned(),
                    |to| time_floor("log", to.saturating_add(ID_TIME_SLACK_MS))
                )
            )
        )
    }

    async fn log_entry(&self, tenant_id: &str, id: &str) -> StoreResult<Option<LogEntry>> {
        fetch_one_as!(
            self,
            entry,
            sqlx::query("SELECT * FROM tenant_log WHERE tenant_id = $1 AND id = $2").bind(tenant_id).bind(id)
        )
    }

    async fn hourly_counts(&self, tenant_id: &str, from: i64, to: i64) -> StoreResult<Vec<LogCount>> {
        fetch_all_as!(
            self,
            count,
            sqlx::query(
                "SELECT hour, type, code, CAST(SUM(count) AS BIGINT) AS n FROM tenant_log_hours
                 WHERE tenant_id = $1 AND hour >= $2 AND hour < $3
                 GROUP BY hour, type, code ORDER BY hour, type, code"
            )
            .bind(tenant_id)
            .bind(hour_of(from))
            .bind(to)
        )
    }

    async fn prune_log(&self, tenant_id: &str, before: i64, batch: i64) -> StoreResult<u64> {
        // In batches, each its own short statement, so pruning a month never holds the
        // writers of new entries for long.
        let deleted = on_pool!(self, pool => sqlx::query(
            "DELETE FROM tenant_log WHERE tenant_id = $1 AND id IN
             (SELECT id FROM tenant_log WHERE tenant_id = $1 AND id < $2 ORDER BY id LIMIT $3)")
            .bind(tenant_id).bind(time_floor("log", before)).bind(batch)
            .execute(pool).await.map(|done| done.rows_affected()).map_err(map_error))?;
        on_pool!(self, pool => sqlx::query("DELETE FROM tenant_log_hours WHERE tenant_id = $1 AND hour + $3 <= $2")
            .bind(tenant_id).bind(before).bind(HOUR_MS)
            .execute(pool).await.map(|_| ()).map_err(map_error))?;
        Ok(deleted)
    }
}

impl SqlStore {
    /// Writes `entries` and their rollup counts in one transaction.
    async fn write_log_batch(&self, entries: &[LogEntry]) -> StoreResult<()> {
        on_pool!(self, pool => async {
            let mut tx = pool.begin().await.map_err(map_error)?;
            append_logs!(tx, entries);
            tx.commit().await.map_err(map_error)
        }.await)
    }
}
