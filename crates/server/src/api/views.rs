//! JSON representations of resources, as the management API sends them.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::ids::rfc3339;
use intelliauth_core::model::{AdminRole, Application, ManagementCredential, Meta, Tenant, User};
use intelliauth_core::page::Page;
use serde::Serialize;
use utoipa::ToSchema;

/// Every error response has this body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    /// A catalogue code; match on it, not on `message`.
    #[schema(example = "validation_failed")]
    pub code: String,
    pub message: String,
    /// Programmatic details: `fields` for `validation_failed`, `retry_after_s` where the
    /// catalogue says so, what conflicts for `conflict`.
    pub details: serde_json::Value,
    pub request_id: String,
}

#[derive(Serialize, ToSchema)]
pub struct TenantView {
    pub id: String,
    pub display_name: String,
    /// `password_policy`, `sign_in` (lockout, captcha, sessions, email verification) and `theme`.
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&Tenant> for TenantView {
    fn from(tenant: &Tenant) -> Self {
        TenantView {
            id: tenant.id.clone(),
            display_name: tenant.display_name.clone(),
            settings: serde_json::to_value(&tenant.settings).unwrap_or_default(),
            created_at: rfc3339(tenant.meta.created_at),
            updated_at: rfc3339(tenant.meta.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled: bool,
    /// Whether the user can sign in with a password. The hash itself is never sent.
    pub has_password: bool,
    /// A new password is required at the next sign-in.
    pub must_reset_password: bool,
    /// A tenant admin: their access tokens work on this tenant's management API.
    pub admin: bool,
    /// The admin's role: `owner`, `admin` or `viewer`; `null` for other users.
    pub role: Option<&'static str>,
    /// What Actions stored about the user (`api.user.setAppMetadata`).
    #[schema(value_type = Object)]
    pub app_metadata: serde_json::Value,
    /// The hosted pages' language the user chose, or `null`.
    pub locale: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub nickname: Option<String>,
    pub picture: Option<String>,
    /// What applications keep about the user that the user may see.
    #[schema(value_type = Object)]
    pub user_metadata: serde_json::Value,
    /// The user's id in the system they were imported from (Auth0's `user_id`), or `null`.
    pub external_id: Option<String>,
    /// Failed password attempts in the current lockout window.
    pub failed_attempts: i64,
    /// Set while the account is locked.
    pub locked_until: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl From<&User> for UserView {
    fn from(user: &User) -> Self {
        UserView {
            id: user.id.clone(),
            tenant_id: user.tenant_id.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
            name: user.name.clone(),
            disabled: user.disabled,
            has_password: user.password_hash.is_some(),
            must_reset_password: user.must_reset_password,
            admin: user.role.is_some(),
            role: user.role.map(AdminRole::as_str),
            app_metadata: serde_json::Value::Object(user.app_metadata.clone()),
            locale: user.locale.clone(),
            given_name: user.profile.given_name.clone(),
            family_name: user.profile.family_name.clone(),
            nickname: user.profile.nickname.clone(),
            picture: user.profile.picture.clone(),
            user_metadata: serde_json::Value::Object(user.user_metadata.clone()),
            external_id: user.external_id.clone(),
            failed_attempts: user.lockout.failed_attempts,
            locked_until: (user.lockout.locked_until > intelliauth_core::ids::now_ms())
                .then(|| rfc3339(user.lockout.locked_until)),
            created_at: rfc3339(user.meta.created_at),
            updated_at: rfc3339(user.meta.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationView {
    pub id: String,
    /// The OAuth `client_id` (the same as `id`).
    pub client_id: String,
    pub tenant_id: String,
    pub name: String,
    #[schema(example = "confidential")]
    pub client_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_grants: Vec<String>,
    pub allowed_scopes: Vec<String>,
    pub first_party: bool,
    /// Public keys for `private_key_jwt`, if registered.
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// Token lifetimes this application sets; the tenant's apply to the rest.
    #[schema(value_type = Object)]
    pub token_settings: serde_json::Value,
    /// MFA this application adds to the tenant's policy; `null`: none.
    pub mfa: Option<&'static str>,
    /// Authorization requests must be pushed first (RFC 9126).
    pub require_par: bool,
    /// Token requests must carry a DPoP proof (RFC 9449).
    pub dpop_bound_access_tokens: bool,
    /// Where logout tokens are posted (Back-Channel Logout 1.0); `null`: none.
    pub backchannel_logout_uri: Option<String>,
    /// Loaded in an iframe when a session ends at the end-session endpoint; `null`: none.
    pub frontchannel_logout_uri: Option<String>,
    /// `deny`, `allow` or `require`: whether it signs users in to organizations.
    pub organization_usage: &'static str,
    /// Only in the response that created a confidential client; store it now, it is not
    /// shown again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl ApplicationView {
    pub fn new(application: &Application, client_secret: Option<String>) -> Self {
        ApplicationView {
            id: application.id.clone(),
            client_id: application.id.clone(),
            tenant_id: application.tenant_id.clone(),
            name: application.name.clone(),
            client_type: application.client_type.as_str().into(),
            redirect_uris: application.redirect_uris.clone(),
            post_logout_redirect_uris: application.post_logout_redirect_uris.clone(),
            allowed_grants: application.allowed_grants.iter().map(|grant| grant.as_str().into()).collect(),
            allowed_scopes: application.allowed_scopes.clone(),
            first_party: application.first_party,
            jwks: application.jwks.clone(),
            token_settings: serde_json::to_value(&application.token_settings).unwrap_or_default(),
            mfa: application.mfa.map(|mode| mode.as_str()),
            require_par: application.require_par,
            dpop_bound_access_tokens: application.dpop_bound_access_tokens,
            backchannel_logout_uri: application.backchannel_logout_uri.clone(),
            organization_usage: application.organization_usage.as_str(),
            frontchannel_logout_uri: application.frontchannel_logout_uri.clone(),
            client_secret,
            created_at: rfc3339(application.meta.created_at),
            updated_at: rfc3339(application.meta.updated_at),
        }
    }
}

impl From<&Application> for ApplicationView {
    fn from(application: &Application) -> Self {
        ApplicationView::new(application, None)
    }
}

#[derive(Serialize, ToSchema)]
pub struct CredentialView {
    pub id: String,
    /// `null`: the credential reaches every tenant.
    pub tenant_id: Option<String>,
    pub name: String,
    pub scopes: Vec<String>,
    /// Only in the response that created the credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub created_at: String,
}

impl CredentialView {
    pub fn new(credential: &ManagementCredential, token: Option<String>) -> Self {
        CredentialView {
            id: credential.id.clone(),
            tenant_id: credential.tenant_id.clone(),
            name: credential.name.clone(),
            scopes: credential.scopes.iter().map(|scope| scope.as_str().into()).collect(),
            token,
            created_at: rfc3339(credential.meta.created_at),
        }
    }
}

impl From<&ManagementCredential> for CredentialView {
    fn from(credential: &ManagementCredential) -> Self {
        CredentialView::new(credential, None)
    }
}

/// A page of a list.
#[derive(Serialize, ToSchema)]
pub struct ListView<T> {
    pub data: Vec<T>,
    /// Pass as `?cursor=` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

pub fn list<R, V: for<'a> From<&'a R> + Serialize>(page: Page<R>) -> Json<ListView<V>> {
    Json(ListView { data: page.items.iter().map(V::from).collect(), next_cursor: page.next_cursor })
}

/// A list that is never paged (a handful per tenant), in the same shape as a page.
pub fn unpaged<R, V: for<'a> From<&'a R> + Serialize>(items: &[R]) -> Json<ListView<V>> {
    Json(ListView { data: items.iter().map(V::from).collect(), next_cursor: None })
}

/// A single resource with its `ETag`.
pub fn resource(status: StatusCode, meta: &Meta, body: impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(etag) = HeaderValue::from_str(&meta.etag()) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}
