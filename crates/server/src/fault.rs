//! Deliberate failures, mounted only with `fault_injection` on, so tests can prove that
//! a panic or a slow handler is contained.

use std::time::Duration;

use axum::extract::Path;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/__fault/panic", get(panic)).route("/__fault/sleep/{millis}", get(sleep))
}

async fn panic() -> &'static str {
    panic!("deliberate panic from /__fault/panic")
}

async fn sleep(Path(millis): Path<u64>) -> &'static str {
    tokio::time::sleep(Duration::from_millis(millis.min(120_000))).await;
    "slept"
}
