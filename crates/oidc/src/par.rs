//! Pushed authorization requests (RFC 9126): a client posts its authorization request to
//! the server, authenticated, and sends the browser with only a `request_uri` — so the
//! request cannot be read or changed on its way, and an application can require it.

use intelliauth_catalogue::Code;
use intelliauth_core::{ids, Error, Refusal, Result};

use crate::authorize::{checked_request, requested_scopes, AuthorizeParams};
use crate::client_auth::ClientCredentials;
use crate::provider::Oidc;

const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// How long a pushed request waits for its browser (RFC 9126 suggests a short lifetime).
const LIFETIME_S: i64 = 60;

/// The pushed request's handle.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub request_uri: String,
    pub expires_in: i64,
}

fn malformed(message: &str) -> Error {
    Error::new(Code::ValidationFailed).with_refusal(Refusal::MalformedRequest).with_message(message.to_owned())
}

impl Oidc {
    /// Keeps an authenticated client's authorization request, checked as the authorization
    /// endpoint checks it, for one use within a minute.
    pub async fn push_authorization_request(
        &self,
        tenant_id: &str,
        client: ClientCredentials,
        mut params: AuthorizeParams,
    ) -> Result<Pushed> {
        self.tenant(tenant_id).await?;
        let application = self.authenticate_client(tenant_id, &client).await?;
        if params.request_uri.is_some() {
            return Err(malformed("A pushed request cannot name a request_uri."));
        }
        if params.client_id.as_deref().is_some_and(|id| id != application.id) {
            return Err(malformed("client_id is not the authenticated client."));
        }
        let registered = match params.redirect_uri.as_deref() {
            Some(uri) => application.redirect_uris.iter().any(|registered| registered == uri),
            None => application.redirect_uris.len() == 1,
        };
        if !registered {
            return Err(Error::new(Code::InvalidRedirectUri)
                .with_refusal(Refusal::MalformedRequest)
                .with_detail("client_id", application.id.clone()));
        }
        let audience = crate::resource::requested_audience(&params)?;
        let api = self.requested_api(tenant_id, &application, audience, || requested_scopes(&params)).await?;
        checked_request(&application, &params, api.as_ref())?;
        params.client_id = Some(application.id.clone());
        params.pushed = false;
        let now = ids::now_ms();
        let id = ids::new_id("par");
        let stored = serde_json::to_string(&params).map_err(Error::internal)?;
        self.authorizations.insert_authorization_request(&id, tenant_id, &stored, now, now + LIFETIME_S * 1000).await?;
        Ok(Pushed { request_uri: format!("{REQUEST_URI_PREFIX}{id}"), expires_in: LIFETIME_S })
    }

    /// The request `request_uri` names, used once, if it was pushed by `client_id`.
    pub async fn pushed_request(
        &self,
        tenant_id: &str,
        request_uri: &str,
        client_id: Option<&str>,
    ) -> Result<AuthorizeParams> {
        let invalid = || malformed("request_uri is unknown, expired or used; push the request again.");
        let id = request_uri.strip_prefix(REQUEST_URI_PREFIX).filter(|id| id.len() <= 64).ok_or_else(invalid)?;
        let stored =
            self.authorizations.take_authorization_request(id, tenant_id, ids::now_ms()).await?.ok_or_else(invalid)?;
        let mut params: AuthorizeParams = serde_json::from_str(&stored).map_err(Error::internal)?;
        if client_id.is_some_and(|id| Some(id) != params.client_id.as_deref()) {
            return Err(invalid());
        }
        params.pushed = true;
        Ok(params)
    }
}
