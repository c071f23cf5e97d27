//! The provider: per-tenant issuer, metadata, key set, the token endpoint's grants and
//! introspection. Signing keys (`key_set.rs`) are kept decrypted only in memory.

use std::collections::HashMap;
use std::sync::Arc;

use intelliauth_catalogue::Code;
use intelliauth_core::model::{ClientType, Grant, Tenant};
use intelliauth_core::ports::{DirectoryStore, GrantStore, Ports, SigningKeyRecord, SigningKeyStore, StoreError};
use intelliauth_core::sealed::InstanceKey;
use intelliauth_core::{ids, paths, Error, Refusal, Result};
use serde_json::{json, Value};
use tokio::sync::RwLock;

use crate::client_auth::{invalid_client, ClientCredentials};
use crate::key_set::TenantKeys;
use crate::keys::{self, Algorithm};

/// Clock skew allowed to resource servers when a retired key's tokens expire.
const RETIRE_MARGIN_MS: i64 = 5 * 60 * 1000;

/// A token request, as the token endpoint received it.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub grant_type: String,
    pub scope: Option<String>,
    /// The resource the token is for (`audience`, or RFC 8707 `resource`).
    pub audience: Option<String>,
    pub client: ClientCredentials,
    /// For `authorization_code`: the code, the redirect URI it was issued to, the PKCE verifier.
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    /// For `refresh_token`.
    pub refresh_token: Option<String>,
    /// For the device grant (RFC 8628).
    pub device_code: Option<String>,
    /// The `DPoP` header's proof (RFC 9449), if the request had one.
    pub dpop: Option<String>,
    /// For token exchange (RFC 8693).
    pub exchange: Option<crate::token_exchange::ExchangeParams>,
}

#[derive(Debug, Clone)]
pub struct TokenResponse {
    pub access_token: String,
    pub expires_in: u64,
    pub scope: String,
    /// With the `openid` scope.
    pub id_token: Option<String>,
    /// With the `offline_access` scope, for clients allowed to refresh.
    pub refresh_token: Option<String>,
    /// The user the tokens are for; `None` for a client acting for itself.
    pub subject: Option<String>,
    /// `Bearer`, or `DPoP` for an access token bound to the proof's key.
    pub token_type: &'static str,
    /// Token exchange's `issued_token_type` (RFC 8693 §2.2.1).
    pub issued_token_type: Option<&'static str>,
}

#[derive(Clone)]
pub struct Oidc {
    pub(crate) store: Arc<dyn DirectoryStore>,
    pub(crate) keys: Arc<dyn SigningKeyStore>,
    pub(crate) authorizations: Arc<dyn GrantStore>,
    /// APIs, client grants and roles: what access tokens for an API hold.
    pub(crate) apis: Arc<dyn intelliauth_core::apis::ApiStore>,
    /// Which applications each session signed in to, for back-channel logout.
    pub(crate) logout: Arc<dyn intelliauth_core::logout::LogoutStore>,
    /// Organizations and their members.
    pub(crate) organizations: Arc<dyn intelliauth_core::organizations::OrganizationStore>,
    /// Whether a user has a second factor, for applications whose MFA policy is optional.
    pub(crate) mfa: Arc<dyn intelliauth_core::mfa::FactorStore>,
    /// Runs post-login Actions when a session signs in to another application.
    pub(crate) session_reuse: Option<Arc<dyn intelliauth_core::actions::SessionReuse>>,
    /// The tenant log, for consent decisions; `None` logs nothing.
    log: Option<Arc<dyn intelliauth_core::log::LogStore>>,
    pub(crate) instance_key: InstanceKey,
    public_url: Arc<str>,
    pub(crate) key_cache: Arc<RwLock<HashMap<String, Arc<TenantKeys>>>>,
    /// How long a node keeps a tenant's keys before reading them again.
    pub(crate) key_cache_ttl: std::time::Duration,
}

impl Oidc {
    pub fn new(ports: &Ports, instance_key: InstanceKey, public_url: &str) -> Oidc {
        Oidc {
            store: ports.directory.clone(),
            keys: ports.signing_keys.clone(),
            authorizations: ports.grants.clone(),
            apis: ports.apis.clone(),
            logout: ports.logout.clone(),
            organizations: ports.organizations.clone(),
            mfa: ports.factors.clone(),
            session_reuse: None,
            log: None,
            instance_key,
            public_url: public_url.trim_end_matches('/').into(),
            key_cache: Arc::default(),
            key_cache_ttl: crate::key_set::KEY_CACHE_TTL,
        }
    }

    /// The same provider, keeping each tenant's keys for `ttl` before looking for another
    /// node's rotation; a new key waits that long (and a margin) before it signs.
    pub fn with_key_cache_ttl(mut self, ttl: std::time::Duration) -> Oidc {
        self.key_cache_ttl = ttl;
        self
    }

    /// The same provider, running post-login Actions through `hook` when an existing session
    /// signs in to an application (single sign-on).
    pub fn with_session_reuse(mut self, hook: Arc<dyn intelliauth_core::actions::SessionReuse>) -> Oidc {
        self.session_reuse = Some(hook);
        self
    }

    /// The same provider, writing its decisions to the tenant log.
    pub fn with_log(mut self, log: Arc<dyn intelliauth_core::log::LogStore>) -> Oidc {
        self.log = Some(log);
        self
    }

    /// Writes a decision to the tenant log; a failure is the operator's to see.
    pub(crate) async fn record(&self, entry: intelliauth_core::log::LogEntry) {
        if let Some(log) = &self.log {
            intelliauth_core::log::record(log.as_ref(), &entry).await;
        }
    }

    /// The absolute URL of the tenant's endpoint at `path`.
    pub(crate) fn endpoint(&self, path: paths::TenantPath, tenant_id: &str) -> String {
        path.url(&self.public_url, tenant_id)
    }

    /// The tenant's issuer identifier; every endpoint of the tenant lives under it.
    pub fn issuer(&self, tenant_id: &str) -> String {
        intelliauth_core::paths::TENANT.url(&self.public_url, tenant_id)
    }

    /// A stored application, or the built-in admin console.
    pub(crate) async fn application(
        &self,
        tenant_id: &str,
        client_id: &str,
    ) -> intelliauth_core::ports::StoreResult<Option<intelliauth_core::model::Application>> {
        let stored = self.store.get_application(tenant_id, client_id);
        intelliauth_core::console::application_or_console(tenant_id, client_id, &self.public_url, stored).await
    }

    pub(crate) async fn tenant(&self, tenant_id: &str) -> Result<Tenant> {
        self.store.get_tenant(tenant_id).await?.ok_or_else(|| Error::not_found("tenant"))
    }

    /// RFC 8414 authorization server metadata.
    pub async fn metadata(&self, tenant_id: &str) -> Result<Value> {
        self.tenant(tenant_id).await?;
        let issuer = self.issuer(tenant_id);
        let url = |path| self.endpoint(path, tenant_id);
        Ok(json!({
            "issuer": issuer,
            "token_endpoint": url(paths::TOKEN),
            "jwks_uri": url(paths::JWKS),
            "introspection_endpoint": url(paths::INTROSPECT),
            "authorization_endpoint": url(paths::AUTHORIZE),
            "userinfo_endpoint": url(paths::USERINFO),
            "grant_types_supported": Grant::ALL.map(Grant::as_str),
            "device_authorization_endpoint": url(paths::DEVICE_AUTHORIZATION),
            "pushed_authorization_request_endpoint": url(paths::PAR),
            // Per application (`require_par`), not for the whole server.
            "require_pushed_authorization_requests": false,
            "revocation_endpoint": url(paths::REVOKE),
            "end_session_endpoint": url(paths::END_SESSION),
            // Logout tokens to each application's back-channel logout URI, with `sid`.
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            // Frames for each application's front-channel logout URI, with `iss` and `sid`.
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            // Said outright where OpenID Connect Discovery's default would claim more: no
            // request objects (by value or by reference — a `request_uri` is only PAR's), no
            // `claims` parameter.
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
            "claims_parameter_supported": false,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "code_challenge_methods_supported": ["S256"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256", "EdDSA", "RS256"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "azp", "sid", "org_id", "org_name", "email", "email_verified", "name", "given_name", "family_name", "nickname", "picture", "locale"],
            // loa:2 is multi-factor; asking for it in acr_values steps the user up.
            "acr_values_supported": [intelliauth_core::auth::ACR_SINGLE_FACTOR, intelliauth_core::auth::ACR_MULTI_FACTOR],
            // The hosted pages speak these; `ui_locales` picks among them.
            "ui_locales_supported": intelliauth_core::model::UI_LOCALES,
            "authorization_response_iss_parameter_supported": true,
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["ES256", "EdDSA"],
            "dpop_signing_alg_values_supported": crate::dpop::DPOP_ALGS,
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "service_documentation": format!("{}/v1/openapi.json", self.public_url),
        }))
    }

    /// The published key set: `{"keys": [...]}`.
    pub async fn jwks(&self, tenant_id: &str) -> Result<Value> {
        let tenant = self.tenant(tenant_id).await?;
        let keys = self.tenant_keys(&tenant).await?;
        Ok(json!({ "keys": keys.jwks }))
    }

    /// A new key of `alg` for the tenant, its private half sealed. Made off the async runtime:
    /// an RSA key takes a while.
    pub(crate) async fn new_key(
        &self,
        tenant_id: &str,
        alg: Algorithm,
        status: &str,
        created_at: i64,
    ) -> Result<SigningKeyRecord> {
        let (secret, mut jwk) =
            tokio::task::spawn_blocking(move || keys::generate(alg)).await.map_err(Error::internal)?;
        let kid = ids::new_id("key");
        jwk["kid"] = kid.clone().into();
        Ok(SigningKeyRecord {
            sealed_secret: self.instance_key.seal(&secret, &kid),
            kid,
            tenant_id: tenant_id.to_owned(),
            alg: alg.as_str().to_owned(),
            status: status.to_owned(),
            public_jwk: jwk.to_string(),
            created_at,
            retire_after: None,
        })
    }

    /// Rotates the tenant's keys of every algorithm it signs with: next becomes active
    /// (signing once every node has it, see `key_set.rs`), active is retired but stays
    /// published until its last token has expired, and a new next key is published.
    pub async fn rotate_keys(&self, tenant_id: &str) -> Result<Value> {
        let tenant = self.tenant(tenant_id).await?;
        // The first keys, if the tenant has none yet; then every algorithm with an active key
        // as the store has them (this node's copy may not know one another node just made).
        self.tenant_keys(&tenant).await?;
        let now = ids::now_ms();
        let algs = crate::key_set::active_algorithms(&self.keys.signing_keys(tenant_id, now).await?);
        // The retired key may go on signing until every node has the new one, and its tokens
        // must verify until the last of them expires.
        let longest = crate::key_set::LONGEST_TOKEN_MS.max(tenant.settings.oauth.access_token_lifetime_s as i64 * 1000);
        let retire_after = now + self.signs_after_ms() + longest + RETIRE_MARGIN_MS;
        for alg in algs {
            let next = self.new_key(tenant_id, alg, "next", now).await?;
            match self.keys.rotate_keys(tenant_id, alg.as_str(), retire_after, &next).await {
                Ok(()) => {}
                Err(StoreError::Conflict) => {
                    self.forget_keys(tenant_id).await;
                    return Err(Error::precondition_failed(None).with_detail("reason", "a concurrent rotation"));
                }
                Err(error) => return Err(error.into()),
            }
        }
        self.forget_keys(tenant_id).await;
        self.jwks(tenant_id).await
    }

    /// The token endpoint.
    pub async fn token(&self, tenant_id: &str, request: TokenRequest) -> Result<TokenResponse> {
        let tenant = self.tenant(tenant_id).await?;
        let application = self.authenticate_client(tenant_id, &request.client).await?;
        let key = self.token_request_key(&application, request.dpop.as_deref()).await?;
        let key = key.as_deref();
        match request.grant_type.as_str() {
            "client_credentials" => {}
            "authorization_code" => return self.exchange_code(&tenant, &application, request, key).await,
            grant if grant == Grant::DeviceCode.as_str() => {
                return self.exchange_device_code(&tenant, &application, request, key).await
            }
            "refresh_token" => return self.refresh(&tenant, &application, request, key).await,
            grant if grant == Grant::TokenExchange.as_str() => {
                return self.exchange_token(&tenant, &application, request, key).await
            }
            "" => {
                return Err(Error::new(Code::ValidationFailed)
                    .with_refusal(Refusal::MalformedRequest)
                    .with_message("grant_type is required.")
                    .with_detail("fields", json!({ "grant_type": ["is required"] })))
            }
            other => {
                return Err(Error::new(Code::UnauthorizedClient)
                    .with_refusal(Refusal::UnsupportedGrantType)
                    .with_detail("grant_type", other.chars().take(64).collect::<String>()))
            }
        }
        if application.client_type == ClientType::Public
            || !application.allowed_grants.contains(&Grant::ClientCredentials)
        {
            return Err(Error::new(Code::UnauthorizedClient)
                .with_refusal(Refusal::ClientNotAllowed)
                .with_detail("grant_type", "client_credentials"));
        }
        if let Some(audience) = request.audience.as_deref() {
            return self.client_token_for_api(&tenant, &application, (audience, request.scope.as_deref()), key).await;
        }
        let requested: Vec<&str> = match &request.scope {
            Some(scope) => scope.split(' ').filter(|s| !s.is_empty()).collect(),
            None => application.allowed_scopes.iter().map(String::as_str).collect(),
        };
        let refused: Vec<&str> =
            requested.iter().copied().filter(|scope| !application.allowed_scopes.iter().any(|a| a == scope)).collect();
        if !refused.is_empty() {
            return Err(Error::new(Code::InvalidScope).with_refusal(Refusal::BadScope).with_detail("scopes", refused));
        }
        let mut scopes: Vec<&str> = Vec::with_capacity(requested.len());
        for scope in requested {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        let scope = scopes.join(" ");
        self.client_token(&tenant, &application, scope, None, key).await
    }

    /// A client credentials token for the API `audience`, as its client grant allows.
    async fn client_token_for_api(
        &self,
        tenant: &Tenant,
        application: &intelliauth_core::model::Application,
        (audience, scope): (&str, Option<&str>),
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        if audience.len() > 256 || audience.chars().any(char::is_whitespace) {
            return Err(Error::new(Code::ValidationFailed)
                .with_refusal(Refusal::MalformedRequest)
                .with_detail("fields", json!({ "audience": ["must be a single URI"] })));
        }
        let asked: Option<Vec<String>> =
            scope.map(|scope| scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect());
        let access = self.client_api_access(application, audience, asked.as_deref()).await?;
        self.client_token(tenant, application, access.scope.clone(), Some(access), key).await
    }

    /// The client credentials grant's access token: for the tenant itself, or for an API.
    async fn client_token(
        &self,
        tenant: &Tenant,
        application: &intelliauth_core::model::Application,
        scope: String,
        api: Option<crate::resource::ApiAccess>,
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        let issuer = self.issuer(&tenant.id);
        let alg = api.as_ref().and_then(|api| api.signing_alg);
        let keys = self.tenant_keys_for(tenant, alg).await?;
        let lifetime = api.as_ref().and_then(|api| api.lifetime_s).unwrap_or_else(|| {
            tenant.settings.oauth.for_application(&application.token_settings).access_token_lifetime_s
        });
        let now_s = ids::now_ms() / 1000;
        let mut claims = json!({
            "iss": issuer,
            "sub": application.id,
            "aud": issuer,
            "exp": now_s + lifetime as i64,
            "iat": now_s,
            "jti": ids::new_id("at"),
            "client_id": application.id,
            "scope": scope,
        });
        if let Some(api) = &api {
            api.write_into(&mut claims);
        }
        crate::dpop::bind_access_token(&mut claims, key);
        Ok(TokenResponse {
            access_token: keys.key_for(alg).sign("at+jwt", &claims)?,
            expires_in: lifetime,
            scope,
            id_token: None,
            refresh_token: None,
            subject: None,
            token_type: crate::dpop::token_type(key),
            issued_token_type: None,
        })
    }

    /// RFC 7662 introspection, for confidential clients of the tenant.
    pub async fn introspect(&self, tenant_id: &str, client: ClientCredentials, token: &str) -> Result<Value> {
        let tenant = self.tenant(tenant_id).await?;
        let issuer = self.issuer(tenant_id);
        let application = self.authenticate_client(tenant_id, &client).await?;
        if application.client_type != ClientType::Confidential {
            return Err(invalid_client(&issuer).with_detail("reason", "introspection needs a confidential client"));
        }
        let Some((_, claims)) = self.verified(&tenant, token).await? else { return Ok(json!({ "active": false })) };
        let live =
            claims["iss"] == issuer.as_str() && claims["exp"].as_i64().is_some_and(|exp| exp > ids::now_ms() / 1000);
        if !live || self.access_token_inactive(&claims).await? {
            return Ok(json!({ "active": false }));
        }
        let mut answer = claims;
        answer["active"] = true.into();
        // RFC 9449 §6.2: a bound token says so, and its `cnf` names the key.
        answer["token_type"] = if answer.get("cnf").is_some() { "DPoP" } else { "Bearer" }.into();
        Ok(answer)
    }
}
