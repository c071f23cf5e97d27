//! `/v1/tenants`: create, read, list, update and delete tenants.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::management::{NewTenant, TenantPatch};
use intelliauth_core::model::{Scope, TenantSettings};
use intelliauth_core::validate::FieldErrors;
use serde::Deserialize;
use utoipa::ToSchema;

use super::views::{list, resource, ErrorBody, ListView, TenantView};
use super::{reject_invalid, semantic};
use crate::error::ApiResult;
use crate::extract::{Caller, JsonObject, Pagination, Patch, Precondition};
use crate::state::AppState;

#[derive(Deserialize, ToSchema)]
pub struct PasswordPolicyInput {
    /// At least this many characters (default 8).
    pub min_length: Option<usize>,
    /// Reject the most common passwords (default true).
    pub reject_common: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
pub struct LocaleSettingsInput {
    /// The hosted pages' language when a browser asks for none of these (by OIDC
    /// `ui_locales` or `Accept-Language`); default `en`.
    pub default: Option<LocaleTag>,
}

/// A language the hosted pages are written in.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LocaleTag {
    En,
    Fr,
    De,
    Ar,
}

#[derive(Deserialize, ToSchema)]
pub struct TenantSettingsInput {
    pub password_policy: Option<PasswordPolicyInput>,
    pub locale: Option<LocaleSettingsInput>,
}

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct CreateTenantRequest {
    /// Lower-case slug used in URLs, e.g. `acme`.
    id: String,
    display_name: String,
    /// Omitted keys take their defaults.
    settings: Option<TenantSettingsInput>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateTenantRequest {
    display_name: Option<String>,
    settings: Option<TenantSettingsInput>,
}

#[utoipa::path(post, path = "/v1/tenants", tag = "tenants", request_body = CreateTenantRequest,
    responses((status = 201, body = TenantView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["tenants:write"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require(Scope::TenantsWrite)?;
    let wording = semantic(|errors| check_wording(fields.peek("settings"), errors));
    let input = NewTenant {
        id: fields.required_string("id"),
        display_name: fields.required_string("display_name"),
        settings: fields.optional_object_over_default::<TenantSettings>("settings").unwrap_or_default(),
    };
    reject_invalid(
        fields.finish(),
        semantic(|errors| {
            input.check(errors);
            errors.merge_new_fields(wording);
        }),
    )?;
    let tenant = state.management.create_tenant(input).await?;
    Ok(resource(StatusCode::CREATED, &tenant.meta, TenantView::from(&tenant)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = String, Path)), responses((status = 200, body = TenantView), (status = 404, body = ErrorBody)),
    security(("bearer" = ["tenants:read"])))]
pub async fn get(State(state): State<AppState>, caller: Caller, Path(tenant_id): Path<String>) -> ApiResult<Response> {
    caller.require_in(Scope::TenantsRead, &tenant_id)?;
    let tenant = state.management.tenant(&tenant_id).await?;
    Ok(resource(StatusCode::OK, &tenant.meta, TenantView::from(&tenant)))
}

#[utoipa::path(get, path = "/v1/tenants", tag = "tenants",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<TenantView>)), security(("bearer" = ["tenants:read"])))]
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
    pagination: Pagination,
) -> ApiResult<impl IntoResponse> {
    caller.require(Scope::TenantsRead)?;
    if let Some(own) = &caller.credential.tenant_id {
        // A tenant-bound credential sees exactly its own tenant.
        let tenant = state.management.tenant(own).await?;
        return Ok(Json(ListView { data: vec![TenantView::from(&tenant)], next_cursor: None }));
    }
    Ok(list(state.management.list_tenants(pagination.page).await?))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}", tag = "tenants", request_body = UpdateTenantRequest,
    params(("tenant_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = TenantView), (status = 412, body = ErrorBody)), security(("bearer" = ["tenants:write"])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
    // A tenant's own admins may change its settings; otherwise the instance-wide scope.
    if !caller.is_admin_of(&tenant_id) {
        caller.require_in(Scope::TenantsWrite, &tenant_id)?;
    }
    // The MFA and lockout policies guard every account: changing them is sensitive.
    if fields.sets("settings", "mfa") || fields.sets("settings", "sign_in") {
        caller.require_step_up()?;
    }
    let wording = semantic(|errors| check_wording(fields.peek("settings"), errors));
    let patch = TenantPatch {
        display_name: fields.optional_string("display_name"),
        settings: fields.optional_merge_patch("settings"),
    };
    reject_invalid(
        fields.finish(),
        semantic(|errors| {
            patch.check(errors);
            errors.merge_new_fields(wording);
        }),
    )?;
    let tenant = state.management.update_tenant(&tenant_id, patch, if_match.as_ref()).await?;
    // A newly chosen algorithm signs once every node publishes its keys: publish them now.
    state.oidc.publish_keys(&tenant.id, &tenant.settings.oauth.signing_alg).await?;
    Ok(resource(StatusCode::OK, &tenant.meta, TenantView::from(&tenant)))
}

/// Checks the wording a request gives the tenant's pages (`settings.locale.overrides`):
/// each message must exist, parse as Fluent and use only its own variables. A `null`
/// removes a wording (merge patch), so it is not checked.
fn check_wording(settings: Option<&serde_json::Value>, errors: &mut FieldErrors) {
    let overrides = settings.and_then(|settings| settings.get("locale")).and_then(|locale| locale.get("overrides"));
    let Some(overrides) = overrides.and_then(serde_json::Value::as_object) else { return };
    for (tag, messages) in overrides {
        let Some(messages) = messages.as_object() else { continue };
        for (key, text) in messages {
            if let Some(text) = text.as_str() {
                if let Err(why) = crate::i18n::check_override(tag, key, text) {
                    errors.add(&format!("settings.locale.overrides.{tag}.{key}"), why);
                }
            }
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct ThemePreviewRequest {
    /// The brand above the form (default: the tenant's theme, then its display name).
    name: Option<String>,
    /// An `https://` URL of the logo.
    logo_url: Option<String>,
    /// `#rrggbb`, standing apart from white by at least 4.5:1 (WCAG 2.1 AA): the button's
    /// text, the links and the focus ring are drawn with it.
    primary_colour: Option<String>,
}

/// The tenant's sign-in page in a proposed theme (the fields given, over the saved ones),
/// before it is saved: refused as the save would be, naming the field and, for a colour,
/// the contrast it has.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/theme/preview", tag = "tenants", request_body = ThemePreviewRequest,
    params(("tenant_id" = String, Path)),
    responses((status = 200, description = "The sign-in page in the proposed theme", content_type = "text/html", body = String),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["tenants:read"])))]
pub async fn preview_theme(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require_in(Scope::TenantsRead, &tenant_id)?;
    let mut tenant = state.management.tenant(&tenant_id).await?;
    let theme = &mut tenant.settings.theme;
    if let Some(name) = fields.nullable_string("name") {
        theme.name = name;
    }
    if let Some(logo_url) = fields.nullable_string("logo_url") {
        theme.logo_url = logo_url;
    }
    if let Some(colour) = fields.optional_string("primary_colour") {
        theme.primary_colour = colour;
    }
    let theme = tenant.settings.theme.clone();
    reject_invalid(fields.finish(), semantic(|errors| theme.validate(errors, "")))?;
    crate::i18n::offer_tenant(&tenant);
    Ok(crate::pages::login_preview(&tenant))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)), security(("bearer" = ["tenants:write"])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    caller.require(Scope::TenantsWrite)?;
    caller.require_step_up()?;
    state.management.delete_tenant(&tenant_id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's legacy password verifier and the secret its requests are signed with.
#[derive(serde::Serialize, ToSchema)]
pub struct PasswordVerifierView {
    /// `settings.migration.password_verifier_url`, or `null` when lazy migration is off.
    url: Option<String>,
    /// Verify each request's `webhook-signature` with it (a Standard Webhooks library does).
    secret: String,
    /// `settings.migration.secret_version`: raise it to rotate the secret.
    secret_version: u32,
}

/// The secret the tenant's password verifier checks requests with. It is derived, not
/// stored: every node signs with it, and raising `settings.migration.secret_version`
/// replaces it.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/password-verifier", tag = "tenants",
    params(("tenant_id" = String, Path)),
    responses((status = 200, body = PasswordVerifierView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["credentials:write"])))]
pub async fn password_verifier(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
) -> ApiResult<Response> {
    // A secret: what management credentials need, and an admin's recent second factor.
    caller.require_in(Scope::CredentialsWrite, &tenant_id)?;
    caller.require_step_up()?;
    let tenant = state.management.tenant(&tenant_id).await?;
    let migration = &tenant.settings.migration;
    let view = PasswordVerifierView {
        url: migration.password_verifier_url.clone(),
        secret: state.auth.verifier_secret(&tenant),
        secret_version: migration.secret_version,
    };
    Ok(([(axum::http::header::CACHE_CONTROL, "no-store")], Json(view)).into_response())
}
