//! The code exchange (RFC 6749 §4.1.3 with PKCE) and what follows from it: access tokens
//! for a user, ID tokens (OIDC Core §2, §3.1.3.6), and the userinfo endpoint.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use intelliauth_catalogue::Code;
use intelliauth_core::model::{Application, Grant, Tenant, User};
use intelliauth_core::ports::{RefreshTokenRecord, StoreError};
use intelliauth_core::{ids, secret, Error, Refusal, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::authorize::{pkce_matches, Granted};
use crate::jwt;
use crate::keys::Algorithm;
use crate::provider::{Oidc, TokenRequest, TokenResponse};

/// Tokens just issued.
pub(crate) struct Issued {
    pub response: TokenResponse,
}

/// How long after it starts any token of a grant can still be valid: the longest refresh
/// family (400 days) and the longest access token after it (a day). A revoked grant whose
/// own end is not at hand is remembered this long.
pub(crate) const GRANT_LIFETIME_BOUND_MS: i64 = (400 + 1) * 86_400_000;
/// The longest access token lifetime a tenant or application may set.
pub(crate) const ACCESS_TOKEN_BOUND_MS: i64 = 86_400_000;

pub(crate) fn invalid_grant(reason: &str) -> Error {
    Error::new(Code::InvalidGrant).with_refusal(Refusal::BadGrant).with_detail("reason", reason)
}

/// What a grant redeems (`name`: the code, the refresh token), once the client may use
/// `grant` (`unauthorized_client` otherwise): present and of a length one of ours has
/// (`invalid_grant` otherwise).
pub(crate) fn redeemed<'a>(
    application: &Application,
    grant: Grant,
    value: Option<&'a str>,
    name: &str,
) -> Result<&'a str> {
    if !application.allowed_grants.contains(&grant) {
        return Err(Error::new(Code::UnauthorizedClient).with_refusal(Refusal::ClientNotAllowed));
    }
    value.filter(|value| !value.is_empty() && value.len() <= 128).ok_or_else(|| invalid_grant(&format!("no {name}")))
}

/// `at_hash`: the left half of the access token's hash, with the hash of the signing
/// algorithm (SHA-256 for ES256 and RS256, SHA-512 for Ed25519).
fn at_hash(alg: Algorithm, access_token: &str) -> String {
    let digest = match alg {
        Algorithm::Es256 | Algorithm::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        Algorithm::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

impl Oidc {
    pub(crate) async fn exchange_code(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: TokenRequest,
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        let code = redeemed(application, Grant::AuthorizationCode, request.code.as_deref(), "code")?;
        let now = ids::now_ms();
        // The grant this exchange starts: its refresh family, and the `grant_id` its access
        // tokens carry, so revoking it ends both.
        let grant_id = ids::new_id("rtf");
        let record = match self.authorizations.consume_code(&secret::digest(code), now, &grant_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return Err(invalid_grant("the code is unknown or expired")),
            Err(StoreError::Conflict) => {
                // A replayed code may be stolen: end what its first exchange issued, access
                // token included (RFC 6749 §4.1.2).
                if let Some((code_tenant, grant)) = self.authorizations.code_grant(&secret::digest(code)).await? {
                    self.authorizations.revoke_grant(&code_tenant, &grant, now + GRANT_LIFETIME_BOUND_MS, now).await?;
                }
                return Err(invalid_grant("the code was already used"));
            }
            Err(error) => return Err(error.into()),
        };
        if record.tenant_id != tenant.id || record.client_id != application.id {
            return Err(invalid_grant("the code was issued to another client"));
        }
        let mut granted: Granted = serde_json::from_str(&record.grant_data).map_err(Error::internal)?;
        if request.redirect_uri.as_deref() != Some(granted.redirect_uri.as_str()) {
            return Err(invalid_grant("redirect_uri differs from the authorization request"));
        }
        if !pkce_matches(request.code_verifier.as_deref().unwrap_or_default(), &granted.code_challenge) {
            return Err(invalid_grant("code_verifier does not match the code_challenge"));
        }
        crate::resource::same_audience(request.audience.as_deref(), granted.audience.as_deref())?;
        crate::dpop::bind_grant(&mut granted, application, key)?;
        let user = match self.store.get_user(&tenant.id, &record.user_id).await? {
            Some(user) if !user.disabled => user,
            _ => return Err(invalid_grant("the user can no longer sign in")),
        };
        let settings = tenant.settings.oauth.for_application(&application.token_settings);
        let grant = (grant_id.as_str(), now + settings.refresh_absolute_s as i64 * 1000);
        let issued = self.issue_tokens(tenant, application, &user, &granted, (grant, key)).await?;
        Ok(issued.response)
    }

    /// Access token, ID token (with `openid`) and refresh token (with `offline_access`, when
    /// the client may refresh), all of `grant`: its id (the refresh family, which access
    /// tokens carry as `grant_id` so revoking the grant ends them) and when the family ends.
    pub(crate) async fn issue_tokens(
        &self,
        tenant: &Tenant,
        application: &Application,
        user: &User,
        granted: &Granted,
        (grant, key): ((&str, i64), Option<&str>),
    ) -> Result<Issued> {
        let issuer = self.issuer(&tenant.id);
        let settings = &tenant.settings.oauth.for_application(&application.token_settings);
        // A sign-in to an organization holds while the user is a member of it.
        let (organization, organization_roles) = match granted.organization.as_deref() {
            Some(id) => {
                let organization = self.organizations.get_organization(&tenant.id, id).await?;
                let roles = self.member_roles(&tenant.id, id, &user.id).await?;
                match (organization, roles) {
                    (Some(organization), Some(roles)) => (Some(organization), roles),
                    _ => return Err(invalid_grant("the user is no longer a member of the organization")),
                }
            }
            None => (None, Vec::new()),
        };
        let api = match granted.audience.as_deref() {
            Some(audience) => Some(
                self.user_api_access(
                    application,
                    &user.id,
                    (audience, &granted.scope),
                    &granted.custom_claims,
                    &organization_roles,
                )
                .await?,
            ),
            None => None,
        };
        let lifetime = settings.access_token_lifetime_s;
        let access_lifetime = api.as_ref().and_then(|api| api.lifetime_s).unwrap_or(lifetime);
        let keys = self.tenant_keys_for(tenant, api.as_ref().and_then(|api| api.signing_alg)).await?;
        let (access_key, id_key) = (keys.key_for(api.as_ref().and_then(|api| api.signing_alg)), keys.tenant_key());
        let now = ids::now_ms();
        let now_s = now / 1000;
        let mut access_claims = json!({
            "iss": issuer, "sub": user.id, "aud": issuer, "client_id": application.id,
            "exp": now_s + access_lifetime as i64, "iat": now_s, "jti": ids::new_id("at"),
            "scope": granted.scope, "auth_time": granted.auth_time, "acr": granted.acr, "amr": granted.amr,
            "grant_id": grant.0,
        });
        if let Some(api) = &api {
            api.write_into(&mut access_claims);
        }
        crate::organization::write_organization(&mut access_claims, organization.as_ref());
        crate::dpop::bind_access_token(&mut access_claims, key);
        add_custom_claims(&mut access_claims, &granted.custom_claims.access_token);
        let access_token = access_key.sign("at+jwt", &access_claims)?;
        let scopes: Vec<&str> = granted.scope.split(' ').collect();
        let id_token = if !scopes.contains(&"openid") {
            None
        } else {
            let mut claims = json!({
                "iss": issuer, "sub": user.id, "aud": application.id, "azp": application.id,
                "exp": now_s + lifetime as i64, "iat": now_s, "auth_time": granted.auth_time,
                "acr": granted.acr, "amr": granted.amr, "at_hash": at_hash(id_key.alg, &access_token),
            });
            if let Some(nonce) = &granted.nonce {
                claims["nonce"] = nonce.clone().into();
            }
            crate::organization::write_organization(&mut claims, organization.as_ref());
            // The session, as logout tokens name it (Back-Channel Logout 1.0 §2.1).
            if !granted.session_id.is_empty() {
                claims["sid"] = granted.session_id.clone().into();
            }
            if scopes.contains(&"email") {
                claims["email"] = user.email.clone().into();
                claims["email_verified"] = user.email_verified.into();
            }
            if scopes.contains(&"profile") {
                add_profile_claims(&mut claims, user);
            }
            add_custom_claims(&mut claims, &granted.custom_claims.id_token);
            Some(id_key.sign("JWT", &claims)?)
        };
        let refreshable =
            scopes.contains(&"offline_access") && application.allowed_grants.contains(&Grant::RefreshToken);
        let refresh_token = if refreshable {
            let (family_id, family_expires_at) = (grant.0.to_owned(), grant.1);
            let token = secret::generate("iar_");
            let record = RefreshTokenRecord {
                digest: secret::digest(&token),
                family_id: family_id.clone(),
                tenant_id: tenant.id.clone(),
                client_id: application.id.clone(),
                user_id: user.id.clone(),
                session_id: granted.session_id.clone(),
                grant_data: serde_json::to_string(granted).map_err(Error::internal)?,
                created_at: now,
                family_expires_at,
                idle_expires_at: (now + settings.refresh_idle_s as i64 * 1000).min(family_expires_at),
                rotated_at: None,
                revoked_at: None,
            };
            self.authorizations.insert_refresh_token(&record).await?;
            Some(token)
        } else {
            None
        };
        let response = TokenResponse {
            access_token,
            expires_in: access_lifetime,
            scope: api.map_or_else(|| granted.scope.clone(), |api| api.scope),
            id_token,
            refresh_token,
            subject: Some(user.id.clone()),
            token_type: crate::dpop::token_type(key),
            issued_token_type: None,
        };
        Ok(Issued { response })
    }

    /// The claims of a Bearer access token this tenant issued, if it is genuine and unexpired
    /// (`token_expired`, with its RFC 6750 challenge, when it ran out). A DPoP-bound token
    /// is refused: it counts only with its proof ([`Oidc::verify_presented_token`]).
    pub async fn verify_access_token(&self, tenant_id: &str, token: &str) -> Result<Value> {
        let claims = self.verify_access_token_claims(tenant_id, token).await?;
        if claims.get("cnf").is_some() {
            return Err(Error::unauthenticated(Refusal::BadCredential {
                why: "The access token is DPoP-bound; this endpoint takes Bearer tokens",
            }));
        }
        Ok(claims)
    }

    /// The claims of an access token this tenant issued, if it is genuine, unexpired and not
    /// revoked, whatever key it is bound to.
    pub(crate) async fn verify_access_token_claims(&self, tenant_id: &str, token: &str) -> Result<Value> {
        let tenant = self.tenant(tenant_id).await?;
        let invalid = || Error::unauthenticated(Refusal::BadCredential { why: "The access token is not valid" });
        let (_, claims) = self.verified(&tenant, token).await?.ok_or_else(invalid)?;
        if claims["iss"] != self.issuer(tenant_id).as_str() {
            return Err(invalid());
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp <= ids::now_ms() / 1000) {
            return Err(
                Error::new(Code::TokenExpired).with_refusal(Refusal::BadCredential { why: "The access token expired" })
            );
        }
        // Callers load the user and refuse a disabled one themselves; the revocations are
        // checked here.
        if self.access_token_revoked(&claims).await? {
            return Err(Error::unauthenticated(Refusal::BadCredential { why: "The access token was revoked" }));
        }
        Ok(claims)
    }

    /// Whether an unexpired access token was revoked, by its `jti` or with its grant. Read
    /// from the store, so a revocation holds on every node.
    async fn access_token_revoked(&self, claims: &Value) -> Result<bool> {
        let jti = claims["jti"].as_str().unwrap_or_default();
        let grant = claims["grant_id"].as_str().unwrap_or_default();
        Ok(self.authorizations.any_revoked(&[jti, grant]).await?)
    }

    /// Whether a genuine, unexpired access token no longer counts: revoked, or its user was
    /// disabled or removed since (for introspection, which loads no user of its own).
    pub(crate) async fn access_token_inactive(&self, claims: &Value) -> Result<bool> {
        if self.access_token_revoked(claims).await? {
            return Ok(true);
        }
        let tenant_id = self.token_tenant_of(claims).unwrap_or_default();
        let subject = claims["sub"].as_str().unwrap_or_default();
        // Tokens of the client credentials grant name the application, not a user.
        if subject == claims["client_id"].as_str().unwrap_or_default() {
            return Ok(false);
        }
        Ok(!matches!(self.store.get_user(&tenant_id, subject).await?, Some(user) if !user.disabled))
    }

    /// The tenant whose issuer a token names (unverified: verify with [`Oidc::verify_access_token`]).
    pub fn token_tenant(&self, token: &str) -> Option<String> {
        self.token_tenant_of(&jwt::unverified_claims(token)?)
    }

    fn token_tenant_of(&self, claims: &Value) -> Option<String> {
        let prefix = self.issuer("");
        claims["iss"].as_str()?.strip_prefix(&prefix).filter(|t| !t.is_empty() && !t.contains('/')).map(str::to_owned)
    }

    /// OIDC userinfo for an access token, Bearer or DPoP-bound (with its proof for `method`).
    pub async fn userinfo(
        &self,
        tenant_id: &str,
        presented: Option<crate::dpop::PresentedToken<'_>>,
        method: &str,
    ) -> Result<Value> {
        let presented = presented
            .ok_or_else(|| Error::unauthenticated(Refusal::NoCredential { why: "An access token is required" }))?;
        let invalid = || Error::unauthenticated(Refusal::BadCredential { why: "The access token is not valid" });
        let url = self.endpoint(intelliauth_core::paths::USERINFO, tenant_id);
        let claims = self.verify_presented_token(tenant_id, presented, (method, &url)).await?;
        let user = match self.store.get_user(tenant_id, claims["sub"].as_str().unwrap_or_default()).await? {
            Some(user) if !user.disabled => user,
            _ => return Err(invalid()),
        };
        let scopes: Vec<&str> = claims["scope"].as_str().unwrap_or_default().split(' ').collect();
        let mut info = json!({ "sub": user.id });
        if scopes.contains(&"email") {
            info["email"] = user.email.clone().into();
            info["email_verified"] = user.email_verified.into();
        }
        if scopes.contains(&"profile") {
            add_profile_claims(&mut info, &user);
        }
        Ok(info)
    }
}

/// The `profile` scope's claims (OIDC Core §5.4): `name`, and those of the others the user
/// has — `locale` only when they chose a language.
fn add_profile_claims(claims: &mut serde_json::Value, user: &intelliauth_core::model::User) {
    claims["name"] = user.name.clone().into();
    if let Some(locale) = &user.locale {
        claims["locale"] = locale.clone().into();
    }
    for (claim, value) in user.profile.claims() {
        claims[claim] = value.into();
    }
}

/// Adds claims Actions set, never replacing one the protocol or the scopes already put there.
fn add_custom_claims(claims: &mut serde_json::Value, custom: &serde_json::Map<String, serde_json::Value>) {
    if let Some(claims) = claims.as_object_mut() {
        for (name, value) in custom {
            claims.entry(name.clone()).or_insert_with(|| value.clone());
        }
    }
}
