//! The start page, liveness, readiness and metrics endpoints.

use std::time::Duration;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use intelliauth_core::Error;
use serde_json::json;

use crate::error::ApiResult;
use crate::state::AppState;

/// Up as long as the process serves HTTP, whatever the database does.
pub async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// Ready when the database answers within a second. Where rate limits are counted is
/// detail, not readiness: without Redis a node still serves, with per-node limits.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    match tokio::time::timeout(Duration::from_secs(1), state.management.store().ping()).await {
        Ok(Ok(())) => Ok(Json(json!({ "status": "ready", "rate_limits": state.rate_limits.mode() }))),
        Ok(Err(error)) => Err(Error::unavailable(error.to_string()).with_detail("database", "unreachable").into()),
        Err(_) => Err(Error::unavailable("database ping timed out").with_detail("database", "unreachable").into()),
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Queue figures come from the database; without it the rest of the metrics still answer.
    if let Ok(stats) = state.management.webhook_queue_stats().await {
        let age_ms = stats.oldest_pending_created_at.map_or(0, |at| (intelliauth_core::ids::now_ms() - at).max(0));
        state.metrics.set_webhook_queue(stats.pending, std::time::Duration::from_millis(age_ms as u64));
    }
    if let Ok(counts) = state.management.password_schemes().await {
        state.metrics.set_password_hashes(&counts);
    }
    state.metrics.set_limits_shared(state.rate_limits.are_shared());
    ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], state.metrics.encode())
}

/// What this server is and where to go next; error pages link here.
pub async fn index(State(state): State<AppState>) -> impl IntoResponse {
    let base = state.settings.public_url.as_str();
    Json(json!({
        "name": "IntelliAuth",
        "version": env!("CARGO_PKG_VERSION"),
        "links": {
            "management_api": format!("{base}/v1/tenants"),
            "openapi": format!("{base}/v1/openapi.json"),
            "errors": format!("{base}/v1/errors"),
            "health": format!("{base}/healthz"),
            "readiness": format!("{base}/readyz"),
            "metrics": format!("{base}/metrics"),
        }
    }))
}
