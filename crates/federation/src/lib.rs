//! The upstream identity providers' side of federation, behind `core::federation::Upstream`:
//! OpenID Connect discovery and JWKS (cached per node), the code exchange with PKCE and the
//! client secret, ID token verification (signature, issuer, audience, expiry, our nonce),
//! and the user from userinfo for plain OAuth 2.0 (GitHub's shape included). Every call goes
//! through `Egress`: upstream URLs are tenant-chosen.

mod apple;
mod id_token;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use intelliauth_core::federation::{
    presets, Connection, Endpoints, Preset, Strategy, Upstream, UpstreamExchange, UpstreamFailure, UpstreamUser,
};
use intelliauth_egress::{describe, read_within, AddressPolicy, BodyError, Egress, EgressSettings};
use serde_json::{Map, Value};

/// An upstream's answer larger than this is not read (discovery documents and key sets are
/// a few KiB; ID tokens and profiles less).
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// A person waits on every call.
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a discovery document is trusted before it is read again.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);
/// How long a key set is trusted; an unknown `kid` reads it again sooner (key rotation).
const JWKS_TTL: Duration = Duration::from_secs(600);
const JWKS_REFRESH_MIN: Duration = Duration::from_secs(30);

pub struct UpstreamClient {
    egress: Egress,
    discovery: Mutex<HashMap<String, (Instant, Value)>>,
    jwks: Mutex<HashMap<String, (Instant, Vec<Value>)>>,
}

impl UpstreamClient {
    pub fn new(policy: AddressPolicy) -> Result<Self, String> {
        let settings = EgressSettings {
            user_agent: concat!("IntelliAuth-Federation/", env!("CARGO_PKG_VERSION")),
            timeout: Some(TIMEOUT),
        };
        Ok(UpstreamClient {
            egress: Egress::new(policy, settings)?,
            discovery: Mutex::new(HashMap::new()),
            jwks: Mutex::new(HashMap::new()),
        })
    }

    /// Sends `request` to `url` and reads the JSON answer: `Err` for what could not be
    /// reached or read, `Ok((status, body))` otherwise.
    async fn call(&self, url: &str, request: reqwest::RequestBuilder) -> Result<(u16, Value), UpstreamFailure> {
        if let Some(reason) = self.egress.literal_refusal(url) {
            return Err(UpstreamFailure::Unreachable(reason));
        }
        let response = request
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|error| UpstreamFailure::Unreachable(format!("{url}: {}", describe(&error))))?;
        let status = response.status().as_u16();
        let body = match read_within(response, MAX_ANSWER_BYTES).await {
            Ok(body) => body,
            Err(BodyError::TooLarge) => {
                return Err(UpstreamFailure::Invalid(format!("{url} answered more than {MAX_ANSWER_BYTES} bytes")))
            }
            Err(BodyError::Broken(error)) => {
                return Err(UpstreamFailure::Unreachable(format!("{url}: {}", describe(&error))))
            }
        };
        if status >= 500 {
            return Err(UpstreamFailure::Unreachable(format!("{url} answered HTTP {status}")));
        }
        let json = serde_json::from_slice(&body)
            .map_err(|_| UpstreamFailure::Invalid(format!("{url} answered HTTP {status} without JSON")))?;
        Ok((status, json))
    }

    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, UpstreamFailure> {
        let mut request = self.egress.client().get(url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        match self.call(url, request).await? {
            (200, json) => Ok(json),
            (401 | 403, json) => Err(refusal(&json, "access_denied")),
            (status, _) => Err(UpstreamFailure::Invalid(format!("{url} answered HTTP {status}"))),
        }
    }

    /// The issuer's discovery document, from this node's copy while it is fresh.
    async fn discover(&self, issuer: &str) -> Result<Value, UpstreamFailure> {
        if let Some((at, document)) = self.discovery.lock().map_err(poisoned)?.get(issuer) {
            if at.elapsed() < DISCOVERY_TTL {
                return Ok(document.clone());
            }
        }
        let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
        let document = self.get_json(&url, None).await?;
        let announced = document.get("issuer").and_then(Value::as_str).unwrap_or_default();
        // OpenID Connect Discovery §4.3: the document is the issuer's own; Microsoft's
        // multi-tenant document names a `{tenantid}` template instead.
        if !presets::discovery_issuer_matches(issuer, announced) {
            return Err(UpstreamFailure::Invalid(format!(
                "the discovery document at {url} is for issuer {announced:?}, not {issuer:?}"
            )));
        }
        self.discovery.lock().map_err(poisoned)?.insert(issuer.to_owned(), (Instant::now(), document.clone()));
        Ok(document)
    }

    /// The key set at `uri`; `refresh` reads it again (an unknown `kid`), at most every 30 s.
    async fn key_set(&self, uri: &str, refresh: bool) -> Result<Vec<Value>, UpstreamFailure> {
        if let Some((at, keys)) = self.jwks.lock().map_err(poisoned)?.get(uri) {
            let fresh = if refresh { at.elapsed() < JWKS_REFRESH_MIN } else { at.elapsed() < JWKS_TTL };
            if fresh {
                return Ok(keys.clone());
            }
        }
        let document = self.get_json(uri, None).await?;
        let keys = document
            .get("keys")
            .and_then(Value::as_array)
            .cloned()
            .ok_or_else(|| UpstreamFailure::Invalid(format!("{uri} is not a JSON Web Key Set")))?;
        self.jwks.lock().map_err(poisoned)?.insert(uri.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    /// The token endpoint's answer to the code (client secret in the body, which every
    /// preset's upstream accepts; none for a public upstream client).
    async fn redeem(&self, call: &UpstreamExchange<'_>) -> Result<Map<String, Value>, UpstreamFailure> {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", call.code),
            ("redirect_uri", call.redirect_uri),
            ("code_verifier", call.code_verifier),
            ("client_id", call.connection.config.client_id.as_str()),
        ];
        let config = &call.connection.config;
        let signed;
        let secret = match (call.client_secret, &config.team_id, &config.key_id) {
            // Apple: a key to sign a fresh secret with, not a secret to send.
            (Some(key), Some(team_id), Some(key_id)) if apple::is_private_key(key) => {
                signed = apple::client_secret(key, team_id, key_id, &config.client_id)?;
                Some(signed.as_str())
            }
            (secret, _, _) => secret,
        };
        if let Some(secret) = secret {
            form.push(("client_secret", secret));
        }
        let url = call.endpoints.token.as_str();
        let (status, json) = self.call(url, self.egress.client().post(url).form(&form)).await?;
        // GitHub answers a bad code with 200 and an `error`.
        if json.get("error").is_some() || !(200..300).contains(&status) {
            return Err(refusal(&json, "invalid_grant"));
        }
        let tokens = json.as_object().cloned().unwrap_or_default();
        match tokens.get("access_token").and_then(Value::as_str) {
            Some(token) if !token.is_empty() => Ok(tokens),
            _ => Err(UpstreamFailure::Invalid("the token response has no access_token".into())),
        }
    }

    async fn oidc_user(
        &self,
        call: &UpstreamExchange<'_>,
        tokens: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UpstreamFailure> {
        let id_token = tokens
            .get("id_token")
            .and_then(Value::as_str)
            .ok_or_else(|| UpstreamFailure::Invalid("the token response has no id_token".into()))?;
        let jwks_uri = call
            .endpoints
            .jwks_uri
            .as_deref()
            .ok_or_else(|| UpstreamFailure::Invalid("the issuer publishes no jwks_uri".into()))?;
        let issuer = call.endpoints.issuer.as_deref().unwrap_or_default();
        let expected = id_token::Expected { issuer, client_id: &call.connection.config.client_id, nonce: call.nonce };
        let mut claims = match id_token::verify(id_token, &self.key_set(jwks_uri, false).await?, &expected) {
            Err(id_token::Failure::UnknownKey) => {
                id_token::verify(id_token, &self.key_set(jwks_uri, true).await?, &expected)
                    .map_err(UpstreamFailure::from)
            }
            other => other.map_err(UpstreamFailure::from),
        }?;
        // The ID token may leave the email and profile to userinfo (OpenID Connect Core §5.4).
        if claims.get("email").is_none() {
            if let (Some(userinfo), Some(access_token)) =
                (&call.endpoints.userinfo, tokens.get("access_token").and_then(Value::as_str))
            {
                let info = self.get_json(userinfo, Some(access_token)).await?;
                // §5.3.2: userinfo about someone else is not this user's.
                if info.get("sub") != claims.get("sub") {
                    return Err(UpstreamFailure::Invalid("userinfo's sub is not the ID token's".into()));
                }
                for (key, value) in info.as_object().cloned().unwrap_or_default() {
                    claims.entry(key).or_insert(value);
                }
            }
        }
        Ok(claims)
    }

    async fn oauth2_user(
        &self,
        call: &UpstreamExchange<'_>,
        tokens: &Map<String, Value>,
    ) -> Result<Map<String, Value>, UpstreamFailure> {
        let access_token = tokens.get("access_token").and_then(Value::as_str).unwrap_or_default();
        let userinfo = call
            .endpoints
            .userinfo
            .as_deref()
            .ok_or_else(|| UpstreamFailure::Invalid("the connection has no userinfo endpoint".into()))?;
        let mut claims = self.get_json(userinfo, Some(access_token)).await?.as_object().cloned().unwrap_or_default();
        // GitHub's `email` is the public one, whatever its state: the verified primary
        // address comes from `/user/emails`.
        if call.connection.config.preset == Some(Preset::Github) {
            claims.remove("email");
            claims.remove("email_verified");
            let emails =
                self.get_json(&format!("{}/emails", userinfo.trim_end_matches('/')), Some(access_token)).await?;
            let primary = emails
                .as_array()
                .into_iter()
                .flatten()
                .find(|entry| entry.get("primary").and_then(Value::as_bool) == Some(true));
            if let Some(primary) = primary {
                claims.insert("email".into(), primary.get("email").cloned().unwrap_or(Value::Null));
                claims.insert("email_verified".into(), primary.get("verified").cloned().unwrap_or(Value::Bool(false)));
            }
        }
        Ok(claims)
    }
}

/// An OAuth error answer as a refusal (`fallback` when it names none).
fn refusal(json: &Value, fallback: &str) -> UpstreamFailure {
    let text = |key: &str| json.get(key).and_then(Value::as_str).map(|text| text.chars().take(300).collect::<String>());
    UpstreamFailure::Refused {
        error: text("error").unwrap_or_else(|| fallback.to_owned()),
        description: text("error_description").or_else(|| text("message")),
    }
}

fn poisoned<T>(_: T) -> UpstreamFailure {
    UpstreamFailure::Unreachable("a cache lock was poisoned".into())
}

fn text_of(document: &Value, key: &str) -> Option<String> {
    document.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[async_trait]
impl Upstream for UpstreamClient {
    async fn endpoints(&self, connection: &Connection) -> Result<Endpoints, UpstreamFailure> {
        let config = &connection.config;
        let preset = config.preset;
        if config.strategy == Strategy::Oauth2 {
            let defaults = preset.and_then(Preset::oauth2_endpoints);
            let pick = |own: &Option<String>, default: Option<&str>| own.clone().or(default.map(str::to_owned));
            let missing = || UpstreamFailure::Invalid("the connection names no authorization or token endpoint".into());
            return Ok(Endpoints {
                authorization: pick(&config.authorization_endpoint, defaults.map(|d| d.0)).ok_or_else(missing)?,
                token: pick(&config.token_endpoint, defaults.map(|d| d.1)).ok_or_else(missing)?,
                userinfo: pick(&config.userinfo_endpoint, defaults.map(|d| d.2)),
                jwks_uri: None,
                issuer: None,
            });
        }
        let issuer = config
            .issuer
            .clone()
            .or(preset.and_then(Preset::issuer).map(str::to_owned))
            .ok_or_else(|| UpstreamFailure::Invalid("the connection names no issuer".into()))?;
        let complete =
            config.authorization_endpoint.is_some() && config.token_endpoint.is_some() && config.jwks_uri.is_some();
        let document = if complete { Value::Null } else { self.discover(&issuer).await? };
        let pick = |own: &Option<String>, key: &str| own.clone().or_else(|| text_of(&document, key));
        let missing = |what: &str| UpstreamFailure::Invalid(format!("the issuer's discovery document has no {what}"));
        Ok(Endpoints {
            authorization: pick(&config.authorization_endpoint, "authorization_endpoint")
                .ok_or_else(|| missing("authorization_endpoint"))?,
            token: pick(&config.token_endpoint, "token_endpoint").ok_or_else(|| missing("token_endpoint"))?,
            userinfo: pick(&config.userinfo_endpoint, "userinfo_endpoint"),
            jwks_uri: Some(pick(&config.jwks_uri, "jwks_uri").ok_or_else(|| missing("jwks_uri"))?),
            issuer: Some(issuer),
        })
    }

    async fn exchange(&self, call: UpstreamExchange<'_>) -> Result<UpstreamUser, UpstreamFailure> {
        let tokens = self.redeem(&call).await?;
        let claims = match call.connection.config.strategy {
            Strategy::Oidc => self.oidc_user(&call, &tokens).await?,
            Strategy::Oauth2 => self.oauth2_user(&call, &tokens).await?,
        };
        let subject = match claims.get("sub").or_else(|| claims.get("id")) {
            Some(Value::String(text)) if !text.is_empty() && text.len() <= 255 => text.clone(),
            Some(Value::Number(number)) => number.to_string(),
            _ => return Err(UpstreamFailure::Invalid("the upstream names no subject (sub or id)".into())),
        };
        let email = claims.get("email").and_then(Value::as_str).map(str::to_owned);
        // Apple writes `"true"`; only an explicit yes counts, from an upstream whose word on
        // it is worth something.
        let said_verified = matches!(claims.get("email_verified"), Some(Value::Bool(true)))
            || claims.get("email_verified").and_then(Value::as_str) == Some("true");
        let trusted = call.connection.config.preset.is_none_or(Preset::trusts_email_verified);
        Ok(UpstreamUser { subject, email, email_verified: said_verified && trusted, claims, tokens })
    }
}
