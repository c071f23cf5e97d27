//! The directory's port: tenants, users, applications and management credentials.
//! `store` implements it (`directory_queries.rs`).

use async_trait::async_trait;

use crate::events::Event;
use crate::model::{Application, ManagementCredential, Tenant, User};
use crate::page::PageRequest;
use crate::ports::StoreResult;

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Normalised email prefix.
    pub email_prefix: Option<String>,
}

/// The directory: tenants, users, applications and management credentials, as the
/// management API, sign-in and the OIDC provider read them. Updates and deletes are conditional on the
/// version the caller read (`expected_version`), so concurrent writers cannot silently
/// overwrite each other: `Ok(false)` / `Ok(None)` means the row changed or vanished.
#[async_trait]
pub trait DirectoryStore: Send + Sync + 'static {
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

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
