//! Token exchange (RFC 8693) for delegation between a tenant's own APIs: the back end of an
//! API, holding a user's access token for it (the subject token), gets a token for another
//! API of the tenant acting for the user — `act` names it, the permissions are the target
//! API's as the user's roles and the back end's client grant allow, and revoking the
//! subject's grant ends the exchanged token too.

use intelliauth_catalogue::Code;
use intelliauth_core::actions::CustomClaims;
use intelliauth_core::model::{Application, ClientType, Grant, Tenant};
use intelliauth_core::{ids, Error, Refusal, Result};
use serde_json::json;

use crate::provider::{Oidc, TokenRequest, TokenResponse};

/// The token type of an access token (RFC 8693 §3), the only one exchanged or issued.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";

/// RFC 8693 §2.2.2: a subject token or request the server will not exchange is
/// `invalid_request`; the catalogue's code is `invalid_grant` with the reason.
fn refused(reason: &str) -> Error {
    Error::new(Code::InvalidGrant).with_refusal(Refusal::MalformedRequest).with_detail("reason", reason)
}

/// What token exchange needs besides the common token request.
#[derive(Debug, Clone, Default)]
pub struct ExchangeParams {
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub actor_token: Option<String>,
    pub requested_token_type: Option<String>,
}

impl Oidc {
    pub(crate) async fn exchange_token(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: TokenRequest,
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        if application.client_type != ClientType::Confidential
            || !application.allowed_grants.contains(&Grant::TokenExchange)
        {
            return Err(Error::new(Code::UnauthorizedClient)
                .with_refusal(Refusal::ClientNotAllowed)
                .with_detail("grant_type", Grant::TokenExchange.as_str()));
        }
        let params = request.exchange.clone().unwrap_or_default();
        if params.subject_token_type.as_deref() != Some(ACCESS_TOKEN_TYPE) {
            return Err(refused("subject_token_type must be urn:ietf:params:oauth:token-type:access_token"));
        }
        if params.requested_token_type.as_deref().is_some_and(|asked| asked != ACCESS_TOKEN_TYPE) {
            return Err(refused("only access tokens are issued (requested_token_type)"));
        }
        if params.actor_token.is_some() {
            return Err(refused("actor tokens are not taken: the authenticated client is the actor"));
        }
        let subject_token = params.subject_token.as_deref().filter(|token| !token.is_empty());
        let subject_token = subject_token.ok_or_else(|| refused("subject_token is required"))?;
        let subject = match self.verify_access_token_claims(&tenant.id, subject_token).await {
            Ok(claims) => claims,
            Err(_) => return Err(refused("the subject token is not a live access token of this tenant")),
        };
        if subject.get("cnf").is_some() {
            return Err(refused("a DPoP-bound subject token can be used only by its key holder, not exchanged"));
        }
        let user_id = subject["sub"].as_str().unwrap_or_default();
        if user_id == subject["client_id"].as_str().unwrap_or_default() {
            return Err(refused("the subject token is an application's own, not a user's"));
        }
        // The subject token is for one of the tenant's APIs (the one the exchanging back end
        // serves), or was issued to the exchanging client itself.
        let subject_audience = subject["aud"].as_str().unwrap_or_default();
        let for_an_api = self.apis.api_by_identifier(&tenant.id, subject_audience).await?.is_some();
        if !for_an_api && subject["client_id"] != application.id.as_str() {
            return Err(refused("the subject token is neither for one of the tenant's APIs nor issued to this client"));
        }
        let user = match self.store.get_user(&tenant.id, user_id).await? {
            Some(user) if !user.disabled => user,
            _ => return Err(refused("the subject token's user can no longer sign in")),
        };
        let audience = request.audience.as_deref().filter(|audience| !audience.is_empty());
        let audience = audience.ok_or_else(|| refused("audience (or resource) names the API to exchange for"))?;
        let scope = self.delegated_scope(application, audience, request.scope.as_deref()).await?;
        let access = self
            .user_api_access(application, &user.id, (audience, &scope), &CustomClaims::default(), &[])
            .await
            .map_err(|error| match error.code {
                // The target API is gone or unknown: RFC 8693's invalid_target.
                Code::InvalidGrant => intelliauth_core::apis::access::unknown_audience(audience),
                _ => error,
            })?;
        let keys = self.tenant_keys_for(tenant, access.signing_alg).await?;
        let settings = tenant.settings.oauth.for_application(&application.token_settings);
        let lifetime = access.lifetime_s.unwrap_or(settings.access_token_lifetime_s);
        // Never outliving the token it came from.
        let now_s = ids::now_ms() / 1000;
        let exp = (now_s + lifetime as i64).min(subject["exp"].as_i64().unwrap_or(now_s));
        let mut actor = json!({ "sub": application.id });
        if let Some(previous) = subject.get("act") {
            actor["act"] = previous.clone();
        }
        let mut claims = json!({
            "iss": self.issuer(&tenant.id), "sub": user.id, "client_id": application.id,
            "exp": exp, "iat": now_s, "jti": ids::new_id("at"), "act": actor,
        });
        // Revoking the subject's grant ends what was exchanged from it.
        if let Some(grant) = subject.get("grant_id") {
            claims["grant_id"] = grant.clone();
        }
        access.write_into(&mut claims);
        crate::dpop::bind_access_token(&mut claims, key);
        Ok(TokenResponse {
            access_token: keys.key_for(access.signing_alg).sign("at+jwt", &claims)?,
            expires_in: (exp - now_s).max(0) as u64,
            scope: access.scope.clone(),
            id_token: None,
            refresh_token: None,
            subject: Some(user.id.clone()),
            token_type: crate::dpop::token_type(key),
            issued_token_type: Some(ACCESS_TOKEN_TYPE),
        })
    }
}

impl Oidc {
    /// What the exchanging back end may ask of the target API: delegation is what an admin
    /// allowed with a client grant of subject type `user` for that API — none, no exchange
    /// (`unauthorized_client`); permissions beyond it are `invalid_scope`, named; none asked,
    /// all of them.
    async fn delegated_scope(&self, application: &Application, audience: &str, scope: Option<&str>) -> Result<String> {
        use intelliauth_core::apis::SubjectType;
        let tenant_id = &application.tenant_id;
        let api = self
            .apis
            .api_by_identifier(tenant_id, audience)
            .await?
            .ok_or_else(|| intelliauth_core::apis::access::unknown_audience(audience))?;
        let grant = self.apis.client_grant_for(tenant_id, &application.id, &api.id, SubjectType::User).await?;
        let Some(grant) = grant else {
            return Err(Error::new(Code::UnauthorizedClient)
                .with_refusal(Refusal::ClientNotAllowed)
                .with_message("Token exchange to this API needs a client grant for its users.")
                .with_detail("audience", audience.to_owned()));
        };
        let Some(scope) = scope.filter(|scope| !scope.trim().is_empty()) else { return Ok(grant.scopes.join(" ")) };
        let refused: Vec<&str> = scope
            .split(' ')
            .filter(|asked| !asked.is_empty() && !grant.scopes.iter().any(|held| held == asked))
            .collect();
        if !refused.is_empty() {
            return Err(Error::new(Code::InvalidScope)
                .with_refusal(Refusal::BadScope)
                .with_detail("scopes", refused)
                .with_detail("audience", audience.to_owned())
                .with_detail("reason", "the client grant for the API's users does not include these"));
        }
        Ok(scope.to_owned())
    }
}
