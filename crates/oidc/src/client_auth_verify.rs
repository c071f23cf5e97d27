//! Checking what a client presented at the token endpoint against what it registered.

use intelliauth_core::model::{Application, ClientType};
use intelliauth_core::ports::StoreError;
use intelliauth_core::{ids, secret, Result};
use serde_json::Value;

use crate::client_auth::{invalid_client, ClientCredentials, Method};
use crate::jwt;
use crate::provider::Oidc;

/// The longest a client assertion may still be valid for when it arrives. RFC 7523 asks
/// for short lifetimes; common libraries (authlib, for one) default to an hour, and the
/// `jti` is kept that long, so a replay is caught for the assertion's whole life.
const MAX_ASSERTION_LIFETIME_S: i64 = 3600;
/// Clock difference tolerated between the client and us.
const CLOCK_SKEW_S: i64 = 60;

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
        let application =
            self.application(tenant_id, &credentials.client_id).await?.ok_or_else(|| invalid_client(&issuer))?;
        let proven = match (credentials.method, application.client_type) {
            (Method::Basic | Method::Post, ClientType::Confidential) => {
                match (&application.secret_digest, &credentials.secret) {
                    (Some(digest), Some(presented)) => secret::digests_equal(digest, &secret::digest(presented)),
                    _ => false,
                }
            }
            (Method::PrivateKeyJwt, ClientType::Confidential) => {
                if let Err(reason) = self.assertion_valid(tenant_id, &application, credentials).await? {
                    return Err(invalid_client(&issuer)
                        .with_detail("reason", reason)
                        .with_cause(format!("client assertion refused: {reason}")));
                }
                true
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
    /// (or issuer) in `aud`, unexpired and not too long-lived, and its `jti` never seen
    /// before. `Ok(Err(reason))` says why an assertion is refused.
    async fn assertion_valid(
        &self,
        tenant_id: &str,
        application: &Application,
        credentials: &ClientCredentials,
    ) -> Result<std::result::Result<(), &'static str>> {
        let Some(assertion) = &credentials.assertion else { return Ok(Err("no client assertion")) };
        let Some(jwks) = &application.jwks else {
            return Ok(Err("the application has no registered jwks for private_key_jwt"));
        };
        let keys = jwks.get("keys").and_then(Value::as_array).cloned().unwrap_or_default();
        let Some((_, claims)) = jwt::decode_verified(assertion, &keys) else {
            return Ok(Err("the assertion's signature does not verify with a registered key"));
        };
        let issuer = self.issuer(tenant_id);
        let token_endpoint = self.endpoint(intelliauth_core::paths::TOKEN, tenant_id);
        let audience_ok = match &claims["aud"] {
            Value::String(aud) => *aud == token_endpoint || *aud == issuer,
            Value::Array(auds) => auds.iter().any(|aud| *aud == token_endpoint.as_str() || *aud == issuer.as_str()),
            _ => false,
        };
        let now_s = ids::now_ms() / 1000;
        let client = application.id.as_str();
        if claims["iss"] != client || claims["sub"] != client {
            return Ok(Err("iss and sub must both be the client_id"));
        }
        if !audience_ok {
            return Ok(Err("aud must be the token endpoint or the issuer"));
        }
        let Some(exp) = claims["exp"].as_i64() else { return Ok(Err("exp is missing")) };
        if exp <= now_s - CLOCK_SKEW_S {
            return Ok(Err("the assertion has expired"));
        }
        if exp - now_s > MAX_ASSERTION_LIFETIME_S + CLOCK_SKEW_S {
            return Ok(Err("exp is more than an hour away"));
        }
        let not_yet = |claim: &str| claims[claim].as_i64().is_some_and(|at| at > now_s + CLOCK_SKEW_S);
        if not_yet("iat") || not_yet("nbf") {
            return Ok(Err("the assertion is not valid yet (iat or nbf in the future)"));
        }
        let Some(jti) = claims["jti"].as_str().filter(|jti| !jti.is_empty() && jti.len() <= 128) else {
            return Ok(Err("jti is missing or longer than 128 characters"));
        };
        let keep_until = (exp.max(now_s) + CLOCK_SKEW_S) * 1000;
        match self.authorizations.use_assertion_id(tenant_id, client, jti, keep_until).await {
            Ok(()) => Ok(Ok(())),
            Err(StoreError::Conflict) => Ok(Err("the assertion's jti was already used (a replay)")),
            Err(error) => Err(error.into()),
        }
    }
}
