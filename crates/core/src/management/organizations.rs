//! Organization use cases: a tenant's customer organizations, their members and the roles
//! members have in them.

use std::collections::BTreeMap;

use serde_json::json;

use super::{versioned, Management};
use crate::model::{IfMatch, Meta, Theme};
use crate::organizations::{Invitation, Membership, Organization, OrganizationConfig};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_email, check_name, check_slug, normalize_email, FieldErrors};
use crate::{ids, Error, Result};
use crate::{log::RequestContext, secret};

const MAX_METADATA: usize = 25;
const MAX_CONNECTIONS: usize = 50;
/// Members added, or roles given, in one request.
const MAX_PER_REQUEST: usize = 50;
const INVITATION_DEFAULT_TTL_S: u64 = 7 * 86_400;
const INVITATION_MAX_TTL_S: u64 = 30 * 86_400;

#[derive(Debug, Clone, Default)]
pub struct NewOrganization {
    pub name: String,
    pub display_name: Option<String>,
    pub branding: Option<Theme>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub connections: Option<Vec<String>>,
}

/// A change to an organization; its name is fixed (applications send it). `Some(None)`
/// clears the branding.
#[derive(Debug, Clone, Default)]
pub struct OrganizationPatch {
    pub display_name: Option<String>,
    pub branding: Option<Option<Theme>>,
    pub metadata: Option<BTreeMap<String, String>>,
    pub connections: Option<Vec<String>>,
}

fn check_config(errors: &mut FieldErrors, config: &OrganizationConfig) {
    check_name(errors, "display_name", &config.display_name, 100);
    if let Some(branding) = &config.branding {
        branding.validate(errors, "branding.");
    }
    if config.metadata.len() > MAX_METADATA {
        errors.add("metadata", format!("must have at most {MAX_METADATA} keys"));
    }
    for (key, value) in &config.metadata {
        let key_ok = (1..=64).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !key_ok {
            errors.add("metadata", format!("{key:?} must be 1 to 64 letters, digits or underscores"));
        }
        if value.chars().count() > 255 || value.chars().any(char::is_control) {
            errors.add(
                "metadata",
                format!("the value of {key:?} must be at most 255 characters, without control characters"),
            );
        }
    }
    if config.connections.len() > MAX_CONNECTIONS {
        errors.add("connections", format!("must list at most {MAX_CONNECTIONS} connections"));
    }
}

impl Management {
    /// Each connection must be one of the tenant's (`not_found` naming the first that is not).
    async fn check_connections(&self, tenant_id: &str, connections: &[String]) -> Result<()> {
        for id in connections {
            if self.connections.get_connection(tenant_id, id).await?.is_none() {
                return Err(Error::not_found("connection").with_detail("connection_id", id.clone()));
            }
        }
        Ok(())
    }

    pub async fn create_organization(&self, tenant_id: &str, input: NewOrganization) -> Result<Organization> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        check_slug(&mut errors, "name", &input.name);
        let config = OrganizationConfig {
            display_name: input.display_name.unwrap_or_else(|| input.name.clone()),
            branding: input.branding,
            metadata: input.metadata.unwrap_or_default(),
            connections: input.connections.unwrap_or_default(),
        };
        check_config(&mut errors, &config);
        errors.into_result()?;
        self.check_connections(tenant_id, &config.connections).await?;
        let organization = Organization {
            id: ids::new_id("org"),
            tenant_id: tenant_id.to_owned(),
            name: input.name,
            config,
            meta: Meta::new(ids::now_ms()),
        };
        match self.organizations.insert_organization(&organization).await {
            Err(StoreError::Conflict) => return Err(Error::conflict("organization", "name", &organization.name)),
            other => other?,
        }
        self.record_change(tenant_id, "admin.organization.created", organization.facts()).await;
        Ok(organization)
    }

    pub async fn organization(&self, tenant_id: &str, id: &str) -> Result<Organization> {
        match self.organizations.get_organization(tenant_id, id).await? {
            Some(organization) => Ok(organization),
            None => Err(self.missing_in_tenant(tenant_id, "organization").await),
        }
    }

    pub async fn list_organizations(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Organization>> {
        self.tenant(tenant_id).await?;
        let rows = self.organizations.list_organizations(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |organization| &organization.id))
    }

    pub async fn update_organization(
        &self,
        tenant_id: &str,
        id: &str,
        patch: OrganizationPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Organization> {
        let apply = |organization: &mut Organization| {
            let config = &mut organization.config;
            if let Some(name) = &patch.display_name {
                config.display_name = name.clone();
            }
            if let Some(branding) = &patch.branding {
                config.branding = branding.clone();
            }
            if let Some(metadata) = &patch.metadata {
                config.metadata = metadata.clone();
            }
            if let Some(connections) = &patch.connections {
                config.connections = connections.clone();
            }
        };
        let mut preview = self.organization(tenant_id, id).await?;
        apply(&mut preview);
        let mut errors = FieldErrors::new();
        check_config(&mut errors, &preview.config);
        errors.into_result()?;
        if let Some(connections) = &patch.connections {
            self.check_connections(tenant_id, connections).await?;
        }
        let updated = versioned::update(
            "organization",
            if_match,
            || async { Ok(self.organizations.get_organization(tenant_id, id).await?) },
            |organization: &mut Organization| {
                apply(organization);
                Ok(())
            },
            |organization, version| async move {
                Ok(self.organizations.update_organization(&organization, version).await?.then_some(organization))
            },
        )
        .await?;
        self.record_change(tenant_id, "admin.organization.updated", updated.facts()).await;
        Ok(updated)
    }

    /// Deletes the organization; its members stay users of the tenant.
    pub async fn delete_organization(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "organization",
            if_match,
            || async { Ok(self.organizations.get_organization(tenant_id, id).await?) },
            |version| async move { Ok(self.organizations.delete_organization(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.organization.deleted", json!({ "organization_id": id })).await;
        Ok(())
    }

    /// Adds users of the tenant as members; each must exist (`not_found` naming the first
    /// that does not, and nothing added).
    pub async fn add_members(&self, tenant_id: &str, organization_id: &str, user_ids: Vec<String>) -> Result<()> {
        self.organization(tenant_id, organization_id).await?;
        if user_ids.is_empty() || user_ids.len() > MAX_PER_REQUEST {
            let mut errors = FieldErrors::new();
            errors.add("users", format!("must list 1 to {MAX_PER_REQUEST} user ids"));
            errors.into_result()?;
        }
        for user_id in &user_ids {
            if self.store.get_user(tenant_id, user_id).await?.is_none() {
                return Err(Error::not_found("user").with_detail("user_id", user_id.clone()));
            }
        }
        self.organizations.add_members(tenant_id, organization_id, &user_ids, ids::now_ms()).await?;
        let details = json!({ "organization_id": organization_id, "user_ids": user_ids });
        self.record_change(tenant_id, "admin.organization.members_added", details).await;
        Ok(())
    }

    pub async fn remove_member(&self, tenant_id: &str, organization_id: &str, user_id: &str) -> Result<()> {
        self.organization(tenant_id, organization_id).await?;
        if !self.organizations.remove_member(organization_id, user_id).await? {
            return Err(Error::not_found("member"));
        }
        let details = json!({ "organization_id": organization_id, "user_id": user_id });
        self.record_change(tenant_id, "admin.organization.member_removed", details).await;
        Ok(())
    }

    pub async fn members(&self, tenant_id: &str, organization_id: &str, page: PageRequest) -> Result<Page<Membership>> {
        self.organization(tenant_id, organization_id).await?;
        let rows = self.organizations.members(organization_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |member| &member.user_id))
    }

    /// Replaces a member's roles in the organization; each must be a role of the tenant.
    pub async fn set_member_roles(
        &self,
        tenant_id: &str,
        organization_id: &str,
        user_id: &str,
        role_ids: Vec<String>,
    ) -> Result<Membership> {
        self.organization(tenant_id, organization_id).await?;
        if role_ids.len() > MAX_PER_REQUEST {
            let mut errors = FieldErrors::new();
            errors.add("roles", format!("must list at most {MAX_PER_REQUEST} role ids"));
            errors.into_result()?;
        }
        for role_id in &role_ids {
            if self.apis.get_role(tenant_id, role_id).await?.is_none() {
                return Err(Error::not_found("role").with_detail("role_id", role_id.clone()));
            }
        }
        let mut unique: Vec<String> = Vec::with_capacity(role_ids.len());
        for role_id in role_ids {
            if !unique.contains(&role_id) {
                unique.push(role_id);
            }
        }
        if !self.organizations.set_member_roles(organization_id, user_id, &unique).await? {
            return Err(Error::not_found("member"));
        }
        let details = json!({ "organization_id": organization_id, "user_id": user_id, "role_ids": unique });
        self.record_change(tenant_id, "admin.organization.member_roles", details).await;
        self.organizations.membership(organization_id, user_id).await?.ok_or_else(|| Error::not_found("member"))
    }

    /// Invites `email` to the organization with `role_ids` for `ttl_s` seconds (a week by
    /// default, a month at most): the invitation and its token, which only the link carries.
    pub async fn create_invitation(
        &self,
        tenant_id: &str,
        organization_id: &str,
        email: &str,
        role_ids: Vec<String>,
        ttl_s: Option<u64>,
    ) -> Result<(Invitation, String)> {
        self.organization(tenant_id, organization_id).await?;
        let mut errors = FieldErrors::new();
        check_email(&mut errors, "email", email);
        let ttl_s = ttl_s.unwrap_or(INVITATION_DEFAULT_TTL_S);
        if !(300..=INVITATION_MAX_TTL_S).contains(&ttl_s) {
            errors.add("ttl_s", format!("must be 300 to {INVITATION_MAX_TTL_S} seconds"));
        }
        if role_ids.len() > MAX_PER_REQUEST {
            errors.add("roles", format!("must list at most {MAX_PER_REQUEST} role ids"));
        }
        errors.into_result()?;
        for role_id in &role_ids {
            if self.apis.get_role(tenant_id, role_id).await?.is_none() {
                return Err(Error::not_found("role").with_detail("role_id", role_id.clone()));
            }
        }
        let token = secret::generate("inv_");
        let now = ids::now_ms();
        let invitation = Invitation {
            id: ids::new_id("inv"),
            tenant_id: tenant_id.to_owned(),
            organization_id: organization_id.to_owned(),
            email: normalize_email(email),
            role_ids,
            inviter: RequestContext::current().and_then(|context| context.actor()).unwrap_or_else(|| "api".into()),
            token_digest: secret::digest(&token),
            created_at: now,
            expires_at: now + ttl_s as i64 * 1000,
            accepted_at: None,
            accepted_by: None,
        };
        self.organizations.insert_invitation(&invitation).await?;
        let details =
            json!({ "organization_id": organization_id, "invitation_id": invitation.id, "email": invitation.email });
        self.record_change(tenant_id, "admin.organization.invited", details).await;
        Ok((invitation, token))
    }

    pub async fn invitations(
        &self,
        tenant_id: &str,
        organization_id: &str,
        page: PageRequest,
    ) -> Result<Page<Invitation>> {
        self.organization(tenant_id, organization_id).await?;
        let rows = self.organizations.invitations(organization_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |invitation| &invitation.id))
    }

    /// Withdraws an invitation; its link stops working.
    pub async fn delete_invitation(&self, tenant_id: &str, organization_id: &str, id: &str) -> Result<()> {
        self.organization(tenant_id, organization_id).await?;
        if !self.organizations.delete_invitation(organization_id, id).await? {
            return Err(Error::not_found("invitation"));
        }
        Ok(())
    }

    pub async fn user_organizations(&self, tenant_id: &str, user_id: &str) -> Result<Vec<Organization>> {
        self.user(tenant_id, user_id).await?;
        Ok(self.organizations.user_organizations(tenant_id, user_id).await?)
    }
}
