//! `/docs`: the documentation site, rendered once from the pages embedded in
//! `intelliauth-docs` and served with a strict content security policy (no scripts).

use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use intelliauth_catalogue::Code;
use intelliauth_core::Error;
use intelliauth_docs::{Site, STYLE};

use crate::error::ApiError;
use crate::state::AppState;

const POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(Site::build)
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/docs", get(|| async { page(String::new()) }))
        .route("/docs/", get(|| async { page(String::new()) }))
        .route("/docs/style.css", get(style))
        .route("/docs/{*path}", get(|Path(path): Path<String>| async move { page(path) }))
}

fn page(path: String) -> Result<Response, ApiError> {
    let html = site()
        .html(&path)
        .ok_or_else(|| ApiError::from(Error::new(Code::NotFound).with_detail("resource", "docs page")))?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
    Ok(response)
}

async fn style() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=300")], STYLE)
        .into_response()
}
