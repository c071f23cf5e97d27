//! CORS for the endpoints a single-page application calls from its own origin: discovery
//! and keys for any origin; token, userinfo and revocation for the origins of the tenant's
//! registered redirect and post-logout URIs (as Keycloak's "web origins" derive them).
//! No credentials: SPAs send bearer tokens and form bodies, never the session cookie.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_HEADERS, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use intelliauth_core::page::PageRequest;

use crate::state::AppState;

/// How long a tenant's allowed origins are reused before they are read again.
const ORIGINS_TTL: Duration = Duration::from_secs(30);
const EXPOSED: &str = "www-authenticate, retry-after, x-request-id, dpop-nonce";
const ALLOWED_REQUEST_HEADERS: [&str; 4] = ["authorization", "content-type", "x-request-id", "dpop"];

/// Which requests are cross-origin endpoints, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Exposure {
    /// Public metadata: any origin.
    Public,
    /// Token-bearing endpoints: the tenant's registered origins.
    Registered,
}

/// `(tenant, exposure)` for the paths SPAs call, `None` for every other path.
fn classify(path: &str) -> Option<(&str, Exposure)> {
    let rest = path.strip_prefix("/t/")?;
    let (tenant, endpoint) = rest.split_once('/')?;
    let exposure = match endpoint {
        ".well-known/openid-configuration" | ".well-known/oauth-authorization-server" | ".well-known/jwks.json" => {
            Exposure::Public
        }
        "oauth/token" | "oauth/userinfo" | "oauth/revoke" => Exposure::Registered,
        _ => return None,
    };
    Some((tenant, exposure))
}

/// `scheme://host[:port]` of a URI, as browsers send in `Origin`.
pub(crate) fn origin_of(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && matches!(scheme, "http" | "https")).then(|| format!("{scheme}://{authority}"))
}

/// A tenant's origins and when they were read.
type Loaded = (Instant, Arc<HashSet<String>>);

/// The origins of the tenant's applications, cached briefly.
#[derive(Default, Clone)]
pub struct AllowedOrigins {
    cache: Arc<Mutex<HashMap<String, Loaded>>>,
}

impl AllowedOrigins {
    async fn load(state: &AppState, tenant: &str) -> Arc<HashSet<String>> {
        let mut origins = HashSet::new();
        let mut page = PageRequest { limit: 200, after: None };
        // Read failures allow nothing; the request itself reports the database's state.
        while let Ok(applications) = state.management.store().list_applications(tenant, &page).await {
            for application in &applications {
                let uris = application.redirect_uris.iter().chain(&application.post_logout_redirect_uris);
                origins.extend(uris.filter_map(|uri| origin_of(uri)));
            }
            match applications.last() {
                Some(last) if applications.len() == page.limit as usize => page.after = Some(last.id.clone()),
                _ => break,
            }
        }
        Arc::new(origins)
    }

    /// Whether `origin` is registered in `tenant`. A miss reads again, so an application
    /// registered a moment ago works at once.
    async fn allows(&self, state: &AppState, tenant: &str, origin: &str) -> bool {
        let cached = self.cache.lock().ok().and_then(|cache| cache.get(tenant).cloned());
        if let Some((loaded, origins)) = &cached {
            if loaded.elapsed() < ORIGINS_TTL && origins.contains(origin) {
                return true;
            }
        }
        let origins = Self::load(state, tenant).await;
        let allowed = origins.contains(origin);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() > 10_000 {
                cache.clear();
            }
            cache.insert(tenant.to_owned(), (Instant::now(), origins));
        }
        allowed
    }
}

fn set(headers: &mut HeaderMap, name: axum::http::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// Answers preflights and adds `Access-Control-*` to responses of the SPA-facing endpoints.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let origin = request.headers().get(ORIGIN).and_then(|value| value.to_str().ok()).map(str::to_owned);
    let (Some((tenant, exposure)), Some(origin)) = (classify(&path), origin) else {
        return next.run(request).await;
    };
    let allowed = match exposure {
        Exposure::Public => Some("*".to_owned()),
        Exposure::Registered => state.allowed_origins.allows(&state, tenant, &origin).await.then(|| origin.clone()),
    };
    let preflight = request.method() == Method::OPTIONS;
    let mut response = if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        if allowed.is_some() {
            let headers = response.headers_mut();
            set(headers, ACCESS_CONTROL_ALLOW_METHODS, "GET, POST");
            let requested = request
                .headers()
                .get(ACCESS_CONTROL_REQUEST_HEADERS)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .split(',')
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| ALLOWED_REQUEST_HEADERS.contains(&name.as_str()))
                .collect::<Vec<_>>()
                .join(", ");
            set(headers, ACCESS_CONTROL_ALLOW_HEADERS, &requested);
            set(headers, ACCESS_CONTROL_MAX_AGE, "600");
        }
        response
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    if let Some(allowed) = allowed {
        set(headers, ACCESS_CONTROL_ALLOW_ORIGIN, &allowed);
        set(headers, ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED);
    }
    if exposure == Exposure::Registered {
        headers.append(VARY, HeaderValue::from_static("origin"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_spa_endpoints_are_cross_origin() {
        assert_eq!(classify("/t/acme/oauth/token"), Some(("acme", Exposure::Registered)));
        assert_eq!(classify("/t/acme/.well-known/jwks.json"), Some(("acme", Exposure::Public)));
        assert_eq!(classify("/t/acme/oauth/introspect"), None);
        assert_eq!(classify("/t/acme/login"), None);
        assert_eq!(classify("/v1/tenants"), None);
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(origin_of("http://localhost:3000/callback?x=1").as_deref(), Some("http://localhost:3000"));
        assert_eq!(origin_of("https://app.example.com").as_deref(), Some("https://app.example.com"));
        assert_eq!(origin_of("com.example.app:/callback"), None);
    }
}
