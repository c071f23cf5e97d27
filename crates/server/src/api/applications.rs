//! `/v1/tenants/{tenant_id}/applications`: OAuth clients.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intelliauth_core::management::{ApplicationPatch, NewApplication};
use intelliauth_core::model::Scope;
use utoipa::ToSchema;

use super::views::{list, resource, ApplicationView, ErrorBody, ListView};
use super::{reject_invalid, semantic};
use crate::error::ApiResult;
use crate::extract::{Caller, JsonObject, Pagination, Precondition};
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct CreateApplicationRequest {
    /// Unique within the tenant.
    name: String,
    /// `public` (SPA, native) or `confidential` (server-side; gets a secret).
    client_type: String,
    /// Exact URIs; https, loopback http, or a reverse-domain private-use scheme.
    redirect_uris: Option<Vec<String>>,
    /// Where RP-initiated logout may send the browser back to.
    post_logout_redirect_uris: Option<Vec<String>>,
    /// Default `["authorization_code", "refresh_token"]`.
    allowed_grants: Option<Vec<String>>,
    /// Default `["openid", "profile", "email", "offline_access"]`.
    allowed_scopes: Option<Vec<String>>,
    /// First-party applications skip the consent screen.
    first_party: Option<bool>,
    /// Public keys (`{"keys": [...]}`, ES256 or EdDSA) for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// Overrides of the tenant's token lifetimes: `access_token_lifetime_s`,
    /// `refresh_absolute_s`, `refresh_idle_s`.
    #[schema(value_type = Option<Object>)]
    token_settings: Option<serde_json::Value>,
    /// MFA on top of the tenant's policy when this application signs users in:
    /// `off`, `optional` (users who enrolled a factor) or `required`.
    mfa: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateApplicationRequest {
    name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    allowed_grants: Option<Vec<String>>,
    allowed_scopes: Option<Vec<String>>,
    first_party: Option<bool>,
    /// `null` removes the key set.
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// Overrides of the tenant's token lifetimes: `access_token_lifetime_s`,
    /// `refresh_absolute_s`, `refresh_idle_s`.
    #[schema(value_type = Option<Object>)]
    token_settings: Option<serde_json::Value>,
    /// MFA on top of the tenant's policy when this application signs users in:
    /// `off`, `optional` (users who enrolled a factor) or `required`.
    mfa: Option<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/applications", tag = "applications", request_body = CreateApplicationRequest,
    params(("tenant_id" = String, Path)),
    responses((status = 201, body = ApplicationView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require_in(Scope::ApplicationsWrite, &tenant_id)?;
    let input = NewApplication {
        name: fields.required_string("name"),
        client_type: fields.required_string("client_type"),
        redirect_uris: fields.optional_string_list("redirect_uris").unwrap_or_default(),
        post_logout_redirect_uris: fields.optional_string_list("post_logout_redirect_uris").unwrap_or_default(),
        allowed_grants: fields.optional_string_list("allowed_grants"),
        allowed_scopes: fields.optional_string_list("allowed_scopes"),
        first_party: fields.optional_bool("first_party").unwrap_or(false),
        jwks: fields.nullable_object("jwks").flatten(),
        token_settings: fields.optional_object_over_default("token_settings").unwrap_or_default(),
        mfa: fields.optional_string("mfa"),
    };
    reject_invalid(fields.finish(), semantic(|errors| input.check(errors)))?;
    let (application, secret) = state.management.create_application(&tenant_id, input).await?;
    Ok(resource(StatusCode::CREATED, &application.meta, ApplicationView::new(&application, secret)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/applications/{application_id}", tag = "applications",
    params(("tenant_id" = String, Path), ("application_id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)), security(("bearer" = ["applications:read"])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require_in(Scope::ApplicationsRead, &tenant_id)?;
    let application = state.management.application(&tenant_id, &id).await?;
    Ok(resource(StatusCode::OK, &application.meta, ApplicationView::from(&application)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/applications", tag = "applications",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ApplicationView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    pagination: Pagination,
) -> ApiResult<impl IntoResponse> {
    caller.require_in(Scope::ApplicationsRead, &tenant_id)?;
    Ok(list::<_, ApplicationView>(state.management.list_applications(&tenant_id, pagination.page).await?))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/applications/{application_id}", tag = "applications",
    request_body = UpdateApplicationRequest,
    params(("tenant_id" = String, Path), ("application_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ApplicationView), (status = 412, body = ErrorBody)), security(("bearer" = ["applications:write"])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, id)): Path<(String, String)>,
    Precondition(if_match): Precondition,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require_in(Scope::ApplicationsWrite, &tenant_id)?;
    let patch = ApplicationPatch {
        name: fields.optional_string("name"),
        redirect_uris: fields.optional_string_list("redirect_uris"),
        post_logout_redirect_uris: fields.optional_string_list("post_logout_redirect_uris"),
        allowed_grants: fields.optional_string_list("allowed_grants"),
        allowed_scopes: fields.optional_string_list("allowed_scopes"),
        first_party: fields.optional_bool("first_party"),
        jwks: fields.nullable_object("jwks"),
        token_settings: fields.optional_merge_patch("token_settings"),
        mfa: fields.nullable_string("mfa"),
    };
    reject_invalid(fields.finish(), semantic(|errors| patch.check(errors)))?;
    let application = state.management.update_application(&tenant_id, &id, patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &application.meta, ApplicationView::from(&application)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/applications/{application_id}", tag = "applications",
    params(("tenant_id" = String, Path), ("application_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)), security(("bearer" = ["applications:write"])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, id)): Path<(String, String)>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    caller.require_in(Scope::ApplicationsWrite, &tenant_id)?;
    caller.require_step_up()?;
    state.management.delete_application(&tenant_id, &id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/applications/{application_id}/rotate-secret", tag = "applications",
    params(("tenant_id" = String, Path), ("application_id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
/// A new client secret for a confidential client, in `client_secret` of this answer only;
/// the old secret stops working at once. Needs a recent multi-factor sign-in from an admin.
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require_in(Scope::ApplicationsWrite, &tenant_id)?;
    caller.require_step_up()?;
    let (application, secret) = state.management.rotate_application_secret(&tenant_id, &id).await?;
    Ok(resource(StatusCode::OK, &application.meta, ApplicationView::new(&application, Some(secret))))
}
