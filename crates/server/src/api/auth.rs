//! The JSON flow API for native apps (`/t/{tenant_id}/api/…`): the same flow engine as
//! the hosted pages, without cookies.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use intelliauth_core::auth::{CsrfProof, FlowKind, Registration, SignIn, SignedIn, StartedFlow, UpstreamPurpose};
use intelliauth_core::ids::rfc3339;
use intelliauth_core::paths;
use serde_json::json;

use super::views::UserView;
use super::{accepted, only_string, reject_invalid};
use crate::error::ApiResult;
use crate::extract::{bearer_token, JsonObject, OnFlow, PublicCall, SignedInUser};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/t/{tenant_id}/api/login", post(start_login))
        .route("/t/{tenant_id}/api/login/{flow_id}", post(submit_login))
        .route("/t/{tenant_id}/api/login/{flow_id}/connection", post(start_connection))
        .route("/t/{tenant_id}/api/login/{flow_id}/connection/finish", post(finish_connection))
        .route("/t/{tenant_id}/api/registration", post(start_registration))
        .route("/t/{tenant_id}/api/registration/{flow_id}", post(submit_registration))
        .route(&paths::API_VERIFICATION.route(), post(resend_verification))
        .route("/t/{tenant_id}/api/verification/confirm", post(confirm_verification))
        .route("/t/{tenant_id}/api/recovery", post(request_recovery))
        .route("/t/{tenant_id}/api/recovery/confirm", post(confirm_recovery))
        .route("/t/{tenant_id}/api/session", get(whoami))
        .route("/t/{tenant_id}/api/logout", post(logout))
        .route("/t/{tenant_id}/api/consents", get(my_consents))
        .route("/t/{tenant_id}/api/consents/{client_id}", axum::routing::delete(revoke_my_consent))
}

fn flow_json(started: &StartedFlow) -> Response {
    let flow = &started.flow;
    let body =
        json!({ "flow_id": flow.id, "kind": flow.kind, "step": flow.step, "expires_at": rfc3339(flow.expires_at) });
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn start_login(PublicCall { state, path: tenant_id, .. }: PublicCall) -> ApiResult<Response> {
    Ok(flow_json(&state.auth.start_flow(&tenant_id, FlowKind::Login, false, None).await?))
}

async fn start_registration(PublicCall { state, path: tenant_id, .. }: PublicCall) -> ApiResult<Response> {
    Ok(flow_json(&state.auth.start_flow(&tenant_id, FlowKind::Registration, false, None).await?))
}

/// The session a successful sign-in created, for a native app to keep as a bearer.
pub fn signed_in_json(signed_in: &SignedIn) -> serde_json::Value {
    let session = &signed_in.session.record;
    json!({
        "session_token": signed_in.session.token,
        "session": { "id": session.id, "expires_at": rfc3339(session.expires_at), "idle_expires_at": rfc3339(session.idle_expires_at) },
        "user": UserView::from(&signed_in.user),
    })
}

async fn submit_login(
    PublicCall { state, path: (tenant_id, flow_id), client }: PublicCall<OnFlow>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let input = SignIn {
        email: fields.required_string("email"),
        password: fields.required_string("password"),
        captcha: fields.optional_string("captcha"),
        previous_session: None,
    };
    reject_invalid(fields.finish(), Default::default())?;
    let step = state.auth.sign_in(&tenant_id, &flow_id, CsrfProof::Api, input, client).await?;
    let signed_in = step.into_signed_in()?;
    Ok(Json(signed_in_json(&signed_in)).into_response())
}

/// Signing in through a connection from a native app: the upstream's authorization URL to
/// open in a browser, which comes back to the app's registered `redirect_uri` with
/// `flow_id` and a one-time `upstream_code` (so the browser that signed in upstream, not
/// whoever holds the URL, decides where the result goes).
async fn start_connection(
    PublicCall { state, path: (tenant_id, flow_id), .. }: PublicCall<OnFlow>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let connection = fields.required_string("connection");
    let client_id = fields.required_string("client_id");
    let redirect_uri = fields.required_string("redirect_uri");
    let login_hint = fields.optional_string("login_hint");
    reject_invalid(fields.finish(), Default::default())?;
    let flow = state.auth.load_flow(&tenant_id, &flow_id, FlowKind::Login, CsrfProof::Api).await?;
    let app = UpstreamPurpose::App { client_id: &client_id, redirect_uri: &redirect_uri };
    let url = state.auth.start_upstream(&tenant_id, &flow, &connection, login_hint.as_deref(), app).await?;
    Ok(Json(json!({ "authorization_url": url })).into_response())
}

/// The app's redirect URI got `upstream_code`: the sign-in goes on (session, or the step
/// that is due: `link_required`, `mfa_required` …).
async fn finish_connection(
    PublicCall { state, path: (tenant_id, flow_id), client }: PublicCall<OnFlow>,
    JsonObject(fields): JsonObject,
) -> ApiResult<Response> {
    let code = only_string(JsonObject(fields), "upstream_code")?;
    let step = state.auth.finish_upstream_for_app(&tenant_id, &flow_id, &code, client).await?;
    Ok(Json(signed_in_json(&step.into_signed_in()?)).into_response())
}

async fn submit_registration(
    PublicCall { state, path: (tenant_id, flow_id), client }: PublicCall<OnFlow>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let input = Registration {
        email: fields.required_string("email"),
        password: fields.required_string("password"),
        name: fields.optional_string("name"),
    };
    let semantic = state.management.check_new_user(&tenant_id, &input.as_new_user()).await?;
    reject_invalid(fields.finish(), semantic)?;
    state.auth.register(&state.management, &tenant_id, &flow_id, CsrfProof::Api, input, client).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "status": "verification_sent" }))).into_response())
}

async fn resend_verification(
    PublicCall { state, path: tenant_id, client }: PublicCall,
    body: JsonObject,
) -> ApiResult<Response> {
    state.auth.resend_verification(&tenant_id, &only_string(body, "email")?, client).await?;
    Ok(accepted(json!({ "status": "sent_if_unverified" })))
}

async fn confirm_verification(
    PublicCall { state, path: tenant_id, .. }: PublicCall,
    body: JsonObject,
) -> ApiResult<Response> {
    state.auth.verify_email(&tenant_id, &only_string(body, "token")?).await?;
    Ok(Json(json!({ "status": "verified" })).into_response())
}

async fn request_recovery(
    PublicCall { state, path: tenant_id, client }: PublicCall,
    body: JsonObject,
) -> ApiResult<Response> {
    state.auth.request_recovery(&tenant_id, &only_string(body, "email")?, client).await?;
    Ok(accepted(json!({ "status": "sent_if_registered" })))
}

async fn confirm_recovery(
    PublicCall { state, path: tenant_id, .. }: PublicCall,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let token = fields.required_string("token");
    let password = fields.required_string("password");
    reject_invalid(fields.finish(), Default::default())?;
    let user = state.auth.reset_password(&tenant_id, &token, password).await?;
    Ok(Json(json!({ "status": "password_changed", "user": UserView::from(&user) })).into_response())
}

async fn whoami(SignedInUser { session, user, .. }: SignedInUser) -> ApiResult<Response> {
    let record = &session.record;
    Ok(Json(json!({
        "session": { "id": record.id, "expires_at": rfc3339(record.expires_at), "created_at": rfc3339(record.created_at) },
        "user": UserView::from(&user),
    }))
    .into_response())
}

/// The signed-in user's approved applications.
async fn my_consents(SignedInUser { state, user, .. }: SignedInUser) -> ApiResult<Response> {
    Ok(Json(state.oidc.consents(&user.tenant_id, &user.id).await?).into_response())
}

/// The signed-in user withdraws an application's access.
async fn revoke_my_consent(
    State(state): State<AppState>,
    Path((_, client_id)): Path<(String, String)>,
    SignedInUser { user, .. }: SignedInUser,
) -> ApiResult<StatusCode> {
    state.oidc.revoke_consent(&user.tenant_id, &user.id, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn logout(
    State(state): State<AppState>,
    _signed_in: SignedInUser,
    headers: axum::http::HeaderMap,
) -> ApiResult<StatusCode> {
    if let Some(token) = bearer_token(&headers) {
        state.auth.end_session(token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
