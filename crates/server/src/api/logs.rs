//! `/v1/tenants/{tenant_id}/logs`: the tenant log — entries with filters, one entry, counts
//! for charts — and `/requests/{request_id}`: everything one request decided and caused.

use std::collections::HashMap;

use axum::Json;
use intelliauth_core::ids::rfc3339;
use intelliauth_core::log::{LogCount, LogEntry, LogFilter, DAY_MS};
use intelliauth_core::management::Bucket;
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::{ids, Error};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::actions::ExecutionView;
use super::allowed::{Allowed, Item, LogsRead};
use super::views::{list, ListView};
use super::webhooks::MessageView;
use crate::error::ApiResult;
use crate::extract::Pagination;

#[derive(Serialize, ToSchema)]
pub struct LogEntryView {
    id: String,
    occurred_at: String,
    /// What happened: `user.login.succeeded`, `user.login.failed`, `user.locked`, `user.created`, …
    #[serde(rename = "type")]
    kind: String,
    /// The catalogue code of the outcome (`invalid_credentials`, `account_locked`, …) or `ok`.
    code: String,
    /// The `X-Request-Id` of the request that decided it.
    request_id: Option<String>,
    user_id: Option<String>,
    client_id: Option<String>,
    /// The client's address, as `--trusted-proxies` resolves it.
    ip: Option<String>,
    user_agent: Option<String>,
    /// Who made an admin change: `credential:<id>` or `user:<id>`.
    actor: Option<String>,
    /// The facts of the entry; never a secret, password, code or token.
    #[schema(value_type = Object)]
    details: Value,
}

impl From<&LogEntry> for LogEntryView {
    fn from(entry: &LogEntry) -> Self {
        LogEntryView {
            id: entry.id.clone(),
            occurred_at: rfc3339(entry.occurred_at),
            kind: entry.kind.clone(),
            code: entry.code.clone(),
            request_id: entry.request_id.clone(),
            user_id: entry.user_id.clone(),
            client_id: entry.client_id.clone(),
            ip: entry.ip.clone(),
            user_agent: entry.user_agent.clone(),
            actor: entry.actor.clone(),
            details: entry.details.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogCountView {
    /// The start of the hour or day.
    bucket: String,
    #[serde(rename = "type")]
    kind: String,
    code: String,
    count: i64,
}

impl From<&LogCount> for LogCountView {
    fn from(count: &LogCount) -> Self {
        LogCountView {
            bucket: rfc3339(count.bucket),
            kind: count.kind.clone(),
            code: count.code.clone(),
            count: count.count,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LogCountsView {
    /// `hour` or `day`.
    bucket: String,
    from: String,
    to: String,
    /// Buckets with no entries are left out.
    data: Vec<LogCountView>,
}

#[derive(Serialize, ToSchema)]
pub struct TraceView {
    request_id: String,
    /// The request's decisions, oldest first.
    entries: Vec<LogEntryView>,
    /// The Actions it ran, with their console, error and stack trace.
    action_executions: Vec<ExecutionView>,
    /// The webhook messages of the events it raised, each with its attempts.
    webhook_messages: Vec<MessageView>,
}

/// An RFC 3339 time from the query, as ms, recording a message when it is not one.
fn time_param(params: &HashMap<String, String>, name: &str, errors: &mut FieldErrors) -> Option<i64> {
    let text = params.get(name)?;
    match time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339) {
        Ok(at) => Some((at.unix_timestamp_nanos() / 1_000_000) as i64),
        Err(_) => {
            errors.add(name, "must be an RFC 3339 time such as 2026-12-02T10:00:00Z");
            None
        }
    }
}

/// Newest first. Filters: `request_id`, `user_id`, `client_id`, `type`, `code`, and
/// `from`/`to` (RFC 3339, inclusive).
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/logs", tag = "logs",
    params(("tenant_id" = String, Path), ("request_id" = Option<String>, Query), ("user_id" = Option<String>, Query),
        ("client_id" = Option<String>, Query), ("type" = Option<String>, Query), ("code" = Option<String>, Query),
        ("from" = Option<String>, Query), ("to" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<LogEntryView>)), security(("bearer" = ["logs:read"])))]
pub async fn list_entries(at: Allowed<LogsRead>, pagination: Pagination) -> ApiResult<Json<ListView<LogEntryView>>> {
    let params = &pagination.params;
    let mut errors = FieldErrors::new();
    let filter = LogFilter {
        request_id: params.get("request_id").cloned(),
        user_id: params.get("user_id").cloned(),
        client_id: params.get("client_id").cloned(),
        kind: params.get("type").cloned(),
        code: params.get("code").cloned(),
        from: time_param(params, "from", &mut errors),
        to: time_param(params, "to", &mut errors),
    };
    errors.into_result()?;
    Ok(list(at.state.management.log(at.tenant_id(), filter, pagination.page).await?))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/logs/{log_id}", tag = "logs",
    params(("tenant_id" = String, Path), ("log_id" = String, Path)),
    responses((status = 200, body = LogEntryView)), security(("bearer" = ["logs:read"])))]
pub async fn entry(at: Allowed<LogsRead, Item>) -> ApiResult<Json<LogEntryView>> {
    Ok(Json(LogEntryView::from(&at.state.management.log_entry(at.tenant_id(), at.id()).await?)))
}

/// Counts by type and code per `bucket` (`hour`, the default, or `day`) over `from`..`to`
/// (RFC 3339; the last 24 hours by default; a `from` after `to` is an empty range), read
/// from an hourly rollup.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/log-counts", tag = "logs",
    params(("tenant_id" = String, Path), ("bucket" = Option<String>, Query), ("from" = Option<String>, Query),
        ("to" = Option<String>, Query)),
    responses((status = 200, body = LogCountsView)), security(("bearer" = ["logs:read"])))]
pub async fn counts(at: Allowed<LogsRead>, pagination: Pagination) -> ApiResult<Json<LogCountsView>> {
    let params = &pagination.params;
    let mut errors = FieldErrors::new();
    let bucket_name = params.get("bucket").map_or("hour", String::as_str);
    let bucket = Bucket::parse(bucket_name);
    if bucket.is_none() {
        errors.add("bucket", "must be hour or day");
    }
    let to = time_param(params, "to", &mut errors).unwrap_or_else(ids::now_ms);
    let from = time_param(params, "from", &mut errors).unwrap_or(to - DAY_MS);
    errors.into_result()?;
    let counts = at.state.management.log_counts(at.tenant_id(), from, to, bucket.unwrap_or(Bucket::Hour)).await?;
    Ok(Json(LogCountsView {
        bucket: bucket_name.to_owned(),
        from: rfc3339(from),
        to: rfc3339(to),
        data: counts.iter().map(LogCountView::from).collect(),
    }))
}

/// Everything one request decided and caused: its log entries with their codes, the
/// Actions it ran (with stack traces) and the webhook deliveries of its events.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/requests/{request_id}", tag = "logs",
    params(("tenant_id" = String, Path), ("request_id" = String, Path)),
    responses((status = 200, body = TraceView)), security(("bearer" = ["logs:read"])))]
pub async fn trace(at: Allowed<LogsRead, Item>) -> ApiResult<Json<TraceView>> {
    let trace = at.state.management.trace(at.tenant_id(), at.id()).await?;
    if trace.entries.is_empty() && trace.executions.is_empty() {
        return Err(Error::not_found("request").into());
    }
    let webhook_messages =
        trace.deliveries.iter().map(|(message, attempts)| MessageView::with_attempts(message, attempts)).collect();
    Ok(Json(TraceView {
        request_id: at.id().to_owned(),
        entries: trace.entries.iter().map(LogEntryView::from).collect(),
        action_executions: trace.executions.iter().map(ExecutionView::from).collect(),
        webhook_messages,
    }))
}
