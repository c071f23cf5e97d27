//! Organizations: a tenant's customers in a B2B application — each with its members, the
//! roles members have in it, the connections its members may sign in with, branding and
//! metadata — and the port that keeps them. An application signs users in *to* an
//! organization with `organization=` (or the hosted picker); its tokens then carry `org_id`.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{Meta, Theme};
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// Whether an application signs users in to organizations (Auth0's `organization_usage`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationUsage {
    /// `organization=` is refused: the application is not a B2B one.
    #[default]
    Deny,
    /// With or without an organization.
    Allow,
    /// Always in an organization: without `organization=`, the user picks one after signing in.
    Require,
}

impl OrganizationUsage {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationUsage::Deny => "deny",
            OrganizationUsage::Allow => "allow",
            OrganizationUsage::Require => "require",
        }
    }

    pub fn parse(text: &str) -> Option<OrganizationUsage> {
        [OrganizationUsage::Deny, OrganizationUsage::Allow, OrganizationUsage::Require]
            .into_iter()
            .find(|usage| usage.as_str() == text)
    }
}

/// What an organization says besides its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct OrganizationConfig {
    pub display_name: String,
    /// How the hosted picker shows it; `None`: the tenant's look.
    pub branding: Option<Theme>,
    /// Free-form string values the tenant keeps (plan, region …), given to Actions.
    pub metadata: BTreeMap<String, String>,
    /// The connections (by id) its members may sign in with; empty: every one of the tenant.
    pub connections: Vec<String>,
}

/// One customer organization of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Organization {
    pub id: String,
    pub tenant_id: String,
    /// A slug, unique in the tenant: what `organization=` may name besides the id.
    pub name: String,
    pub config: OrganizationConfig,
    pub meta: Meta,
}

impl Organization {
    pub fn facts(&self) -> Value {
        json!({ "id": self.id, "name": self.name })
    }

    /// What post-login Actions see (`event.organization`).
    pub fn event_detail(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "display_name": self.config.display_name,
            "metadata": self.config.metadata,
        })
    }
}

/// A user's membership of an organization, with the tenant roles they have in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    pub organization_id: String,
    pub user_id: String,
    pub role_ids: Vec<String>,
    pub created_at: i64,
}

/// An invitation to join an organization: mailed as a link whose token is kept as a digest;
/// whoever signs in (or registers) with `email` and accepts it becomes a member with `role_ids`.
#[derive(Debug, Clone, PartialEq)]
pub struct Invitation {
    pub id: String,
    pub tenant_id: String,
    pub organization_id: String,
    /// Normalized: the address the link was mailed to, the only one that may accept it.
    pub email: String,
    pub role_ids: Vec<String>,
    /// Who invited (a credential or admin, as the tenant log names actors).
    pub inviter: String,
    pub token_digest: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub accepted_by: Option<String>,
}

/// The organization `name_or_id` names in the tenant (`organization=` takes either): by id
/// first, then by name; nothing for an empty or overlong one.
pub async fn find(
    store: &dyn OrganizationStore,
    tenant_id: &str,
    name_or_id: &str,
) -> StoreResult<Option<Organization>> {
    if name_or_id.is_empty() || name_or_id.len() > 128 {
        return Ok(None);
    }
    match store.get_organization(tenant_id, name_or_id).await? {
        Some(found) => Ok(Some(found)),
        None => store.organization_by_name(tenant_id, name_or_id).await,
    }
}

/// Where organizations and their memberships are kept.
#[async_trait]
pub trait OrganizationStore: Send + Sync {
    /// `Conflict` when the tenant has an organization of this name.
    async fn insert_organization(&self, organization: &Organization) -> StoreResult<()>;
    async fn get_organization(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Organization>>;
    async fn organization_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Option<Organization>>;
    async fn list_organizations(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Organization>>;
    async fn update_organization(&self, organization: &Organization, expected_version: i64) -> StoreResult<bool>;
    /// Deletes the organization and its memberships.
    async fn delete_organization(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    /// Adds members (ones already in stay as they are).
    async fn add_members(
        &self,
        tenant_id: &str,
        organization_id: &str,
        user_ids: &[String],
        now: i64,
    ) -> StoreResult<()>;
    async fn remove_member(&self, organization_id: &str, user_id: &str) -> StoreResult<bool>;
    async fn membership(&self, organization_id: &str, user_id: &str) -> StoreResult<Option<Membership>>;
    async fn members(&self, organization_id: &str, page: &PageRequest) -> StoreResult<Vec<Membership>>;
    /// Replaces a member's roles in the organization; `false` if they are not a member.
    async fn set_member_roles(&self, organization_id: &str, user_id: &str, role_ids: &[String]) -> StoreResult<bool>;
    /// The organizations the user is a member of, by name.
    async fn user_organizations(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Organization>>;

    async fn insert_invitation(&self, invitation: &Invitation) -> StoreResult<()>;
    /// The organization's invitations, newest first.
    async fn invitations(&self, organization_id: &str, page: &PageRequest) -> StoreResult<Vec<Invitation>>;
    async fn delete_invitation(&self, organization_id: &str, id: &str) -> StoreResult<bool>;
    /// The invitation whose token has this digest, whatever its state.
    async fn invitation_by_digest(&self, token_digest: &str) -> StoreResult<Option<Invitation>>;
    /// Marks the unexpired, unaccepted invitation accepted by `user_id` and makes them a
    /// member with its roles, in one transaction; `None` if it was taken or ran out.
    async fn accept_invitation(&self, token_digest: &str, user_id: &str, now: i64) -> StoreResult<Option<Invitation>>;
}
