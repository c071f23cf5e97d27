//! APIs (resource servers) a tenant's applications get access tokens for, the permissions
//! each defines, client grants (which application may get which permissions, for itself or
//! for its users), roles (permissions over one or more APIs) and their assignment to users;
//! `access.rs` decides what a token request for an API gets.

pub mod access;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::Meta;
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// One permission an API defines (`read:reports`): a scope token for that API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    pub value: String,
    /// Absent and `null` are both "no description".
    #[serde(default, deserialize_with = "null_as_empty")]
    pub description: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

/// Which applications may ask for tokens for an API on behalf of their users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum UserAccess {
    /// Every application of the tenant (Auth0's default).
    #[default]
    AllApplications,
    /// Only applications with a client grant of subject type `user`, within its permissions.
    ClientGrant,
}

impl UserAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            UserAccess::AllApplications => "all_applications",
            UserAccess::ClientGrant => "client_grant",
        }
    }

    pub fn parse(text: &str) -> Option<UserAccess> {
        [UserAccess::AllApplications, UserAccess::ClientGrant].into_iter().find(|access| access.as_str() == text)
    }
}

/// What an API says besides its identifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiConfig {
    pub name: String,
    pub permissions: Vec<Permission>,
    /// Overrides the tenant's and application's access-token lifetime for this API's tokens.
    pub access_token_lifetime_s: Option<u64>,
    /// Overrides the tenant's signing algorithm for this API's access tokens (`ES256`,
    /// `EdDSA` or `RS256`).
    pub signing_alg: Option<String>,
    /// Role-based access control: a user's token holds only the permissions their roles
    /// give. Without it, a user's token holds whatever the application asked of the API.
    pub rbac: bool,
    /// Whether access tokens carry the `permissions` array (besides `scope`).
    pub permissions_claim: bool,
    /// Whether access tokens carry the user's roles that give permissions of this API
    /// (`roles`, RFC 9068 §2.2.3.1).
    pub roles_claim: bool,
    pub user_access: UserAccess,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            name: String::new(),
            permissions: Vec::new(),
            access_token_lifetime_s: None,
            signing_alg: None,
            rbac: false,
            permissions_claim: true,
            roles_claim: false,
            user_access: UserAccess::AllApplications,
        }
    }
}

/// A resource server: its `identifier` is the `audience` (or RFC 8707 `resource`) a token
/// request names and the `aud` of the tokens for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Api {
    pub id: String,
    pub tenant_id: String,
    pub identifier: String,
    pub config: ApiConfig,
    pub meta: Meta,
}

impl Api {
    pub fn defines(&self, permission: &str) -> bool {
        self.config.permissions.iter().any(|defined| defined.value == permission)
    }

    /// What the tenant log says about it.
    pub fn facts(&self) -> Value {
        json!({ "id": self.id, "identifier": self.identifier, "name": self.config.name })
    }
}

/// Whom a client grant's tokens are for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    /// The application itself (the client credentials grant, machine to machine).
    Client,
    /// The application's users (authorization code, device, refresh).
    User,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Client => "client",
            SubjectType::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<SubjectType> {
        [SubjectType::Client, SubjectType::User].into_iter().find(|subject| subject.as_str() == text)
    }
}

/// An application's access to an API: the permissions it may get, for itself or its users.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientGrant {
    pub id: String,
    pub tenant_id: String,
    pub client_id: String,
    pub api_id: String,
    pub subject_type: SubjectType,
    pub scopes: Vec<String>,
    pub meta: Meta,
}

impl ClientGrant {
    pub fn facts(&self) -> Value {
        json!({
            "id": self.id, "client_id": self.client_id, "api_id": self.api_id,
            "subject_type": self.subject_type.as_str(), "scopes": self.scopes,
        })
    }
}

/// One permission of one API, as a role holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePermission {
    pub api_id: String,
    pub value: String,
}

/// A named set of permissions over one or more APIs, assigned to users.
#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub description: String,
    pub permissions: Vec<RolePermission>,
    pub meta: Meta,
}

impl Role {
    pub fn facts(&self) -> Value {
        json!({ "id": self.id, "name": self.name })
    }

    /// The permissions it gives on `api_id`.
    pub fn permissions_on<'a>(&'a self, api_id: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.permissions.iter().filter(move |held| held.api_id == api_id).map(|held| held.value.as_str())
    }
}

/// Where APIs, client grants, roles and role assignments are kept.
#[async_trait]
pub trait ApiStore: Send + Sync {
    /// `Conflict` when the tenant has an API with this identifier.
    async fn insert_api(&self, api: &Api) -> StoreResult<()>;
    async fn get_api(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Api>>;
    async fn api_by_identifier(&self, tenant_id: &str, identifier: &str) -> StoreResult<Option<Api>>;
    async fn list_apis(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Api>>;
    async fn update_api(&self, api: &Api, expected_version: i64) -> StoreResult<bool>;
    /// Deletes the API and its client grants.
    async fn delete_api(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    /// `Conflict` when the application has a grant of this subject type for the API.
    async fn insert_client_grant(&self, grant: &ClientGrant) -> StoreResult<()>;
    async fn get_client_grant(&self, tenant_id: &str, id: &str) -> StoreResult<Option<ClientGrant>>;
    async fn client_grant_for(
        &self,
        tenant_id: &str,
        client_id: &str,
        api_id: &str,
        subject_type: SubjectType,
    ) -> StoreResult<Option<ClientGrant>>;
    /// Grants of the tenant, of one API or one application when given.
    async fn list_client_grants(
        &self,
        tenant_id: &str,
        api_id: Option<&str>,
        client_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ClientGrant>>;
    async fn update_client_grant(&self, grant: &ClientGrant, expected_version: i64) -> StoreResult<bool>;
    async fn delete_client_grant(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    /// `Conflict` when the tenant has a role of this name.
    async fn insert_role(&self, role: &Role) -> StoreResult<()>;
    async fn get_role(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Role>>;
    async fn list_roles(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Role>>;
    async fn update_role(&self, role: &Role, expected_version: i64) -> StoreResult<bool>;
    /// Deletes the role and its assignments.
    async fn delete_role(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    /// The roles assigned to the user.
    async fn user_roles(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Role>>;
    /// Assigns roles (already assigned ones are left as they are).
    async fn assign_roles(&self, tenant_id: &str, user_id: &str, role_ids: &[String], now: i64) -> StoreResult<()>;
    async fn unassign_role(&self, tenant_id: &str, user_id: &str, role_id: &str) -> StoreResult<bool>;
    /// The users a role is assigned to, by user id.
    async fn role_users(&self, tenant_id: &str, role_id: &str, page: &PageRequest) -> StoreResult<Vec<String>>;
}
