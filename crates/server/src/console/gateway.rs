//! `/console/api/v1/…`: how the console's browser code reaches the management API. The
//! request is rewritten, before routing, to the `/v1/…` route it names, authenticated by
//! the admin's access token from the sealed session cookie. So the console can do exactly
//! what that admin's token may do, no more: roles and step-up are the API's, not the UI's.

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};

use super::session::{self, Session};
use crate::state::AppState;

pub const PREFIX: &str = "/console/api/";
/// Where a refused request is routed, so the refusal is rendered like any error.
pub const REFUSED_SESSION: &str = "/console/refused/session";
pub const REFUSED_CSRF: &str = "/console/refused/csrf";
/// The header carrying the session's CSRF token on every change.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Rewrites console API requests; every other request passes untouched.
pub async fn rewrite(State(state): State<AppState>, mut request: Request) -> Request {
    let Some(rest) = request.uri().path().strip_prefix(PREFIX).map(str::to_owned) else { return request };
    if !rest.starts_with("v1/") {
        return request;
    }
    // Only the session authenticates: a bearer token sent along is not the console's.
    request.headers_mut().remove(header::AUTHORIZATION);
    let target = match admit(&state, &request) {
        Ok(session) => {
            if let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", session.access_token)) {
                request.headers_mut().insert(header::AUTHORIZATION, value);
            }
            format!("/{rest}")
        }
        Err(refused) => refused.to_owned(),
    };
    request.headers_mut().remove(header::COOKIE);
    let target = match request.uri().query() {
        Some(query) => format!("{target}?{query}"),
        None => target,
    };
    match target.parse() {
        Ok(uri) => *request.uri_mut() = uri,
        Err(_) => *request.uri_mut() = axum::http::Uri::from_static(REFUSED_SESSION),
    }
    request
}

/// The session behind the request, or where its refusal is rendered: a live session for
/// any request, and for a change also its CSRF token and a same-origin `Origin`.
fn admit(state: &AppState, request: &Request) -> Result<Session, &'static str> {
    let headers = request.headers();
    let session = session::read_session(state, headers).ok_or(REFUSED_SESSION)?;
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe {
        return Ok(session);
    }
    let presented = headers.get(CSRF_HEADER).and_then(|value| value.to_str().ok());
    let public_origin = public_origin(state);
    let same_origin = match headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) {
        Some(origin) => origin == public_origin,
        // Browsers send Origin on every cross-origin change; one without it is not a
        // cross-site form, and the CSRF token still has to match.
        None => true,
    };
    if same_origin && session.csrf_matches(presented) {
        Ok(session)
    } else {
        Err(REFUSED_CSRF)
    }
}

/// `scheme://host[:port]` of the server's public URL, as browsers send it in `Origin`.
pub fn public_origin(state: &AppState) -> String {
    let public_url = &state.settings.public_url;
    crate::cors::origin_of(public_url).unwrap_or_else(|| public_url.trim_end_matches('/').to_owned())
}
