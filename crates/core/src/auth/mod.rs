//! Sign-in, registration, email verification, recovery and sessions: the flow engine
//! behind both the hosted pages and the JSON flow API.

mod actions;
mod captcha;
mod counter;
mod email;
mod flows;
mod invitations;
mod login;
mod mfa;
mod migration;
mod passkeys;
pub mod providers;
mod registration;
mod session;
mod sms;
pub mod store;
mod upstream;

use std::net::IpAddr;
use std::sync::Arc;

pub use captcha::{solve_proof_of_work, CaptchaChallenge, CaptchaDue, CaptchaWidget};
pub use flows::{CsrfProof, FlowKind, StartedFlow};
pub use login::{SignIn, SignInStep, SignedIn};
pub use mfa::{
    acr_for, enrolled_kinds, MfaSignedIn, SecondFactor, SecondFactorDue, TotpEnrolment, ACR_MULTI_FACTOR,
    ACR_SINGLE_FACTOR, AMR_OTP, AMR_PASSWORD, STEP_ENROL, STEP_MFA,
};
pub use passkeys::{PasskeyChallenge, AMR_HARDWARE_KEY, AMR_USER_PRESENCE};
pub use registration::Registration;
pub use session::ActiveSession;
pub use sms::{check_phone, SmsSent};
pub use upstream::{UpstreamCallback, UpstreamPurpose, UpstreamReturn, AMR_FEDERATED};

use crate::management::Management;
use crate::mfa::FactorStore;
use crate::password::PasswordHasherPool;
use crate::ports::{
    CaptchaVerifier, DirectoryStore, Mailer, Passkeys, PasswordVerifier, SignInStore, SmsSender, Wording,
};
use crate::sealed::InstanceKey;
pub use counter::{Counters, LocalCounters};

/// Who is asking, as far as the request tells.
#[derive(Debug, Clone)]
pub struct ClientContext {
    pub ip: IpAddr,
    /// The request's id, so Action executions can be found by the sign-in that ran them.
    pub request_id: Option<String>,
    pub user_agent: Option<String>,
}

impl ClientContext {
    pub fn from_ip(ip: IpAddr) -> Self {
        ClientContext { ip, request_id: None, user_agent: None }
    }
}

/// What flows need to run Actions: the runner, and the authorization requests that tell
/// which application a sign-in is for.
#[derive(Clone)]
pub struct FlowActions {
    pub runner: crate::actions::Actions,
    pub authorizations: Arc<dyn crate::ports::GrantStore>,
}

/// Verification mails one address may request per window.
const RESENDS_PER_WINDOW: u32 = 3;
const RESEND_WINDOW_MS: i64 = 15 * 60 * 1000;

/// The sign-in service. Cheap to clone.
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn DirectoryStore>,
    auth_store: Arc<dyn SignInStore>,
    hasher: PasswordHasherPool,
    mailer: Arc<dyn Mailer>,
    /// The words of mails and texts, in the reader's language.
    wording: Arc<dyn Wording>,
    siteverify: Option<Arc<dyn CaptchaVerifier>>,
    /// Failed sign-ins per address and mail requests per address: this node's, or every
    /// node's through Redis.
    counters: Arc<dyn Counters>,
    public_url: Arc<str>,
    /// Verified against when the email is unknown, so both cases cost one argon2 hash.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
    mfa_store: Arc<dyn FactorStore>,
    /// Seals TOTP seeds.
    instance_key: InstanceKey,
    /// Texts one-time codes; `None` when no gateway is configured.
    sms_sender: Option<Arc<dyn SmsSender>>,
    /// WebAuthn ceremonies; `None` when the public URL cannot be a relying party.
    passkeys: Option<Arc<dyn Passkeys>>,
    /// Tenants' legacy password verifiers (lazy migration); `None` asks none.
    password_verifier: Option<Arc<dyn PasswordVerifier>>,
    /// Tenant-admin Actions; `None` runs none.
    actions: Option<FlowActions>,
    /// The tenant log, for decisions that change nothing else.
    log: Arc<dyn crate::log::LogStore>,
    /// Connections, identities and upstream requests.
    connections: Arc<dyn crate::federation::ConnectionStore>,
    /// APIs and roles, which post-login Actions see.
    apis: Arc<dyn crate::apis::ApiStore>,
    /// Organizations, which invitations join.
    organizations: Arc<dyn crate::organizations::OrganizationStore>,
    /// Upstream identity providers' protocol; `None` reaches none.
    upstream: Option<Arc<dyn crate::federation::Upstream>>,
}

/// The services outside IntelliAuth that sign-in talks to.
pub struct AuthServices {
    pub mailer: Arc<dyn Mailer>,
    pub wording: Arc<dyn Wording>,
    pub siteverify: Option<Arc<dyn CaptchaVerifier>>,
    pub sms: Option<Arc<dyn SmsSender>>,
    pub passkeys: Option<Arc<dyn Passkeys>>,
    pub password_verifier: Option<Arc<dyn PasswordVerifier>>,
    pub actions: Option<FlowActions>,
    /// Upstream identity providers' protocol (through the egress guard).
    pub upstream: Option<Arc<dyn crate::federation::Upstream>>,
    /// Where failed sign-ins per address and mail requests are counted.
    pub counters: Arc<dyn Counters>,
}

impl Auth {
    pub fn new(
        management: &Management,
        ports: &crate::ports::Ports,
        services: AuthServices,
        public_url: &str,
        instance_key: InstanceKey,
    ) -> Self {
        let AuthServices {
            mailer,
            wording,
            siteverify,
            sms: sms_sender,
            passkeys,
            password_verifier,
            actions,
            upstream,
            counters,
        } = services;
        Auth {
            store: management.store().clone(),
            auth_store: management.auth_store().clone(),
            hasher: management.hasher().clone(),
            mailer,
            wording,
            siteverify,
            counters,
            public_url: public_url.trim_end_matches('/').into(),
            dummy_hash: Arc::new(tokio::sync::OnceCell::new()),
            mfa_store: ports.factors.clone(),
            instance_key,
            sms_sender,
            passkeys,
            password_verifier,
            actions,
            log: management.log_store().clone(),
            connections: ports.connections.clone(),
            apis: ports.apis.clone(),
            organizations: ports.organizations.clone(),
            upstream,
        }
    }

    /// Deletes expired flows, challenges, tokens, sessions and counters; run periodically.
    pub async fn prune_expired(&self) -> crate::Result<u64> {
        // Keep a day of history past expiry for support questions ("my link didn't work").
        Ok(self.auth_store.prune_expired(crate::ids::now_ms(), 24 * 3600 * 1000).await?)
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    async fn dummy_hash(&self) -> crate::Result<&str> {
        let hash = self.dummy_hash.get_or_try_init(|| self.hasher.hash(crate::secret::generate("dummy-"))).await?;
        Ok(hash.as_str())
    }

    async fn tenant(&self, tenant_id: &str) -> crate::Result<crate::model::Tenant> {
        self.store.get_tenant(tenant_id).await?.ok_or_else(|| crate::Error::not_found("tenant"))
    }
}
