//! Ports: what the domain needs from persistence. `store` implements them.

use async_trait::async_trait;

use crate::model::{Application, ManagementCredential, Tenant, User};
use crate::page::PageRequest;

/// How a storage operation failed, in terms the domain can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness constraint rejected the write.
    #[error("unique constraint violated")]
    Conflict,
    /// The database could not be reached in time; the request may succeed later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or corrupt data.
    #[error("database error: {0}")]
    Internal(String),
}

impl From<StoreError> for crate::Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict => crate::Error::new(intelliauth_catalogue::Code::Conflict),
            StoreError::Unavailable(cause) => crate::Error::unavailable(cause),
            StoreError::Internal(cause) => crate::Error::internal(cause),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Filters for listing users.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Normalised email prefix.
    pub email_prefix: Option<String>,
}

/// Persistence for the management domain. Updates and deletes are conditional on the
/// version the caller read (`expected_version`), so concurrent writers cannot silently
/// overwrite each other: `Ok(false)` / `Ok(None)` means the row changed or vanished.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    async fn insert_tenant(&self, tenant: &Tenant) -> StoreResult<()>;
    async fn get_tenant(&self, id: &str) -> StoreResult<Option<Tenant>>;
    async fn list_tenants(&self, page: &PageRequest) -> StoreResult<Vec<Tenant>>;
    async fn update_tenant(&self, tenant: &Tenant, expected_version: i64) -> StoreResult<bool>;
    async fn delete_tenant(&self, id: &str, expected_version: i64) -> StoreResult<bool>;

    async fn insert_user(&self, user: &User) -> StoreResult<()>;
    async fn get_user(&self, tenant_id: &str, id: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, tenant_id: &str, filter: &UserFilter, page: &PageRequest) -> StoreResult<Vec<User>>;
    async fn update_user(&self, user: &User, expected_version: i64) -> StoreResult<bool>;
    async fn delete_user(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    async fn insert_application(&self, application: &Application) -> StoreResult<()>;
    async fn get_application(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Application>>;
    async fn list_applications(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Application>>;
    async fn update_application(&self, application: &Application, expected_version: i64) -> StoreResult<bool>;
    async fn delete_application(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

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
