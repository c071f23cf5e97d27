//! Actions: tenant-admin JavaScript run at points of sign-in and registration. The model,
//! the storage port, and the sandbox port that `intelliauth-actions` implements with QuickJS.
//! Running them during a flow is `auth::actions`; managing them is `management::actions`.

pub mod contain;
mod runner;

use std::collections::BTreeMap;
use std::time::Duration;

use async_trait::async_trait;
use intelliauth_catalogue::Code;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::Meta;
use crate::page::PageRequest;
use crate::ports::StoreResult;

pub use runner::{step_detail, Actions, RunContext};

/// Where in a flow an Action runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// After the password and MFA steps, before the session and code are issued.
    PostLogin,
    /// Before a registration creates the user.
    PreUserRegistration,
    /// After the user is created; fire and forget, it cannot change the outcome.
    PostUserRegistration,
}

impl Trigger {
    pub const ALL: [Trigger; 3] = [Trigger::PostLogin, Trigger::PreUserRegistration, Trigger::PostUserRegistration];

    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::PostLogin => "post-login",
            Trigger::PreUserRegistration => "pre-user-registration",
            Trigger::PostUserRegistration => "post-user-registration",
        }
    }

    pub fn parse(text: &str) -> Option<Trigger> {
        Trigger::ALL.into_iter().find(|trigger| trigger.as_str() == text)
    }

    /// The function an Action exports for this trigger.
    pub fn entry_point(self) -> &'static str {
        match self {
            Trigger::PostLogin => "onExecutePostLogin",
            Trigger::PreUserRegistration => "onExecutePreUserRegistration",
            Trigger::PostUserRegistration => "onExecutePostUserRegistration",
        }
    }
}

/// One Action: its current code and where it runs. Every code change is kept as a version.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub trigger: Trigger,
    pub code: String,
    /// The number of the current code version, from 1.
    pub code_version: i64,
    pub enabled: bool,
    /// Order within the trigger, lowest first.
    pub position: i64,
    /// A JSON object of secret names to values, sealed with the instance key.
    pub secrets_sealed: Option<String>,
    /// The secrets' names, listed without opening them.
    pub secret_names: Vec<String>,
    pub meta: Meta,
}

/// A kept earlier (or the current) code of an Action.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionVersion {
    pub action_id: String,
    pub version: i64,
    pub code: String,
    pub created_at: i64,
}

/// How one execution ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    /// Ran to the end without denying.
    Success,
    /// Called `api.access.deny`.
    Denied,
    /// Ran past its budget.
    Timeout,
    /// Threw, failed to parse, or ran out of memory.
    Error,
}

impl Execution {
    /// The tenant log's entry for this execution, linking to its record.
    pub fn log_entry(&self) -> crate::log::LogEntry {
        let code = match self.outcome {
            ExecutionOutcome::Success => "ok",
            ExecutionOutcome::Denied => Code::StepBlocked.as_str(),
            ExecutionOutcome::Timeout => Code::StepTimeout.as_str(),
            ExecutionOutcome::Error => Code::StepError.as_str(),
        };
        let details = serde_json::json!({
            "execution_id": self.id, "action_id": self.action_id, "action_name": self.action_name,
            "action_version": self.action_version, "trigger": self.trigger.as_str(), "test": self.test,
        });
        let mut entry = crate::log::LogEntry::new(&self.tenant_id, "action.executed", code, details)
            .with_user(self.user_id.clone())
            .at(self.created_at);
        if self.request_id.is_some() {
            entry.request_id = self.request_id.clone();
        }
        entry
    }
}

impl ExecutionOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ExecutionOutcome::Success => "success",
            ExecutionOutcome::Denied => "denied",
            ExecutionOutcome::Timeout => "timeout",
            ExecutionOutcome::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<ExecutionOutcome> {
        [ExecutionOutcome::Success, ExecutionOutcome::Denied, ExecutionOutcome::Timeout, ExecutionOutcome::Error]
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }
}

/// The log of one execution, for tenant admins.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    pub id: String,
    pub tenant_id: String,
    pub action_id: String,
    pub action_name: String,
    pub action_version: i64,
    pub trigger: Trigger,
    /// The request that caused it (the `X-Request-Id` of the sign-in), if any.
    pub request_id: Option<String>,
    pub user_id: Option<String>,
    pub outcome: ExecutionOutcome,
    /// A test run from the management API: nothing it asked for was applied.
    pub test: bool,
    /// Microseconds: a trivial Action takes well under one millisecond.
    pub duration_us: i64,
    pub console: Vec<String>,
    /// The reason given to `api.access.deny`.
    pub reason: Option<String>,
    pub error: Option<String>,
    /// The exception's stack, with `action.js:<line>:<column>` frames.
    pub stack: Option<String>,
    pub created_at: i64,
}

/// Which executions to list.
#[derive(Debug, Clone, Default)]
pub struct ExecutionFilter {
    pub action_id: Option<String>,
    pub request_id: Option<String>,
}

/// The persistence Actions need.
#[async_trait]
pub trait ActionStore: Send + Sync + 'static {
    /// Inserts the Action and its first version, at the end of its trigger's order.
    async fn insert_action(&self, action: &Action) -> StoreResult<()>;
    async fn get_action(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Action>>;
    /// The tenant's Actions, for one trigger or all, in order.
    async fn list_actions(&self, tenant_id: &str, trigger: Option<Trigger>) -> StoreResult<Vec<Action>>;
    /// Writes the Action if it is still at `expected_version`; keeps its code as a new
    /// version when `code_version` moved.
    async fn update_action(&self, action: &Action, expected_version: i64) -> StoreResult<bool>;
    /// Deletes the Action if it is still at `expected_version`.
    async fn delete_action(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;
    async fn action_versions(&self, action_id: &str) -> StoreResult<Vec<ActionVersion>>;
    /// Sets the positions of the trigger's Actions to the order of `ids`, all or nothing:
    /// `Ok(false)`, with nothing changed, when `ids` does not name every Action the trigger
    /// has at the time of the write (one was created or deleted since the caller listed them).
    async fn reorder_actions(&self, tenant_id: &str, trigger: Trigger, ids: &[String], now: i64) -> StoreResult<bool>;
    async fn insert_execution(&self, execution: &Execution) -> StoreResult<()>;
    /// Newest first.
    async fn list_executions(
        &self,
        tenant_id: &str,
        filter: &ExecutionFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<Execution>>;
    /// Merges `metadata` into the user's `app_metadata` (a `null` value removes a key).
    async fn merge_app_metadata(&self, user_id: &str, metadata: &Map<String, Value>, now: i64) -> StoreResult<()>;
    /// Drops execution logs older than `before`.
    async fn prune_executions(&self, before: i64) -> StoreResult<u64>;
}

/// The tenant's Action settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ActionSettings {
    /// Wall-clock budget of one Action, `fetch` included.
    pub timeout_ms: u64,
    /// Hosts (`name` or `name:port`) that Actions may `fetch`; nothing else is reachable.
    pub allowed_hosts: Vec<String>,
}

pub const DEFAULT_TIMEOUT_MS: u64 = 5_000;
pub const MAX_TIMEOUT_MS: u64 = 30_000;

impl Default for ActionSettings {
    fn default() -> Self {
        ActionSettings { timeout_ms: DEFAULT_TIMEOUT_MS, allowed_hosts: Vec::new() }
    }
}

impl ActionSettings {
    pub fn validate(&self, errors: &mut crate::validate::FieldErrors) {
        if !(10..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            errors.add("settings.actions.timeout_ms", format!("must be between 10 and {MAX_TIMEOUT_MS}"));
        }
        for host in &self.allowed_hosts {
            let plausible = !host.is_empty()
                && host.len() <= 253
                && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
            if !plausible {
                errors.add("settings.actions.allowed_hosts", format!("{host:?} is not a host name or host:port"));
            }
        }
    }
}

/// What one execution asks the sandbox to run.
#[derive(Debug, Clone)]
pub struct RunRequest {
    /// Whose Action: executions are shared fairly between tenants.
    pub tenant_id: String,
    pub code: String,
    pub trigger: Trigger,
    /// The `event` argument, without `secrets` (the sandbox adds them).
    pub event: Value,
    pub secrets: BTreeMap<String, String>,
    pub budget: Duration,
    pub allowed_hosts: Vec<String>,
}

impl Commands {
    /// The first claim an Action may not set, if it set one. Checked by the host on what
    /// comes out of the sandbox, so nothing the Action's JavaScript does (overriding
    /// built-ins, writing the result itself) gets a protocol claim into a signed token.
    pub fn reserved_claim(&self) -> Option<&str> {
        self.id_token_claims
            .keys()
            .chain(self.access_token_claims.keys())
            .map(String::as_str)
            .find(|name| RESERVED_CLAIMS.contains(name))
    }
}

/// What the Action asked for through `api`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Commands {
    /// `api.access.deny(reason)`.
    pub deny: Option<String>,
    pub id_token_claims: Map<String, Value>,
    pub access_token_claims: Map<String, Value>,
    pub app_metadata: Map<String, Value>,
    /// `api.multifactor.enable(provider)`.
    pub multifactor: Option<String>,
    /// `api.accessToken.addScope(permission)`: permissions of the requested API to add.
    pub access_token_scopes_added: Vec<String>,
    /// `api.accessToken.removeScope(permission)`.
    pub access_token_scopes_removed: Vec<String>,
}

impl Commands {
    /// Folds a later Action's permission changes into these: the last word on a permission wins.
    pub fn merge_scopes(&mut self, later: &Commands) {
        for added in &later.access_token_scopes_added {
            self.access_token_scopes_removed.retain(|removed| removed != added);
            if !self.access_token_scopes_added.contains(added) {
                self.access_token_scopes_added.push(added.clone());
            }
        }
        for removed in &later.access_token_scopes_removed {
            self.access_token_scopes_added.retain(|added| added != removed);
            if !self.access_token_scopes_removed.contains(removed) {
                self.access_token_scopes_removed.push(removed.clone());
            }
        }
    }
}

/// How the sandbox run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum RunStatus {
    Completed(Commands),
    TimedOut,
    Failed { error: String, stack: Option<String> },
}

#[derive(Debug, Clone)]
pub struct RunReport {
    pub status: RunStatus,
    pub console: Vec<String>,
    pub duration: Duration,
}

/// The JavaScript sandbox.
#[async_trait]
pub trait ActionEngine: Send + Sync + 'static {
    /// Runs the trigger's entry point of `request.code`; never fails, the report says how it went.
    async fn run(&self, request: RunRequest) -> RunReport;
}

/// What `post-login` Actions decided about a session that signs in to another application
/// (single sign-on): they run for every application a session reaches.
#[derive(Debug, Clone, PartialEq)]
pub enum Reuse {
    /// Go on; these are the claims for the application's tokens.
    Proceed(Option<CustomClaims>),
    /// An Action asked for MFA and the session has one factor: step up first.
    NeedsSecondFactor,
}

/// What a session signs in to: the application, the API it asks a token for (its
/// identifier), and the organization.
#[derive(Debug, Clone, Copy)]
pub struct SigningInTo<'a> {
    pub application: &'a crate::model::Application,
    pub audience: Option<&'a str>,
    pub organization: Option<&'a crate::organizations::Organization>,
}

/// Runs `post-login` Actions when an existing session is used by an application (asking
/// for a token for an API, by its identifier, or none) its sign-in did not run them for. Implemented by `Auth`; called by the authorization endpoint.
#[async_trait]
pub trait SessionReuse: Send + Sync + 'static {
    async fn reuse_session(
        &self,
        tenant_id: &str,
        user_id: &str,
        amr: &[String],
        signing_in_to: SigningInTo<'_>,
        client: &crate::auth::ClientContext,
    ) -> crate::Result<Reuse>;
}

/// Token claims an Action may not set: the protocol's own.
pub const RESERVED_CLAIMS: &[&str] = &[
    // RFC 7519 registered claims.
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    // OIDC Core §2 and §3.1.3.6, and front/back-channel logout.
    "azp",
    "nonce",
    "auth_time",
    "at_hash",
    "c_hash",
    "s_hash",
    "acr",
    "amr",
    "sid",
    "events",
    // OIDC Core §5.1 standard claims: the scopes fill them from the user record.
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
    // RFC 9068, RFC 8693, RFC 7800 / RFC 9449, and what our own tokens use.
    "scope",
    "client_id",
    "cnf",
    "act",
    "may_act",
    "typ",
    "grant_id",
    // What the server decides a token holds: the organization, an API's permissions and roles.
    "org_id",
    "org_name",
    "permissions",
    "roles",
];

/// Claims Actions set for tokens, carried with a session and its codes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomClaims {
    /// The application the claims were computed for; tokens for another get none.
    pub client_id: Option<String>,
    /// The API (its identifier) the sign-in asked for, when it named one: claims computed
    /// for one audience are not carried to a request for another.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub id_token: Map<String, Value>,
    pub access_token: Map<String, Value>,
    /// The organization (its id) the sign-in was to, when it was to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// Permissions of the API the Actions added to or removed from the access token.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_added: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scopes_removed: Vec<String>,
}

impl CustomClaims {
    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty()
            && self.access_token.is_empty()
            && self.scopes_added.is_empty()
            && self.scopes_removed.is_empty()
    }

    /// Whether these were computed for this sign-in: the same application, API and organization.
    pub fn computed_for(&self, to: &SigningInTo<'_>) -> bool {
        self.client_id.as_deref() == Some(to.application.id.as_str())
            && self.audience.as_deref() == to.audience
            && self.organization.as_deref() == to.organization.map(|organization| organization.id.as_str())
    }
}
