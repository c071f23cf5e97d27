//! Signing users in to organizations: `organization=` (an id or a name) on an authorization
//! request, checked against the application's `organization_usage` and the user's
//! membership; the hosted picker when the application requires an organization and the
//! request names none; and what tokens then carry (`org_id`, `org_name`, the member's roles).

use intelliauth_catalogue::Code;
use intelliauth_core::model::Application;
use intelliauth_core::organizations::{Organization, OrganizationUsage};
use intelliauth_core::{ids, Error, Refusal, Result};
use serde_json::Value;

use crate::authorize::AuthorizeParams;
use crate::provider::Oidc;

/// The user is not a member of the organization the request is for.
pub(crate) fn not_a_member(organization: &Organization) -> Error {
    Error::new(Code::OrganizationMembershipRequired)
        .with_refusal(Refusal::Denied)
        .with_detail("organization", organization.name.clone())
}

/// What an authorization request says about organizations, once its application is known.
pub(crate) enum OrganizationAsk {
    /// Not for an organization.
    None,
    /// For this one (membership is checked once the user is known).
    Named(Box<Organization>),
    /// The application requires one and the request named none: the user picks.
    Pick,
}

impl Oidc {
    /// Reads `organization=` against the application's policy: refused where the application
    /// does not sign in to organizations, an unknown one refused, none where one is required
    /// is the picker's.
    pub(crate) async fn organization_asked(
        &self,
        tenant_id: &str,
        application: &Application,
        params: &AuthorizeParams,
    ) -> Result<OrganizationAsk> {
        let named = params.organization.as_deref().filter(|name| !name.is_empty());
        match (named, application.organization_usage) {
            (None, OrganizationUsage::Require) => Ok(OrganizationAsk::Pick),
            (None, _) => Ok(OrganizationAsk::None),
            (Some(_), OrganizationUsage::Deny) => Err(Error::new(Code::ValidationFailed)
                .with_refusal(Refusal::MalformedRequest)
                .with_message("This application does not sign users in to organizations.")
                .with_detail("organization", named.unwrap_or_default().chars().take(128).collect::<String>())),
            (Some(name), _) => {
                match intelliauth_core::organizations::find(self.organizations.as_ref(), tenant_id, name).await? {
                    Some(organization) => Ok(OrganizationAsk::Named(Box::new(organization))),
                    None => Err(Error::new(Code::ValidationFailed)
                        .with_refusal(Refusal::MalformedRequest)
                        .with_message("The organization parameter names no organization of this tenant.")
                        .with_detail("organization", name.chars().take(128).collect::<String>())),
                }
            }
        }
    }

    /// The organizations the user may pick for an application that requires one.
    pub async fn organizations_of(&self, tenant_id: &str, user_id: &str) -> Result<Vec<Organization>> {
        Ok(self.organizations.user_organizations(tenant_id, user_id).await?)
    }

    /// The picker's answer: the stored request again, for `organization_id`, kept as a new
    /// request with the same start time (so `prompt=login` and `max_age` still count from
    /// the first). Returns its id; membership is checked when it runs.
    pub async fn choose_organization(
        &self,
        tenant_id: &str,
        request_id: &str,
        organization_id: &str,
    ) -> Result<Option<String>> {
        let Some((mut params, (_, created))) = self.resume_request(tenant_id, request_id).await? else {
            return Ok(None);
        };
        params.organization = Some(organization_id.chars().take(128).collect());
        let id = intelliauth_core::secret::generate("azr_");
        let json = serde_json::to_string(&params).map_err(Error::internal)?;
        let expires = created.max(ids::now_ms()) + crate::authorize::REQUEST_LIFETIME_MS;
        self.authorizations.insert_authorization_request(&id, tenant_id, &json, created, expires).await?;
        Ok(Some(id))
    }

    /// The member's roles in the organization, for tokens; a user who is no longer a member
    /// has none (`None`).
    pub(crate) async fn member_roles(
        &self,
        tenant_id: &str,
        organization_id: &str,
        user_id: &str,
    ) -> Result<Option<Vec<intelliauth_core::apis::Role>>> {
        let Some(membership) = self.organizations.membership(organization_id, user_id).await? else { return Ok(None) };
        let mut roles = Vec::with_capacity(membership.role_ids.len());
        for role_id in &membership.role_ids {
            // A role deleted since is simply gone.
            if let Some(role) = self.apis.get_role(tenant_id, role_id).await? {
                roles.push(role);
            }
        }
        Ok(Some(roles))
    }
}

/// `org_id` and `org_name` for tokens of a sign-in to `organization`.
pub(crate) fn write_organization(claims: &mut Value, organization: Option<&Organization>) {
    if let Some(organization) = organization {
        claims["org_id"] = organization.id.clone().into();
        claims["org_name"] = organization.name.clone().into();
    }
}
