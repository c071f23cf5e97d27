//! Cookies of the hosted pages: the per-browser CSRF token and the session. Both are
//! `HttpOnly`, `SameSite=Lax`, scoped to the tenant's path, and `Secure` unless the public
//! URL is plain-http localhost (development).

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

pub const CSRF: &str = "ia_csrf";
pub const SESSION: &str = "ia_session";

/// A cookie's value from the request.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

fn secure(public_url: &str) -> bool {
    !(public_url.starts_with("http://localhost")
        || public_url.starts_with("http://127.0.0.1")
        || public_url.starts_with("http://[::1]"))
}

/// Adds a `Set-Cookie`; `max_age_s: Some(0)` deletes the cookie.
pub fn set(
    headers: &mut HeaderMap,
    public_url: &str,
    tenant_id: &str,
    name: &str,
    value: &str,
    max_age_s: Option<u64>,
) {
    set_at(headers, public_url, &intelliauth_core::paths::TENANT.of(tenant_id), name, value, max_age_s);
}

/// Adds a `Set-Cookie` scoped to `path`; `max_age_s: Some(0)` deletes the cookie.
pub fn set_at(headers: &mut HeaderMap, public_url: &str, path: &str, name: &str, value: &str, max_age_s: Option<u64>) {
    let mut cookie = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age_s {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if secure(public_url) {
        cookie.push_str("; Secure");
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}
