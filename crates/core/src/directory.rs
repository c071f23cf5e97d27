//! The directory's port: tenants, users, applications and management credentials.
//! `store` implements it (`directory_queries.rs`).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;

use crate::events::Event;
use crate::model::{Application, ManagementCredential, Tenant, User};
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Normalised email prefix: the matches come in email order, and the page's cursor is
    /// the last email (a search box's results, read from the email index however many
    /// users there are).
    pub email_prefix: Option<String>,
    /// Normalised email: the one user with it, if any.
    pub email: Option<String>,
}

/// One imported user, as the store writes it: `None` fields are not in the line, and an
/// update keeps what the user has for them (an insert takes the defaults).
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The id a created user gets.
    pub id: String,
    /// Normalised.
    pub email: String,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub disabled: Option<bool>,
    pub password_hash: Option<String>,
    pub app_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The profile claims the line gives: merged into a user's stored ones.
    pub profile: Option<crate::model::Profile>,
    pub user_metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// The user's id in the system they come from (Auth0's `user_id`).
    pub external_id: Option<String>,
    /// The hosted pages' language the user chose (one of `model::UI_LOCALES`).
    pub locale: Option<String>,
    /// When the user was created where they come from: a created user keeps it.
    pub created_at: Option<i64>,
}

/// What identifies the user a line is about, when it may already exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMatch {
    /// The email (the default): an existing user's external id is left as it is.
    Email,
    /// The external id (Auth0's `user_id`): an existing user's email is left as it is.
    ExternalId,
}

impl ImportRow {
    /// The row's value of the key `by` matches on (`None`: the row has no such key).
    pub fn key(&self, by: ImportMatch) -> Option<&str> {
        match by {
            ImportMatch::Email => Some(&self.email),
            ImportMatch::ExternalId => self.external_id.as_deref(),
        }
    }
}

/// What one import batch did, by the key rows were matched on.
#[derive(Debug, Default)]
pub struct ImportWrite {
    pub created: HashSet<String>,
    /// The users holding the batch's keys after it (the created among them), with their ids.
    pub existing: HashMap<String, String>,
    /// Existing users the batch changed.
    pub updated: HashSet<String>,
}

/// The directory: tenants, users, applications and management credentials, as the
/// management API, sign-in and the OIDC provider read them. Updates and deletes are conditional on the
/// version the caller read (`expected_version`), so concurrent writers cannot silently
/// overwrite each other: `Ok(false)` / `Ok(None)` means the row changed or vanished.
#[async_trait]
pub trait DirectoryStore: Send + Sync + 'static {
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;
    /// How many users of all tenants have a password hash of each scheme
    /// ([`crate::legacy_hash::Scheme::name`]; `argon2id_current` for those that begin with
    /// `current_prefix`, today's parameters), so an operator sees a migration's hashes go.
    async fn count_password_schemes(&self, current_prefix: &str) -> StoreResult<Vec<(String, i64)>>;

    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>>;
    async fn update_tenant(&self, tenant: &Tenant, expected_version: i64) -> StoreResult<bool>;
    async fn delete_tenant(&self, id: &str, expected_version: i64) -> StoreResult<bool>;

    async fn insert_user(&self, user: &User, events: &[Event]) -> StoreResult<()>;
    async fn get_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant_id: &str, filter: &UserFilter, page: &PageRequest) -> StoreResult<Vec<User>>;
    async fn update_user(&self, user: &User, expected_version: i64, events: &[Event]) -> StoreResult<bool>;
    async fn delete_user(
        &self,
        tenant_id: &str,
        id: &str,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;
    /// Writes one import batch in one transaction: creates the users whose keys (`by`) are
    /// new — a row that collides with another user on its email, external id or id is
    /// left out — and, when `update`, changes the existing ones whose stored fields differ
    /// from the row's given fields. Emails and external ids within `rows` are distinct, and
    /// with `ImportMatch::ExternalId` every row has one.
    async fn import_users(
        &self,
        tenant_id: &str,
        rows: &[ImportRow],
        by: ImportMatch,
        update: bool,
        now: i64,
    ) -> StoreResult<ImportWrite>;

    async fn insert_application(&self, application: &Application, events: &[Event]) -> StoreResult<()>;
    async fn get_application(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Application>>;
    async fn list_applications(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Application>>;
    async fn update_application(
        &self,
        application: &Application,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;
    async fn delete_application(
        &self,
        tenant_id: &str,
        id: &str,
        expected_version: i64,
        events: &[Event],
    ) -> StoreResult<bool>;

    async fn insert_credential(&self, credential: &ManagementCredential) -> StoreResult<()>;
    async fn credential_by_digest(&self, token_digest: &str) -> StoreResult<Option<ManagementCredential>>;
    async fn list_credentials(
        &self,
        tenant_id: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Vec<ManagementCredential>>;
    async fn delete_credential(&self, id: &str) -> StoreResult<bool>;
    async fn count_credentials(&self) -> StoreResult<i64>;
    /// Points the credential `id` at a new token digest (the bootstrap token from the environment).
    async fn set_credential_digest(&self, id: &str, token_digest: &str) -> StoreResult<bool>;
}
