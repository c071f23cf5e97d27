//! Upstream identity providers: a tenant's connections (how its users sign in with an
//! account elsewhere — OpenID Connect, or OAuth 2.0 with a userinfo endpoint), the
//! identities that tie users to them, and the ports that store both and speak the protocol.

pub mod mapping;
pub mod presets;

use std::collections::BTreeMap;

use async_trait::async_trait;
use intelliauth_catalogue::Code;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{Meta, User};
use crate::page::PageRequest;
use crate::ports::StoreResult;
use crate::Error;

pub use presets::Preset;

/// The protocol a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// OpenID Connect: discovery, code + PKCE, a verified ID token with our nonce.
    #[default]
    Oidc,
    /// OAuth 2.0 without ID tokens: code + PKCE, then the user from a userinfo endpoint.
    Oauth2,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Oidc => "oidc",
            Strategy::Oauth2 => "oauth2",
        }
    }

    pub fn parse(text: &str) -> Option<Strategy> {
        [Strategy::Oidc, Strategy::Oauth2].into_iter().find(|strategy| strategy.as_str() == text)
    }
}

/// What a connection says, besides its name and secret. Endpoints left out come from the
/// preset, then (OpenID Connect) from the issuer's discovery document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct ConnectionConfig {
    pub display_name: String,
    pub strategy: Strategy,
    pub preset: Option<Preset>,
    pub client_id: String,
    pub issuer: Option<String>,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub userinfo_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub scopes: Vec<String>,
    /// Target (`name`, `given_name`, `family_name`, `nickname`, `picture`,
    /// `app_metadata.<key>`) → upstream claim.
    pub mapping: BTreeMap<String, String>,
    /// Apple: the team and the key that sign the client secret, when the stored secret is
    /// the key itself (the `.p8` file).
    pub team_id: Option<String>,
    pub key_id: Option<String>,
}

/// A tenant's upstream identity provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub id: String,
    pub tenant_id: String,
    /// What `connection=` names; unique in the tenant.
    pub name: String,
    pub enabled: bool,
    pub config: ConnectionConfig,
    /// The client secret, sealed with the instance key; never leaves the domain.
    pub client_secret_sealed: Option<String>,
    pub meta: Meta,
}

impl Connection {
    /// The scopes asked for: the connection's own, else its preset's, else its strategy's.
    pub fn scopes(&self) -> Vec<String> {
        if !self.config.scopes.is_empty() {
            return self.config.scopes.clone();
        }
        match (self.config.preset, self.config.strategy) {
            (Some(preset), _) => preset.scopes().iter().map(|s| (*s).to_owned()).collect(),
            (None, Strategy::Oidc) => ["openid", "email", "profile"].map(str::to_owned).to_vec(),
            (None, Strategy::Oauth2) => Vec::new(),
        }
    }

    /// What the log and Actions may know of the connection: never its secret.
    pub fn facts(&self) -> Value {
        serde_json::json!({
            "id": self.id, "name": self.name, "strategy": self.config.strategy.as_str(),
            "preset": self.config.preset.map(Preset::as_str),
        })
    }
}

/// Where a connection's protocol happens, resolved from its settings, preset and discovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub userinfo: Option<String>,
    pub jwks_uri: Option<String>,
    /// The `iss` an ID token must carry (OpenID Connect).
    pub issuer: Option<String>,
}

/// Who the upstream says signed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamUser {
    /// The upstream's stable id for the user (`sub`, GitHub's numeric `id`).
    pub subject: String,
    pub email: Option<String>,
    /// Only an upstream's explicit word counts; a missing or quirky claim is `false`.
    pub email_verified: bool,
    /// The claims the upstream gave (ID token and userinfo), for the mapping and Actions.
    pub claims: Map<String, Value>,
    /// The upstream's token response (access, ID and refresh tokens), for post-login Actions.
    pub tokens: Map<String, Value>,
}

/// Why a call to an upstream failed.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamFailure {
    /// Not reachable, timed out, 5xx, or refused by the instance's address policy.
    Unreachable(String),
    /// The upstream said no (an OAuth error at the callback or the token endpoint).
    Refused { error: String, description: Option<String> },
    /// An answer that cannot be trusted or read: a bad ID token, a wrong issuer or nonce.
    Invalid(String),
}

impl From<UpstreamFailure> for Error {
    fn from(failure: UpstreamFailure) -> Error {
        match failure {
            UpstreamFailure::Unreachable(reason) => Error::new(Code::UpstreamUnavailable)
                .with_detail("reason", reason.clone())
                .with_cause(format!("upstream unreachable: {reason}")),
            UpstreamFailure::Refused { error, description } => Error::new(Code::UpstreamRefused)
                .with_detail("upstream_error", error.clone())
                .with_detail("upstream_error_description", description.clone())
                .with_cause(format!("upstream refused: {error} {}", description.unwrap_or_default())),
            UpstreamFailure::Invalid(reason) => Error::new(Code::UpstreamResponseInvalid)
                .with_detail("reason", reason.clone())
                .with_cause(format!("upstream answer invalid: {reason}")),
        }
    }
}

/// One code exchange at an upstream.
pub struct UpstreamExchange<'a> {
    pub connection: &'a Connection,
    pub endpoints: &'a Endpoints,
    pub client_secret: Option<&'a str>,
    pub code: &'a str,
    pub code_verifier: &'a str,
    pub redirect_uri: &'a str,
    pub nonce: &'a str,
}

/// The protocol calls to upstream identity providers (through the instance's egress guard).
#[async_trait]
pub trait Upstream: Send + Sync {
    /// The connection's endpoints: its own settings, its preset's, or discovery's (cached).
    async fn endpoints(&self, connection: &Connection) -> Result<Endpoints, UpstreamFailure>;
    /// Exchanges the code (with the PKCE verifier), verifies what comes back and reads the user.
    async fn exchange(&self, call: UpstreamExchange<'_>) -> Result<UpstreamUser, UpstreamFailure>;
}

/// A user's account at an upstream, linked to them.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub connection_id: String,
    pub subject: String,
    /// The claims of the latest sign-in through it.
    pub claims: Map<String, Value>,
    pub created_at: i64,
    pub last_sign_in_at: i64,
}

/// A sign-in sent to an upstream and not yet back, then what came back. Found by the
/// digest of its `state`, used once.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamRequest {
    pub id: String,
    pub tenant_id: String,
    pub flow_id: String,
    pub connection_id: String,
    pub state_digest: String,
    pub nonce: String,
    /// The PKCE verifier, sealed.
    pub verifier_sealed: String,
    /// A native app's registered redirect URI the result goes to (JSON flows only).
    pub app_redirect: Option<String>,
    /// The signed-in user who asked, on their account page, to link this upstream account.
    pub link_user_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// What came back ([`UpstreamOutcome`] as JSON), sealed: it holds the upstream's tokens.
    pub outcome_sealed: Option<String>,
    /// For a JSON flow, the digest of the one-time result code the app finishes with.
    pub result_digest: Option<String>,
}

/// What an upstream sign-in came back with, kept on its request until the flow ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpstreamOutcome {
    pub connection: Value,
    pub connection_id: String,
    pub user: UpstreamUser,
    /// The local account with the same verified email, linked once its owner signs in.
    pub link_user_id: Option<String>,
}

/// The user's identities, each with the connection it was linked through.
pub async fn linked_identities(
    store: &dyn ConnectionStore,
    tenant_id: &str,
    user_id: &str,
) -> StoreResult<Vec<(Identity, Connection)>> {
    let identities = store.identities_of(tenant_id, user_id).await?;
    let mut linked = Vec::with_capacity(identities.len());
    for identity in identities {
        // Deleting a connection deletes its identities: a miss is only a race with that.
        if let Some(connection) = store.get_connection(tenant_id, &identity.connection_id).await? {
            linked.push((identity, connection));
        }
    }
    Ok(linked)
}

/// Where connections, identities and upstream requests are kept.
#[async_trait]
pub trait ConnectionStore: Send + Sync {
    async fn insert_connection(&self, connection: &Connection) -> StoreResult<()>;
    async fn get_connection(&self, tenant_id: &str, id: &str) -> StoreResult<Option<Connection>>;
    async fn connection_by_name(&self, tenant_id: &str, name: &str) -> StoreResult<Option<Connection>>;
    async fn list_connections(&self, tenant_id: &str, page: &PageRequest) -> StoreResult<Vec<Connection>>;
    async fn update_connection(&self, connection: &Connection, expected_version: i64) -> StoreResult<bool>;
    /// Deletes the connection and every identity linked through it.
    async fn delete_connection(&self, tenant_id: &str, id: &str, expected_version: i64) -> StoreResult<bool>;

    async fn identities_of(&self, tenant_id: &str, user_id: &str) -> StoreResult<Vec<Identity>>;
    async fn identity_by_subject(&self, connection_id: &str, subject: &str) -> StoreResult<Option<Identity>>;
    /// `Conflict` when the upstream account is linked already.
    async fn insert_identity(&self, identity: &Identity) -> StoreResult<()>;
    /// A user created by their first upstream sign-in, with the identity, in one transaction.
    async fn insert_user_with_identity(
        &self,
        user: &User,
        identity: &Identity,
        events: &[crate::events::Event],
    ) -> StoreResult<()>;
    async fn touch_identity(&self, id: &str, claims: &Map<String, Value>, now: i64) -> StoreResult<()>;
    async fn delete_identity(&self, tenant_id: &str, user_id: &str, id: &str) -> StoreResult<bool>;

    async fn insert_upstream_request(&self, request: &UpstreamRequest) -> StoreResult<()>;
    /// The unused, unexpired request with this state digest, marked used.
    async fn take_upstream_request(&self, state_digest: &str, now: i64) -> StoreResult<Option<UpstreamRequest>>;
    async fn set_upstream_outcome(
        &self,
        id: &str,
        outcome_sealed: &str,
        result_digest: Option<&str>,
    ) -> StoreResult<()>;
    /// The latest request of `flow_id` that came back.
    async fn upstream_outcome_of_flow(&self, flow_id: &str) -> StoreResult<Option<UpstreamRequest>>;
    /// Drops what `flow_id`'s upstream requests brought back (its tokens among it) once the
    /// flow has ended in a session.
    async fn forget_upstream_outcomes(&self, flow_id: &str) -> StoreResult<()>;
}
