//! `/console`: the admin console, served by this binary. The browser code is static and
//! embedded (no Node step in the build); the server is its OAuth client (authorization
//! code + PKCE against the tenant's own provider, as the built-in `intelliauth-console`
//! client), keeps the admin's token in a sealed HttpOnly cookie, and lets the page reach
//! the management API only through [`gateway`], with a CSRF token on every change.

mod assets;
pub mod gateway;
mod session;
mod shell;

use std::collections::HashMap;

use axum::extract::{Query, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use axum::routing::{any, get, post};
use axum::Router;
use intelliauth_catalogue::Code;
use intelliauth_core::auth::ACR_MULTI_FACTOR;
use intelliauth_core::console::{console_callback, CONSOLE_CLIENT_ID};
use intelliauth_core::{paths, secret, Error};
use intelliauth_oidc::client_auth::Method;
use intelliauth_oidc::{ClientCredentials, TokenRequest};
use serde::Deserialize;

use crate::error::{ApiError, ApiResult};
use crate::extract::FormBody;
use crate::state::AppState;
use session::{Flow, Session};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/console", get(console_page))
        .route("/console/", get(console_page))
        .route("/console/login", get(login))
        .route("/console/callback", get(callback))
        .route("/console/logout", post(logout))
        .route("/console/preview", get(preview))
        .route("/console/assets/{file}", get(assets::serve))
        .route(gateway::REFUSED_SESSION, any(|| async { ApiError::from(Error::new(Code::SessionExpired)) }))
        .route(
            gateway::REFUSED_CSRF,
            any(|| async {
                ApiError::from(
                    Error::new(Code::StateMismatch)
                        .with_message("The console's security check failed. Reload the page and try again.")
                        .with_detail("reason", "the X-CSRF-Token header or the Origin is not this console's"),
                )
            }),
        )
}

async fn console_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let session = session::read_session(&state, &headers);
    shell::render(session.as_ref(), None)
}

#[derive(Deserialize)]
struct LoginQuery {
    tenant: Option<String>,
    /// The console view to come back to, `#/…`.
    #[serde(rename = "return")]
    return_to: Option<String>,
    /// `1`: the API asked for a recent multi-factor sign-in (RFC 9470).
    step_up: Option<String>,
    login_hint: Option<String>,
}

/// Starts signing in to a tenant: a new PKCE verifier, state and nonce in the flow cookie,
/// and off to the tenant's authorization endpoint.
async fn login(
    State(state): State<AppState>,
    Query(query): Query<LoginQuery>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    // The callback comes back to the public URL: start there, so the flow cookie is set
    // for the host that will read it.
    let public_origin = gateway::public_origin(&state);
    let public_host = public_origin.split_once("://").map_or(public_origin.as_str(), |(_, host)| host);
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or(public_host);
    if !host.eq_ignore_ascii_case(public_host) {
        return redirect(&format!("{public_origin}/console/login?{}", raw.unwrap_or_default()));
    }
    let tenant_id = query.tenant.filter(|tenant| !tenant.trim().is_empty()).unwrap_or_else(|| "default".into());
    if let Err(error) = state.management.tenant(&tenant_id).await {
        return shell::render(None, Some(&error));
    }
    let return_to =
        query.return_to.filter(|view| view.starts_with("#/") && view.len() <= 512).unwrap_or_else(|| "#/".into());
    let flow = Flow::start(&tenant_id, &return_to);
    let callback = console_callback(&state.settings.public_url);
    let challenge = flow.challenge();
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", CONSOLE_CLIENT_ID),
        ("redirect_uri", callback.as_str()),
        ("scope", "openid profile email"),
        ("state", flow.state.as_str()),
        ("nonce", flow.nonce.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if query.step_up.as_deref() == Some("1") {
        // A second factor, within the last minute: what `require_step_up` asks for (a
        // multi-factor sign-in under five minutes old), with time left to use it.
        pairs.push(("acr_values", ACR_MULTI_FACTOR));
        pairs.push(("max_age", "60"));
    }
    if let Some(hint) = query.login_hint.as_deref().filter(|hint| hint.len() <= 254) {
        pairs.push(("login_hint", hint));
    }
    let query_string: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let mut response = redirect(&format!("{}?{query_string}", paths::AUTHORIZE.of(&tenant_id)));
    session::write_flow(&state, response.headers_mut(), &flow);
    response
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    catalogue_error: Option<String>,
}

/// The end of signing in: the flow checked, the code exchanged, the admin's role
/// checked, and the session cookie set.
async fn callback(State(state): State<AppState>, Query(query): Query<CallbackQuery>, headers: HeaderMap) -> Response {
    let flow = session::read_flow(&state, &headers)
        .filter(|flow| query.state.as_deref().is_some_and(|presented| session::same_secret(presented, &flow.state)));
    let Some(flow) = flow else {
        return forget_flow(&state, shell::render(None, Some(&Error::new(Code::StateMismatch))));
    };
    if query.error.is_some() {
        let code = query.catalogue_error.as_deref().and_then(Code::parse).unwrap_or(Code::PermissionDenied);
        return forget_flow(&state, shell::render(None, Some(&Error::new(code))));
    }
    match sign_in(&state, &flow, query.code.unwrap_or_default()).await {
        Ok(session) => {
            let mut response = redirect(&format!("/console{}", flow.return_to));
            session::write_session(&state, response.headers_mut(), &session);
            forget_flow(&state, response)
        }
        Err(error) => forget_flow(&state, shell::render(None, Some(&error))),
    }
}

async fn sign_in(state: &AppState, flow: &Flow, code: String) -> Result<Session, Error> {
    let request = TokenRequest {
        grant_type: "authorization_code".into(),
        scope: None,
        audience: None,
        client: ClientCredentials {
            client_id: CONSOLE_CLIENT_ID.into(),
            secret: None,
            assertion: None,
            method: Method::None,
        },
        code: Some(code),
        redirect_uri: Some(console_callback(&state.settings.public_url)),
        code_verifier: Some(flow.verifier.clone()),
        refresh_token: None,
        device_code: None,
        dpop: None,
        exchange: None,
    };
    let tokens = state.oidc.token(&flow.tenant_id, request).await?;
    // The ID token is ours, from this process: its nonce proves the code was issued to
    // the sign-in this browser started, not injected from another.
    let nonce = tokens
        .id_token
        .as_deref()
        .and_then(intelliauth_oidc::jwt::unverified_claims)
        .and_then(|claims| claims["nonce"].as_str().map(str::to_owned));
    if nonce.as_deref() != Some(flow.nonce.as_str()) {
        return Err(Error::new(Code::StateMismatch));
    }
    let caller = crate::extract::admin_caller(state, &tokens.access_token).await.map_err(|failure| failure.error)?;
    let role = caller.assurance.as_ref().map_or("viewer", |assurance| assurance.role.as_str());
    Ok(Session {
        tenant_id: flow.tenant_id.clone(),
        access_token: tokens.access_token,
        id_token: tokens.id_token,
        expires_at_s: session::now_s() + tokens.expires_in as i64,
        csrf: secret::generate(""),
        email: caller.credential.name.clone(),
        role: role.to_owned(),
        instance_admin: caller.credential.tenant_id.is_none(),
    })
}

/// Signs out of the console and, through RP-initiated logout, of the tenant.
async fn logout(State(state): State<AppState>, headers: HeaderMap, form: FormBody) -> ApiResult<Response> {
    let Some(session) = session::read_session(&state, &headers) else { return Ok(redirect("/console")) };
    if !session.csrf_matches(Some(form.get("csrf_token"))) {
        return Err(ApiError::from(Error::new(Code::StateMismatch)));
    }
    let back = format!("{}/console", state.settings.public_url.trim_end_matches('/'));
    let mut pairs = vec![("client_id", CONSOLE_CLIENT_ID), ("post_logout_redirect_uri", back.as_str())];
    if let Some(id_token) = session.id_token.as_deref() {
        pairs.push(("id_token_hint", id_token));
    }
    let query: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    let mut response = redirect(&format!("{}?{query}", paths::END_SESSION.of(&session.tenant_id)));
    session::forget(&state, response.headers_mut(), session::SESSION_COOKIE);
    Ok(response)
}

/// The tenant's sign-in page with the theme being edited, before it is saved.
async fn preview(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let session =
        session::read_session(&state, &headers).ok_or_else(|| ApiError::from(Error::new(Code::SessionExpired)))?;
    let mut tenant = state.management.tenant(&session.tenant_id).await?;
    let theme = &mut tenant.settings.theme;
    if let Some(name) = query.get("name") {
        theme.name = Some(name.chars().take(100).collect()).filter(|name: &String| !name.is_empty());
    }
    if let Some(colour) = query.get("primary_colour").filter(|colour| is_hex_colour(colour)) {
        theme.primary_colour = colour.clone();
    }
    if let Some(url) = query.get("logo_url") {
        theme.logo_url = Some(url.clone()).filter(|url| url.starts_with("https://") && url.len() <= 2048);
    }
    Ok(crate::pages::login_preview(&tenant))
}

/// `#rgb` or `#rrggbb`: nothing else reaches the preview's stylesheet.
fn is_hex_colour(text: &str) -> bool {
    text.strip_prefix('#').is_some_and(|hex| matches!(hex.len(), 3 | 6) && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The hosted pages' redirect, never cached (it carries a flow or session cookie).
fn redirect(location: &str) -> Response {
    let mut response = crate::pages::redirect(location);
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn forget_flow(state: &AppState, mut response: Response) -> Response {
    session::forget(state, response.headers_mut(), session::FLOW_COOKIE);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_colours_reach_the_preview() {
        assert!(is_hex_colour("#3b5bdb") && is_hex_colour("#fff"));
        for text in ["red", "#12345", "#3b5bdb}body{x:y", "3b5bdb", "#ggg"] {
            assert!(!is_hex_colour(text), "{text}");
        }
    }
}
