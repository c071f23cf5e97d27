//! `/v1/tenants/{tenant_id}/users`: create, read, list (email prefix filter), update, delete.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use intelliauth_core::management::{NewUser, UserPatch};
use intelliauth_core::merge_patch::MergePatch;
use intelliauth_core::model::{AdminRole, Profile};
use intelliauth_core::ports::UserFilter;
use intelliauth_core::Error;
use utoipa::ToSchema;

use super::allowed::{Allowed, Item, UsersRead, UsersWrite};
use super::item::item_handlers;
use super::reject_invalid;
use super::views::{list, resource, ErrorBody, ListView, UserView};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, Pagination, Patch, Precondition};

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
    /// The hosted pages' language for this user (`en`, `fr`, `de`, `ar`): over the
    /// browser's and the tenant's, under a client's `ui_locales`.
    locale: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    /// An `https` URL of the user's picture (OIDC's `picture` claim).
    picture: Option<String>,
    /// What applications keep about the user that the user may see (at most 16 KiB as JSON).
    #[schema(value_type = Option<Object>)]
    user_metadata: Option<serde_json::Value>,
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
    /// The hosted pages' language for this user, or `null` (the browser's and the tenant's).
    locale: Option<String>,
    /// `given_name`, `family_name`, `nickname`, `picture`: `null` clears one.
    given_name: Option<String>,
    family_name: Option<String>,
    nickname: Option<String>,
    /// An `https` URL of the user's picture (OIDC's `picture` claim).
    picture: Option<String>,
    /// Merged into the stored `user_metadata` (RFC 7396: `null` removes a key).
    #[schema(value_type = Option<Object>)]
    user_metadata: Option<serde_json::Value>,
}

/// The profile claims the body names, as a merge patch over the stored ones.
fn profile_patch(fields: &mut Fields) -> Option<MergePatch> {
    let mut patch = serde_json::Map::new();
    for claim in PROFILE_CLAIMS {
        if let Some(value) = fields.nullable_string(claim) {
            patch.insert(claim.to_owned(), value.map_or(serde_json::Value::Null, serde_json::Value::String));
        }
    }
    (!patch.is_empty()).then_some(MergePatch(serde_json::Value::Object(patch)))
}

const PROFILE_CLAIMS: [&str; 4] = ["given_name", "family_name", "nickname", "picture"];

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
pub async fn create(at: Allowed<UsersWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewUser {
        email: fields.required_string("email"),
        password: fields.optional_string("password"),
        name: fields.optional_string("name"),
        email_verified: fields.optional_bool("email_verified").unwrap_or(false),
        role: role_field(&mut fields).flatten(),
        locale: fields.optional_string("locale"),
        profile: Profile {
            given_name: fields.optional_string("given_name"),
            family_name: fields.optional_string("family_name"),
            nickname: fields.optional_string("nickname"),
            picture: fields.optional_string("picture"),
        },
        user_metadata: match fields.nullable_object("user_metadata").flatten() {
            Some(serde_json::Value::Object(metadata)) => metadata,
            _ => Default::default(),
        },
    };
    let errors = fields.finish();
    reject_invalid(errors, at.state.management.check_new_user(at.tenant_id(), &input).await?)?;
    let user = at.state.management.create_user(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &user.meta, UserView::from(&user)))
}

item_handlers!(tag "users", path "/v1/tenants/{tenant_id}/users/{user_id}", id "user_id", view UserView,
    get UsersRead "users:read" => user, delete UsersWrite "users:write" => delete_user, step_up: true);

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users", tag = "users",
    params(("tenant_id" = String, Path), ("email_prefix" = Option<String>, Query),
        ("email" = Option<String>, Query, description = "The user with exactly this email (compared after trimming and lower-casing)."), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<UserView>)), security(("bearer" = ["users:read"])))]
pub async fn list_all(at: Allowed<UsersRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let filter = UserFilter {
        email_prefix: pagination.params.get("email_prefix").cloned(),
        email: pagination.params.get("email").cloned(),
    };
    let page = at.state.management.list_users(at.tenant_id(), filter, pagination.page).await?;
    Ok(list::<_, UserView>(page))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/users/{user_id}", tag = "users", request_body = UpdateUserRequest,
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 412, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn update(at: Allowed<UsersWrite, Item>, Patch { if_match, mut fields }: Patch) -> ApiResult<Response> {
    let patch = UserPatch {
        email: fields.optional_string("email"),
        password: fields.optional_string("password"),
        name: fields.nullable_string("name"),
        email_verified: fields.optional_bool("email_verified"),
        disabled: fields.optional_bool("disabled"),
        must_reset_password: fields.optional_bool("must_reset_password"),
        role: role_field(&mut fields),
        locale: fields.nullable_string("locale"),
        profile: profile_patch(&mut fields),
        user_metadata: fields.optional_merge_patch("user_metadata"),
    };
    // Who administers the tenant is the owners' decision: an admin cannot promote
    // themselves or anyone else.
    if patch.role.is_some() {
        if at.caller.assurance.as_ref().is_some_and(|admin| admin.role != AdminRole::Owner) {
            return Err(Error::permission_denied("role").with_detail("reason", "only an owner changes roles").into());
        }
        at.caller.require_step_up()?;
    }
    let errors = fields.finish();
    reject_invalid(errors, at.state.management.check_user_patch(at.tenant_id(), &patch).await?)?;
    let user = at.state.management.update_user(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &user.meta, UserView::from(&user)))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/unlock", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = UserView), (status = 404, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn unlock(at: Allowed<UsersWrite, Item>) -> ApiResult<Response> {
    let user = at.state.management.unlock_user(at.tenant_id(), at.id()).await?;
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
pub async fn sessions(at: Allowed<UsersRead, Item>) -> ApiResult<impl IntoResponse> {
    let rfc3339 = intelliauth_core::ids::rfc3339;
    let data = at
        .state
        .management
        .user_sessions(at.tenant_id(), at.id())
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
    Allowed { state, path: (tenant_id, user_id, session_id), .. }: Allowed<UsersWrite, (String, String, String)>,
) -> ApiResult<StatusCode> {
    state.management.revoke_user_sessions(&tenant_id, &user_id, Some(&session_id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/sessions", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)), security(("bearer" = ["users:write"])))]
pub async fn revoke_all_sessions(at: Allowed<UsersWrite, Item>) -> ApiResult<StatusCode> {
    at.state.management.revoke_user_sessions(at.tenant_id(), at.id(), None).await?;
    Ok(StatusCode::NO_CONTENT)
}
