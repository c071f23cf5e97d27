//! `/v1/tenants/{tenant_id}/applications`: OAuth clients.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intelliauth_core::management::{ApplicationPatch, NewApplication};
use utoipa::ToSchema;

use super::allowed::{Allowed, ApplicationsRead, ApplicationsWrite, Item};
use super::item::item_handlers;
use super::views::{list, resource, ApplicationView, ErrorBody, ListView};
use super::{reject_invalid, semantic};
use crate::error::ApiResult;
use crate::extract::{JsonObject, Pagination, Patch, Precondition};

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
    /// Authorization requests must be pushed first (RFC 9126, `/oauth/par`).
    require_par: Option<bool>,
    /// Token requests must carry a DPoP proof; tokens are bound to its key (RFC 9449).
    dpop_bound_access_tokens: Option<bool>,
    /// Where logout tokens are posted when a session that signed in here ends
    /// (OpenID Connect Back-Channel Logout 1.0); checked like a webhook receiver's URL.
    backchannel_logout_uri: Option<String>,
    /// Loaded in an iframe, with `iss` and `sid`, when a session that signed in here ends at
    /// the end-session endpoint (OpenID Connect Front-Channel Logout 1.0).
    frontchannel_logout_uri: Option<String>,
    /// `deny` (default), `allow` or `require`: whether it signs users in to organizations.
    organization_usage: Option<String>,
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
    require_par: Option<bool>,
    dpop_bound_access_tokens: Option<bool>,
    /// `null` removes it.
    backchannel_logout_uri: Option<String>,
    /// `null` removes it.
    frontchannel_logout_uri: Option<String>,
    organization_usage: Option<String>,
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
pub async fn create(at: Allowed<ApplicationsWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
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
        require_par: fields.optional_bool("require_par").unwrap_or(false),
        dpop_bound_access_tokens: fields.optional_bool("dpop_bound_access_tokens").unwrap_or(false),
        backchannel_logout_uri: fields.optional_string("backchannel_logout_uri"),
        frontchannel_logout_uri: fields.optional_string("frontchannel_logout_uri"),
        organization_usage: organization_usage(&mut fields).unwrap_or_default(),
    };
    reject_invalid(fields.finish(), semantic(|errors| input.check(errors)))?;
    let (application, secret) = at.state.management.create_application(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &application.meta, ApplicationView::new(&application, secret)))
}

item_handlers!(tag "applications", path "/v1/tenants/{tenant_id}/applications/{application_id}", id "application_id",
    view ApplicationView, get ApplicationsRead "applications:read" => application,
    delete ApplicationsWrite "applications:write" => delete_application, step_up: true);

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/applications", tag = "applications",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ApplicationView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_all(at: Allowed<ApplicationsRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    Ok(list::<_, ApplicationView>(at.state.management.list_applications(at.tenant_id(), pagination.page).await?))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/applications/{application_id}", tag = "applications",
    request_body = UpdateApplicationRequest,
    params(("tenant_id" = String, Path), ("application_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ApplicationView), (status = 412, body = ErrorBody)), security(("bearer" = ["applications:write"])))]
pub async fn update(
    at: Allowed<ApplicationsWrite, Item>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
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
        require_par: fields.optional_bool("require_par"),
        dpop_bound_access_tokens: fields.optional_bool("dpop_bound_access_tokens"),
        backchannel_logout_uri: fields.nullable_string("backchannel_logout_uri"),
        frontchannel_logout_uri: fields.nullable_string("frontchannel_logout_uri"),
        organization_usage: organization_usage(&mut fields),
    };
    reject_invalid(fields.finish(), semantic(|errors| patch.check(errors)))?;
    let application = at.state.management.update_application(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &application.meta, ApplicationView::from(&application)))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/applications/{application_id}/rotate-secret", tag = "applications",
    params(("tenant_id" = String, Path), ("application_id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
/// A new client secret for a confidential client, in `client_secret` of this answer only;
/// the old secret stops working at once. Needs a recent multi-factor sign-in from an admin.
pub async fn rotate_secret(at: Allowed<ApplicationsWrite, Item>) -> ApiResult<Response> {
    at.caller.require_step_up()?;
    let (application, secret) = at.state.management.rotate_application_secret(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &application.meta, ApplicationView::new(&application, Some(secret))))
}

/// `organization_usage`, read by name.
fn organization_usage(
    fields: &mut crate::extract::Fields,
) -> Option<intelliauth_core::organizations::OrganizationUsage> {
    let text = fields.optional_string("organization_usage")?;
    let parsed = intelliauth_core::organizations::OrganizationUsage::parse(&text);
    if parsed.is_none() {
        fields.reject("organization_usage", "must be deny, allow or require");
    }
    parsed
}
