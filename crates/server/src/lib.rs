//! The HTTP layer: routes for the management API and operational endpoints, the
//! extractors that turn requests into domain calls, and the one place where errors become
//! responses (`observe`). Depends on `core` and `catalogue`; knows nothing of SQL.

pub mod api;
mod client_ip;
mod console;
mod cors;
mod docs;
mod door;
mod error;
pub mod extract;
mod fault;
mod health;
pub mod i18n;
pub mod metrics;
mod observe;
mod pages;
pub mod rate_limit;
mod request_id;
mod serve;
mod state;

use std::any::Any;

use axum::middleware::{from_fn_with_state, map_request_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use intelliauth_catalogue::Code;
use intelliauth_core::Error;
use tower_http::catch_panic::CatchPanicLayer;

pub use error::{ApiError, ApiResult};
pub use serve::serve;
pub use state::{AppState, HttpSettings};

/// The whole application: every route behind the shared middleware.
pub fn router(state: AppState) -> Router {
    let mut router = Router::new()
        .route("/", get(health::index))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(api::routes())
        .merge(pages::routes())
        .merge(console::routes())
        .merge(docs::routes());
    if state.settings.fault_injection {
        router = router.merge(fault::routes());
    }
    let routed = router
        .fallback(not_found)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(from_fn_with_state(state.clone(), observe::observe))
        // Outside `observe`, so error responses it renders carry the CORS headers too.
        .layer(from_fn_with_state(state.clone(), cors::cors))
        .with_state(state.clone());
    // The console's API calls are rewritten to the management routes before routing, so
    // the router around `routed` has no routes of its own.
    Router::new().fallback_service(routed).layer(map_request_with_state(state, console::gateway::rewrite))
}

async fn not_found() -> ApiError {
    ApiError::from(Error::new(Code::NotFound).with_detail("resource", "route"))
}

/// A panicking handler becomes `server_error`; the panic message goes to the log only.
fn panic_response(panic: Box<dyn Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|text| text.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".into());
    ApiError::from(Error::internal(format!("handler panicked: {message}"))).into_response()
}
