//! Checks at the door: what every request must satisfy before it is routed (header size and
//! count, a method we serve, no NUL byte in the path or query), each refused with a
//! catalogue error so no handler or database ever sees such a request.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, Response, StatusCode};
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::Error;

use crate::error::ApiError;

/// The most header fields a request may carry. hyper is configured to read more
/// (`serve::HYPER_MAX_HEADERS`) so that this refusal has our envelope.
pub const MAX_HEADER_COUNT: usize = 100;
/// The most bytes of header names and values a request may carry.
pub const MAX_HEADER_BYTES: usize = 64 * 1024;
/// The methods any route serves; others get 405 with this `Allow`.
pub const SERVED_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

/// `Err` with the refusal when the request may not go further.
pub fn check(request: &Request) -> Result<(), ApiError> {
    let headers = request.headers();
    let header_bytes: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len()).sum();
    if headers.len() > MAX_HEADER_COUNT || header_bytes > MAX_HEADER_BYTES {
        let mut fields = FieldErrors::new();
        fields.add("headers", format!("must be at most {MAX_HEADER_COUNT} fields and {MAX_HEADER_BYTES} bytes in all"));
        return Err(ApiError::with_status(Error::validation(fields), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE));
    }
    if !is_served(request.method()) {
        return Err(method_not_allowed(request.method().as_str()));
    }
    // PostgreSQL cannot store NUL in text, and no identifier or filter of ours contains one.
    let uri = request.uri();
    for (part, text) in [("path", uri.path()), ("query", uri.query().unwrap_or_default())] {
        if text.as_bytes().windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0') {
            let mut fields = FieldErrors::new();
            fields.add(part, "must not contain a NUL byte (%00)");
            return Err(Error::validation(fields).into());
        }
    }
    Ok(())
}

fn is_served(method: &Method) -> bool {
    [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS]
        .contains(method)
}

/// 405 for a method a route does not serve (RFC 9110 §15.5.6), with the catalogue body.
pub fn method_not_allowed(method: &str) -> ApiError {
    let mut fields = FieldErrors::new();
    fields.add("method", format!("{} is not allowed here", method.chars().take(32).collect::<String>()));
    ApiError::with_status(Error::validation(fields), StatusCode::METHOD_NOT_ALLOWED)
}

/// Headers every response carries, whoever built it. A 405 on a route gets the route's own
/// `Allow` from the router after this middleware; only a path no route matches gets the
/// list of methods any route serves.
pub fn harden<B>(response: &mut Response<B>, matched_route: bool) {
    let refused_method = response.status() == StatusCode::METHOD_NOT_ALLOWED;
    let headers = response.headers_mut();
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if refused_method && !matched_route && !headers.contains_key(header::ALLOW) {
        headers.insert(header::ALLOW, HeaderValue::from_static(SERVED_METHODS));
    }
}
