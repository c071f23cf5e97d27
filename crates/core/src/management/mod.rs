//! The management service: the use cases behind the management API.
//!
//! Handlers in `server` parse requests into the input types here; every rule about what a
//! valid tenant, user, application or credential is lives in this module tree.

mod actions;
mod apis;
mod applications;
mod connections;
mod credentials;
mod import;
mod log;
mod organizations;
mod tenants;
mod users;
mod versioned;
mod webhooks;

use std::sync::Arc;

pub use actions::{sample_event, ActionPatch, NewAction, MAX_CODE_BYTES};
pub use apis::{ApiPatch, HeldPermission, NewApi, NewClientGrant, NewRole, RolePatch};
pub use applications::{ApplicationPatch, NewApplication};
pub use connections::{open_client_secret, ConnectionPatch, NewConnection};
pub use credentials::{Bootstrap, NewCredential, TOKEN_PREFIX};
pub use import::{
    export_line, outcome_name, row_from_verifier, Import, ImportCounts, LineOutcome, OnExisting, IMPORT_BATCH,
    MAX_IMPORT_LINE_BYTES,
};
pub use log::{Bucket, Trace};
pub use organizations::{NewOrganization, OrganizationPatch};
pub use tenants::{NewTenant, TenantPatch, DEFAULT_TENANT};
pub use users::{user_record, NewUser, UserPatch};
pub use webhooks::{NewSubscription, SubscriptionPatch, DEFAULT_ROTATION_OVERLAP_S, SECRET_PREFIX};

use crate::password::PasswordHasherPool;
use crate::ports::{DirectoryStore, SignInStore};
use crate::sealed::InstanceKey;
use crate::webhooks::address::AddressPolicy;
use crate::webhooks::WebhookStore;

/// What webhook management needs: its store, the key that seals signing secrets, and
/// which receiver addresses the instance allows.
#[derive(Clone)]
pub struct WebhookSetup {
    pub store: Arc<dyn WebhookStore>,
    pub key: InstanceKey,
    pub policy: AddressPolicy,
}

/// Entry point for management use cases. Cheap to clone.
#[derive(Clone)]
pub struct Management {
    store: Arc<dyn DirectoryStore>,
    auth_store: Arc<dyn SignInStore>,
    hasher: PasswordHasherPool,
    webhooks: WebhookSetup,
    actions: Option<crate::actions::Actions>,
    log: Arc<dyn crate::log::LogStore>,
    log_queue: crate::log::LogQueue,
    connections: Arc<dyn crate::federation::ConnectionStore>,
    apis: Arc<dyn crate::apis::ApiStore>,
    organizations: Arc<dyn crate::organizations::OrganizationStore>,
}

impl Management {
    /// Management over `ports`; webhook secrets are sealed with `instance_key` and receiver
    /// URLs checked against `address_policy` when saved.
    pub fn new(
        ports: &crate::ports::Ports,
        hasher: PasswordHasherPool,
        instance_key: InstanceKey,
        address_policy: AddressPolicy,
    ) -> Self {
        let webhooks = WebhookSetup { store: ports.webhooks.clone(), key: instance_key, policy: address_policy };
        Management {
            store: ports.directory.clone(),
            auth_store: ports.sign_in.clone(),
            hasher,
            webhooks,
            actions: None,
            log: ports.log.clone(),
            log_queue: crate::log::LogQueue::spawn(ports.log.clone()),
            connections: ports.connections.clone(),
            apis: ports.apis.clone(),
            organizations: ports.organizations.clone(),
        }
    }

    /// The batched writer of hot-path decisions (see [`crate::log::LogQueue`]).
    pub fn log_queue(&self) -> &crate::log::LogQueue {
        &self.log_queue
    }

    pub fn log_store(&self) -> &Arc<dyn crate::log::LogStore> {
        &self.log
    }

    /// The same service, managing Actions with `actions`.
    pub fn with_actions(mut self, actions: crate::actions::Actions) -> Self {
        self.actions = Some(actions);
        self
    }

    pub fn store(&self) -> &Arc<dyn DirectoryStore> {
        &self.store
    }

    pub fn auth_store(&self) -> &Arc<dyn SignInStore> {
        &self.auth_store
    }

    pub fn hasher(&self) -> &PasswordHasherPool {
        &self.hasher
    }
}
