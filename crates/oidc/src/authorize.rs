//! The authorization endpoint: request validation in the order RFC 6749 §4.1.2.1 implies
//! (errors before the redirect URI is trusted go to an error page, never to the client),
//! PKCE (S256 only), sign-in and re-authentication (`prompt`, `max_age`), consent, and
//! single-use authorization codes.

use intelliauth_catalogue::Code;
use intelliauth_core::actions::{CustomClaims, Reuse};
use intelliauth_core::auth::{acr_for, ClientContext, ACR_MULTI_FACTOR};
use intelliauth_core::log::LogEntry;
use intelliauth_core::mfa::MfaMode;
use intelliauth_core::model::{Application, Grant};
use intelliauth_core::paths::{self, ReturnTo};
use intelliauth_core::ports::CodeRecord;
use intelliauth_core::{ids, secret, Error, Refusal, Result};
use serde::{Deserialize, Serialize};

use crate::provider::Oidc;

/// How long a code may wait to be exchanged (RFC 6749 recommends at most ten minutes).
const CODE_LIFETIME_MS: i64 = 60 * 1000;
/// How long an authorization request waits for sign-in and consent.
pub(crate) const REQUEST_LIFETIME_MS: i64 = 15 * 60 * 1000;

/// The parameters of an authorization request, kept while the user signs in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub login_hint: Option<String>,
    pub acr_values: Option<String>,
    /// Sign in through this connection (an upstream identity provider, by name) instead of
    /// showing the sign-in page: Auth0's parameter.
    #[serde(default)]
    pub connection: Option<String>,
    /// The API the access token is for, by its identifier (Auth0's parameter).
    #[serde(default)]
    pub audience: Option<String>,
    /// The same, as RFC 8707 names it.
    #[serde(default)]
    pub resource: Option<String>,
    /// The thumbprint of the DPoP key the code is bound to (RFC 9449 §10).
    #[serde(default)]
    pub dpop_jkt: Option<String>,
    /// Sign in to this organization (its id or name; Auth0's parameter).
    #[serde(default)]
    pub organization: Option<String>,
    /// A pushed request's handle (RFC 9126): the request is the one pushed, not these.
    #[serde(default)]
    pub request_uri: Option<String>,
    /// Whether these parameters were pushed first. Kept with a request waiting for its
    /// sign-in; never taken from a request's own query (the pages clear it).
    #[serde(default)]
    pub pushed: bool,
}

/// The signed-in user's session, as far as authorization needs it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub user_id: String,
    pub session_id: String,
    pub auth_time_ms: i64,
    /// How the session was authenticated (RFC 8176 method names).
    pub amr: Vec<String>,
    /// Claims the sign-in's post-login Actions set.
    pub custom_claims: Option<CustomClaims>,
}

/// What the user said on the consent screen for this request, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentAnswer {
    NotAsked,
    Approved,
    Denied,
}

/// What the browser should see next.
#[derive(Debug)]
pub enum Outcome {
    /// The client or redirect URI cannot be trusted: show this error, never redirect.
    ErrorPage(Error),
    /// Back to the client with a code.
    Redirect(String),
    /// Back to the client with `error`, which the HTTP layer writes in RFC 6749 §4.1.2.1
    /// form (with RFC 9207's `iss`, and `state` when the request had one).
    Refused { redirect_uri: String, state: Option<String>, issuer: String, error: Error },
    /// Sign in first, then come back here.
    SignIn(String),
    /// The client asked for a multi-factor `acr` the session does not have: the signed-in
    /// user presents a second factor, then comes back to this path.
    StepUp(String),
    /// Ask the user to approve the scopes for this third-party application.
    Consent { request_id: String, application: Box<Application>, scopes: Vec<String> },
    /// The application requires an organization and the request named none: the user
    /// picks one of theirs, then the request goes on.
    PickOrganization { request_id: String },
}

/// What a code grants, stored with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Granted {
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub auth_time: i64,
    pub session_id: String,
    pub amr: Vec<String>,
    pub acr: String,
    /// Claims Actions set for this application's tokens; kept through refreshes.
    #[serde(default, skip_serializing_if = "CustomClaims::is_empty")]
    pub custom_claims: CustomClaims,
    /// The API the access tokens are for (its identifier); `None` for the tenant's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    /// The DPoP key (its thumbprint) this grant is bound to: the code's, from `dpop_jkt`;
    /// a public client's refresh tokens', from its first token request's proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dpop_jkt: Option<String>,
    /// The organization (its id) the user signed in to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
}

fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// `uri` with `pairs` added to its query.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = uri.to_owned();
    for (key, value) in pairs {
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(key);
        out.push('=');
        out.push_str(&query_escape(value));
    }
    out
}

/// The PKCE check of RFC 7636 §4.6 for S256.
pub(crate) fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && secret::digests_equal(&secret::pkce_challenge(verifier), challenge)
}

/// What an authorization request asks, once checked against its application.
pub(crate) struct CheckedRequest {
    pub scopes: Vec<String>,
    pub challenge: String,
    pub max_age_ms: Option<i64>,
}

/// The checks every authorization request passes, whether it arrives at the authorization
/// endpoint or is pushed first (RFC 9126): response type, grant, scopes, PKCE, `prompt`
/// and `max_age`. The error is the one the client gets.
/// With an API (`api`), a scope is one of the application's OpenID Connect scopes or one of
/// the API's permissions.
pub(crate) fn checked_request(
    application: &Application,
    params: &AuthorizeParams,
    api: Option<&intelliauth_core::apis::Api>,
) -> Result<CheckedRequest> {
    match params.response_type.as_deref() {
        Some("code") => {}
        None => {
            return Err(Error::new(Code::ValidationFailed)
                .with_refusal(Refusal::MalformedRequest)
                .with_message("response_type is required."))
        }
        Some(_) => return Err(Error::new(Code::UnauthorizedClient).with_refusal(Refusal::UnsupportedResponseType)),
    }
    if !application.allowed_grants.contains(&Grant::AuthorizationCode) {
        return Err(Error::new(Code::UnauthorizedClient).with_refusal(Refusal::ClientNotAllowed));
    }
    let scopes = requested_scopes(params);
    if let Some(api) = api {
        let (mut oidc, permissions) = intelliauth_core::apis::access::split_scopes(api, application, &scopes)?;
        oidc.extend(permissions);
        return finish_check(params, oidc);
    }
    let refused: Vec<String> =
        scopes.iter().filter(|scope| !application.allowed_scopes.contains(scope)).cloned().collect();
    if !refused.is_empty() {
        let reason = format!("not allowed for this application: {}", refused.join(" "));
        return Err(Error::new(Code::InvalidScope)
            .with_refusal(Refusal::BadScope)
            .with_detail("scopes", refused)
            .with_detail("reason", reason));
    }
    finish_check(params, scopes)
}

/// The scopes a request asks for: `openid` when it names none.
pub(crate) fn requested_scopes(params: &AuthorizeParams) -> Vec<String> {
    params.scope.as_deref().unwrap_or("openid").split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// The checks after the scopes: PKCE, `prompt`, `max_age`.
fn finish_check(params: &AuthorizeParams, scopes: Vec<String>) -> Result<CheckedRequest> {
    let challenge = match (params.code_challenge.as_deref(), params.code_challenge_method.as_deref()) {
        (Some(challenge), Some("S256")) if challenge.len() == 43 => challenge.to_owned(),
        (None, _) => {
            return Err(Error::new(Code::PkceRequired)
                .with_refusal(Refusal::MalformedRequest)
                .with_detail("reason", "code_challenge is required"))
        }
        _ => {
            return Err(Error::new(Code::PkceRequired).with_refusal(Refusal::MalformedRequest).with_detail(
                "reason",
                "code_challenge_method must be S256 with a 43-character code_challenge (plain is not accepted)",
            ))
        }
    };
    let prompts: Vec<&str> = params.prompt.as_deref().unwrap_or("").split(' ').filter(|p| !p.is_empty()).collect();
    if prompts.contains(&"none") && prompts.len() > 1 {
        return Err(Error::new(Code::ValidationFailed)
            .with_refusal(Refusal::MalformedRequest)
            .with_message("prompt=none cannot be combined."));
    }
    let max_age_ms = match params.max_age.as_deref().map(str::parse::<i64>) {
        None => None,
        Some(Ok(seconds)) if seconds >= 0 => Some(seconds * 1000),
        Some(_) => {
            return Err(Error::new(Code::ValidationFailed)
                .with_refusal(Refusal::MalformedRequest)
                .with_message("max_age must be seconds."))
        }
    };

    Ok(CheckedRequest { scopes, challenge, max_age_ms })
}

impl Oidc {
    /// Runs an authorization request (fresh, or resumed by `request_id` after sign-in).
    pub async fn authorize(
        &self,
        tenant_id: &str,
        params: AuthorizeParams,
        resumed: Option<(String, i64)>,
        session: Option<SessionInfo>,
        consent: ConsentAnswer,
        client: &ClientContext,
    ) -> Result<Outcome> {
        self.tenant(tenant_id).await?;
        let issuer = self.issuer(tenant_id);
        let client_id = params.client_id.clone().unwrap_or_default();
        let application = match self.application(tenant_id, &client_id).await? {
            Some(application) if client_id.len() <= 128 => application,
            _ => {
                return Ok(Outcome::ErrorPage(
                    Error::new(Code::InvalidClient).with_refusal(Refusal::BadClient { realm: None }),
                ))
            }
        };
        let redirect_uri = match params.redirect_uri.as_deref() {
            Some(uri) if application.redirect_uris.iter().any(|registered| registered == uri) => uri.to_owned(),
            None if application.redirect_uris.len() == 1 => application.redirect_uris[0].clone(),
            _ => {
                return Ok(Outcome::ErrorPage(
                    Error::new(Code::InvalidRedirectUri)
                        .with_refusal(Refusal::MalformedRequest)
                        .with_detail("client_id", client_id),
                ))
            }
        };
        // From here on the client is known and its redirect URI trusted: errors go back to it.
        let state = params.state.clone();
        let fail = |error: Error| Outcome::Refused {
            redirect_uri: redirect_uri.clone(),
            state: state.clone(),
            issuer: issuer.clone(),
            error,
        };
        if application.require_par && !params.pushed {
            return Ok(fail(Error::new(Code::ValidationFailed).with_refusal(Refusal::MalformedRequest).with_message(
                "This application requires pushed authorization requests: push the request to the PAR endpoint and \
                 send its request_uri.",
            )));
        }
        let api = match crate::resource::requested_audience(&params) {
            Ok(audience) => self.requested_api(tenant_id, &application, audience, || requested_scopes(&params)).await,
            Err(error) => Err(error),
        };
        let api = match api {
            Ok(api) => api,
            Err(error) if error.refusal.is_some() => return Ok(fail(error)),
            Err(error) => return Err(error),
        };
        let CheckedRequest { scopes, challenge, max_age_ms } =
            match checked_request(&application, &params, api.as_ref()) {
                Ok(checked) => checked,
                Err(error) => return Ok(fail(error)),
            };
        let audience = api.map(|api| api.identifier);
        let organization = match self.organization_asked(tenant_id, &application, &params).await {
            Ok(asked) => asked,
            Err(error) if error.refusal.is_some() => return Ok(fail(error)),
            Err(error) => return Err(error),
        };
        let prompts: Vec<&str> = params.prompt.as_deref().unwrap_or("").split(' ').filter(|p| !p.is_empty()).collect();

        let now = ids::now_ms();
        let requested_at = resumed.as_ref().map_or(now, |(_, created)| *created);
        let fresh_enough = |session: &SessionInfo| {
            let reauthenticated = !prompts.contains(&"login") || session.auth_time_ms >= requested_at;
            let young = max_age_ms.is_none_or(|max| now - session.auth_time_ms <= max);
            reauthenticated && young
        };
        let session = match session.filter(|session| fresh_enough(session)) {
            Some(session) => session,
            None if prompts.contains(&"none") => {
                return Ok(fail(Error::new(Code::SilentAuthFailed).with_refusal(Refusal::SignInNeeded)));
            }
            None => {
                let request_id = self.remember_request(tenant_id, &params, resumed.as_ref()).await?;
                let resume = ReturnTo::authorization(&request_id).path(tenant_id);
                let mut pairs = vec![("return_to", resume.as_str())];
                if let Some(hint) = params.login_hint.as_deref().filter(|hint| hint.len() <= 254) {
                    pairs.push(("login_hint", hint));
                }
                let sign_in = match params.connection.as_deref().filter(|name| !name.is_empty()) {
                    Some(name) => paths::LOGIN_CONNECTION.fill(tenant_id, &[("connection", name)]),
                    None => paths::LOGIN.of(tenant_id),
                };
                return Ok(Outcome::SignIn(with_query(&sign_in, &pairs)));
            }
        };

        // Step-up: a client that asks for multi-factor assurance gets it, or no code.
        let asked =
            params.acr_values.as_deref().is_some_and(|values| values.split(' ').any(|acr| acr == ACR_MULTI_FACTOR));
        // The application's own policy can only add to the tenant's.
        let application_requires = match application.mfa {
            Some(MfaMode::Required) => true,
            // Looked up only for such applications: authorization is a hot path.
            Some(MfaMode::Optional) => {
                self.mfa.user_factors(&session.user_id).await?.iter().any(|factor| factor.confirmed_at.is_some())
            }
            Some(MfaMode::Off) | None => false,
        };
        let wants_multi_factor = asked || application_requires;
        if wants_multi_factor && acr_for(&session.amr) != ACR_MULTI_FACTOR {
            if prompts.contains(&"none") {
                return Ok(fail(Error::new(Code::SilentAuthFailed).with_refusal(Refusal::InteractionNeeded)));
            }
            let request_id = self.remember_request(tenant_id, &params, resumed.as_ref()).await?;
            return Ok(Outcome::StepUp(ReturnTo::authorization(&request_id).path(tenant_id)));
        }

        // The organization: a member of the one named, or one the user picks.
        let organization = match organization {
            crate::organization::OrganizationAsk::None => None,
            crate::organization::OrganizationAsk::Named(organization) => {
                if self.organizations.membership(&organization.id, &session.user_id).await?.is_none() {
                    return Ok(fail(crate::organization::not_a_member(&organization)));
                }
                Some(*organization)
            }
            crate::organization::OrganizationAsk::Pick => {
                let mut theirs = self.organizations_of(tenant_id, &session.user_id).await?;
                match theirs.len() {
                    0 => {
                        return Ok(fail(Error::new(Code::OrganizationMembershipRequired).with_refusal(Refusal::Denied)))
                    }
                    // One to choose from is no choice: it is that one.
                    1 => theirs.pop(),
                    _ if prompts.contains(&"none") => {
                        return Ok(fail(Error::new(Code::SilentAuthFailed).with_refusal(Refusal::InteractionNeeded)));
                    }
                    _ => {
                        let request_id = self.remember_request(tenant_id, &params, resumed.as_ref()).await?;
                        return Ok(Outcome::PickOrganization { request_id });
                    }
                }
            }
        };

        // Post-login Actions run for every application a session signs in to: here when the
        // session's sign-in ran them for another application (or none).
        let signing_in_to = intelliauth_core::actions::SigningInTo {
            application: &application,
            audience: audience.as_deref(),
            organization: organization.as_ref(),
        };
        let ran_here = session.custom_claims.as_ref().is_some_and(|claims| claims.computed_for(&signing_in_to));
        let custom_claims = match &self.session_reuse {
            _ if ran_here => session.custom_claims.clone().unwrap_or_default(),
            None => CustomClaims::default(),
            Some(hook) => {
                match hook.reuse_session(tenant_id, &session.user_id, &session.amr, signing_in_to, client).await {
                    Ok(Reuse::Proceed(claims)) => claims.unwrap_or_default(),
                    Ok(Reuse::NeedsSecondFactor) if prompts.contains(&"none") => {
                        return Ok(fail(Error::new(Code::SilentAuthFailed).with_refusal(Refusal::InteractionNeeded)));
                    }
                    Ok(Reuse::NeedsSecondFactor) => {
                        let request_id = self.remember_request(tenant_id, &params, resumed.as_ref()).await?;
                        return Ok(Outcome::StepUp(ReturnTo::authorization(&request_id).path(tenant_id)));
                    }
                    Err(error) if error.code.family() == intelliauth_catalogue::Family::Action => {
                        let refusal = match error.code {
                            Code::StepBlocked => Refusal::Denied,
                            Code::StepTimeout => Refusal::TryLater,
                            _ => Refusal::StepFailed,
                        };
                        return Ok(fail(error.with_refusal(refusal)));
                    }
                    Err(error) => return Err(error),
                }
            }
        };

        let consent_entry = |kind: &str, code: &str| {
            LogEntry::new(tenant_id, kind, code, serde_json::json!({ "scopes": scopes }))
                .with_user(Some(session.user_id.clone()))
                .with_client(Some(application.id.clone()))
        };
        if consent == ConsentAnswer::Denied {
            self.record(consent_entry("consent.denied", Code::ConsentRequired.as_str())).await;
            return Ok(fail(Error::new(Code::ConsentRequired).with_refusal(Refusal::Denied)));
        }
        if consent == ConsentAnswer::Approved {
            self.grant_consent(tenant_id, &session.user_id, &application.id, &scopes).await?;
            self.record(consent_entry("consent.granted", "ok")).await;
        }
        // `prompt=consent` asks again even when the scopes were approved before.
        let must_ask = prompts.contains(&"consent") && consent != ConsentAnswer::Approved;
        if !application.first_party
            && (must_ask || !self.has_consent(tenant_id, &session.user_id, &application.id, &scopes).await?)
        {
            if prompts.contains(&"none") {
                return Ok(fail(Error::new(Code::ConsentRequired).with_refusal(Refusal::ConsentNeeded)));
            }
            let request_id = self.remember_request(tenant_id, &params, resumed.as_ref()).await?;
            return Ok(Outcome::Consent { request_id, application: Box::new(application), scopes });
        }

        let code = secret::generate("");
        let granted = Granted {
            redirect_uri: redirect_uri.clone(),
            scope: scopes.join(" "),
            nonce: params.nonce.clone(),
            code_challenge: challenge,
            auth_time: session.auth_time_ms / 1000,
            session_id: session.session_id.clone(),
            acr: acr_for(&session.amr).into(),
            amr: session.amr.clone(),
            custom_claims,
            audience,
            dpop_jkt: params.dpop_jkt.clone().filter(|jkt| !jkt.is_empty()),
            organization: organization.map(|organization| organization.id),
        };
        let record = CodeRecord {
            digest: secret::digest(&code),
            tenant_id: tenant_id.to_owned(),
            client_id: application.id.clone(),
            user_id: session.user_id.clone(),
            grant_data: serde_json::to_string(&granted).map_err(Error::internal)?,
            created_at: now,
            expires_at: now + CODE_LIFETIME_MS,
        };
        self.authorizations.insert_code(&record).await?;
        if application.backchannel_logout_uri.is_some() || application.frontchannel_logout_uri.is_some() {
            // The session now owes this application word of its end (a token, a frame).
            self.logout.record_session_client(tenant_id, &session.session_id, &application.id, now).await?;
        }
        let mut pairs = vec![("code", code.as_str()), ("iss", issuer.as_str())];
        if let Some(state) = params.state.as_deref() {
            pairs.push(("state", state));
        }
        Ok(Outcome::Redirect(with_query(&redirect_uri, &pairs)))
    }

    async fn remember_request(
        &self,
        tenant_id: &str,
        params: &AuthorizeParams,
        resumed: Option<&(String, i64)>,
    ) -> Result<String> {
        if let Some((id, _)) = resumed {
            return Ok(id.clone());
        }
        let id = secret::generate("azr_");
        let now = ids::now_ms();
        let json = serde_json::to_string(params).map_err(Error::internal)?;
        self.authorizations.insert_authorization_request(&id, tenant_id, &json, now, now + REQUEST_LIFETIME_MS).await?;
        Ok(id)
    }

    /// A stored request's parameters and when it was first made.
    pub async fn resume_request(
        &self,
        tenant_id: &str,
        request_id: &str,
    ) -> Result<Option<(AuthorizeParams, (String, i64))>> {
        if request_id.len() > 128 {
            return Ok(None);
        }
        let Some((json, created)) =
            self.authorizations.authorization_request(request_id, tenant_id, ids::now_ms()).await?
        else {
            return Ok(None);
        };
        let params = serde_json::from_str(&json).map_err(Error::internal)?;
        Ok(Some((params, (request_id.to_owned(), created))))
    }

    async fn has_consent(&self, tenant_id: &str, user_id: &str, client_id: &str, scopes: &[String]) -> Result<bool> {
        let granted = self.authorizations.consented_scopes(tenant_id, user_id, client_id).await?;
        Ok(scopes.iter().all(|scope| granted.contains(scope)))
    }

    /// Records the user's approval of `scopes` for the client.
    pub async fn grant_consent(
        &self,
        tenant_id: &str,
        user_id: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Result<()> {
        let mut granted = self.authorizations.consented_scopes(tenant_id, user_id, client_id).await?;
        for scope in scopes {
            if !granted.contains(scope) {
                granted.push(scope.clone());
            }
        }
        Ok(self.authorizations.set_consent(tenant_id, user_id, client_id, &granted, ids::now_ms()).await?)
    }
}

impl Oidc {
    /// The applications the user has approved, with the scopes.
    pub async fn consents(&self, tenant_id: &str, user_id: &str) -> Result<serde_json::Value> {
        let consents = self.authorizations.user_consents(tenant_id, user_id).await?;
        let data: Vec<serde_json::Value> = consents
            .into_iter()
            .map(|(client_id, scopes, granted_at)| serde_json::json!({ "client_id": client_id, "scopes": scopes, "granted_at": ids::rfc3339(granted_at) }))
            .collect();
        Ok(serde_json::json!({ "data": data, "next_cursor": null }))
    }

    /// Withdraws a consent (the user or an admin); the client's grants for the user end,
    /// refresh and access tokens alike.
    pub async fn revoke_consent(&self, tenant_id: &str, user_id: &str, client_id: &str) -> Result<()> {
        let now = ids::now_ms();
        let until = now + crate::exchange::GRANT_LIFETIME_BOUND_MS;
        if self.authorizations.revoke_consent(tenant_id, user_id, client_id, until, now).await? {
            Ok(())
        } else {
            Err(Error::not_found("consent"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            with_query("https://a.example/cb?x=1", &[("state", "a b&c")]),
            "https://a.example/cb?x=1&state=a%20b%26c"
        );
    }
}
