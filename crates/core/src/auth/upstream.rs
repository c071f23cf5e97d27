//! Signing in through an upstream identity provider: the request sent there (state, nonce
//! and PKCE verifier, found again by the state's digest and used once), the callback, and
//! what the identity it brings back means here — a linked user, a new user, or a local
//! account that must prove itself before it is linked.

use intelliauth_catalogue::Code;
use serde_json::{json, Value};

use super::flows::{CsrfProof, FlowKind};
use super::login::SignInStep;
use super::{Auth, ClientContext};
use crate::events::{Event, EventType};
use crate::federation::{
    mapping, Connection, Identity, Upstream, UpstreamExchange, UpstreamOutcome, UpstreamRequest, UpstreamUser,
};
use crate::log::LogEntry;
use crate::model::{Tenant, User};
use crate::organizations::Organization;
use crate::ports::FlowRecord;
use crate::{ids, secret, Error, Result};

/// The authentication method an upstream sign-in records in `amr`.
pub const AMR_FEDERATED: &str = "fed";

/// What an upstream sign-in is for.
#[derive(Debug, Clone, Copy)]
pub enum UpstreamPurpose<'a> {
    /// Signing in on a browser flow (the hosted pages).
    SignIn,
    /// Signing in on a JSON flow: the result goes to the app's registered redirect URI.
    App { client_id: &'a str, redirect_uri: &'a str },
    /// The signed-in user links an upstream account from their account page.
    Link { user_id: &'a str },
}

/// What the upstream sent the browser back with.
#[derive(Debug, Clone, Default)]
pub struct UpstreamCallback {
    pub state: String,
    pub code: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where a callback leaves the sign-in.
#[derive(Debug)]
pub enum UpstreamReturn {
    /// A browser flow went on: signed in, or at a step short of it.
    Browser(SignInStep),
    /// A local account has the upstream's verified email: it signs in on this flow, and the
    /// upstream account is linked when it does.
    LinkRequired { flow_id: String, email: String, connection: String },
    /// A JSON flow: the browser goes back to the app's redirect URI with a one-time code.
    App(String),
    /// The signed-in user's account has the upstream account linked now.
    Linked,
}

fn sealed_context(kind: &str, request_id: &str) -> String {
    format!("upstream-{kind}:{request_id}")
}

impl Auth {
    fn upstream_client(&self) -> Result<&dyn Upstream> {
        self.upstream
            .as_deref()
            .ok_or_else(|| Error::unavailable("this instance reaches no upstream identity providers"))
    }

    /// Every connection's redirect URI at the upstream.
    pub fn upstream_redirect_uri(&self, tenant_id: &str) -> String {
        crate::paths::LOGIN_UPSTREAM_CALLBACK.url(&self.public_url, tenant_id)
    }

    /// The tenant's enabled connections, for the sign-in page's buttons.
    pub async fn enabled_connections(&self, tenant_id: &str) -> Result<Vec<Connection>> {
        let page = crate::page::PageRequest { limit: 100, after: None };
        let all = self.connections.list_connections(tenant_id, &page).await?;
        Ok(all.into_iter().filter(|connection| connection.enabled).collect())
    }

    /// The organization a login flow signs in to, if its authorization request named one.
    pub async fn flow_organization(&self, flow: &FlowRecord) -> Result<Option<Organization>> {
        Ok(self.flow_target(flow).await?.organization)
    }

    /// The enabled connections a sign-in may use: the tenant's, narrowed to the ones its
    /// `organization` allows when it lists any.
    pub async fn connections_for(
        &self,
        tenant_id: &str,
        organization: Option<&Organization>,
    ) -> Result<Vec<Connection>> {
        let all = self.enabled_connections(tenant_id).await?;
        let Some(organization) = organization else { return Ok(all) };
        Ok(all.into_iter().filter(|connection| allows(organization, connection)).collect())
    }

    async fn enabled_connection(&self, tenant_id: &str, name: &str) -> Result<Connection> {
        let missing = || Error::not_found("connection").with_detail("connection", name.to_owned());
        if name.len() > 63 {
            return Err(missing());
        }
        let connection = self.connections.connection_by_name(tenant_id, name).await?.ok_or_else(missing)?;
        if connection.enabled {
            Ok(connection)
        } else {
            Err(missing())
        }
    }

    /// Sends `flow` (a live login flow) to the connection named `connection_name`: the
    /// upstream's authorization URL, with state, nonce and a PKCE challenge, for `purpose`
    /// (a JSON flow names the app and its registered redirect URI the result goes back to).
    pub async fn start_upstream(
        &self,
        tenant_id: &str,
        flow: &FlowRecord,
        connection_name: &str,
        login_hint: Option<&str>,
        purpose: UpstreamPurpose<'_>,
    ) -> Result<String> {
        let connection = self.enabled_connection(tenant_id, connection_name).await?;
        // An organization that lists its connections is signed in to through those only.
        if let Some(organization) = self.flow_target(flow).await?.organization {
            if !allows(&organization, &connection) {
                return Err(Error::new(Code::PermissionDenied)
                    .with_detail("reason", "connection_not_allowed_for_organization")
                    .with_detail("connection", connection.name.clone())
                    .with_detail("organization", organization.name.clone()));
            }
        }
        let app_redirect = match purpose {
            UpstreamPurpose::App { client_id, redirect_uri } => {
                Some(self.registered_redirect(tenant_id, client_id, redirect_uri).await?)
            }
            _ => None,
        };
        let link_user_id = match purpose {
            UpstreamPurpose::Link { user_id } => Some(user_id.to_owned()),
            _ => None,
        };
        let endpoints = match self.upstream_client()?.endpoints(&connection).await {
            Ok(endpoints) => endpoints,
            Err(failure) => return Err(self.upstream_failed(tenant_id, &connection, failure.into()).await),
        };
        let (state, nonce, verifier) = (secret::generate(""), secret::generate(""), secret::generate(""));
        let id = ids::new_id("upr");
        let now = ids::now_ms();
        let request = UpstreamRequest {
            verifier_sealed: self.instance_key.seal(verifier.as_bytes(), &sealed_context("verifier", &id)),
            id,
            tenant_id: tenant_id.to_owned(),
            flow_id: flow.id.clone(),
            connection_id: connection.id.clone(),
            state_digest: secret::digest(&state),
            nonce: nonce.clone(),
            app_redirect,
            link_user_id,
            created_at: now,
            expires_at: flow.expires_at,
            outcome_sealed: None,
            result_digest: None,
        };
        self.connections.insert_upstream_request(&request).await?;
        let redirect_uri = self.upstream_redirect_uri(tenant_id);
        let scope = connection.scopes().join(" ");
        let challenge = secret::pkce_challenge(&verifier);
        let mut pairs = vec![
            ("response_type", "code"),
            ("client_id", connection.config.client_id.as_str()),
            ("redirect_uri", redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", state.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ];
        if connection.config.strategy == crate::federation::Strategy::Oidc {
            pairs.push(("nonce", nonce.as_str()));
        }
        let preset = connection.config.preset;
        if preset.is_some_and(|preset| preset.form_post()) {
            pairs.push(("response_mode", "form_post"));
        }
        let hint_parameter = match preset {
            Some(preset) => preset.login_hint_parameter(),
            None => Some("login_hint"),
        };
        if let (Some(parameter), Some(hint)) = (hint_parameter, login_hint.filter(|hint| hint.len() <= 254)) {
            pairs.push((parameter, hint));
        }
        let mut url = url::Url::parse(&endpoints.authorization).map_err(|e| {
            Error::from(crate::federation::UpstreamFailure::Invalid(format!("authorization endpoint: {e}")))
        })?;
        url.query_pairs_mut().extend_pairs(pairs);
        Ok(url.into())
    }

    /// `redirect_uri`, if it is exactly one the application `client_id` registered.
    async fn registered_redirect(&self, tenant_id: &str, client_id: &str, redirect_uri: &str) -> Result<String> {
        let application = self.store.get_application(tenant_id, client_id).await?;
        match application {
            Some(app) if app.redirect_uris.iter().any(|uri| uri == redirect_uri) => Ok(redirect_uri.to_owned()),
            _ => Err(Error::new(Code::InvalidRedirectUri)
                .with_detail("redirect_uri", redirect_uri.to_owned())
                .with_cause("a JSON flow named a redirect URI its application did not register")),
        }
    }

    /// The upstream sent the browser back. The state is the request's, used once; a browser
    /// flow must come back to the browser that started it (its CSRF cookie), so nobody can
    /// sign a victim in to the attacker's account; then the code is exchanged and the
    /// identity resolved. A JSON flow's result waits for its app instead.
    pub async fn upstream_callback(
        &self,
        tenant_id: &str,
        callback: UpstreamCallback,
        csrf_cookie: Option<&str>,
        client: ClientContext,
        previous_session: Option<&str>,
    ) -> Result<UpstreamReturn> {
        let mismatch = || Error::new(Code::StateMismatch).with_detail("flow", "upstream");
        if callback.state.is_empty() || callback.state.len() > 128 {
            return Err(mismatch());
        }
        let now = ids::now_ms();
        let request = self.connections.take_upstream_request(&secret::digest(&callback.state), now).await?;
        let request = request.filter(|request| request.tenant_id == tenant_id).ok_or_else(mismatch)?;
        let flow = self.live_flow(tenant_id, &request.flow_id, FlowKind::Login).await?;
        if flow.browser {
            let proof = CsrfProof::Browser { cookie: csrf_cookie, form: csrf_cookie };
            self.load_flow(tenant_id, &flow.id, FlowKind::Login, proof).await?;
        } else if request.app_redirect.is_none() {
            // A JSON flow's result only ever goes back to its app's registered redirect URI.
            return Err(mismatch());
        }
        let connection = self
            .connections
            .get_connection(tenant_id, &request.connection_id)
            .await?
            .filter(|connection| connection.enabled)
            .ok_or_else(|| Error::not_found("connection"))?;
        let upstream_user = match self.exchange_upstream(&connection, &request, callback).await {
            Ok(user) => user,
            Err(error) => return Err(self.upstream_failed(tenant_id, &connection, error).await),
        };
        if let Some(user_id) = &request.link_user_id {
            self.link_to_signed_in(tenant_id, &connection, user_id, &upstream_user).await?;
            self.finish_flow(&flow).await?;
            return Ok(UpstreamReturn::Linked);
        }
        let outcome = UpstreamOutcome {
            connection: connection.facts(),
            connection_id: connection.id.clone(),
            user: upstream_user,
            link_user_id: None,
        };
        let tenant = self.tenant(tenant_id).await?;
        if let Some(app_redirect) = &request.app_redirect {
            let result = secret::generate("iau_");
            self.save_outcome(&request, &outcome, Some(&secret::digest(&result))).await?;
            let mut url = url::Url::parse(app_redirect).map_err(Error::internal)?;
            url.query_pairs_mut().append_pair("flow_id", &flow.id).append_pair("upstream_code", &result);
            return Ok(UpstreamReturn::App(url.into()));
        }
        self.save_outcome(&request, &outcome, None).await?;
        match self.resolve_upstream(&tenant, flow, &request, outcome, &client, previous_session).await {
            Err(error) if error.code == Code::LinkRequired => Ok(UpstreamReturn::LinkRequired {
                flow_id: request.flow_id.clone(),
                email: error.details.get("email").and_then(Value::as_str).unwrap_or_default().to_owned(),
                connection: connection.config.display_name.clone(),
            }),
            other => other.map(UpstreamReturn::Browser),
        }
    }

    /// A JSON flow's app came back with the one-time code from its redirect.
    pub async fn finish_upstream_for_app(
        &self,
        tenant_id: &str,
        flow_id: &str,
        result_code: &str,
        client: ClientContext,
    ) -> Result<SignInStep> {
        let flow = self.load_flow(tenant_id, flow_id, FlowKind::Login, CsrfProof::Api).await?;
        let request = self.connections.upstream_outcome_of_flow(&flow.id).await?;
        let request = request
            .filter(|request| {
                request.result_digest.as_deref().is_some_and(|digest| {
                    result_code.len() <= 128 && secret::digests_equal(digest, &secret::digest(result_code))
                })
            })
            .ok_or_else(|| Error::new(Code::StateMismatch).with_detail("flow", "upstream"))?;
        let outcome = self.open_outcome(&request)?;
        // Used once: a replayed code finds no result.
        self.save_outcome(&request, &outcome, None).await?;
        let tenant = self.tenant(tenant_id).await?;
        self.resolve_upstream(&tenant, flow, &request, outcome, &client, None).await
    }

    async fn exchange_upstream(
        &self,
        connection: &Connection,
        request: &UpstreamRequest,
        callback: UpstreamCallback,
    ) -> Result<UpstreamUser> {
        if let Some(error) = callback.error {
            let error: String = error.chars().take(200).collect();
            let description = callback.error_description.map(|text| text.chars().take(500).collect());
            return Err(crate::federation::UpstreamFailure::Refused { error, description }.into());
        }
        let code = callback.code.filter(|code| !code.is_empty() && code.len() <= 4096).ok_or_else(|| {
            Error::from(crate::federation::UpstreamFailure::Invalid("the callback has no code".into()))
        })?;
        let upstream = self.upstream_client()?;
        let endpoints = upstream.endpoints(connection).await?;
        let verifier = self
            .instance_key
            .open(&request.verifier_sealed, &sealed_context("verifier", &request.id))
            .map_err(Error::internal)?;
        let verifier = String::from_utf8(verifier).map_err(|_| Error::internal("a sealed verifier is not UTF-8"))?;
        let client_secret = crate::management::open_client_secret(&self.instance_key, connection)?;
        let redirect_uri = self.upstream_redirect_uri(&connection.tenant_id);
        let call = UpstreamExchange {
            connection,
            endpoints: &endpoints,
            client_secret: client_secret.as_deref(),
            code: &code,
            code_verifier: &verifier,
            redirect_uri: &redirect_uri,
            nonce: &request.nonce,
        };
        Ok(upstream.exchange(call).await?)
    }

    async fn save_outcome(
        &self,
        request: &UpstreamRequest,
        outcome: &UpstreamOutcome,
        result: Option<&str>,
    ) -> Result<()> {
        let json = serde_json::to_vec(outcome).map_err(Error::internal)?;
        let sealed = self.instance_key.seal(&json, &sealed_context("outcome", &request.id));
        Ok(self.connections.set_upstream_outcome(&request.id, &sealed, result).await?)
    }

    fn open_outcome(&self, request: &UpstreamRequest) -> Result<UpstreamOutcome> {
        let sealed = request.outcome_sealed.as_deref().ok_or_else(|| Error::internal("no upstream outcome"))?;
        let json = self.instance_key.open(sealed, &sealed_context("outcome", &request.id)).map_err(Error::internal)?;
        serde_json::from_slice(&json).map_err(Error::internal)
    }

    /// What the flow's upstream sign-in brought back, if it had one.
    pub(super) async fn upstream_of_flow(&self, flow_id: &str) -> Result<Option<UpstreamOutcome>> {
        match self.connections.upstream_outcome_of_flow(flow_id).await? {
            Some(request) => self.open_outcome(&request).map(Some),
            None => Ok(None),
        }
    }

    /// Who the upstream's identity is here: the user it is linked to; else, by a verified
    /// email, a local account that must sign in to link it (never linked by an unverified
    /// one); else a new user. Then the sign-in goes on as any other (verified email, second
    /// factor, Actions, session).
    async fn resolve_upstream(
        &self,
        tenant: &Tenant,
        flow: FlowRecord,
        request: &UpstreamRequest,
        mut outcome: UpstreamOutcome,
        client: &ClientContext,
        previous_session: Option<&str>,
    ) -> Result<SignInStep> {
        let connection = self
            .connections
            .get_connection(&tenant.id, &outcome.connection_id)
            .await?
            .ok_or_else(|| Error::not_found("connection"))?;
        let upstream_user = &outcome.user;
        let now = ids::now_ms();
        let user = match self.connections.identity_by_subject(&connection.id, &upstream_user.subject).await? {
            Some(identity) => {
                self.connections.touch_identity(&identity.id, &upstream_user.claims, now).await?;
                self.store
                    .get_user(&tenant.id, &identity.user_id)
                    .await?
                    .ok_or_else(|| Error::new(Code::FlowInvalid))?
            }
            None => {
                let email = upstream_user
                    .email
                    .as_deref()
                    .map(crate::validate::normalize_email)
                    .filter(|email| !email.is_empty() && email.len() <= 254)
                    .ok_or_else(|| {
                        Error::new(Code::UpstreamEmailMissing).with_detail("connection", connection.name.clone())
                    })?;
                match self.auth_store.user_by_email(&tenant.id, &email).await? {
                    Some(local) if upstream_user.email_verified => {
                        outcome.link_user_id = Some(local.id.clone());
                        self.save_outcome(request, &outcome, None).await?;
                        return Err(Error::new(Code::LinkRequired)
                            .with_detail("email", email)
                            .with_detail("connection", connection.name.clone()));
                    }
                    Some(_) => {
                        return Err(Error::new(Code::UpstreamEmailUnverified)
                            .with_detail("connection", connection.name.clone()))
                    }
                    None => self.create_federated_user(tenant, &connection, upstream_user, &email).await?,
                }
            }
        };
        if user.disabled {
            return Err(Error::new(Code::AccountDisabled));
        }
        if tenant.settings.sign_in.require_verified_email && !user.email_verified {
            return Err(Error::new(Code::EmailUnverified)
                .with_detail("resend_url", crate::paths::API_VERIFICATION.url(&self.public_url, &tenant.id)));
        }
        if let Some(due) = self.second_factor_gate(tenant, &flow, &user).await? {
            return Ok(SignInStep::SecondFactor(due));
        }
        let amr = vec![AMR_FEDERATED.to_owned()];
        Ok(match self.complete_sign_in(tenant, flow, user, amr, client, previous_session).await? {
            Ok(signed_in) => SignInStep::SignedIn(Box::new(signed_in)),
            Err(due) => SignInStep::SecondFactor(due),
        })
    }

    /// A user made from an upstream account (no password), with the identity, at once.
    async fn create_federated_user(
        &self,
        tenant: &Tenant,
        connection: &Connection,
        upstream_user: &UpstreamUser,
        email: &str,
    ) -> Result<User> {
        let mapped = mapping::apply(&mapping::effective(connection), &upstream_user.claims);
        let now = ids::now_ms();
        let mut user = crate::management::user_record(
            &tenant.id,
            crate::management::NewUser {
                email: email.to_owned(),
                email_verified: upstream_user.email_verified,
                name: mapped.name,
                profile: mapped.profile,
                ..Default::default()
            },
            None,
        );
        user.app_metadata = mapped.app_metadata;
        let identity = new_identity(&user, connection, upstream_user, now);
        let created = Event::user(EventType::UserCreated, &user);
        match self.connections.insert_user_with_identity(&user, &identity, &[created]).await {
            Ok(()) => {
                self.log_linked(&user.id, connection, "created").await;
                Ok(user)
            }
            // A twin sign-in of the same upstream account created them a moment ago.
            Err(crate::ports::StoreError::Conflict) => {
                let identity = self.connections.identity_by_subject(&connection.id, &upstream_user.subject).await?;
                let user_id = identity.map(|identity| identity.user_id).ok_or_else(|| {
                    Error::new(Code::Conflict)
                        .with_detail("field", "email")
                        .with_cause("an account took this email meanwhile")
                })?;
                self.store.get_user(&tenant.id, &user_id).await?.ok_or_else(|| Error::new(Code::FlowInvalid))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Links `upstream_user` to the signed-in `user_id` who asked for it from the account
    /// page (they proved the local account with their session, the upstream one just now);
    /// an upstream account linked to somebody else stays theirs.
    async fn link_to_signed_in(
        &self,
        tenant_id: &str,
        connection: &Connection,
        user_id: &str,
        upstream_user: &UpstreamUser,
    ) -> Result<()> {
        let now = ids::now_ms();
        match self.connections.identity_by_subject(&connection.id, &upstream_user.subject).await? {
            Some(identity) if identity.user_id == user_id => {
                Ok(self.connections.touch_identity(&identity.id, &upstream_user.claims, now).await?)
            }
            Some(_) => Err(Error::conflict("identity", "connection", &connection.name)),
            None => {
                let user =
                    self.store.get_user(tenant_id, user_id).await?.ok_or_else(|| Error::new(Code::SessionExpired))?;
                match self.connections.insert_identity(&new_identity(&user, connection, upstream_user, now)).await {
                    Ok(()) | Err(crate::ports::StoreError::Conflict) => {}
                    Err(error) => return Err(error.into()),
                }
                self.log_linked(user_id, connection, "account").await;
                Ok(())
            }
        }
    }

    /// Links the flow's upstream account to `user` when the flow waited for this account to
    /// sign in; returns what post-login Actions see of the upstream sign-in.
    pub(super) async fn settle_upstream(
        &self,
        tenant: &Tenant,
        flow: &FlowRecord,
        user: &User,
    ) -> Result<Option<Value>> {
        let Some(outcome) = self.upstream_of_flow(&flow.id).await? else { return Ok(None) };
        if outcome.link_user_id.as_deref() == Some(user.id.as_str()) {
            let connection = self.connections.get_connection(&tenant.id, &outcome.connection_id).await?;
            let Some(connection) = connection else { return Ok(None) };
            let identity = new_identity(user, &connection, &outcome.user, ids::now_ms());
            match self.connections.insert_identity(&identity).await {
                Ok(()) => self.log_linked(&user.id, &connection, "linked").await,
                // Linked already (a replayed finish): the identity stands as it is.
                Err(crate::ports::StoreError::Conflict) => {}
                Err(error) => return Err(error.into()),
            }
        } else if outcome.link_user_id.is_some() {
            // Another account signed in on this flow: nothing of the upstream applies to it.
            return Ok(None);
        }
        let mut connection = outcome.connection.clone();
        if let Value::Object(fields) = &mut connection {
            fields.insert("tokens".into(), Value::Object(outcome.user.tokens.clone()));
            fields.insert("claims".into(), Value::Object(outcome.user.claims.clone()));
            fields.insert("user_id".into(), Value::String(outcome.user.subject.clone()));
        }
        Ok(Some(connection))
    }

    /// The user's linked identities as Actions see them.
    pub(super) async fn identities_detail(&self, tenant_id: &str, user_id: &str) -> Result<Vec<Value>> {
        let linked = crate::federation::linked_identities(self.connections.as_ref(), tenant_id, user_id).await?;
        let detail = |(identity, connection): (Identity, Connection)| {
            let strategy = connection.config.strategy.as_str();
            json!({
                "connection": connection.name,
                "strategy": strategy,
                "provider": connection.config.preset.map_or(strategy, |preset| preset.as_str()),
                "user_id": identity.subject,
                "profile_data": identity.claims,
            })
        };
        Ok(linked.into_iter().map(detail).collect())
    }

    /// Records that `user_id` has an upstream account of `connection` now, and `how`.
    async fn log_linked(&self, user_id: &str, connection: &Connection, how: &str) {
        let details = json!({ "connection": connection.name, "connection_id": connection.id, "how": how });
        let entry = LogEntry::new(&connection.tenant_id, "user.identity_linked", "ok", details)
            .with_user(Some(user_id.to_owned()));
        crate::log::record(self.log.as_ref(), &entry).await;
    }

    /// Logs a failed upstream sign-in for the tenant's admins (why, in words the upstream
    /// or the network gave) and returns the error.
    async fn upstream_failed(&self, tenant_id: &str, connection: &Connection, error: Error) -> Error {
        let details =
            json!({ "connection": connection.name, "reason": error.details, "cause": error.developer_description() });
        let entry = LogEntry::new(tenant_id, EventType::UserLoginFailed.as_str(), error.code.as_str(), details);
        crate::log::record(self.log.as_ref(), &entry).await;
        error
    }
}

fn new_identity(user: &User, connection: &Connection, upstream_user: &UpstreamUser, now: i64) -> Identity {
    Identity {
        id: ids::new_id("idn"),
        tenant_id: user.tenant_id.clone(),
        user_id: user.id.clone(),
        connection_id: connection.id.clone(),
        subject: upstream_user.subject.clone(),
        claims: upstream_user.claims.clone(),
        created_at: now,
        last_sign_in_at: now,
    }
}

/// Whether `organization` lets its members sign in through `connection` (an empty list: all).
fn allows(organization: &Organization, connection: &Connection) -> bool {
    organization.config.connections.is_empty() || organization.config.connections.contains(&connection.id)
}
