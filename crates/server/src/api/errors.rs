//! `GET /v1/errors`: the catalogue, public and unauthenticated.

use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// One catalogue entry.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)] // the body is built by `intelliauth_catalogue::catalogue_json`
pub struct CatalogueEntry {
    code: String,
    family: String,
    /// `null` for webhook observations, which are never responses.
    http_status: Option<u16>,
    /// The default message sent with the code.
    message: String,
    /// Whether `message` is meant to be shown to end users.
    user_visible: bool,
    /// The seed document's copy column, verbatim.
    seed_copy: String,
    advice: String,
    retryable: bool,
    /// `header` (Retry-After) or `details_retry_after_s`.
    retry_after: Option<String>,
    topic: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
pub struct Catalogue {
    codes: Vec<CatalogueEntry>,
}

#[utoipa::path(get, path = "/v1/errors", tag = "errors", responses((status = 200, body = Catalogue)))]
pub async fn catalogue() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "public, max-age=300")], Json(intelliauth_catalogue::catalogue_json()))
}
