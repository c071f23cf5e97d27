//! Application (OAuth client) use cases. A confidential client's secret is returned once
//! at creation and stored only as a digest.

use super::{versioned, Management};
use crate::events::{Event, EventType};
use crate::merge_patch::MergePatch;
use crate::mfa::MfaMode;
use crate::model::{Application, ApplicationTokenSettings, ClientType, Grant, IfMatch, Meta};
use crate::page::{Page, PageRequest};
use crate::ports::StoreError;
use crate::validate::{check_name, check_redirect_uri, check_scope, FieldErrors};
use crate::{ids, secret, Error, Result};
use intelliauth_catalogue::Code;

/// Grants and client type arrive as the client wrote them, so that an unknown value is
/// reported per field rather than as a parse failure.
#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub name: String,
    pub client_type: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_grants: Option<Vec<String>>,
    pub allowed_scopes: Option<Vec<String>>,
    pub first_party: bool,
    pub jwks: Option<serde_json::Value>,
    pub token_settings: ApplicationTokenSettings,
    /// `off`, `optional` or `required`; `None`: the tenant's policy alone.
    pub mfa: Option<String>,
    pub require_par: bool,
    pub dpop_bound_access_tokens: bool,
    pub backchannel_logout_uri: Option<String>,
    pub frontchannel_logout_uri: Option<String>,
    pub organization_usage: crate::organizations::OrganizationUsage,
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationPatch {
    pub name: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub post_logout_redirect_uris: Option<Vec<String>>,
    pub allowed_grants: Option<Vec<String>>,
    pub allowed_scopes: Option<Vec<String>>,
    pub first_party: Option<bool>,
    /// `Some(None)` removes the key set.
    pub jwks: Option<Option<serde_json::Value>>,
    /// An RFC 7396 merge patch over the current overrides.
    pub token_settings: Option<MergePatch>,
    /// `Some(None)` falls back to the tenant's policy alone.
    pub mfa: Option<Option<String>>,
    pub require_par: Option<bool>,
    pub dpop_bound_access_tokens: Option<bool>,
    /// `Some(None)` removes it.
    pub backchannel_logout_uri: Option<Option<String>>,
    /// `Some(None)` removes it.
    pub frontchannel_logout_uri: Option<Option<String>>,
    pub organization_usage: Option<crate::organizations::OrganizationUsage>,
}

fn check_mfa(errors: &mut FieldErrors, mode: Option<&str>) {
    if mode.is_some_and(|mode| MfaMode::parse(mode).is_none()) {
        errors.add("mfa", "must be off, optional or required");
    }
}

const DEFAULT_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

fn parse_grants(errors: &mut FieldErrors, grants: &[String]) -> Vec<Grant> {
    let mut parsed = Vec::new();
    for (index, grant) in grants.iter().enumerate() {
        match Grant::parse(grant) {
            Some(grant) if !parsed.contains(&grant) => parsed.push(grant),
            Some(_) => errors.add(&format!("allowed_grants[{index}]"), format!("{grant:?} is listed twice")),
            None => errors.add(
                &format!("allowed_grants[{index}]"),
                format!(
                    "{grant:?} is not a supported grant; use authorization_code, refresh_token or client_credentials"
                ),
            ),
        }
    }
    parsed
}

/// A client's public key set: EC P-256 (`ES256`) or Ed25519 (`EdDSA`) keys with a `kid`,
/// and no private parts.
fn check_jwks(errors: &mut FieldErrors, jwks: &serde_json::Value) {
    let Some(keys) =
        jwks.get("keys").and_then(|keys| keys.as_array()).filter(|keys| !keys.is_empty() && keys.len() <= 10)
    else {
        return errors.add("jwks", "must be {\"keys\": [...]} with 1 to 10 keys");
    };
    for (index, key) in keys.iter().enumerate() {
        let field = format!("jwks.keys[{index}]");
        let supported = matches!(
            (key["kty"].as_str(), key["crv"].as_str(), key["alg"].as_str()),
            (Some("EC"), Some("P-256"), Some("ES256")) | (Some("OKP"), Some("Ed25519"), Some("EdDSA"))
        );
        if !supported {
            errors.add(&field, "must be an ES256 (EC P-256) or EdDSA (Ed25519) key with its alg");
        }
        if !key["kid"].as_str().is_some_and(|kid| !kid.is_empty() && kid.chars().count() <= 128) {
            errors.add(&field, "needs a kid");
        }
        if key.get("d").is_some() {
            errors.add(&field, "must not contain a private key");
        }
    }
}

fn check_uris_and_scopes(errors: &mut FieldErrors, uris: &[String], logout_uris: &[String], scopes: &[String]) {
    for (index, uri) in uris.iter().enumerate() {
        check_redirect_uri(errors, &format!("redirect_uris[{index}]"), uri);
    }
    for (index, uri) in logout_uris.iter().enumerate() {
        check_redirect_uri(errors, &format!("post_logout_redirect_uris[{index}]"), uri);
    }
    for (index, scope) in scopes.iter().enumerate() {
        check_scope(errors, &format!("allowed_scopes[{index}]"), scope);
    }
}

/// A front-channel logout URI is loaded by the user's browser (never called by the server):
/// the redirect URIs' rules (https, or http on loopback; no fragment) hold for it.
fn check_frontchannel_uri(errors: &mut FieldErrors, uri: &str) {
    let mut problems = FieldErrors::new();
    crate::validate::check_redirect_uri(&mut problems, "frontchannel_logout_uri", uri);
    let private_scheme = url::Url::parse(uri).is_ok_and(|parsed| !matches!(parsed.scheme(), "https" | "http"));
    if private_scheme {
        errors.add("frontchannel_logout_uri", "must be an https URL (http only on loopback): a page the browser loads");
    } else {
        errors.merge_new_fields(problems);
    }
}

/// Rules that relate fields to each other, checked on the application as it would be saved.
fn check_combination(errors: &mut FieldErrors, client_type: ClientType, grants: &[Grant], uris: &[String]) {
    if client_type == ClientType::Public && grants.contains(&Grant::ClientCredentials) {
        errors.add(
            "allowed_grants",
            "client_credentials needs a confidential client: a public client cannot keep a secret",
        );
    }
    if client_type == ClientType::Public && grants.contains(&Grant::TokenExchange) {
        errors.add(
            "allowed_grants",
            "token exchange needs a confidential client: the API exchanging a token must authenticate",
        );
    }
    if grants.contains(&Grant::AuthorizationCode) && uris.is_empty() {
        errors.add("redirect_uris", "at least one redirect URI is needed for authorization_code");
    }
}

impl NewApplication {
    /// Validates every field and returns the application's typed parts.
    fn resolve(&self, errors: &mut FieldErrors) -> (ClientType, Vec<Grant>, Vec<String>) {
        check_name(errors, "name", &self.name, 100);
        let client_type = ClientType::parse(&self.client_type).unwrap_or_else(|| {
            errors.add("client_type", "must be \"public\" or \"confidential\"");
            ClientType::Public
        });
        let grants = match &self.allowed_grants {
            Some(grants) => parse_grants(errors, grants),
            None => vec![Grant::AuthorizationCode, Grant::RefreshToken],
        };
        let scopes = self.allowed_scopes.clone().unwrap_or_else(|| DEFAULT_SCOPES.map(String::from).to_vec());
        check_uris_and_scopes(errors, &self.redirect_uris, &self.post_logout_redirect_uris, &scopes);
        self.token_settings.validate(errors);
        if let Some(jwks) = &self.jwks {
            check_jwks(errors, jwks);
            if client_type == ClientType::Public {
                errors.add("jwks", "only confidential clients authenticate with keys");
            }
        }
        if !errors.has("client_type") && !errors.has("allowed_grants") {
            check_combination(errors, client_type, &grants, &self.redirect_uris);
        }
        (client_type, grants, scopes)
    }

    pub fn check(&self, errors: &mut FieldErrors) {
        self.resolve(errors);
        check_mfa(errors, self.mfa.as_deref());
    }
}

impl ApplicationPatch {
    pub fn check(&self, errors: &mut FieldErrors) {
        if let Some(name) = &self.name {
            check_name(errors, "name", name, 100);
        }
        if let Some(grants) = &self.allowed_grants {
            parse_grants(errors, grants);
        }
        if let Some(Some(jwks)) = &self.jwks {
            check_jwks(errors, jwks);
        }
        check_mfa(errors, self.mfa.as_ref().and_then(|mode| mode.as_deref()));
        check_uris_and_scopes(
            errors,
            self.redirect_uris.as_deref().unwrap_or_default(),
            self.post_logout_redirect_uris.as_deref().unwrap_or_default(),
            self.allowed_scopes.as_deref().unwrap_or_default(),
        );
    }
}

impl Management {
    /// A back-channel logout URI is a tenant-chosen address the server calls: the webhook
    /// address policy decides it, as for receivers (Back-Channel Logout 1.0 §2.2 asks for
    /// an absolute URI without a fragment).
    async fn check_logout_uri(&self, errors: &mut FieldErrors, uri: Option<&str>) {
        if let Some(uri) = uri {
            if let Err(reason) = self.webhooks.policy.check_url(uri).await {
                errors.add("backchannel_logout_uri", reason);
            }
        }
    }

    /// Creates the application; for a confidential client also returns its secret, which
    /// is never retrievable again.
    pub async fn create_application(
        &self,
        tenant_id: &str,
        input: NewApplication,
    ) -> Result<(Application, Option<String>)> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        let (client_type, allowed_grants, allowed_scopes) = input.resolve(&mut errors);
        self.check_logout_uri(&mut errors, input.backchannel_logout_uri.as_deref()).await;
        if let Some(uri) = &input.frontchannel_logout_uri {
            check_frontchannel_uri(&mut errors, uri);
        }
        errors.into_result()?;
        let client_secret = (client_type == ClientType::Confidential).then(|| secret::generate("ias_"));
        let application = Application {
            id: ids::new_id("app"),
            tenant_id: tenant_id.to_owned(),
            name: input.name.trim().to_owned(),
            client_type,
            redirect_uris: input.redirect_uris,
            post_logout_redirect_uris: input.post_logout_redirect_uris,
            allowed_grants,
            allowed_scopes,
            first_party: input.first_party,
            secret_digest: client_secret.as_deref().map(secret::digest),
            jwks: input.jwks,
            token_settings: input.token_settings,
            mfa: input.mfa.as_deref().and_then(MfaMode::parse),
            require_par: input.require_par,
            dpop_bound_access_tokens: input.dpop_bound_access_tokens,
            backchannel_logout_uri: input.backchannel_logout_uri,
            frontchannel_logout_uri: input.frontchannel_logout_uri,
            organization_usage: input.organization_usage,
            meta: Meta::new(ids::now_ms()),
        };
        let created = Event::application(EventType::ApplicationCreated, &application);
        match self.store.insert_application(&application, &[created]).await {
            Err(StoreError::Conflict) => Err(Error::conflict("application", "name", &application.name)),
            other => other.map(|()| (application, client_secret)).map_err(Error::from),
        }
    }

    pub async fn application(&self, tenant_id: &str, id: &str) -> Result<Application> {
        match self.store.get_application(tenant_id, id).await? {
            Some(application) => Ok(application),
            None => Err(self.missing_in_tenant(tenant_id, "application").await),
        }
    }

    pub async fn list_applications(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Application>> {
        self.tenant(tenant_id).await?;
        let rows = self.store.list_applications(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |application| &application.id))
    }

    pub async fn update_application(
        &self,
        tenant_id: &str,
        id: &str,
        patch: ApplicationPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Application> {
        let mut errors = FieldErrors::new();
        patch.check(&mut errors);
        if let Some(Some(uri)) = &patch.backchannel_logout_uri {
            self.check_logout_uri(&mut errors, Some(uri)).await;
        }
        if let Some(Some(uri)) = &patch.frontchannel_logout_uri {
            check_frontchannel_uri(&mut errors, uri);
        }
        errors.into_result()?;
        self.tenant(tenant_id).await?;
        versioned::update(
            "application",
            if_match,
            || async { Ok(self.store.get_application(tenant_id, id).await?) },
            |application: &mut Application| {
                if let Some(name) = &patch.name {
                    application.name = name.trim().to_owned();
                }
                if let Some(uris) = &patch.redirect_uris {
                    application.redirect_uris = uris.clone();
                }
                if let Some(uris) = &patch.post_logout_redirect_uris {
                    application.post_logout_redirect_uris = uris.clone();
                }
                if let Some(grants) = &patch.allowed_grants {
                    application.allowed_grants = parse_grants(&mut FieldErrors::new(), grants);
                }
                if let Some(scopes) = &patch.allowed_scopes {
                    application.allowed_scopes = scopes.clone();
                }
                if let Some(first_party) = patch.first_party {
                    application.first_party = first_party;
                }
                if let Some(require_par) = patch.require_par {
                    application.require_par = require_par;
                }
                if let Some(bound) = patch.dpop_bound_access_tokens {
                    application.dpop_bound_access_tokens = bound;
                }
                if let Some(uri) = &patch.backchannel_logout_uri {
                    application.backchannel_logout_uri = uri.clone();
                }
                if let Some(usage) = patch.organization_usage {
                    application.organization_usage = usage;
                }
                if let Some(uri) = &patch.frontchannel_logout_uri {
                    application.frontchannel_logout_uri = uri.clone();
                }
                if let Some(jwks) = &patch.jwks {
                    application.jwks = jwks.clone();
                }
                if let Some(settings) = &patch.token_settings {
                    application.token_settings = settings.apply_checked(
                        &application.token_settings,
                        "token_settings",
                        ApplicationTokenSettings::validate,
                    )?;
                }
                if let Some(mfa) = &patch.mfa {
                    application.mfa = mfa.as_deref().and_then(MfaMode::parse);
                }
                // A patch valid on its own can still not apply to this application (grants
                // that need redirect URIs it does not have): a conflict with its state
                // (RFC 5789 §2.2), with the fields that clash.
                let mut errors = FieldErrors::new();
                check_combination(
                    &mut errors,
                    application.client_type,
                    &application.allowed_grants,
                    &application.redirect_uris,
                );
                if application.client_type == ClientType::Public && application.jwks.is_some() {
                    errors.add("jwks", "only confidential clients authenticate with keys");
                }
                if errors.is_empty() {
                    Ok(())
                } else {
                    Err(Error::new(Code::Conflict)
                        .with_message("The change conflicts with the application's other settings.")
                        .with_detail("fields", errors.into_json()))
                }
            },
            |application, version| async move {
                let updated = Event::application(EventType::ApplicationUpdated, &application);
                match self.store.update_application(&application, version, &[updated]).await {
                    Err(StoreError::Conflict) => Err(Error::conflict("application", "name", &application.name)),
                    other => Ok(other?.then_some(application)),
                }
            },
        )
        .await
    }

    /// Gives a confidential client a new secret, returned once; the old one stops working
    /// at once (a client secret has no overlap: the admin rotates when the app is ready).
    pub async fn rotate_application_secret(&self, tenant_id: &str, id: &str) -> Result<(Application, String)> {
        self.tenant(tenant_id).await?;
        let client_secret = secret::generate("ias_");
        let digest = secret::digest(&client_secret);
        let application = versioned::update(
            "application",
            None,
            || async { Ok(self.store.get_application(tenant_id, id).await?) },
            |application: &mut Application| {
                if application.client_type != ClientType::Confidential {
                    return Err(Error::new(Code::Conflict)
                        .with_message("A public client has no secret to rotate.")
                        .with_detail("client_type", "public"));
                }
                application.secret_digest = Some(digest.clone());
                Ok(())
            },
            |application, version| async move {
                let updated = Event::application(EventType::ApplicationUpdated, &application);
                Ok(self.store.update_application(&application, version, &[updated]).await?.then_some(application))
            },
        )
        .await?;
        Ok((application, client_secret))
    }

    pub async fn delete_application(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "application",
            if_match,
            || async { Ok(self.store.get_application(tenant_id, id).await?) },
            |version| async move {
                let deleted = Event::application_deleted(tenant_id, id);
                Ok(self.store.delete_application(tenant_id, id, version, &[deleted]).await?)
            },
        )
        .await
    }
}
