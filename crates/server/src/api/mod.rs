//! The management API (`/v1`), its OpenAPI document and the catalogue endpoint.

pub mod actions;
pub mod applications;
pub mod auth;
pub mod credentials;
pub mod errors;
pub mod logs;
pub mod mfa;
pub mod oauth;
pub mod openapi;
pub mod tenants;
pub mod users;
pub mod views;
pub mod webhooks;

use axum::routing::{get, post};
use axum::Router;
use intelliauth_core::validate::FieldErrors;

use crate::error::ApiResult;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/errors", get(errors::catalogue))
        .route("/v1/openapi.json", get(openapi::document))
        .route("/v1/tenants", get(tenants::list_all).post(tenants::create))
        .route("/v1/tenants/{tenant_id}", get(tenants::get).patch(tenants::update).delete(tenants::delete))
        .route("/v1/tenants/{tenant_id}/users", get(users::list_all).post(users::create))
        .route("/v1/tenants/{tenant_id}/users/{user_id}", get(users::get).patch(users::update).delete(users::delete))
        .route("/v1/tenants/{tenant_id}/users/{user_id}/unlock", axum::routing::post(users::unlock))
        .route(
            "/v1/tenants/{tenant_id}/users/{user_id}/sessions",
            get(users::sessions).delete(users::revoke_all_sessions),
        )
        .route(
            "/v1/tenants/{tenant_id}/users/{user_id}/sessions/{session_id}",
            axum::routing::delete(users::revoke_session),
        )
        .route(
            "/v1/tenants/{tenant_id}/users/{user_id}/factors",
            get(mfa::user_factors).delete(mfa::reset_user_factors),
        )
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
        .route("/t/{tenant_id}/api/factors/sms/confirm", post(mfa::confirm_my_sms))
        .route("/t/{tenant_id}/api/factors/totp", post(mfa::enrol_my_totp))
        .route("/t/{tenant_id}/api/factors/totp/confirm", post(mfa::confirm_my_totp))
        .route("/t/{tenant_id}/api/factors/backup-codes", post(mfa::regenerate_my_backup_codes))
        .route("/t/{tenant_id}/api/factors/{factor_id}", axum::routing::delete(mfa::remove_my_factor))
        .route("/v1/tenants/{tenant_id}/applications", get(applications::list_all).post(applications::create))
        .route(
            "/v1/tenants/{tenant_id}/applications/{application_id}",
            get(applications::get).patch(applications::update).delete(applications::delete),
        )
        .route("/v1/tenants/{tenant_id}/applications/{application_id}/rotate-secret", post(applications::rotate_secret))
        .route("/v1/credentials", get(credentials::list_all).post(credentials::create))
        .route("/v1/credentials/{credential_id}", axum::routing::delete(credentials::delete))
        .route("/v1/tenants/{tenant_id}/actions", get(actions::list_all).post(actions::create))
        .route(
            "/v1/tenants/{tenant_id}/actions/{action_id}",
            get(actions::get).patch(actions::update).delete(actions::delete),
        )
        .route("/v1/tenants/{tenant_id}/actions/{action_id}/versions", get(actions::versions))
        .route("/v1/tenants/{tenant_id}/actions/{action_id}/versions/{version}/restore", post(actions::restore))
        .route("/v1/tenants/{tenant_id}/actions/{action_id}/test", post(actions::test_run))
        .route("/v1/tenants/{tenant_id}/actions/{action_id}/executions", get(actions::action_executions))
        .route("/v1/tenants/{tenant_id}/action-executions", get(actions::executions))
        .route("/v1/tenants/{tenant_id}/triggers/{trigger}/order", axum::routing::put(actions::reorder))
        .route("/v1/tenants/{tenant_id}/logs", get(logs::list_entries))
        .route("/v1/tenants/{tenant_id}/logs/{log_id}", get(logs::entry))
        .route("/v1/tenants/{tenant_id}/log-counts", get(logs::counts))
        .route("/v1/tenants/{tenant_id}/requests/{request_id}", get(logs::trace))
        .route("/v1/webhook-event-types", get(webhooks::event_types))
        .route("/v1/tenants/{tenant_id}/webhooks/subscriptions", get(webhooks::list_all).post(webhooks::create))
        .route(
            "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}",
            get(webhooks::get).patch(webhooks::update).delete(webhooks::delete),
        )
        .route(
            "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/rotate-secret",
            post(webhooks::rotate_secret),
        )
        .route("/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/test", post(webhooks::send_test))
        .route("/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/messages", get(webhooks::messages))
        .route("/v1/tenants/{tenant_id}/webhooks/messages/{message_id}", get(webhooks::message))
        .route("/v1/tenants/{tenant_id}/webhooks/messages/{message_id}/replay", post(webhooks::replay))
        .route("/v1/tenants/{tenant_id}/webhooks/dead-letters", get(webhooks::dead_letters))
        .route("/v1/tenants/{tenant_id}/webhooks/dead-letters/replay", post(webhooks::replay_dead_letters))
        .merge(auth::routes())
        .merge(oauth::routes())
}

/// Body problems first; semantic problems only for fields that parsed.
pub(crate) fn reject_invalid(mut errors: FieldErrors, semantic: FieldErrors) -> ApiResult<()> {
    errors.merge_new_fields(semantic);
    Ok(errors.into_result()?)
}

/// Runs a synchronous check into a fresh error set.
pub(crate) fn semantic(check: impl FnOnce(&mut FieldErrors)) -> FieldErrors {
    let mut errors = FieldErrors::new();
    check(&mut errors);
    errors
}
