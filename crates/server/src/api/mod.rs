//! The management API (`/v1`), its OpenAPI document and the catalogue endpoint.

pub mod actions;
pub mod allowed;
pub mod apis;
pub mod applications;
pub mod auth;
pub mod connections;
pub mod credentials;
pub mod errors;
pub mod import;
mod item;
pub mod logs;
pub mod mfa;
pub mod oauth;
pub mod openapi;
pub mod organizations;
pub mod tenants;
pub mod users;
pub mod views;
pub mod webhooks;

use axum::routing::{get, post};
use axum::Router;
use intelliauth_core::validate::FieldErrors;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::extract::JsonObject;
use crate::state::AppState;

/// Every route of the management API with its OpenAPI operation. A documented route is
/// registered from its handler's `#[utoipa::path]`, so the path served and the path
/// documented are one declaration and cannot drift apart; each `routes!` groups the
/// handlers of one path.
pub fn documented_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(errors::catalogue))
        .routes(routes!(tenants::list_all, tenants::create))
        .routes(routes!(tenants::get, tenants::update, tenants::delete))
        .routes(routes!(tenants::preview_theme))
        .routes(routes!(tenants::password_verifier))
        .routes(routes!(users::list_all, users::create))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::unlock))
        .routes(routes!(import::import_users))
        .routes(routes!(import::export_users))
        .routes(routes!(users::sessions, users::revoke_all_sessions))
        .routes(routes!(users::revoke_session))
        .routes(routes!(mfa::user_factors, mfa::reset_user_factors))
        .routes(routes!(applications::list_all, applications::create))
        .routes(routes!(applications::get, applications::update, applications::delete))
        .routes(routes!(applications::rotate_secret))
        .routes(routes!(connections::list_all, connections::create))
        .routes(routes!(connections::get, connections::update, connections::delete))
        .routes(routes!(connections::identities))
        .routes(routes!(connections::unlink_identity))
        .routes(routes!(apis::list_apis, apis::create_api))
        .routes(routes!(apis::get_api, apis::update_api, apis::delete_api))
        .routes(routes!(apis::list_client_grants, apis::create_client_grant))
        .routes(routes!(apis::get_client_grant, apis::update_client_grant, apis::delete_client_grant))
        .routes(routes!(apis::list_roles, apis::create_role))
        .routes(routes!(apis::get_role, apis::update_role, apis::delete_role))
        .routes(routes!(apis::role_users))
        .routes(routes!(apis::user_roles, apis::assign_roles))
        .routes(routes!(apis::unassign_role))
        .routes(routes!(apis::user_permissions))
        .routes(routes!(organizations::list_all, organizations::create))
        .routes(routes!(organizations::get, organizations::update, organizations::delete))
        .routes(routes!(organizations::members, organizations::add_members))
        .routes(routes!(organizations::remove_member))
        .routes(routes!(organizations::member_roles))
        .routes(routes!(organizations::invitations, organizations::invite))
        .routes(routes!(organizations::withdraw_invitation))
        .routes(routes!(organizations::user_organizations))
        .routes(routes!(credentials::list_all, credentials::create))
        .routes(routes!(credentials::delete))
        .routes(routes!(actions::list_all, actions::create))
        .routes(routes!(actions::get, actions::update, actions::delete))
        .routes(routes!(actions::versions))
        .routes(routes!(actions::restore))
        .routes(routes!(actions::test_run))
        .routes(routes!(actions::action_executions))
        .routes(routes!(actions::executions))
        .routes(routes!(actions::reorder))
        .routes(routes!(logs::list_entries))
        .routes(routes!(logs::entry))
        .routes(routes!(logs::counts))
        .routes(routes!(logs::trace))
        .routes(routes!(webhooks::event_types))
        .routes(routes!(webhooks::list_all, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::messages))
        .routes(routes!(webhooks::message))
        .routes(routes!(webhooks::replay))
        .routes(routes!(webhooks::dead_letters))
        .routes(routes!(webhooks::replay_dead_letters))
        .merge(oauth::documented_routes())
}

pub fn routes() -> Router<AppState> {
    let (documented, _) = documented_routes().split_for_parts();
    Router::new()
        // The document itself is the one `/v1` route it does not describe.
        .route("/v1/openapi.json", get(openapi::document))
        .merge(documented)
        .route("/t/{tenant_id}/api/login/{flow_id}/mfa", post(mfa::submit_flow_factor))
        .route("/t/{tenant_id}/api/login/{flow_id}/mfa/totp", post(mfa::enrol_flow_totp))
        .route("/t/{tenant_id}/api/login/{flow_id}/mfa/sms", post(mfa::send_flow_sms))
        .route("/t/{tenant_id}/api/login/{flow_id}/mfa/webauthn", post(mfa::start_flow_passkey))
        .route("/t/{tenant_id}/api/login/{flow_id}/passkey", post(mfa::start_passwordless))
        .route("/t/{tenant_id}/api/login/{flow_id}/passkey/finish", post(mfa::finish_passwordless))
        .route("/t/{tenant_id}/api/factors/webauthn", post(mfa::enrol_my_passkey))
        .route("/t/{tenant_id}/api/factors/webauthn/confirm", post(mfa::confirm_my_passkey))
        .route("/t/{tenant_id}/api/factors", get(mfa::my_factors))
        .route("/t/{tenant_id}/api/factors/sms", post(mfa::enrol_my_sms))
        .route("/t/{tenant_id}/api/factors/totp", post(mfa::enrol_my_totp))
        .route("/t/{tenant_id}/api/factors/{factor}/confirm", post(mfa::confirm_my_factor))
        .route("/t/{tenant_id}/api/factors/backup-codes", post(mfa::regenerate_my_backup_codes))
        .route("/t/{tenant_id}/api/factors/{factor}", axum::routing::delete(mfa::remove_my_factor))
        .merge(auth::routes())
        .merge(oauth::routes())
}

/// Body problems first; semantic problems only for fields that parsed.
pub(crate) fn reject_invalid(mut errors: FieldErrors, semantic: FieldErrors) -> ApiResult<()> {
    errors.merge_new_fields(semantic);
    Ok(errors.into_result()?)
}

/// The body's one field `name`, a required string; any other field is refused.
pub(crate) fn only_string(JsonObject(mut fields): JsonObject, name: &str) -> ApiResult<String> {
    let value = fields.required_string(name);
    reject_invalid(fields.finish(), FieldErrors::new())?;
    Ok(value)
}

/// `202 Accepted` with `body`: the request is taken, its effect (an email) comes later.
pub(crate) fn accepted(body: serde_json::Value) -> axum::response::Response {
    use axum::response::IntoResponse;
    (axum::http::StatusCode::ACCEPTED, axum::Json(body)).into_response()
}

/// Runs a synchronous check into a fresh error set.
pub(crate) fn semantic(check: impl FnOnce(&mut FieldErrors)) -> FieldErrors {
    let mut errors = FieldErrors::new();
    check(&mut errors);
    errors
}
