//! `/v1/tenants/{tenant_id}/connections`: a tenant's upstream identity providers (client
//! secrets are write-only), and `/v1/tenants/{tenant_id}/users/{user_id}/identities`: the
//! upstream accounts linked to a user. Connections take the `applications:*` scopes: like
//! applications, they are how the tenant is wired to the outside.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::federation::{Connection, Identity, Preset, Strategy};
use intelliauth_core::ids::rfc3339;
use intelliauth_core::management::{ConnectionPatch, NewConnection};
use intelliauth_core::validate::FieldErrors;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::allowed::{Allowed, ApplicationsRead, ApplicationsWrite, Item, UsersRead, UsersWrite};
use super::reject_invalid;
use super::views::{resource, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, Pagination, Patch, Precondition};

#[derive(Serialize, ToSchema)]
pub struct ConnectionView {
    id: String,
    tenant_id: String,
    /// What `connection=` names.
    name: String,
    display_name: String,
    /// `oidc` or `oauth2`.
    strategy: String,
    /// `google`, `microsoft`, `github`, `gitlab` or `apple`.
    preset: Option<String>,
    client_id: String,
    /// Whether a client secret is stored (it is never returned).
    client_secret_set: bool,
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    /// The scopes asked for (the preset's or strategy's when none are set).
    scopes: Vec<String>,
    /// Target (`name`, `given_name`, `family_name`, `nickname`, `picture`, `app_metadata.<key>`) → upstream claim.
    #[schema(value_type = Object)]
    mapping: BTreeMap<String, String>,
    /// Apple: the team and the key that sign the client secret (when it is the `.p8` key).
    team_id: Option<String>,
    key_id: Option<String>,
    /// The redirect URI to register at the upstream.
    redirect_uri: String,
    enabled: bool,
    created_at: String,
    updated_at: String,
}

impl ConnectionView {
    fn new(connection: &Connection, redirect_uri: String) -> Self {
        let config = &connection.config;
        ConnectionView {
            id: connection.id.clone(),
            tenant_id: connection.tenant_id.clone(),
            name: connection.name.clone(),
            display_name: config.display_name.clone(),
            strategy: config.strategy.as_str().to_owned(),
            preset: config.preset.map(|preset| preset.as_str().to_owned()),
            client_id: config.client_id.clone(),
            client_secret_set: connection.client_secret_sealed.is_some(),
            issuer: config.issuer.clone(),
            authorization_endpoint: config.authorization_endpoint.clone(),
            token_endpoint: config.token_endpoint.clone(),
            userinfo_endpoint: config.userinfo_endpoint.clone(),
            jwks_uri: config.jwks_uri.clone(),
            scopes: connection.scopes(),
            mapping: config.mapping.clone(),
            team_id: config.team_id.clone(),
            key_id: config.key_id.clone(),
            redirect_uri,
            enabled: connection.enabled,
            created_at: rfc3339(connection.meta.created_at),
            updated_at: rfc3339(connection.meta.updated_at),
        }
    }
}

/// The view of `connection` on this instance (its redirect URI depends on the public URL).
fn view(state: &crate::state::AppState, connection: &Connection) -> ConnectionView {
    ConnectionView::new(connection, state.auth.upstream_redirect_uri(&connection.tenant_id))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateConnectionRequest {
    /// Lower-case letters, digits and hyphens; what `connection=` names.
    name: String,
    display_name: Option<String>,
    /// `oidc` (default) or `oauth2`.
    strategy: Option<String>,
    /// `google`, `microsoft`, `github`, `gitlab` or `apple`: endpoints and quirks built in.
    preset: Option<String>,
    client_id: String,
    /// Write-only; sealed with the instance key.
    client_secret: Option<String>,
    /// OpenID Connect: the issuer whose discovery document gives the endpoints.
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    scopes: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    mapping: Option<BTreeMap<String, String>>,
    /// Apple: the Team ID, when `client_secret` is the Sign in with Apple key (`.p8` PEM).
    team_id: Option<String>,
    /// Apple: the key's Key ID.
    key_id: Option<String>,
    enabled: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateConnectionRequest {
    display_name: Option<String>,
    client_id: Option<String>,
    /// `null` removes it.
    client_secret: Option<String>,
    issuer: Option<String>,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    userinfo_endpoint: Option<String>,
    jwks_uri: Option<String>,
    scopes: Option<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    mapping: Option<BTreeMap<String, String>>,
    /// Apple: the Team ID, when `client_secret` is the Sign in with Apple key (`.p8` PEM).
    team_id: Option<String>,
    /// Apple: the key's Key ID.
    key_id: Option<String>,
    enabled: Option<bool>,
}

/// `strategy` and `preset`, read by name.
fn named<T>(fields: &mut Fields, key: &str, parse: fn(&str) -> Option<T>, names: &str) -> Option<T> {
    let text = fields.optional_string(key)?;
    let parsed = parse(&text);
    if parsed.is_none() {
        fields.reject(key, &format!("must be one of {names}"));
    }
    parsed
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/connections", tag = "connections",
    request_body = CreateConnectionRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = ConnectionView), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn create(at: Allowed<ApplicationsWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewConnection {
        name: fields.required_string("name"),
        display_name: fields.optional_string("display_name"),
        strategy: named(&mut fields, "strategy", Strategy::parse, "oidc, oauth2"),
        preset: named(&mut fields, "preset", Preset::parse, "google, microsoft, github, gitlab, apple"),
        client_id: fields.required_string("client_id"),
        client_secret: fields.optional_string("client_secret"),
        issuer: fields.optional_string("issuer"),
        authorization_endpoint: fields.optional_string("authorization_endpoint"),
        token_endpoint: fields.optional_string("token_endpoint"),
        userinfo_endpoint: fields.optional_string("userinfo_endpoint"),
        jwks_uri: fields.optional_string("jwks_uri"),
        scopes: fields.optional_string_list("scopes"),
        mapping: fields.optional_string_map("mapping"),
        team_id: fields.optional_string("team_id"),
        key_id: fields.optional_string("key_id"),
        enabled: fields.optional_bool("enabled"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let connection = at.state.management.create_connection(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &connection.meta, view(&at.state, &connection)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/connections", tag = "connections",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ConnectionView>)), security(("bearer" = ["applications:read"])))]
pub async fn list_all(at: Allowed<ApplicationsRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let page = at.state.management.list_connections(at.tenant_id(), pagination.page).await?;
    let data = page.items.iter().map(|connection| view(&at.state, connection)).collect();
    Ok(Json(ListView { data, next_cursor: page.next_cursor }))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/connections/{connection_id}", tag = "connections",
    params(("tenant_id" = String, Path), ("connection_id" = String, Path)),
    responses((status = 200, body = ConnectionView), (status = 404, body = ErrorBody)), security(("bearer" = ["applications:read"])))]
pub async fn get(at: Allowed<ApplicationsRead, Item>) -> ApiResult<Response> {
    let connection = at.state.management.connection(at.tenant_id(), at.id()).await?;
    Ok(resource(StatusCode::OK, &connection.meta, view(&at.state, &connection)))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/connections/{connection_id}", tag = "connections",
    params(("tenant_id" = String, Path), ("connection_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn delete(
    at: Allowed<ApplicationsWrite, Item>,
    Precondition(if_match): Precondition,
) -> ApiResult<StatusCode> {
    at.state.management.delete_connection(at.tenant_id(), at.id(), if_match.as_ref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/connections/{connection_id}", tag = "connections",
    request_body = UpdateConnectionRequest,
    params(("tenant_id" = String, Path), ("connection_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ConnectionView), (status = 400, body = ErrorBody), (status = 412, body = ErrorBody)),
    security(("bearer" = ["applications:write"])))]
pub async fn update(
    at: Allowed<ApplicationsWrite, Item>,
    Patch { if_match, mut fields }: Patch,
) -> ApiResult<Response> {
    let patch = ConnectionPatch {
        display_name: fields.optional_string("display_name"),
        client_id: fields.optional_string("client_id"),
        client_secret: fields.nullable_string("client_secret"),
        issuer: fields.nullable_string("issuer"),
        authorization_endpoint: fields.nullable_string("authorization_endpoint"),
        token_endpoint: fields.nullable_string("token_endpoint"),
        userinfo_endpoint: fields.nullable_string("userinfo_endpoint"),
        jwks_uri: fields.nullable_string("jwks_uri"),
        scopes: fields.optional_string_list("scopes"),
        mapping: fields.optional_string_map("mapping"),
        team_id: fields.nullable_string("team_id"),
        key_id: fields.nullable_string("key_id"),
        enabled: fields.optional_bool("enabled"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let connection = at.state.management.update_connection(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &connection.meta, view(&at.state, &connection)))
}

#[derive(Serialize, ToSchema)]
pub struct IdentityView {
    id: String,
    /// The connection's name.
    connection: String,
    connection_id: String,
    /// The user's id at the upstream.
    user_id: String,
    /// The claims of the latest sign-in through it.
    #[schema(value_type = Object)]
    profile_data: Value,
    created_at: String,
    last_sign_in_at: String,
}

impl IdentityView {
    fn new(identity: &Identity, connection: &str) -> Self {
        IdentityView {
            id: identity.id.clone(),
            connection: connection.to_owned(),
            connection_id: identity.connection_id.clone(),
            user_id: identity.subject.clone(),
            profile_data: Value::Object(identity.claims.clone()),
            created_at: rfc3339(identity.created_at),
            last_sign_in_at: rfc3339(identity.last_sign_in_at),
        }
    }
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/users/{user_id}/identities", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path)),
    responses((status = 200, body = Object, description = "`{ \"data\": [IdentityView] }`"), (status = 404, body = ErrorBody)),
    security(("bearer" = ["users:read"])))]
pub async fn identities(at: Allowed<UsersRead, Item>) -> ApiResult<Json<Value>> {
    let identities = at.state.management.user_identities(at.tenant_id(), at.id()).await?;
    let data: Vec<IdentityView> =
        identities.iter().map(|(identity, connection)| IdentityView::new(identity, connection)).collect();
    Ok(Json(json!({ "data": data })))
}

#[utoipa::path(delete, path = "/v1/tenants/{tenant_id}/users/{user_id}/identities/{identity_id}", tag = "users",
    params(("tenant_id" = String, Path), ("user_id" = String, Path), ("identity_id" = String, Path),
        ("force" = Option<bool>, Query, description = "Unlink even the user's only way to sign in")),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = ["users:write"])))]
pub async fn unlink_identity(
    at: Allowed<UsersWrite, (String, String, String)>,
    pagination: Pagination,
) -> ApiResult<StatusCode> {
    let force = pagination.params.get("force").is_some_and(|value| value == "true");
    let (tenant_id, user_id, identity_id) = &at.path;
    at.state.management.remove_identity(tenant_id, user_id, identity_id, force).await?;
    Ok(StatusCode::NO_CONTENT)
}
