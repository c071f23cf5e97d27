//! `/v1/tenants/{tenant_id}/organizations`: a tenant's customer organizations, their
//! members and the roles members have in them; `/users/{user_id}/organizations`: a user's.
//! They take the `users:*` scopes: organizations group the tenant's users.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::ids::rfc3339;
use intelliauth_core::management::{NewOrganization, OrganizationPatch};
use intelliauth_core::model::Theme;
use intelliauth_core::organizations::{Membership, Organization};
use intelliauth_core::validate::FieldErrors;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::allowed::{Allowed, Item, UsersRead, UsersWrite};
use super::reject_invalid;
use super::views::{list, resource, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, Pagination, Patch, Precondition};

#[derive(Serialize, ToSchema)]
pub struct OrganizationView {
    id: String,
    tenant_id: String,
    /// A slug: what `organization=` may name besides the id.
    name: String,
    display_name: String,
    /// `{ name, logo_url, primary_colour }`, or `null` for the tenant's look.
    #[schema(value_type = Option<Object>)]
    branding: Option<Theme>,
    #[schema(value_type = Object)]
    metadata: BTreeMap<String, String>,
    /// Connection ids its members may sign in with; empty: every one of the tenant.
    connections: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Organization> for OrganizationView {
    fn from(organization: &Organization) -> Self {
        let config = &organization.config;
        OrganizationView {
            id: organization.id.clone(),
            tenant_id: organization.tenant_id.clone(),
            name: organization.name.clone(),
            display_name: config.display_name.clone(),
            branding: config.branding.clone(),
            metadata: config.metadata.clone(),
            connections: config.connections.clone(),
            created_at: rfc3339(organization.meta.created_at),
            updated_at: rfc3339(organization.meta.updated_at),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct BrandingInput {
    name: Option<String>,
    logo_url: Option<String>,
    /// Must stand apart from white by at least 4.5:1 (WCAG 2.1 AA).
    primary_colour: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateOrganizationRequest {
    /// Lower-case letters, digits and hyphens; fixed once created.
    name: String,
    display_name: Option<String>,
    branding: Option<BrandingInput>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<BTreeMap<String, String>>,
    connections: Option<Vec<String>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateOrganizationRequest {
    display_name: Option<String>,
    /// `null` goes back to the tenant's look.
    branding: Option<BrandingInput>,
    #[schema(value_type = Option<Object>)]
    metadata: Option<BTreeMap<String, String>>,
    connections: Option<Vec<String>>,
}

/// `branding`: absent, `null` (clear) or a theme.
fn branding(fields: &mut Fields) -> Option<Option<Theme>> {
    match fields.nullable_object("branding")? {
        None => Some(None),
        Some(mut object) => match serde_json::from_value::<Theme>({
            // A member set to null is one left out: its default.
            if let Some(members) = object.as_object_mut() {
                members.retain(|_, value| !value.is_null());
            }
            object
        }) {
            Ok(theme) => Some(Some(theme)),
            Err(error) => {
                fields.reject("branding", &format!("must be an object of name, logo_url and primary_colour: {error}"));
                None
            }
        },
    }
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/organizations", tag = "organizations",
    request_body = CreateOrganizationRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = OrganizationView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn create(at: Allowed<UsersWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewOrganization {
        name: fields.required_string("name"),
        display_name: fields.optional_string("display_name"),
        branding: branding(&mut fields).flatten(),
        metadata: fields.optional_string_map("metadata"),
        connections: fields.optional_string_list("connections"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let organization = at.state.management.create_organization(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &organization.meta, OrganizationView::from(&organization)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/organizations", tag = "organizations",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<OrganizationView>)), security(("bearer" = ["users:read"])))]
pub async fn list_all(at: Allowed<UsersRead>, pagination: Pagination) -> ApiResult<Json<ListView<OrganizationView>>> {
    Ok(list(at.state.management.list_organizations(at.tenant_id(), pagination.page).await?))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}", tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path)),
    responses((status = 200, body = OrganizationView), (status = 404, body = ErrorBody)), security(("bearer" = ["users:read"])))]
pub async fn get(at: Allowed<UsersRead, Item>) -> ApiResult<Response> {
    let organization = at.state.management.organization(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &organization.meta, OrganizationView::from(&organization)))
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}", tag = "organizations",
    request_body = UpdateOrganizationRequest,
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = OrganizationView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 412, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn update(at: Allowed<UsersWrite, Item>, Patch { if_match, mut fields }: Patch) -> ApiResult<Response> {
    let patch = OrganizationPatch {
        display_name: fields.optional_string("display_name"),
        branding: branding(&mut fields),
        metadata: fields.optional_string_map("metadata"),
        connections: fields.optional_string_list("connections"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let organization =
        at.state.management.update_organization(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &organization.meta, OrganizationView::from(&organization)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}", tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn delete(at: Allowed<UsersWrite, Item>, Precondition(if_match): Precondition) -> ApiResult<StatusCode> {
    at.state.management.delete_organization(at.tenant_id(), at.id(), if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn member_json(member: &Membership) -> Value {
    json!({ "user_id": member.user_id, "roles": member.role_ids, "created_at": rfc3339(member.created_at) })
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/members", tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = Object, description = "`{ \"data\": [{ \"user_id\", \"roles\", \"created_at\" }], \"next_cursor\" }`"),
        (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn members(at: Allowed<UsersRead, Item>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let page = at.state.management.members(at.tenant_id(), at.id(), pagination.page).await?;
    let data: Vec<Value> = page.items.iter().map(member_json).collect();
    Ok(Json(json!({ "data": data, "next_cursor": page.next_cursor })))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AddMembersRequest {
    /// User ids of the tenant; members already in stay as they are.
    users: Vec<String>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/members", tag = "organizations",
    request_body = AddMembersRequest, params(("tenant_id" = String, Path), ("organization_id" = String, Path)),
    responses((status = 204), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn add_members(at: Allowed<UsersWrite, Item>, JsonObject(mut fields): JsonObject) -> ApiResult<StatusCode> {
    let users = super::apis::required_list(&mut fields, "users");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    at.state.management.add_members(at.tenant_id(), at.id(), users.unwrap_or_default()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/members/{user_id}", tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn remove_member(at: Allowed<UsersWrite, (String, String, String)>) -> ApiResult<StatusCode> {
    let (tenant_id, organization_id, user_id) = &at.path;
    at.state.management.remove_member(tenant_id, organization_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MemberRolesRequest {
    /// Role ids of the tenant: the member's roles in this organization, replacing the ones before.
    roles: Vec<String>,
}

#[utoipa::path(put, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/members/{user_id}/roles", tag = "organizations",
    request_body = MemberRolesRequest,
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "The membership: `{ \"user_id\", \"roles\", \"created_at\" }`"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn member_roles(
    at: Allowed<UsersWrite, (String, String, String)>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<impl IntoResponse> {
    let roles = super::apis::required_list(&mut fields, "roles");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let (tenant_id, organization_id, user_id) = &at.path;
    let member =
        at.state.management.set_member_roles(tenant_id, organization_id, user_id, roles.unwrap_or_default()).await?;
    Ok(Json(member_json(&member)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/organizations", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "`{ \"data\": [OrganizationView] }`"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn user_organizations(at: Allowed<UsersRead, Item>) -> ApiResult<impl IntoResponse> {
    let organizations = at.state.management.user_organizations(at.tenant_id(), at.id()).await?;
    Ok(Json(json!({ "data": organizations.iter().map(OrganizationView::from).collect::<Vec<_>>() })))
}

#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    id: String,
    organization_id: String,
    email: String,
    /// Role ids the member gets on accepting.
    roles: Vec<String>,
    inviter: String,
    created_at: String,
    expires_at: String,
    accepted_at: Option<String>,
    /// Only in the response that created it: the link to give the invitee (it was mailed
    /// unless `send_email` was false); not shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation_url: Option<String>,
}

impl InvitationView {
    fn new(invitation: &intelliauth_core::organizations::Invitation, invitation_url: Option<String>) -> Self {
        InvitationView {
            id: invitation.id.clone(),
            organization_id: invitation.organization_id.clone(),
            email: invitation.email.clone(),
            roles: invitation.role_ids.clone(),
            inviter: invitation.inviter.clone(),
            created_at: rfc3339(invitation.created_at),
            expires_at: rfc3339(invitation.expires_at),
            accepted_at: invitation.accepted_at.map(rfc3339),
            invitation_url,
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateInvitationRequest {
    email: String,
    /// Role ids of the tenant the member gets in the organization.
    roles: Option<Vec<String>>,
    /// How long the link works: 300 s to 30 days; a week by default.
    ttl_s: Option<u64>,
    /// Mail the link (default true); false returns it only, to deliver another way.
    send_email: Option<bool>,
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/invitations", tag = "organizations",
    request_body = CreateInvitationRequest, params(("tenant_id" = String, Path), ("organization_id" = String, Path)),
    responses((status = 201, body = InvitationView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn invite(at: Allowed<UsersWrite, Item>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let email = fields.required_string("email");
    let roles = fields.optional_string_list("roles").unwrap_or_default();
    let ttl_s = fields.optional_u64("ttl_s");
    let send_email = fields.optional_bool("send_email").unwrap_or(true);
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let management = &at.state.management;
    let (invitation, token) = management.create_invitation(at.tenant_id(), at.id(), &email, roles, ttl_s).await?;
    if send_email {
        let organization = management.organization(at.tenant_id(), at.id()).await?;
        at.state.auth.mail_invitation(&invitation, &organization, &token).await?;
    }
    let url = at.state.auth.invitation_url(at.tenant_id(), &token);
    Ok((StatusCode::CREATED, Json(InvitationView::new(&invitation, Some(url)))).into_response())
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/invitations", tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<InvitationView>), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn invitations(
    at: Allowed<UsersRead, Item>,
    pagination: Pagination,
) -> ApiResult<Json<ListView<InvitationView>>> {
    let page = at.state.management.invitations(at.tenant_id(), at.id(), pagination.page).await?;
    let data = page.items.iter().map(|invitation| InvitationView::new(invitation, None)).collect();
    Ok(Json(ListView { data, next_cursor: page.next_cursor }))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/organizations/{organization_id}/invitations/{invitation_id}",
    tag = "organizations",
    params(("tenant_id" = String, Path), ("organization_id" = String, Path), ("invitation_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn withdraw_invitation(at: Allowed<UsersWrite, (String, String, String)>) -> ApiResult<StatusCode> {
    let (tenant_id, organization_id, invitation_id) = &at.path;
    at.state.management.delete_invitation(tenant_id, organization_id, invitation_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
