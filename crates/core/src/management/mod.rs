//! The management service: the use cases behind the management API.
//!
//! Handlers in `server` parse requests into the input types here; every rule about what a
//! valid tenant, user, application or credential is lives in this module tree.

mod actions;
mod applications;
mod credentials;
mod log;
mod tenants;
mod users;
mod versioned;
mod webhooks;

use std::sync::Arc;

pub use actions::{sample_event, ActionPatch, NewAction, MAX_CODE_BYTES};
pub use applications::{ApplicationPatch, NewApplication};
pub use credentials::{Bootstrap, NewCredential, TOKEN_PREFIX};
pub use log::{Bucket, Trace};
pub use tenants::{NewTenant, TenantPatch, DEFAULT_TENANT};
pub use users::{NewUser, UserPatch};
pub use webhooks::{NewSubscription, SubscriptionPatch, DEFAULT_ROTATION_OVERLAP_S, SECRET_PREFIX};

use crate::password::PasswordHasherPool;
use crate::ports::{AuthStore, Store};
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
    store: Arc<dyn Store>,
    auth_store: Arc<dyn AuthStore>,
    hasher: PasswordHasherPool,
    webhooks: WebhookSetup,
    actions: Option<crate::actions::Actions>,
    log: Arc<dyn crate::log::LogStore>,
    log_queue: crate::log::LogQueue,
}

impl Management {
    pub fn new(
        store: Arc<dyn Store>,
        auth_store: Arc<dyn AuthStore>,
        hasher: PasswordHasherPool,
        webhooks: WebhookSetup,
        log: Arc<dyn crate::log::LogStore>,
    ) -> Self {
        let log_queue = crate::log::LogQueue::spawn(log.clone());
        Management { store, auth_store, hasher, webhooks, actions: None, log, log_queue }
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

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn auth_store(&self) -> &Arc<dyn AuthStore> {
        &self.auth_store
    }

    pub fn hasher(&self) -> &PasswordHasherPool {
        &self.hasher
    }
}
