//! Reading the tenant log: entries, one request's whole trace, counts for charts, and
//! pruning past each tenant's retention.

use std::collections::BTreeMap;

use serde_json::Value;

use super::Management;
use crate::actions::{Execution, ExecutionFilter};
use crate::log::{LogCount, LogEntry, LogFilter, DAY_MS, HOUR_MS};
use crate::page::{Page, PageRequest, MAX_LIMIT};
use crate::webhooks::{Attempt, Message, MessageFilter};
use crate::{ids, Error, Result};

/// Everything one request decided and caused, in order.
#[derive(Debug, Clone)]
pub struct Trace {
    pub entries: Vec<LogEntry>,
    pub executions: Vec<Execution>,
    /// The webhook messages of the events the request raised, each with its attempts.
    pub deliveries: Vec<(Message, Vec<Attempt>)>,
}

/// Bucket widths the counts can be asked in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn parse(text: &str) -> Option<Bucket> {
        match text {
            "hour" => Some(Bucket::Hour),
            "day" => Some(Bucket::Day),
            _ => None,
        }
    }

    fn width_ms(self) -> i64 {
        match self {
            Bucket::Hour => HOUR_MS,
            Bucket::Day => DAY_MS,
        }
    }
}

/// The top-level sections of two settings documents that differ, each with its value
/// before and after: what an admin changed, without the sections they left alone.
pub(super) fn changed_sections(before: &Value, after: &Value) -> Value {
    let empty = serde_json::Map::new();
    let (before, after) = (before.as_object().unwrap_or(&empty), after.as_object().unwrap_or(&empty));
    let mut changed = serde_json::Map::new();
    for key in before.keys().chain(after.keys()) {
        let (old, new) = (before.get(key), after.get(key));
        if old != new && !changed.contains_key(key) {
            changed.insert(key.clone(), serde_json::json!({ "before": old, "after": new }));
        }
    }
    Value::Object(changed)
}

/// Entries pruned per statement: short statements leave room for the writers between them.
const PRUNE_BATCH: i64 = 5_000;

impl Management {
    pub async fn log(&self, tenant_id: &str, filter: LogFilter, page: PageRequest) -> Result<Page<LogEntry>> {
        self.tenant(tenant_id).await?;
        let rows = self.log.list_log(tenant_id, &filter, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |entry| &entry.id))
    }

    pub async fn log_entry(&self, tenant_id: &str, id: &str) -> Result<LogEntry> {
        self.tenant(tenant_id).await?;
        self.log.log_entry(tenant_id, id).await?.ok_or_else(|| Error::not_found("log entry"))
    }

    /// The decisions of one request with their codes, oldest first, and the Action
    /// executions and webhook deliveries it caused.
    pub async fn trace(&self, tenant_id: &str, request_id: &str) -> Result<Trace> {
        self.tenant(tenant_id).await?;
        let filter = LogFilter { request_id: Some(request_id.to_owned()), ..LogFilter::default() };
        let page = PageRequest { limit: MAX_LIMIT, after: None };
        let mut entries = self.log.list_log(tenant_id, &filter, &page).await?;
        entries.reverse();
        let executions = match &self.actions {
            Some(actions) => {
                let filter = ExecutionFilter { request_id: Some(request_id.to_owned()), action_id: None };
                let mut rows = actions.store.list_executions(tenant_id, &filter, &page).await?;
                rows.reverse();
                rows
            }
            None => Vec::new(),
        };
        let mut deliveries = Vec::new();
        for event_id in entries.iter().filter_map(|entry| entry.details.get("event_id").and_then(Value::as_str)) {
            let filter = MessageFilter { event_id: Some(event_id.to_owned()), ..MessageFilter::default() };
            for message in self.webhooks.store.list_messages(tenant_id, None, &filter, &page).await? {
                let attempts = self.webhooks.store.message_attempts(&message.id).await?;
                deliveries.push((message, attempts));
            }
        }
        Ok(Trace { entries, executions, deliveries })
    }

    /// Counts by type and code per hour or day over `[from, to)`, from the hourly rollup.
    pub async fn log_counts(&self, tenant_id: &str, from: i64, to: i64, bucket: Bucket) -> Result<Vec<LogCount>> {
        self.tenant(tenant_id).await?;
        let hours = self.log.hourly_counts(tenant_id, from, to).await?;
        let width = bucket.width_ms();
        // Keyed and so ordered by bucket, type and code; a day sums its hours.
        let mut counts: BTreeMap<(i64, String, String), i64> = BTreeMap::new();
        for hour in hours {
            let start = hour.bucket - hour.bucket.rem_euclid(width);
            *counts.entry((start, hour.kind, hour.code)).or_default() += hour.count;
        }
        Ok(counts.into_iter().map(|((bucket, kind, code), count)| LogCount { bucket, kind, code, count }).collect())
    }

    /// Records an admin change once it has committed. A change that raises events is
    /// recorded by them, in its own transaction; these changes raise none, so their entry
    /// follows the commit, and a failure to write it is reported to the operator rather
    /// than to the admin whose change did happen.
    pub async fn record_change(&self, tenant_id: &str, kind: &str, details: Value) {
        self.record_decision(&LogEntry::new(tenant_id, kind, "ok", details)).await;
    }

    /// Records a decision that changed nothing (a refused token request); a failure to
    /// write it is the operator's to see, not the caller's.
    pub async fn record_decision(&self, entry: &LogEntry) {
        crate::log::record(self.log.as_ref(), entry).await;
    }

    /// Deletes each tenant's entries older than its retention, a batch at a time.
    pub async fn prune_logs(&self) -> Result<u64> {
        let now = ids::now_ms();
        let mut deleted = 0;
        let mut page = PageRequest { limit: MAX_LIMIT, after: None };
        loop {
            let tenants = self.store.list_tenants(&page).await?;
            for tenant in &tenants {
                let before = now - i64::from(tenant.settings.log.retention_days) * DAY_MS;
                loop {
                    let batch = self.log.prune_log(&tenant.id, before, PRUNE_BATCH).await?;
                    deleted += batch;
                    if batch < PRUNE_BATCH as u64 {
                        break;
                    }
                }
            }
            match tenants.last() {
                Some(last) if tenants.len() == MAX_LIMIT as usize => page.after = Some(last.id.clone()),
                _ => return Ok(deleted),
            }
        }
    }
}
