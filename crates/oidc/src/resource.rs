//! Access tokens for a tenant's APIs: the audience a request names (`audience`, or RFC 8707's
//! `resource`), checked when the request is made, and the token's `aud`, `scope`,
//! `permissions` and `roles` (RFC 9068), worked out again from the current API, client
//! grants and roles each time tokens are issued — so a role taken away ends at the next refresh.

use intelliauth_core::actions::CustomClaims;
use intelliauth_core::apis::access::{
    adjusted, check_user_access, client_permissions, role_names, split_scopes, unknown_audience, user_permissions,
    OIDC_SCOPES,
};
use intelliauth_core::apis::{Api, SubjectType, UserAccess};
use intelliauth_core::model::Application;
use intelliauth_core::{Error, Refusal, Result};
use serde_json::Value;

use crate::authorize::AuthorizeParams;
use crate::exchange::invalid_grant;
use crate::provider::Oidc;

/// What an access token for an API says besides the usual claims.
pub(crate) struct ApiAccess {
    identifier: String,
    /// The OpenID Connect scopes and the permissions, space-separated.
    pub(crate) scope: String,
    permissions: Option<Vec<String>>,
    roles: Option<Vec<String>>,
    /// The API's own access-token lifetime, when it sets one.
    pub(crate) lifetime_s: Option<u64>,
    /// The API's own signing algorithm, when it sets one.
    pub(crate) signing_alg: Option<crate::keys::Algorithm>,
}

impl ApiAccess {
    fn new(api: &Api, oidc: Vec<String>, permissions: Vec<String>, roles: Option<Vec<String>>) -> ApiAccess {
        let scope = oidc.iter().chain(&permissions).map(String::as_str).collect::<Vec<_>>().join(" ");
        ApiAccess {
            identifier: api.identifier.clone(),
            scope,
            permissions: api.config.permissions_claim.then_some(permissions),
            roles: roles.filter(|_| api.config.roles_claim),
            lifetime_s: api.config.access_token_lifetime_s,
            signing_alg: api.config.signing_alg.as_deref().and_then(crate::keys::Algorithm::parse),
        }
    }

    /// Writes `aud`, `scope` and, as the API asks, `permissions` and `roles` into an access
    /// token's claims.
    pub(crate) fn write_into(&self, claims: &mut Value) {
        claims["aud"] = self.identifier.clone().into();
        claims["scope"] = self.scope.clone().into();
        if let Some(permissions) = &self.permissions {
            claims["permissions"] = permissions.clone().into();
        }
        if let Some(roles) = &self.roles {
            claims["roles"] = roles.clone().into();
        }
    }
}

/// The audience an authorization request names: `audience` (Auth0's parameter) or
/// `resource` (RFC 8707); when both are given they must be the same.
pub(crate) fn requested_audience(params: &AuthorizeParams) -> Result<Option<&str>> {
    one_audience(params.audience.as_deref(), params.resource.as_deref())
}

/// `audience` and `resource` of a request: the one API they name, if any.
pub(crate) fn one_audience<'a>(audience: Option<&'a str>, resource: Option<&'a str>) -> Result<Option<&'a str>> {
    match (audience, resource) {
        (Some(audience), Some(resource)) if audience != resource => {
            Err(Error::new(intelliauth_catalogue::Code::ValidationFailed)
                .with_refusal(Refusal::MalformedRequest)
                .with_message("audience and resource name different APIs; send one."))
        }
        (Some(one), _) | (None, Some(one)) => Ok(Some(one).filter(|one| !one.is_empty())),
        (None, None) => Ok(None),
    }
}

/// A token request's `audience` against the one its grant was made for: RFC 8707 lets a
/// client name the resource again at the token endpoint, never another.
pub(crate) fn same_audience(asked: Option<&str>, granted: Option<&str>) -> Result<()> {
    match asked {
        Some(asked) if Some(asked) != granted => {
            Err(unknown_audience(asked).with_detail("reason", "the grant was made for another audience"))
        }
        _ => Ok(()),
    }
}

impl Oidc {
    /// The tenant's API with this identifier, if any: for pages that show what a request
    /// asks of it.
    pub async fn api_by_identifier(&self, tenant_id: &str, identifier: &str) -> Result<Option<Api>> {
        Ok(self.apis.api_by_identifier(tenant_id, identifier).await?)
    }

    /// The API an authorization request (or a pushed one) asks a token for: it must exist
    /// (`invalid_scope`, as `invalid_target`) and, when the API admits only applications with
    /// a user client grant, the application must have one covering the permissions asked.
    pub(crate) async fn requested_api(
        &self,
        tenant_id: &str,
        application: &Application,
        audience: Option<&str>,
        scopes: impl FnOnce() -> Vec<String>,
    ) -> Result<Option<Api>> {
        let Some(audience) = audience else { return Ok(None) };
        let api = self.apis.api_by_identifier(tenant_id, audience).await?.ok_or_else(|| unknown_audience(audience))?;
        if api.config.user_access == UserAccess::ClientGrant {
            let grant = self.apis.client_grant_for(tenant_id, &application.id, &api.id, SubjectType::User).await?;
            check_user_access(&api, application, grant.as_ref())?;
            let (_, permissions) = split_scopes(&api, application, &scopes())?;
            user_permissions(&api, &permissions, grant.as_ref(), &[])?;
        }
        Ok(Some(api))
    }

    /// What a user's access token for the API `audience` holds, from the scopes the grant
    /// asked for. Permissions the API no longer defines, or the application's grant no
    /// longer includes, are left out; the API itself gone ends the grant.
    pub(crate) async fn user_api_access(
        &self,
        application: &Application,
        user_id: &str,
        (audience, scope): (&str, &str),
        custom: &CustomClaims,
        organization_roles: &[intelliauth_core::apis::Role],
    ) -> Result<ApiAccess> {
        let tenant_id = &application.tenant_id;
        let api = self
            .apis
            .api_by_identifier(tenant_id, audience)
            .await?
            .ok_or_else(|| invalid_grant("the API the grant is for no longer exists"))?;
        let grant = match api.config.user_access {
            UserAccess::ClientGrant => {
                self.apis.client_grant_for(tenant_id, &application.id, &api.id, SubjectType::User).await?
            }
            UserAccess::AllApplications => None,
        };
        check_user_access(&api, application, grant.as_ref())?;
        let scopes: Vec<&str> = scope.split(' ').filter(|scope| !scope.is_empty()).collect();
        let oidc: Vec<String> =
            scopes.iter().filter(|scope| OIDC_SCOPES.contains(scope)).map(|scope| (*scope).to_owned()).collect();
        let asked: Vec<String> = scopes
            .iter()
            .filter(|scope| grant.as_ref().is_none_or(|grant| grant.scopes.iter().any(|granted| granted == *scope)))
            .map(|scope| (*scope).to_owned())
            .collect();
        // The user's own roles, and those they have in the organization they signed in to.
        let mut roles = if api.config.rbac || api.config.roles_claim {
            self.apis.user_roles(tenant_id, user_id).await?
        } else {
            Vec::new()
        };
        for role in organization_roles {
            if !roles.iter().any(|held| held.id == role.id) {
                roles.push(role.clone());
            }
        }
        let permissions = user_permissions(&api, &asked, grant.as_ref(), &roles)?;
        let permissions = adjusted(&api, permissions, &custom.scopes_added, &custom.scopes_removed);
        Ok(ApiAccess::new(&api, oidc, permissions, Some(role_names(&api, &roles))))
    }

    /// What an application's own token (client credentials) for the API `audience` holds.
    pub(crate) async fn client_api_access(
        &self,
        application: &Application,
        audience: &str,
        asked: Option<&[String]>,
    ) -> Result<ApiAccess> {
        let tenant_id = &application.tenant_id;
        let api = self.apis.api_by_identifier(tenant_id, audience).await?.ok_or_else(|| unknown_audience(audience))?;
        let grant = self.apis.client_grant_for(tenant_id, &application.id, &api.id, SubjectType::Client).await?;
        let permissions = client_permissions(&api, application, asked, grant.as_ref())?;
        Ok(ApiAccess::new(&api, Vec::new(), permissions, None))
    }
}
