//! Request ids: accepted from a well-formed `X-Request-Id` header or generated.

use axum::http::HeaderMap;

pub const HEADER: &str = "x-request-id";

/// The request's id, in the request's extensions for handlers that record it.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The id for this request. A caller's id is kept only if it is short and plain, so it
/// cannot smuggle anything into logs.
pub fn for_request(headers: &HeaderMap) -> String {
    headers
        .get(HEADER)
        .and_then(|value| value.to_str().ok())
        .filter(|id| {
            !id.is_empty() && id.len() <= 64 && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::now_v7().simple().to_string())
}
