//! OAuth 2.0 endpoints under each tenant's issuer: metadata, key set, token, introspection;
//! and key rotation in the management API.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use intelliauth_catalogue::Code;
use intelliauth_core::log::LogEntry;
use intelliauth_core::model::Scope;
use intelliauth_core::paths;
use intelliauth_core::{Error, Refusal};
use intelliauth_oidc::device::DeviceAsk;
use intelliauth_oidc::dpop::PresentedToken;
use intelliauth_oidc::{AuthorizeParams, ClientCredentials, TokenRequest};
use serde_json::json;

use crate::error::ApiResult;
use crate::extract::{bearer_token, Caller, FormBody};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant_id}/.well-known/oauth-authorization-server", get(metadata))
        .route("/t/{tenant_id}/.well-known/openid-configuration", get(metadata))
        // RFC 8414 §3.1: for an issuer with a path, the well-known segment goes first.
        .route("/.well-known/oauth-authorization-server/t/{tenant_id}", get(metadata))
        .route(&paths::JWKS.route(), get(jwks))
        .route(&paths::USERINFO.route(), get(userinfo).post(userinfo))
        .route(&paths::TOKEN.route(), post(token))
        .route(&paths::DEVICE_AUTHORIZATION.route(), post(device_authorization))
        .route(&paths::PAR.route(), post(pushed_authorization_request))
        .route(&paths::INTROSPECT.route(), post(introspect))
        .route(&paths::REVOKE.route(), post(revoke))
}

/// The management routes of grants and keys, with their OpenAPI operations.
pub(super) fn documented_routes() -> utoipa_axum::router::OpenApiRouter<AppState> {
    use utoipa_axum::routes;
    utoipa_axum::router::OpenApiRouter::new()
        .routes(routes!(rotate_keys))
        .routes(routes!(user_consents))
        .routes(routes!(revoke_user_consent))
}

async fn metadata(State(state): State<AppState>, Path(tenant_id): Path<String>) -> ApiResult<Response> {
    Ok(Json(state.oidc.metadata(&tenant_id).await?).into_response())
}

async fn jwks(State(state): State<AppState>, Path(tenant_id): Path<String>) -> ApiResult<Response> {
    // Short caching: a next key is published a rotation ahead of use, so a minute is safe.
    let headers = [(header::CACHE_CONTROL, "public, max-age=60")];
    Ok((headers, Json(state.oidc.jwks(&tenant_id).await?)).into_response())
}

/// Token responses carry credentials: never cached (RFC 6749 §5.1).
fn no_store(body: serde_json::Value) -> Response {
    let mut response = Json(body).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response.headers_mut().insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// OAuth endpoints take form posts (RFC 6749 §3.2).
fn require_form(headers: &HeaderMap) -> ApiResult<()> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim_start().starts_with("application/x-www-form-urlencoded"));
    if is_form {
        Ok(())
    } else {
        Err(Error::new(Code::ValidationFailed)
            .with_refusal(Refusal::MalformedRequest)
            .with_message("Send the request as application/x-www-form-urlencoded.")
            .with_detail("fields", json!({ "body": ["must be application/x-www-form-urlencoded"] }))
            .into())
    }
}

/// A client's form post to a token endpoint (token, introspection, revocation): the path's
/// tenant, the client's credentials (HTTP Basic, the form, or an assertion), and the form.
/// A body that is not a form is refused before it is read (RFC 6749 §3.2).
struct ClientPost {
    state: AppState,
    tenant_id: String,
    client: ClientCredentials,
    form: FormBody,
    /// The request's `DPoP` proof (RFC 9449), if any.
    dpop: Option<String>,
}

impl axum::extract::FromRequest<AppState> for ClientPost {
    type Rejection = crate::error::ApiError;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        require_form(&parts.headers)?;
        let dpop = dpop_proof(&parts.headers)?;
        let tenant_id: String = crate::extract::path_params(&mut parts, state).await?;
        // Owned: the parts go on to build the request the form is read from.
        let authorization =
            parts.headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok().map(str::to_owned));
        let form = FormBody::from_request(axum::extract::Request::from_parts(parts, body), state).await?;
        let client = client(state, &tenant_id, authorization.as_deref(), &form)?;
        Ok(ClientPost { state: state.clone(), tenant_id, client, form, dpop })
    }
}

/// The client's credentials, from `authorization` (HTTP Basic) or the form.
fn client(
    state: &AppState,
    tenant_id: &str,
    authorization: Option<&str>,
    form: &FormBody,
) -> ApiResult<ClientCredentials> {
    let optional = |key: &str| form.0.get(key).map(String::as_str);
    let assertion = optional("client_assertion_type").zip(optional("client_assertion"));
    let issuer = state.oidc.issuer(tenant_id);
    Ok(ClientCredentials::from_request(
        authorization,
        optional("client_id"),
        optional("client_secret"),
        assertion,
        &issuer,
    )?)
}

async fn token(ClientPost { state, tenant_id, client, form, dpop }: ClientPost) -> ApiResult<Response> {
    let proved = dpop.is_some();
    let request = TokenRequest {
        grant_type: form.get("grant_type").to_owned(),
        scope: form.0.get("scope").cloned(),
        audience: form.0.get("audience").or_else(|| form.0.get("resource")).cloned(),
        client,
        code: form.0.get("code").cloned(),
        redirect_uri: form.0.get("redirect_uri").cloned(),
        code_verifier: form.0.get("code_verifier").cloned(),
        refresh_token: form.0.get("refresh_token").cloned(),
        device_code: form.0.get("device_code").cloned(),
        dpop,
        exchange: Some(intelliauth_oidc::token_exchange::ExchangeParams {
            subject_token: form.0.get("subject_token").cloned(),
            subject_token_type: form.0.get("subject_token_type").cloned(),
            actor_token: form.0.get("actor_token").cloned(),
            requested_token_type: form.0.get("requested_token_type").cloned(),
        }),
    };
    let grant_type = request.grant_type.chars().take(64).collect::<String>();
    let client_id = request.client.client_id.chars().take(128).collect::<String>();
    let issued = match state.oidc.token(&tenant_id, request).await {
        Ok(issued) => {
            let details = json!({ "grant_type": grant_type, "scope": issued.scope });
            let entry = LogEntry::new(&tenant_id, "token.issued", "ok", details)
                .with_client(Some(client_id))
                .with_user(issued.subject.clone());
            // The hot path: batched with other tokens' entries instead of a commit each.
            state.management.log_queue().push(entry).await;
            issued
        }
        Err(error) => {
            // A refused token request is a decision admins look for (a replayed code, a
            // reused refresh token); an unknown tenant has no log to write it to.
            // A device polling while its user decides is not a decision (RFC 8628 §3.5).
            let polling = matches!(error.code, Code::AuthorizationPending | Code::SlowDown);
            if error.code != Code::NotFound && !polling {
                let details = json!({ "grant_type": grant_type, "reason": error.details.get("reason") });
                let entry = LogEntry::new(&tenant_id, "token.refused", error.code.as_str(), details)
                    .with_client(Some(client_id).filter(|id| !id.is_empty()));
                state.management.record_decision(&entry).await;
            }
            return Err(error.into());
        }
    };
    let mut body = json!({
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    });
    if let Some(id_token) = issued.id_token {
        body["id_token"] = id_token.into();
    }
    if let Some(refresh_token) = issued.refresh_token {
        body["refresh_token"] = refresh_token.into();
    }
    if let Some(issued_token_type) = issued.issued_token_type {
        body["issued_token_type"] = issued_token_type.into();
    }
    let mut response = no_store(body);
    if proved {
        // The nonce the client's next proof carries (RFC 9449 §8.2).
        if let Ok(nonce) = HeaderValue::from_str(&state.oidc.dpop_nonce(&tenant_id)) {
            response.headers_mut().insert("dpop-nonce", nonce);
        }
    }
    Ok(response)
}

/// RFC 9126 §2: the client's authorization request, kept for one use; `201` with its handle.
async fn pushed_authorization_request(
    ClientPost { state, tenant_id, client, form, .. }: ClientPost,
) -> ApiResult<Response> {
    let field = |name: &str| form.0.get(name).cloned();
    let params = AuthorizeParams {
        client_id: field("client_id"),
        redirect_uri: field("redirect_uri"),
        response_type: field("response_type"),
        scope: field("scope"),
        state: field("state"),
        nonce: field("nonce"),
        code_challenge: field("code_challenge"),
        code_challenge_method: field("code_challenge_method"),
        prompt: field("prompt"),
        max_age: field("max_age"),
        login_hint: field("login_hint"),
        acr_values: field("acr_values"),
        connection: field("connection"),
        audience: field("audience"),
        resource: field("resource"),
        dpop_jkt: field("dpop_jkt"),
        organization: field("organization"),
        request_uri: field("request_uri"),
        pushed: false,
    };
    let pushed = state.oidc.push_authorization_request(&tenant_id, client, params).await?;
    let mut response = no_store(json!({ "request_uri": pushed.request_uri, "expires_in": pushed.expires_in }));
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

/// RFC 8628 §3.1: a device code to poll with, and the user code and page for the person.
async fn device_authorization(ClientPost { state, tenant_id, client, form, .. }: ClientPost) -> ApiResult<Response> {
    let ask = DeviceAsk {
        scope: form.0.get("scope").cloned(),
        audience: form.0.get("audience").cloned(),
        resource: form.0.get("resource").cloned(),
    };
    let started = state.oidc.device_authorization(&tenant_id, client, ask).await?;
    Ok(no_store(json!({
        "device_code": started.device_code,
        "user_code": started.user_code,
        "verification_uri": started.verification_uri,
        "verification_uri_complete": started.verification_uri_complete,
        "expires_in": started.expires_in,
        "interval": started.interval,
    })))
}

async fn userinfo(
    State(state): State<AppState>,
    Path(tenant_id): Path<String>,
    method: axum::http::Method,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let proof = dpop_proof(&headers)?;
    let presented = presented_token(&headers).map(|(token, dpop_scheme)| PresentedToken {
        token,
        dpop_scheme,
        proof: proof.as_deref(),
    });
    Ok(no_store(state.oidc.userinfo(&tenant_id, presented, method.as_str()).await?))
}

/// The access token of `Authorization: Bearer …` or `Authorization: DPoP …`, and whether
/// the scheme was DPoP.
fn presented_token(headers: &HeaderMap) -> Option<(&str, bool)> {
    if let Some(token) = bearer_token(headers) {
        return Some((token, false));
    }
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("dpop").then(|| (token.trim(), true)).filter(|(token, _)| !token.is_empty())
}

/// The request's one `DPoP` header (RFC 9449 §4.3: more than one is refused).
fn dpop_proof(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let mut proofs = headers.get_all("dpop").iter();
    let Some(first) = proofs.next() else { return Ok(None) };
    let single = proofs.next().is_none();
    match first.to_str() {
        Ok(proof) if single => Ok(Some(proof.to_owned())),
        _ => Err(Error::new(Code::InvalidDpopProof)
            .with_refusal(Refusal::BadDpopProof)
            .with_detail("reason", "one DPoP header of visible ASCII is expected")
            .into()),
    }
}

async fn introspect(ClientPost { state, tenant_id, client, form, .. }: ClientPost) -> ApiResult<Response> {
    Ok(no_store(state.oidc.introspect(&tenant_id, client, form.get("token")).await?))
}

/// RFC 7009: always 200 for a well-formed request, whatever the token was.
async fn revoke(ClientPost { state, tenant_id, client, form, .. }: ClientPost) -> ApiResult<Response> {
    state.oidc.revoke(&tenant_id, client, form.get("token")).await?;
    Ok(no_store(json!({})))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/consents", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, description = "The applications the user approved, with the scopes", body = Object)),
    security(("bearer" = ["users:read"])))]
pub(crate) async fn user_consents(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require_in(Scope::UsersRead, &tenant_id)?;
    state.management.user(&tenant_id, &user_id).await?;
    Ok(Json(state.oidc.consents(&tenant_id, &user_id).await?).into_response())
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/consents/{client_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("client_id" = String, Path)),
    responses((status = 204, description = "Consent withdrawn; the application's grants for the user are revoked")),
    security(("bearer" = ["users:write"])))]
pub(crate) async fn revoke_user_consent(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id, client_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    state.management.user(&tenant_id, &user_id).await?;
    state.oidc.revoke_consent(&tenant_id, &user_id, &client_id).await?;
    let details = serde_json::json!({ "user_id": user_id, "client_id": client_id });
    state.management.record_change(&tenant_id, "admin.consent.revoked", details).await;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/keys/rotate", tag = "tenants",
    params(("tenant_id" = String, Path)),
    responses((status = 200, description = "The tenant's keys after the rotation", body = Object)),
    security(("bearer" = ["tenants:write"])))]
pub(crate) async fn rotate_keys(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
) -> ApiResult<(StatusCode, Response)> {
    if !caller.is_admin_of(&tenant_id) {
        caller.require_in(Scope::TenantsWrite, &tenant_id)?;
    }
    caller.require_step_up()?;
    let jwks = state.oidc.rotate_keys(&tenant_id).await?;
    state.management.record_change(&tenant_id, "admin.signing_keys.rotated", serde_json::json!({})).await;
    Ok((StatusCode::OK, Json(jwks).into_response()))
}
