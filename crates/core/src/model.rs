//! Domain records: tenants, users, applications and management credentials.

use serde::{Deserialize, Serialize};

use crate::password::PasswordPolicy;

/// Fields every stored resource has, for ETags and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created_at: i64,
    pub updated_at: i64,
    /// Incremented by every update; the basis of the resource's `ETag`.
    pub version: i64,
}

impl Meta {
    pub fn new(now: i64) -> Self {
        Meta { created_at: now, updated_at: now, version: 1 }
    }

    /// The strong entity tag. It includes the update time so that a resource deleted and
    /// re-created under the same id never matches an ETag of its predecessor.
    pub fn etag(&self) -> String {
        format!("\"{}-{:x}\"", self.version, self.updated_at)
    }
}

/// A parsed `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    /// Strong entity tags, quotes included.
    OneOf(Vec<String>),
}

impl IfMatch {
    pub fn parse(header: &str) -> IfMatch {
        if header.trim() == "*" {
            return IfMatch::Any;
        }
        IfMatch::OneOf(header.split(',').map(|tag| tag.trim().to_owned()).filter(|tag| !tag.is_empty()).collect())
    }

    /// RFC 9110 §13.1.1: strong comparison, so a weak tag (`W/"…"`) never matches.
    pub fn matches(&self, etag: &str) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::OneOf(tags) => tags.iter().any(|tag| tag == etag),
        }
    }
}

/// Per-tenant settings, stored as one JSON document so later capabilities can add
/// sections without a migration per knob.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    pub password_policy: PasswordPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// A slug, part of URLs (`/t/{id}/…`) and of the tenant's issuer.
    pub id: String,
    pub display_name: String,
    pub settings: TenantSettings,
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    /// Normalised (trimmed, lower-case); unique within the tenant.
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled: bool,
    /// argon2id PHC string; never leaves the domain layer.
    pub password_hash: Option<String>,
    pub meta: Meta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Runs where a secret cannot be kept (SPA, native app): no secret, PKCE required.
    Public,
    /// Runs on a server: authenticates with a secret.
    Confidential,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::Confidential => "confidential",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "public" => Some(ClientType::Public),
            "confidential" => Some(ClientType::Confidential),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
}

impl Grant {
    pub const ALL: [Grant; 3] = [Grant::AuthorizationCode, Grant::RefreshToken, Grant::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Grant::ALL.into_iter().find(|grant| grant.as_str() == value)
    }
}

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Also the OAuth `client_id`.
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    pub allowed_grants: Vec<Grant>,
    pub allowed_scopes: Vec<String>,
    /// First-party applications skip the consent screen.
    pub first_party: bool,
    /// SHA-256 of the client secret (confidential clients only).
    pub secret_digest: Option<String>,
    pub meta: Meta,
}

/// What a management credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    TenantsRead,
    TenantsWrite,
    UsersRead,
    UsersWrite,
    ApplicationsRead,
    ApplicationsWrite,
    CredentialsRead,
    CredentialsWrite,
}

impl Scope {
    pub const ALL: [Scope; 8] = [
        Scope::TenantsRead,
        Scope::TenantsWrite,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::ApplicationsRead,
        Scope::ApplicationsWrite,
        Scope::CredentialsRead,
        Scope::CredentialsWrite,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TenantsRead => "tenants:read",
            Scope::TenantsWrite => "tenants:write",
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::ApplicationsRead => "applications:read",
            Scope::ApplicationsWrite => "applications:write",
            Scope::CredentialsRead => "credentials:read",
            Scope::CredentialsWrite => "credentials:write",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == value)
    }

    /// Scopes that act on the whole instance and cannot be given to a tenant-bound credential.
    pub fn is_instance_wide(self) -> bool {
        matches!(self, Scope::TenantsWrite)
    }
}

/// A bearer credential for the management API. Only the digest of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementCredential {
    pub id: String,
    /// `None`: every tenant (the bootstrap credential); `Some`: that tenant only.
    pub tenant_id: Option<String>,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub token_digest: String,
    pub meta: Meta,
}

impl ManagementCredential {
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn can_access_tenant(&self, tenant_id: &str) -> bool {
        self.tenant_id.as_deref().is_none_or(|own| own == tenant_id)
    }
}
