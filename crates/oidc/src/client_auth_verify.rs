//! Checking what a client presented at the token endpoint against what it registered.

use intelliauth_core::model::{Application, ClientType};
use intelliauth_core::ports::StoreError;
use intelliauth_core::{ids, secret, Result};
use serde_json::Value;

use crate::client_auth::{invalid_client, ClientCredentials, Method};
use crate::jwt;
use crate::provider::Oidc;

/// The longest lifetime a client assertion may claim (RFC 7523 asks for short ones).
const MAX_ASSERTION_LIFETIME_S: i64 = 300;

impl Oidc {
    /// The application the credentials prove, or `invalid_client`.
    pub(crate) async fn authenticate_client(
        &self,
        tenant_id: &str,
        credentials: &ClientCredentials,
    ) -> Result<Application> {
        let issuer = self.issuer(tenant_id);
        if credentials.client_id.is_empty() || credentials.client_id.len() > 128 {
            return Err(invalid_client(&issuer));
        }
        let application = self
            .store
            .get_application(tenant_id, &credentials.client_id)
            .await?
            .ok_or_else(|| invalid_client(&issuer))?;
        let proven = match (credentials.method, application.client_type) {
            (Method::Basic | Method::Post, ClientType::Confidential) => {
                match (&application.secret_digest, &credentials.secret) {
                    (Some(digest), Some(presented)) => secret::digests_equal(digest, &secret::digest(presented)),
                    _ => false,
                }
            }
            (Method::PrivateKeyJwt, ClientType::Confidential) => {
                self.assertion_valid(tenant_id, &application, credentials).await?
            }
            (Method::None, ClientType::Public) => true,
            _ => false,
        };
        if proven {
            Ok(application)
        } else {
            Err(invalid_client(&issuer))
        }
    }

    /// RFC 7523 §3: signed by a registered key, `iss` = `sub` = client, our token endpoint
    /// (or issuer) in `aud`, unexpired and short-lived, and its `jti` never seen before.
    async fn assertion_valid(
        &self,
        tenant_id: &str,
        application: &Application,
        credentials: &ClientCredentials,
    ) -> Result<bool> {
        let (Some(jwks), Some(assertion)) = (&application.jwks, &credentials.assertion) else { return Ok(false) };
        let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some((_, claims)) = jwt::decode_verified(assertion, &keys) else { return Ok(false) };
        let issuer = self.issuer(tenant_id);
        let token_endpoint = format!("{issuer}/oauth/token");
        let audience_ok = match &claims["aud"] {
            Value::String(aud) => *aud == token_endpoint || *aud == issuer,
            Value::Array(auds) => auds.iter().any(|aud| *aud == token_endpoint.as_str() || *aud == issuer.as_str()),
            _ => false,
        };
        let now_s = ids::now_ms() / 1000;
        let exp = claims["exp"].as_i64().unwrap_or(0);
        let client = application.id.as_str();
        let named = claims["iss"] == client && claims["sub"] == client;
        let Some(jti) = claims["jti"].as_str().filter(|jti| !jti.is_empty() && jti.len() <= 128) else {
            return Ok(false);
        };
        if !(named && audience_ok && exp > now_s && exp - now_s <= MAX_ASSERTION_LIFETIME_S) {
            return Ok(false);
        }
        match self.authorizations.use_assertion_id(tenant_id, client, jti, exp * 1000).await {
            Ok(()) => Ok(true),
            // A replayed assertion.
            Err(StoreError::Conflict) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}
