//! Ports: what the domain needs from storage, one per feature and named after what it
//! stores, each defined in its feature's module and listed here; the storage error every
//! port answers with; and [`Ports`], the one value that wires a storage in.

use std::sync::Arc;

pub use crate::actions::ActionStore;
pub use crate::auth::providers::{
    CaptchaVerifier, Mail, Mailer, PasskeyCeremony, Passkeys, PasswordVerifier, SmsSender, VerifiedPasskey,
    VerifierAnswer, VerifierCall, Wording,
};
pub use crate::auth::store::{
    AttemptSubject, FailurePolicy, FlowRecord, OneTimeToken, Reservation, SessionRecord, SignInStore,
};
pub use crate::directory::{DirectoryStore, UserFilter};
pub use crate::federation::{ConnectionStore, Upstream};
pub use crate::grants::{CodeRecord, DeviceCodeRecord, DeviceStatus, GrantStore, RefreshTokenRecord};
pub use crate::log::LogStore;
pub use crate::mfa::FactorStore;
pub use crate::signing_keys::{SigningKeyRecord, SigningKeyStore};
pub use crate::webhooks::WebhookStore;

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

/// Every storage port, as one value: the binary opens a storage once and hands each service
/// this, instead of one argument per port.
#[derive(Clone)]
pub struct Ports {
    pub directory: Arc<dyn DirectoryStore>,
    pub sign_in: Arc<dyn SignInStore>,
    pub factors: Arc<dyn FactorStore>,
    pub signing_keys: Arc<dyn SigningKeyStore>,
    pub grants: Arc<dyn GrantStore>,
    pub actions: Arc<dyn ActionStore>,
    pub webhooks: Arc<dyn WebhookStore>,
    pub log: Arc<dyn LogStore>,
    pub connections: Arc<dyn ConnectionStore>,
    pub apis: Arc<dyn crate::apis::ApiStore>,
    pub logout: Arc<dyn crate::logout::LogoutStore>,
    pub organizations: Arc<dyn crate::organizations::OrganizationStore>,
}

impl Ports {
    /// One storage that implements every port (`store::SqlStore`).
    pub fn all_in<S>(storage: Arc<S>) -> Ports
    where
        S: DirectoryStore
            + SignInStore
            + FactorStore
            + SigningKeyStore
            + GrantStore
            + ActionStore
            + WebhookStore
            + LogStore
            + ConnectionStore
            + crate::apis::ApiStore
            + crate::logout::LogoutStore
            + crate::organizations::OrganizationStore,
    {
        Ports {
            directory: storage.clone(),
            sign_in: storage.clone(),
            factors: storage.clone(),
            signing_keys: storage.clone(),
            grants: storage.clone(),
            actions: storage.clone(),
            webhooks: storage.clone(),
            log: storage.clone(),
            connections: storage.clone(),
            apis: storage.clone(),
            logout: storage.clone(),
            organizations: storage,
        }
    }
}
