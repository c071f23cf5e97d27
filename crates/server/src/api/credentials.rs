//! `/v1/credentials`: management credentials (bearer tokens with scopes).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use intelliauth_core::management::NewCredential;
use intelliauth_core::model::Scope;
use intelliauth_core::validate::FieldErrors;
use utoipa::ToSchema;

use super::reject_invalid;
use super::views::{list, CredentialView, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{Caller, JsonObject, Pagination};
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct CreateCredentialRequest {
    name: String,
    /// Bind the credential to one tenant; defaults to the caller's own binding.
    tenant_id: Option<String>,
    /// For example `["users:read"]`; you can only grant scopes you hold.
    scopes: Vec<String>,
}

#[utoipa::path(post, path = "/v1/credentials", tag = "credentials", request_body = CreateCredentialRequest,
    responses((status = 201, body = CredentialView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = ["credentials:write"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<impl IntoResponse> {
    caller.require(Scope::CredentialsWrite)?;
    let input = NewCredential {
        name: fields.required_string("name"),
        tenant_id: fields.optional_string("tenant_id"),
        scopes: fields.optional_string_list("scopes").unwrap_or_default(),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let (credential, token) = state.management.create_credential(&caller.credential, input).await?;
    Ok((StatusCode::CREATED, Json(CredentialView::new(&credential, Some(token)))))
}

#[utoipa::path(get, path = "/v1/credentials", tag = "credentials",
    params(("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<CredentialView>)), security(("bearer" = ["credentials:read"])))]
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
    pagination: Pagination,
) -> ApiResult<impl IntoResponse> {
    caller.require(Scope::CredentialsRead)?;
    Ok(list::<_, CredentialView>(state.management.list_credentials(&caller.credential, pagination.page).await?))
}

#[utoipa::path(delete, path = "/v1/credentials/{credential_id}", tag = "credentials",
    params(("credential_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = ["credentials:write"])))]
pub async fn delete(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> ApiResult<StatusCode> {
    caller.require(Scope::CredentialsWrite)?;
    state.management.delete_credential(&caller.credential, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
