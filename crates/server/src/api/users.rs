//! `/v1/tenants/{tenant_id}/users`: create, read, list (email prefix filter), update, delete.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intelliauth_core::management::{NewUser, UserPatch};
use intelliauth_core::model::{AdminRole, Scope};
use intelliauth_core::ports::UserFilter;
use intelliauth_core::Error;
use utoipa::ToSchema;

use super::reject_invalid;
use super::views::{list, resource, ErrorBody, ListView, UserView};
use crate::error::ApiResult;
use crate::extract::{Caller, Fields, JsonObject, Pagination, Precondition};
use crate::state::AppState;

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct CreateUserRequest {
    email: String,
    /// Checked against the tenant's password policy; stored as an argon2id hash.
    password: Option<String>,
    name: Option<String>,
    email_verified: Option<bool>,
    /// A tenant admin with the `admin` role: their own access tokens work on this tenant's
    /// management API. `role` says which role instead.
    admin: Option<bool>,
    /// `owner` (everything, including admins' roles and credentials), `admin` (everything
    /// else) or `viewer` (reads only).
    role: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateUserRequest {
    /// Changing the email marks it unverified unless `email_verified` is also given.
    email: Option<String>,
    password: Option<String>,
    /// `null` clears the name.
    name: Option<String>,
    email_verified: Option<bool>,
    /// A disabled user cannot sign in (`account_disabled`).
    disabled: Option<bool>,
    /// Require a new password at the next sign-in (`password_must_be_reset`).
    must_reset_password: Option<bool>,
    /// `true` makes the user an `admin`, `false` no longer an admin; `role` says which role.
    admin: Option<bool>,
    /// `owner`, `admin`, `viewer`, or `null` (no longer an admin). Only owners (and
    /// management credentials) change roles.
    role: Option<String>,
}

/// The requested role: `role` (a name, or `null` for none) or else `admin` (`true` is the
/// `admin` role). `None` when neither is given; a name that is no role is recorded.
fn role_field(fields: &mut Fields) -> Option<Option<AdminRole>> {
    let admin = fields.optional_bool("admin");
    match fields.nullable_string("role") {
        Some(Some(name)) => match AdminRole::parse(&name) {
            Some(role) => Some(Some(role)),
            None => {
                fields.reject("role", "must be owner, admin or viewer");
                None
            }
        },
        Some(None) => Some(None),
        None => admin.map(|admin| admin.then_some(AdminRole::Admin)),
    }
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users", tag = "users", request_body = CreateUserRequest,
    params(("tenant_id" = String, Path)),
    responses((status = 201, body = UserView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    let input = NewUser {
        email: fields.required_string("email"),
        password: fields.optional_string("password"),
        name: fields.optional_string("name"),
        email_verified: fields.optional_bool("email_verified").unwrap_or(false),
        role: role_field(&mut fields).flatten(),
    };
    let errors = fields.finish();
    reject_invalid(errors, state.management.check_new_user(&tenant_id, &input).await?)?;
    let user = state.management.create_user(&tenant_id, input).await?;
    Ok(resource(StatusCode::CREATED, &user.meta, UserView::from(&user)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)), security(("bearer" = ["users:read"])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require_in(Scope::UsersRead, &tenant_id)?;
    let user = state.management.user(&tenant_id, &user_id).await?;
    Ok(resource(StatusCode::OK, &user.meta, UserView::from(&user)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users", tag = "users",
    params(("tenant_id" = String, Path), ("email_prefix" = Option<String>, Query), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<UserView>)), security(("bearer" = ["users:read"])))]
pub async fn list_all(
    State(state): State<AppState>,
    caller: Caller,
    Path(tenant_id): Path<String>,
    pagination: Pagination,
) -> ApiResult<impl IntoResponse> {
    caller.require_in(Scope::UsersRead, &tenant_id)?;
    let filter = UserFilter { email_prefix: pagination.params.get("email_prefix").cloned() };
    let page = state.management.list_users(&tenant_id, filter, pagination.page).await?;
    Ok(list::<_, UserView>(page))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", request_body = UpdateUserRequest,
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 412, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
    Precondition(if_match): Precondition,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    let patch = UserPatch {
        email: fields.optional_string("email"),
        password: fields.optional_string("password"),
        name: fields.nullable_string("name"),
        email_verified: fields.optional_bool("email_verified"),
        disabled: fields.optional_bool("disabled"),
        must_reset_password: fields.optional_bool("must_reset_password"),
        role: role_field(&mut fields),
    };
    // Who administers the tenant is the owners' decision: an admin cannot promote
    // themselves or anyone else.
    if patch.role.is_some() {
        if caller.assurance.as_ref().is_some_and(|admin| admin.role != AdminRole::Owner) {
            return Err(Error::permission_denied("role").with_detail("reason", "only an owner changes roles").into());
        }
        caller.require_step_up()?;
    }
    let errors = fields.finish();
    reject_invalid(errors, state.management.check_user_patch(&tenant_id, &patch).await?)?;
    let user = state.management.update_user(&tenant_id, &user_id, patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &user.meta, UserView::from(&user)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    caller.require_step_up()?;
    state.management.delete_user(&tenant_id, &user_id, if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/unlock", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn unlock(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> ApiResult<Response> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    let user = state.management.unlock_user(&tenant_id, &user_id).await?;
    Ok(resource(StatusCode::OK, &user.meta, UserView::from(&user)))
}

/// A signed-in session, as admins see it.
#[derive(serde::Serialize, ToSchema)]
pub struct SessionView {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub idle_expires_at: String,
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/sessions", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = ListView<SessionView>), (status = 404, body = ErrorBody)), security(("bearer" = ["users:read"])))]
pub async fn sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    caller.require_in(Scope::UsersRead, &tenant_id)?;
    let rfc3339 = intelliauth_core::ids::rfc3339;
    let data = state
        .management
        .user_sessions(&tenant_id, &user_id)
        .await?
        .into_iter()
        .map(|session| SessionView {
            id: session.id,
            created_at: rfc3339(session.created_at),
            last_seen_at: rfc3339(session.last_seen_at),
            expires_at: rfc3339(session.expires_at),
            idle_expires_at: rfc3339(session.idle_expires_at),
        })
        .collect();
    Ok(axum::Json(ListView { data, next_cursor: None }))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/sessions/{session_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("session_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id, session_id)): Path<(String, String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    state.management.revoke_user_sessions(&tenant_id, &user_id, Some(&session_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/sessions", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn revoke_all_sessions(
    State(state): State<AppState>,
    caller: Caller,
    Path((tenant_id, user_id)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    caller.require_in(Scope::UsersWrite, &tenant_id)?;
    state.management.revoke_user_sessions(&tenant_id, &user_id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
