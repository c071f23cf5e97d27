//! Logout: RP-initiated (OpenID Connect RP-Initiated Logout 1.0: which client asks, and
//! whether its `post_logout_redirect_uri` is one it registered), and the logout tokens of
//! Back-Channel Logout 1.0 that tell applications a session ended.

use intelliauth_catalogue::Code;
use intelliauth_core::logout::{LogoutDelivery, LogoutTokens, BACKCHANNEL_LOGOUT_EVENT};
use intelliauth_core::{ids, Error, Result};
use serde_json::json;

use crate::authorize::with_query;
use crate::provider::Oidc;

/// A logout request as received.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// What to do after ending the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser, if the client asked and registered it.
    pub redirect: Option<String>,
    /// The `sub` of a valid `id_token_hint`: the request comes from the client that holds
    /// the user's ID token, so no confirmation is needed.
    pub hinted_subject: Option<String>,
}

impl Oidc {
    /// Checks a logout request. Errors are for an error page, never a redirect.
    pub async fn plan_logout(&self, tenant_id: &str, params: &LogoutParams) -> Result<LogoutPlan> {
        let tenant = self.tenant(tenant_id).await?;
        let mut client_id = params.client_id.clone();
        let mut hinted_subject = None;
        if let Some(hint) = params.id_token_hint.as_deref() {
            // An expired ID token is still a fine hint: it only names the client and user.
            let (_, claims) = self
                .verified(&tenant, hint)
                .await?
                .filter(|(_, claims)| claims["iss"] == self.issuer(tenant_id).as_str())
                .ok_or_else(|| {
                    Error::new(Code::ValidationFailed)
                        .with_message("The id_token_hint is not an ID token of this issuer.")
                })?;
            let audience = claims["aud"].as_str().map(str::to_owned);
            if client_id.is_some() && client_id != audience {
                return Err(Error::new(Code::ValidationFailed)
                    .with_message("client_id and id_token_hint name different clients."));
            }
            client_id = audience;
            hinted_subject = claims["sub"].as_str().map(str::to_owned);
        }
        let Some(uri) = params.post_logout_redirect_uri.as_deref() else {
            return Ok(LogoutPlan { redirect: None, hinted_subject });
        };
        let invalid = || Error::new(Code::InvalidRedirectUri).with_detail("post_logout_redirect_uri", uri);
        let client_id = client_id.ok_or_else(invalid)?;
        let application = self.application(tenant_id, &client_id).await?.ok_or_else(invalid)?;
        if !application.post_logout_redirect_uris.iter().any(|registered| registered == uri) {
            return Err(invalid());
        }
        let redirect = match params.state.as_deref() {
            Some(state) => with_query(uri, &[("state", state)]),
            None => uri.to_owned(),
        };
        Ok(LogoutPlan { redirect: Some(redirect), hinted_subject })
    }
}

/// How long a logout token is good for: it is sent at once, and RPs check `iat`.
const LOGOUT_TOKEN_LIFETIME_S: i64 = 120;

#[async_trait::async_trait]
impl LogoutTokens for Oidc {
    /// A logout token (Back-Channel Logout 1.0 §2.4) signed now, for each attempt: `iss`,
    /// `aud`, `iat`, `exp`, `jti`, `sub`, `sid` and the logout event, never a `nonce`.
    async fn logout_token(&self, delivery: &LogoutDelivery) -> Result<Option<(String, String)>> {
        let Some(application) = self.application(&delivery.tenant_id, &delivery.client_id).await? else {
            return Ok(None);
        };
        let Some(uri) = application.backchannel_logout_uri else { return Ok(None) };
        let tenant = self.tenant(&delivery.tenant_id).await?;
        let keys = self.tenant_keys(&tenant).await?;
        let now_s = ids::now_ms() / 1000;
        let claims = json!({
            "iss": self.issuer(&tenant.id), "aud": application.id, "iat": now_s,
            "exp": now_s + LOGOUT_TOKEN_LIFETIME_S, "jti": ids::new_id("lgt"),
            "sub": delivery.user_id, "sid": delivery.session_id,
            "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
        });
        Ok(Some((uri, keys.tenant_key().sign("logout+jwt", &claims)?)))
    }
}

impl Oidc {
    /// The front-channel logout URIs (OpenID Connect Front-Channel Logout 1.0 §2) of the
    /// applications `session_id` signed in to, each with `iss` and `sid` added: the pages
    /// the end-session page frames once the session has ended.
    pub async fn frontchannel_logout_urls(&self, tenant_id: &str, session_id: &str) -> Result<Vec<String>> {
        let issuer = self.issuer(tenant_id);
        let mut urls = Vec::new();
        for client_id in self.logout.session_clients(session_id).await? {
            if let Some(uri) =
                self.application(tenant_id, &client_id).await?.and_then(|app| app.frontchannel_logout_uri)
            {
                urls.push(with_query(&uri, &[("iss", issuer.as_str()), ("sid", session_id)]));
            }
        }
        Ok(urls)
    }
}
