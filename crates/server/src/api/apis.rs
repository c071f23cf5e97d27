//! `/v1/tenants/{tenant_id}/apis`, `/client-grants` and `/roles`: the APIs a tenant's
//! applications get access tokens for, which application may get which permissions, and
//! roles; `/users/{user_id}/roles` and `/permissions`: what a user is given. APIs, client
//! grants and roles take the `applications:*` scopes (they wire applications to resource
//! servers); assigning roles takes `users:*`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::apis::{Api, ClientGrant, Permission, Role, RolePermission, SubjectType, UserAccess};
use intelliauth_core::ids::rfc3339;
use intelliauth_core::management::{ApiPatch, HeldPermission, NewApi, NewClientGrant, NewRole, RolePatch};
use intelliauth_core::validate::FieldErrors;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::allowed::{Allowed, ApplicationsRead, ApplicationsWrite, Item, UsersRead, UsersWrite};
use super::reject_invalid;
use super::views::{list, resource, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, Pagination, Patch, Precondition};

#[derive(Serialize, ToSchema)]
pub struct PermissionView {
    /// A scope token, such as `read:reports`.
    value: String,
    description: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApiView {
    id: String,
    tenant_id: String,
    /// The `audience` (RFC 8707 `resource`) token requests name, and the tokens' `aud`.
    identifier: String,
    name: String,
    permissions: Vec<PermissionView>,
    /// Overrides the tenant's and application's lifetime for this API's access tokens.
    access_token_lifetime_s: Option<u64>,
    /// Overrides the tenant's signing algorithm for this API's access tokens: `ES256`,
    /// `EdDSA` or `RS256`. A newly chosen algorithm signs once every node publishes its keys
    /// (about a minute); the tenant's signs until then.
    signing_alg: Option<String>,
    /// A user's token holds only the permissions their roles give.
    rbac: bool,
    /// Tokens carry the `permissions` array.
    permissions_claim: bool,
    /// Tokens carry the user's roles that give permissions of this API (`roles`).
    roles_claim: bool,
    /// `all_applications` or `client_grant` (only applications with a user client grant).
    user_access: String,
    created_at: String,
    updated_at: String,
}

impl From<&Api> for ApiView {
    fn from(api: &Api) -> Self {
        let config = &api.config;
        ApiView {
            id: api.id.clone(),
            tenant_id: api.tenant_id.clone(),
            identifier: api.identifier.clone(),
            name: config.name.clone(),
            permissions: config
                .permissions
                .iter()
                .map(|p| PermissionView { value: p.value.clone(), description: p.description.clone() })
                .collect(),
            access_token_lifetime_s: config.access_token_lifetime_s,
            signing_alg: config.signing_alg.clone(),
            rbac: config.rbac,
            permissions_claim: config.permissions_claim,
            roles_claim: config.roles_claim,
            user_access: config.user_access.as_str().to_owned(),
            created_at: rfc3339(api.meta.created_at),
            updated_at: rfc3339(api.meta.updated_at),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PermissionInput {
    value: String,
    description: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateApiRequest {
    /// An absolute URI; fixed once created.
    identifier: String,
    name: Option<String>,
    permissions: Option<Vec<PermissionInput>>,
    access_token_lifetime_s: Option<u64>,
    /// `ES256`, `EdDSA` or `RS256`; absent: the tenant's.
    signing_alg: Option<String>,
    rbac: Option<bool>,
    permissions_claim: Option<bool>,
    roles_claim: Option<bool>,
    /// `all_applications` (default) or `client_grant`.
    user_access: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateApiRequest {
    name: Option<String>,
    /// Replaces the list; permissions left out are taken out of roles and client grants.
    permissions: Option<Vec<PermissionInput>>,
    /// `null` goes back to the application's or tenant's lifetime.
    access_token_lifetime_s: Option<u64>,
    /// `null` goes back to the tenant's algorithm.
    signing_alg: Option<String>,
    rbac: Option<bool>,
    permissions_claim: Option<bool>,
    roles_claim: Option<bool>,
    user_access: Option<String>,
}

/// A required array of strings.
pub(super) fn required_list(fields: &mut Fields, key: &str) -> Option<Vec<String>> {
    let present = fields.peek(key).is_some_and(|value| !value.is_null());
    let list = fields.optional_string_list(key);
    if !present {
        fields.reject(key, "is required");
    }
    list
}

fn permissions(fields: &mut Fields) -> Option<Vec<Permission>> {
    fields.optional_list_of("permissions", "an object with value and an optional description")
}

fn user_access(fields: &mut Fields) -> Option<UserAccess> {
    let text = fields.optional_string("user_access")?;
    let parsed = UserAccess::parse(&text);
    if parsed.is_none() {
        fields.reject("user_access", "must be all_applications or client_grant");
    }
    parsed
}

/// Publishes keys of the API's algorithm, so its tokens are signed with it once every node
/// has them rather than a minute after its first token.
async fn publish_keys(state: &crate::state::AppState, api: &Api) -> ApiResult<()> {
    if let Some(alg) = &api.config.signing_alg {
        state.oidc.publish_keys(&api.tenant_id, alg).await?;
    }
    Ok(())
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/apis", tag = "apis",
    request_body = CreateApiRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = ApiView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn create_api(at: Allowed<ApplicationsWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewApi {
        identifier: fields.required_string("identifier"),
        name: fields.optional_string("name"),
        permissions: permissions(&mut fields),
        access_token_lifetime_s: fields.optional_u64("access_token_lifetime_s"),
        signing_alg: fields.optional_string("signing_alg"),
        rbac: fields.optional_bool("rbac"),
        permissions_claim: fields.optional_bool("permissions_claim"),
        roles_claim: fields.optional_bool("roles_claim"),
        user_access: user_access(&mut fields),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let api = at.state.management.create_api(at.tenant_id(), input).await?;
    publish_keys(&at.state, &api).await?;
    Ok(resource(StatusCode::CREATED, &api.meta, ApiView::from(&api)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/apis", tag = "apis",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ApiView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_apis(at: Allowed<ApplicationsRead>, pagination: Pagination) -> ApiResult<Json<ListView<ApiView>>> {
    Ok(list(at.state.management.list_apis(at.tenant_id(), pagination.page).await?))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/apis/{api_id}", tag = "apis",
    params(("tenant_id" = String, Path), ("api_id" = String, Path)),
    responses((status = 200, body = ApiView), (status = 404, body = ErrorBody)), security(("bearer" = ["applications:read"])))]
pub async fn get_api(at: Allowed<ApplicationsRead, Item>) -> ApiResult<Response> {
    let api = at.state.management.api(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &api.meta, ApiView::from(&api)))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/apis/{api_id}", tag = "apis",
    request_body = UpdateApiRequest,
    params(("tenant_id" = String, Path), ("api_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ApiView), (status = 400, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn update_api(
    at: Allowed<ApplicationsWrite, Item>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
    let patch = ApiPatch {
        name: fields.optional_string("name"),
        permissions: permissions(&mut fields),
        access_token_lifetime_s: fields.nullable_u64("access_token_lifetime_s"),
        signing_alg: fields.nullable_string("signing_alg"),
        rbac: fields.optional_bool("rbac"),
        permissions_claim: fields.optional_bool("permissions_claim"),
        roles_claim: fields.optional_bool("roles_claim"),
        user_access: user_access(&mut fields),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let api = at.state.management.update_api(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    publish_keys(&at.state, &api).await?;
    Ok(resource(StatusCode::OK, &api.meta, ApiView::from(&api)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/apis/{api_id}", tag = "apis",
    params(("tenant_id" = String, Path), ("api_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn delete_api(
    at: Allowed<ApplicationsWrite, Item>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    at.state.management.delete_api(at.tenant_id(), at.id(), if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct ClientGrantView {
    id: String,
    tenant_id: String,
    /// The application.
    client_id: String,
    api_id: String,
    /// `client`: the application's own tokens (client credentials); `user`: its users' tokens.
    subject_type: String,
    /// The API's permissions the application may get.
    scopes: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<&ClientGrant> for ClientGrantView {
    fn from(grant: &ClientGrant) -> Self {
        ClientGrantView {
            id: grant.id.clone(),
            tenant_id: grant.tenant_id.clone(),
            client_id: grant.client_id.clone(),
            api_id: grant.api_id.clone(),
            subject_type: grant.subject_type.as_str().to_owned(),
            scopes: grant.scopes.clone(),
            created_at: rfc3339(grant.meta.created_at),
            updated_at: rfc3339(grant.meta.updated_at),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateClientGrantRequest {
    client_id: String,
    api_id: String,
    /// `client` (default) or `user`.
    subject_type: Option<String>,
    scopes: Vec<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateClientGrantRequest {
    /// Replaces the permissions.
    scopes: Vec<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/client-grants", tag = "apis",
    request_body = CreateClientGrantRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = ClientGrantView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn create_client_grant(
    at: Allowed<ApplicationsWrite>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    let client_id = fields.required_string("client_id");
    let api_id = fields.required_string("api_id");
    let subject_type = fields.optional_string("subject_type").and_then(|text| {
        let parsed = SubjectType::parse(&text);
        if parsed.is_none() {
            fields.reject("subject_type", "must be client or user");
        }
        parsed
    });
    let scopes = required_list(&mut fields, "scopes");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let input = NewClientGrant { client_id, api_id, subject_type, scopes: scopes.unwrap_or_default() };
    let grant = at.state.management.create_client_grant(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &grant.meta, ClientGrantView::from(&grant)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/client-grants", tag = "apis",
    params(("tenant_id" = String, Path), ("api_id" = Option<String>, Query), ("client_id" = Option<String>, Query),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ClientGrantView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_client_grants(
    at: Allowed<ApplicationsRead>,
    pagination: Pagination,
) -> ApiResult<Json<ListView<ClientGrantView>>> {
    let Pagination { page, params } = pagination;
    let param = |name: &str| params.get(name).map(String::as_str).filter(|value| !value.is_empty());
    let page =
        at.state.management.list_client_grants(at.tenant_id(), param("api_id"), param("client_id"), page).await?;
    Ok(list(page))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/client-grants/{client_grant_id}", tag = "apis",
    params(("tenant_id" = String, Path), ("client_grant_id" = String, Path)),
    responses((status = 200, body = ClientGrantView), (status = 404, body = ErrorBody)),
    security(("bearer" = ["applications:read"])))]
pub async fn get_client_grant(at: Allowed<ApplicationsRead, Item>) -> ApiResult<Response> {
    let grant = at.state.management.client_grant(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &grant.meta, ClientGrantView::from(&grant)))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/client-grants/{client_grant_id}", tag = "apis",
    request_body = UpdateClientGrantRequest,
    params(("tenant_id" = String, Path), ("client_grant_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ClientGrantView), (status = 400, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn update_client_grant(
    at: Allowed<ApplicationsWrite, Item>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
    let scopes = fields.optional_string_list("scopes");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let grant = match scopes {
        Some(scopes) => {
            at.state.management.update_client_grant(at.tenant_id(), at.id(), scopes, if_match.as_ref()).await?
        }
        None => at.state.management.client_grant(at.tenant_id(), at.id()).await?,
    };
    Ok(resource(StatusCode::OK, &grant.meta, ClientGrantView::from(&grant)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/client-grants/{client_grant_id}", tag = "apis",
    params(("tenant_id" = String, Path), ("client_grant_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn delete_client_grant(
    at: Allowed<ApplicationsWrite, Item>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    at.state.management.delete_client_grant(at.tenant_id(), at.id(), if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct RolePermissionView {
    api_id: String,
    value: String,
}

#[derive(Serialize, ToSchema)]
pub struct RoleView {
    id: String,
    tenant_id: String,
    name: String,
    description: String,
    permissions: Vec<RolePermissionView>,
    created_at: String,
    updated_at: String,
}

impl From<&Role> for RoleView {
    fn from(role: &Role) -> Self {
        RoleView {
            id: role.id.clone(),
            tenant_id: role.tenant_id.clone(),
            name: role.name.clone(),
            description: role.description.clone(),
            permissions: role
                .permissions
                .iter()
                .map(|held| RolePermissionView { api_id: held.api_id.clone(), value: held.value.clone() })
                .collect(),
            created_at: rfc3339(role.meta.created_at),
            updated_at: rfc3339(role.meta.updated_at),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RolePermissionInput {
    api_id: String,
    value: String,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateRoleRequest {
    name: String,
    description: Option<String>,
    permissions: Option<Vec<RolePermissionInput>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateRoleRequest {
    name: Option<String>,
    description: Option<String>,
    /// Replaces the list.
    permissions: Option<Vec<RolePermissionInput>>,
}

fn role_permissions(fields: &mut Fields) -> Option<Vec<RolePermission>> {
    fields.optional_list_of("permissions", "an object with api_id and value")
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/roles", tag = "roles",
    request_body = CreateRoleRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = RoleView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn create_role(at: Allowed<ApplicationsWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewRole {
        name: fields.required_string("name"),
        description: fields.optional_string("description"),
        permissions: role_permissions(&mut fields),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let role = at.state.management.create_role(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &role.meta, RoleView::from(&role)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/roles", tag = "roles",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<RoleView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_roles(at: Allowed<ApplicationsRead>, pagination: Pagination) -> ApiResult<Json<ListView<RoleView>>> {
    Ok(list(at.state.management.list_roles(at.tenant_id(), pagination.page).await?))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles",
    params(("tenant_id" = String, Path), ("role_id" = String, Path)),
    responses((status = 200, body = RoleView), (status = 404, body = ErrorBody)), security(("bearer" = ["applications:read"])))]
pub async fn get_role(at: Allowed<ApplicationsRead, Item>) -> ApiResult<Response> {
    let role = at.state.management.role(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &role.meta, RoleView::from(&role)))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles",
    request_body = UpdateRoleRequest,
    params(("tenant_id" = String, Path), ("role_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = RoleView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn update_role(
    at: Allowed<ApplicationsWrite, Item>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
    let patch = RolePatch {
        name: fields.optional_string("name"),
        description: fields.optional_string("description"),
        permissions: role_permissions(&mut fields),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let role = at.state.management.update_role(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &role.meta, RoleView::from(&role)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/roles/{role_id}", tag = "roles",
    params(("tenant_id" = String, Path), ("role_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn delete_role(
    at: Allowed<ApplicationsWrite, Item>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    at.state.management.delete_role(at.tenant_id(), at.id(), if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/roles/{role_id}/users", tag = "roles",
    params(("tenant_id" = String, Path), ("role_id" = String, Path), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Object, description = "`{ \"data\": [{ \"user_id\": … }], \"next_cursor\": … }`"),
        (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn role_users(at: Allowed<UsersRead, Item>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let page = at.state.management.role_users(at.tenant_id(), at.id(), pagination.page).await?;
    let data: Vec<_> = page.items.iter().map(|user_id| json!({ "user_id": user_id })).collect();
    Ok(Json(json!({ "data": data, "next_cursor": page.next_cursor })))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/roles", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "`{ \"data\": [RoleView] }`"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn user_roles(at: Allowed<UsersRead, Item>) -> ApiResult<impl IntoResponse> {
    let roles = at.state.management.user_roles(at.tenant_id(), at.id()).await?;
    Ok(Json(json!({ "data": roles.iter().map(RoleView::from).collect::<Vec<_>>() })))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AssignRolesRequest {
    /// Role ids; ones already assigned stay as they are.
    roles: Vec<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/users/{user_id}/roles", tag = "users",
    request_body = AssignRolesRequest, params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "`{ \"data\": [RoleView] }`: every role the user now has"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn assign_roles(
    at: Allowed<UsersWrite, Item>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<impl IntoResponse> {
    let roles = required_list(&mut fields, "roles");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let roles = at.state.management.assign_roles(at.tenant_id(), at.id(), roles.unwrap_or_default()).await?;
    Ok(Json(json!({ "data": roles.iter().map(RoleView::from).collect::<Vec<_>>() })))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/roles/{role_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("role_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn unassign_role(at: Allowed<UsersWrite, (String, String, String)>) -> ApiResult<StatusCode> {
    let (tenant_id, user_id, role_id) = &at.path;
    at.state.management.unassign_role(tenant_id, user_id, role_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct UserPermissionView {
    api_id: String,
    /// The API's identifier (the tokens' `aud`).
    api_identifier: String,
    value: String,
    /// The names of the user's roles that give it.
    roles: Vec<String>,
}

impl From<HeldPermission> for UserPermissionView {
    fn from(held: HeldPermission) -> Self {
        UserPermissionView {
            api_id: held.api_id,
            api_identifier: held.api_identifier,
            value: held.value,
            roles: held.roles,
        }
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/permissions", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "`{ \"data\": [UserPermissionView] }`"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn user_permissions(at: Allowed<UsersRead, Item>) -> ApiResult<impl IntoResponse> {
    let held = at.state.management.user_permissions(at.tenant_id(), at.id()).await?;
    let data: Vec<UserPermissionView> = held.into_iter().map(UserPermissionView::from).collect();
    Ok(Json(json!({ "data": data })))
}
