//! Actions inside flows: `post-login` after the password and MFA steps and before the
//! session, `pre-user-registration` before the user exists, `post-user-registration` after.

use intelliauth_catalogue::Code;
use serde_json::{json, Map, Value};

use super::mfa::acr_for;
use super::{Auth, ClientContext};
use crate::actions::{Action, Commands, CustomClaims, Reuse, RunContext, SessionReuse, Trigger};
use crate::model::{Application, Tenant, User};
use crate::ports::FlowRecord;
use crate::{ids, Error, Result};

fn request_detail(client: &ClientContext) -> Value {
    json!({ "ip": client.ip.to_string(), "user_agent": client.user_agent, "request_id": client.request_id })
}

fn tenant_detail(tenant: &Tenant) -> Value {
    json!({ "id": tenant.id, "name": tenant.display_name })
}

/// The user as Actions see it: no password hash, no lockout bookkeeping.
fn user_detail(user: &User) -> Value {
    json!({
        "user_id": user.id,
        "email": user.email,
        "email_verified": user.email_verified,
        "name": user.name,
        "given_name": user.profile.given_name,
        "family_name": user.profile.family_name,
        "nickname": user.profile.nickname,
        "picture": user.profile.picture,
        "app_metadata": user.app_metadata,
        "user_metadata": user.user_metadata,
        "created_at": crate::ids::rfc3339(user.meta.created_at),
    })
}

fn run_context(client: &ClientContext, user_id: Option<&str>) -> RunContext {
    RunContext { request_id: client.request_id.clone(), user_id: user_id.map(str::to_owned) }
}

/// The sign-in post-login Actions are asked about.
struct SigningIn<'a> {
    user: &'a User,
    application: Option<&'a Application>,
    amr: &'a [String],
    /// What the upstream sign-in brought (connection, claims, tokens), if it was one.
    connection: Option<Value>,
    /// The API the authorization request asked a token for (its identifier), if any.
    audience: Option<&'a str>,
    /// The organization the sign-in is to, if any.
    organization: Option<&'a crate::organizations::Organization>,
}

/// What a login flow signs in to (see [`Auth::flow_target`]).
#[derive(Default)]
pub(super) struct FlowTarget {
    pub(super) application: Option<Application>,
    pub(super) audience: Option<String>,
    pub(super) organization: Option<crate::organizations::Organization>,
}

/// What post-login Actions decided about a sign-in that passed every other step.
#[derive(Debug)]
pub(super) enum PostLogin {
    /// Go on, with the claims they set for tokens.
    Proceed(Option<CustomClaims>),
    /// An Action asked for a second factor: the flow waits at its MFA step.
    SecondFactor(super::mfa::SecondFactorDue),
}

impl Auth {
    /// Ends a sign-in that passed every step: post-login Actions (which may still ask for a
    /// second factor: `Err(due)`), the flow finished, the browser's previous session ended,
    /// and a new session with `amr`.
    pub(super) async fn complete_sign_in(
        &self,
        tenant: &Tenant,
        flow: FlowRecord,
        user: User,
        amr: Vec<String>,
        client: &ClientContext,
        previous_session: Option<&str>,
    ) -> Result<std::result::Result<super::SignedIn, super::mfa::SecondFactorDue>> {
        let upstream = self.settle_upstream(tenant, &flow, &user).await?;
        let through_upstream = upstream.is_some();
        let claims = match self.post_login(tenant, &flow, &user, &amr, client, upstream).await? {
            PostLogin::Proceed(claims) => claims,
            PostLogin::SecondFactor(due) => return Ok(Err(due)),
        };
        self.finish_flow(&flow).await?;
        if let Some(previous) = previous_session {
            self.end_session(previous).await?;
        }
        let session = self.create_session(tenant, &user, amr, claims).await?;
        if through_upstream {
            // The upstream's tokens served this sign-in's Actions: they are not kept past it.
            self.connections.forget_upstream_outcomes(&flow.id).await?;
        }
        Ok(Ok(super::SignedIn { session, user, return_to: flow.return_to.map(|back| back.path(&flow.tenant_id)) }))
    }

    /// What a login flow signs in to: the application whose authorization request sent the
    /// browser to sign in, if any, the API that request asked a token for, and the
    /// organization it named.
    pub(super) async fn flow_target(&self, flow: &FlowRecord) -> Result<FlowTarget> {
        let Some(request_id) = flow.return_to.as_ref().and_then(|back| back.authorization_request()) else {
            return Ok(FlowTarget::default());
        };
        let Some(actions) = &self.actions else { return Ok(FlowTarget::default()) };
        let Some((params, _)) =
            actions.authorizations.authorization_request(request_id, &flow.tenant_id, ids::now_ms()).await?
        else {
            return Ok(FlowTarget::default());
        };
        let params: Value = serde_json::from_str(&params).unwrap_or_default();
        let audience = params["audience"].as_str().or(params["resource"].as_str()).map(str::to_owned);
        let organization = match params["organization"].as_str() {
            Some(named) => crate::organizations::find(self.organizations.as_ref(), &flow.tenant_id, named).await?,
            None => None,
        };
        let Some(client_id) = params["client_id"].as_str() else {
            return Ok(FlowTarget { application: None, audience, organization });
        };
        let stored = self.store.get_application(&flow.tenant_id, client_id);
        let application =
            crate::console::application_or_console(&flow.tenant_id, client_id, &self.public_url, stored).await?;
        Ok(FlowTarget { application, audience, organization })
    }

    /// The trigger's enabled Actions; none when the instance runs no Actions.
    async fn enabled(&self, tenant_id: &str, trigger: Trigger) -> Result<Vec<Action>> {
        match &self.actions {
            Some(actions) => actions.runner.enabled(tenant_id, trigger).await,
            None => Ok(Vec::new()),
        }
    }

    /// Runs `enabled` (`post-login` Actions) for `user` signing in to `application` with the
    /// methods in `amr`.
    async fn run_post_login(
        &self,
        enabled: &[Action],
        tenant: &Tenant,
        signing_in: SigningIn<'_>,
        client: &ClientContext,
    ) -> Result<Commands> {
        let Some(actions) = &self.actions else { return Ok(Commands::default()) };
        let SigningIn { user, application, amr, connection, audience, organization } = signing_in;
        let mut user_json = user_detail(user);
        user_json["identities"] = Value::Array(self.identities_detail(&tenant.id, &user.id).await?);
        let api = match audience {
            Some(audience) => self.apis.api_by_identifier(&tenant.id, audience).await?,
            None => None,
        };
        let roles = self.apis.user_roles(&tenant.id, &user.id).await?;
        let (resource_server, authorization) = crate::apis::access::event_detail(api.as_ref(), &roles);
        let event = json!({
            "trigger": Trigger::PostLogin.as_str(),
            "tenant": tenant_detail(tenant),
            "user": user_json,
            "application": application.map(|app| json!({ "client_id": app.id, "name": app.name })),
            "request": request_detail(client),
            "authentication": {
                "methods": amr.iter().map(|method| json!({ "name": method })).collect::<Vec<_>>(),
                "acr": acr_for(amr),
            },
            // The upstream sign-in this is, with its tokens; absent for any other.
            "connection": connection,
            // The API the application asked a token for (`audience`), and the user's roles.
            "resource_server": resource_server,
            "authorization": authorization,
            // The organization the user signs in to, when the application asked for one.
            "organization": organization.map(crate::organizations::Organization::event_detail),
        });
        actions.runner.run(tenant, enabled, &event, &run_context(client, Some(&user.id))).await
    }

    /// What the Actions asked for, applied: `app_metadata` stored, claims for `application`.
    /// `None` means they asked for a second factor the sign-in does not have.
    async fn settle_post_login(
        &self,
        user: &User,
        (application, audience, organization): (Option<&Application>, Option<&str>, Option<&str>),
        amr: &[String],
        commands: Commands,
    ) -> Result<Option<CustomClaims>> {
        if commands.multifactor.is_some() && acr_for(amr) != super::ACR_MULTI_FACTOR {
            return Ok(None);
        }
        self.store_app_metadata(&user.id, &commands.app_metadata).await?;
        // Kept even when empty: it records that this application's Actions ran.
        Ok(Some(CustomClaims {
            client_id: application.map(|app| app.id.clone()),
            audience: audience.map(str::to_owned),
            organization: organization.map(str::to_owned),
            id_token: commands.id_token_claims,
            access_token: commands.access_token_claims,
            scopes_added: commands.access_token_scopes_added,
            scopes_removed: commands.access_token_scopes_removed,
        }))
    }

    /// Runs the tenant's `post-login` Actions for a sign-in that passed every other step:
    /// the claims they set for tokens, or, when an Action asks for MFA on a single-factor
    /// sign-in, the flow moved to its MFA step (the Actions run again once it is passed).
    pub(super) async fn post_login(
        &self,
        tenant: &Tenant,
        flow: &FlowRecord,
        user: &User,
        amr: &[String],
        client: &ClientContext,
        connection: Option<Value>,
    ) -> Result<PostLogin> {
        let enabled = self.enabled(&tenant.id, Trigger::PostLogin).await?;
        if enabled.is_empty() {
            return Ok(PostLogin::Proceed(None));
        }
        let target = self.flow_target(flow).await?;
        let (application, audience, organization) =
            (target.application.as_ref(), target.audience.as_deref(), target.organization.as_ref());
        let signing_in = SigningIn { user, application, amr, connection, audience, organization };
        let commands = self.run_post_login(&enabled, tenant, signing_in, client).await?;
        let organization_id = organization.map(|organization| organization.id.as_str());
        match self.settle_post_login(user, (application, audience, organization_id), amr, commands).await? {
            Some(claims) => Ok(PostLogin::Proceed(Some(claims))),
            None => match self.second_factor_challenge(flow, user, true).await? {
                Some(due) => Ok(PostLogin::SecondFactor(due)),
                None => {
                    Err(Error::internal("an Action asked for MFA but the sign-in could not be moved to its MFA step"))
                }
            },
        }
    }

    /// Merges what Actions set into the user's `app_metadata`.
    pub(super) async fn store_app_metadata(&self, user_id: &str, metadata: &Map<String, Value>) -> Result<()> {
        match &self.actions {
            Some(actions) if !metadata.is_empty() => {
                Ok(actions.runner.store().merge_app_metadata(user_id, metadata, ids::now_ms()).await?)
            }
            _ => Ok(()),
        }
    }

    /// Runs `pre-user-registration` Actions on a registration that passed validation.
    /// Returns the `app_metadata` they set for the new user.
    pub(super) async fn pre_registration(
        &self,
        tenant: &Tenant,
        email: &str,
        name: Option<&str>,
        client: &ClientContext,
    ) -> Result<Map<String, Value>> {
        let enabled = self.enabled(&tenant.id, Trigger::PreUserRegistration).await?;
        let Some(actions) = self.actions.as_ref().filter(|_| !enabled.is_empty()) else {
            return Ok(Map::new());
        };
        let event = json!({
            "trigger": Trigger::PreUserRegistration.as_str(),
            "tenant": tenant_detail(tenant),
            "user": { "email": email, "name": name },
            "request": request_detail(client),
        });
        let commands = actions.runner.run(tenant, &enabled, &event, &run_context(client, None)).await?;
        Ok(commands.app_metadata)
    }

    /// Starts `post-user-registration` Actions for a new user without waiting: they cannot
    /// change the registration's outcome, and their executions are logged like any other.
    pub(super) fn post_registration(&self, tenant: &Tenant, user: &User, client: &ClientContext) {
        let Some(actions) = self.actions.clone() else { return };
        let (tenant, client) = (tenant.clone(), client.clone());
        let event = json!({
            "trigger": Trigger::PostUserRegistration.as_str(),
            "tenant": tenant_detail(&tenant),
            "user": user_detail(user),
            "request": request_detail(&client),
        });
        let context = run_context(&client, Some(&user.id));
        tokio::spawn(async move {
            let ran = async {
                let enabled = actions.runner.enabled(&tenant.id, Trigger::PostUserRegistration).await?;
                actions.runner.run(&tenant, &enabled, &event, &context).await
            };
            if let Err(error) = ran.await {
                if !matches!(error.code, Code::StepBlocked | Code::StepTimeout | Code::StepError) {
                    tracing::warn!(error = %error, "post-user-registration Actions could not run");
                }
            }
        });
    }
}

#[async_trait::async_trait]
impl SessionReuse for Auth {
    async fn reuse_session(
        &self,
        tenant_id: &str,
        user_id: &str,
        amr: &[String],
        to: crate::actions::SigningInTo<'_>,
        client: &ClientContext,
    ) -> Result<Reuse> {
        // On the authorization hot path: one query when the tenant has no post-login Actions.
        let enabled = self.enabled(tenant_id, Trigger::PostLogin).await?;
        if enabled.is_empty() {
            return Ok(Reuse::Proceed(None));
        }
        let tenant = self.tenant(tenant_id).await?;
        let user = self.store.get_user(tenant_id, user_id).await?.ok_or_else(|| Error::new(Code::SessionExpired))?;
        let signing_in = SigningIn {
            user: &user,
            application: Some(to.application),
            amr,
            connection: None,
            audience: to.audience,
            organization: to.organization,
        };
        let commands = self.run_post_login(&enabled, &tenant, signing_in, client).await?;
        let organization_id = to.organization.map(|organization| organization.id.as_str());
        let settled =
            self.settle_post_login(&user, (Some(to.application), to.audience, organization_id), amr, commands);
        Ok(match settled.await? {
            Some(claims) => Reuse::Proceed(Some(claims)),
            None => Reuse::NeedsSecondFactor,
        })
    }
}
