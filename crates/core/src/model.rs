//! Domain records: tenants, users, applications and management credentials.

use serde::{Deserialize, Serialize};

use crate::password::PasswordPolicy;

/// Fields every stored resource has, for ETags and audit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub created_at: i64,
    pub updated_at: i64,
    /// Incremented by every update; the basis of the resource's `ETag`.
    pub version: i64,
}

impl Meta {
    pub fn new(now: i64) -> Self {
        Meta { created_at: now, updated_at: now, version: 1 }
    }

    /// The strong entity tag. It includes the update time so that a resource deleted and
    /// re-created under the same id never matches an ETag of its predecessor.
    pub fn etag(&self) -> String {
        format!("\"{}-{:x}\"", self.version, self.updated_at)
    }
}

/// A parsed `If-Match` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    Any,
    /// Strong entity tags, quotes included.
    OneOf(Vec<String>),
}

impl IfMatch {
    pub fn parse(header: &str) -> IfMatch {
        if header.trim() == "*" {
            return IfMatch::Any;
        }
        IfMatch::OneOf(header.split(',').map(|tag| tag.trim().to_owned()).filter(|tag| !tag.is_empty()).collect())
    }

    /// RFC 9110 §13.1.1: strong comparison, so a weak tag (`W/"…"`) never matches.
    pub fn matches(&self, etag: &str) -> bool {
        match self {
            IfMatch::Any => true,
            IfMatch::OneOf(tags) => tags.iter().any(|tag| tag == etag),
        }
    }
}

/// Per-tenant settings, stored as one JSON document so later capabilities can add
/// sections without a migration per knob.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantSettings {
    pub password_policy: PasswordPolicy,
    pub sign_in: SignInPolicy,
    pub theme: Theme,
    pub oauth: OAuthSettings,
    pub mfa: crate::mfa::MfaPolicy,
    pub actions: crate::actions::ActionSettings,
    pub log: crate::log::LogSettings,
    pub locale: LocaleSettings,
    pub migration: MigrationSettings,
}

/// Lazy migration: users not yet imported are asked for at their first sign-in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MigrationSettings {
    /// The tenant's legacy "password verifier": an endpoint of the system users come from,
    /// asked (through the same SSRF guard as webhooks, signed as Standard Webhooks) whether
    /// an email and password are right when the email has no user here yet.
    pub password_verifier_url: Option<String>,
    /// Which signing secret the verifier checks: raising it rotates the secret.
    pub secret_version: u32,
}

/// The languages the hosted pages are written in (the server's `i18n` catalogues), by
/// BCP 47 tag; English is the reference.
pub const UI_LOCALES: [&str; 4] = ["en", "fr", "de", "ar"];

/// The tenant's language for its hosted pages and messages, when a browser asks for none
/// of [`UI_LOCALES`] (neither OIDC `ui_locales` nor `Accept-Language`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocaleSettings {
    pub default: String,
    /// The tenant's own wording, by locale then message id (`{"fr": {"sign-in-title":
    /// "Bienvenue"}}`): any message of the hosted pages' catalogues, the error copy included,
    /// in Fluent syntax with the variables the message has. The server checks the ids and
    /// the syntax; this type only holds them.
    pub overrides: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
}

/// The most messages a tenant may reword, over all its locales.
pub const MAX_OVERRIDES: usize = 500;

impl Default for LocaleSettings {
    fn default() -> Self {
        LocaleSettings { default: UI_LOCALES[0].to_owned(), overrides: Default::default() }
    }
}

/// The algorithms a tenant or an API signs tokens with.
pub const SIGNING_ALGS: [&str; 3] = ["ES256", "EdDSA", "RS256"];

/// Token settings of the tenant's OAuth 2.0 / OIDC provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OAuthSettings {
    pub access_token_lifetime_s: u64,
    /// `ES256` (default), `EdDSA`, or `RS256` for clients that only verify RSA.
    pub signing_alg: String,
    /// A refresh family ends this long after the sign-in that started it.
    pub refresh_absolute_s: u64,
    /// A refresh token unused this long ends its family.
    pub refresh_idle_s: u64,
    /// A rotated refresh token still works this long, so two tabs racing with the same
    /// token do not sign the user out; after it, reuse revokes the family.
    pub refresh_reuse_grace_s: u64,
}

/// Token lifetimes an application sets for itself; unset ones are the tenant's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApplicationTokenSettings {
    pub access_token_lifetime_s: Option<u64>,
    pub refresh_absolute_s: Option<u64>,
    pub refresh_idle_s: Option<u64>,
}

impl ApplicationTokenSettings {
    pub fn validate(&self, errors: &mut crate::validate::FieldErrors) {
        let checks = [
            ("access_token_lifetime_s", self.access_token_lifetime_s, 86_400),
            ("refresh_absolute_s", self.refresh_absolute_s, 400 * 86_400),
            ("refresh_idle_s", self.refresh_idle_s, 400 * 86_400),
        ];
        for (name, value, max) in checks {
            if value.is_some_and(|value| value == 0 || value > max) {
                errors.add(&format!("token_settings.{name}"), format!("must be between 1 and {max}"));
            }
        }
    }
}

impl OAuthSettings {
    /// The tenant's settings with the application's overrides applied.
    pub fn for_application(&self, overrides: &ApplicationTokenSettings) -> OAuthSettings {
        OAuthSettings {
            access_token_lifetime_s: overrides.access_token_lifetime_s.unwrap_or(self.access_token_lifetime_s),
            refresh_absolute_s: overrides.refresh_absolute_s.unwrap_or(self.refresh_absolute_s),
            refresh_idle_s: overrides.refresh_idle_s.unwrap_or(self.refresh_idle_s),
            ..self.clone()
        }
    }
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            access_token_lifetime_s: 3600,
            signing_alg: "ES256".into(),
            refresh_absolute_s: 30 * 24 * 3600,
            refresh_idle_s: 14 * 24 * 3600,
            refresh_reuse_grace_s: 10,
        }
    }
}

impl TenantSettings {
    /// Adds a message under `settings.…` for every out-of-range value.
    pub fn validate(&self, errors: &mut crate::validate::FieldErrors) {
        self.password_policy.validate(errors);
        self.actions.validate(errors);
        if !(1..=crate::log::MAX_RETENTION_DAYS).contains(&self.log.retention_days) {
            errors.add(
                "settings.log.retention_days",
                format!("must be between 1 and {}", crate::log::MAX_RETENTION_DAYS),
            );
        }
        let sign_in = &self.sign_in;
        let mut at_least = |field: &str, value: u64, min: u64| {
            if value < min {
                errors.add(&format!("settings.sign_in.{field}"), format!("must be at least {min}"));
            }
        };
        at_least("lockout_threshold", sign_in.lockout_threshold.into(), 1);
        at_least("lockout_window_s", sign_in.lockout_window_s, 1);
        at_least("lockout_duration_s", sign_in.lockout_duration_s, 1);
        at_least("flow_lifetime_s", sign_in.flow_lifetime_s, 1);
        at_least("session_absolute_s", sign_in.session_absolute_s, 60);
        at_least("session_idle_s", sign_in.session_idle_s, 60);
        if !(1..=28).contains(&sign_in.captcha.pow_difficulty) {
            errors.add("settings.sign_in.captcha.pow_difficulty", "must be between 1 and 28");
        }
        if !(1..=86_400).contains(&self.oauth.access_token_lifetime_s) {
            errors.add("settings.oauth.access_token_lifetime_s", "must be between 1 and 86400");
        }
        if self.oauth.refresh_absolute_s == 0 || self.oauth.refresh_idle_s == 0 {
            errors.add("settings.oauth", "refresh lifetimes must be at least 1 second");
        }
        if self.oauth.refresh_reuse_grace_s > 300 {
            errors.add("settings.oauth.refresh_reuse_grace_s", "must be at most 300");
        }
        if !SIGNING_ALGS.contains(&self.oauth.signing_alg.as_str()) {
            errors.add("settings.oauth.signing_alg", "must be ES256, EdDSA or RS256");
        }
        self.theme.validate(errors, "settings.theme.");
        if !UI_LOCALES.contains(&self.locale.default.as_str()) {
            errors.add("settings.locale.default", format!("must be one of {}", UI_LOCALES.join(", ")));
        }
        if let Some(tag) = self.locale.overrides.keys().find(|tag| !UI_LOCALES.contains(&tag.as_str())) {
            errors
                .add(&format!("settings.locale.overrides.{tag}"), format!("must be one of {}", UI_LOCALES.join(", ")));
        }
        if self.locale.overrides.values().map(|messages| messages.len()).sum::<usize>() > MAX_OVERRIDES {
            errors.add("settings.locale.overrides", format!("may reword at most {MAX_OVERRIDES} messages"));
        }
    }
}

/// How sign-in protects accounts, per tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SignInPolicy {
    /// Failed password attempts within `lockout_window_s` that lock the account.
    pub lockout_threshold: u32,
    pub lockout_window_s: u64,
    /// How long a lock lasts; an admin can unlock sooner.
    pub lockout_duration_s: u64,
    /// Refuse sign-in (`email_unverified`) until the email is verified.
    pub require_verified_email: bool,
    pub captcha: CaptchaPolicy,
    /// How long a sign-in, registration or recovery flow may take.
    pub flow_lifetime_s: u64,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute_s: u64,
    /// A session ends after this long without use.
    pub session_idle_s: u64,
}

impl Default for SignInPolicy {
    fn default() -> Self {
        SignInPolicy {
            lockout_threshold: 10,
            lockout_window_s: 15 * 60,
            lockout_duration_s: 15 * 60,
            require_verified_email: false,
            captcha: CaptchaPolicy::default(),
            flow_lifetime_s: 15 * 60,
            session_absolute_s: 7 * 24 * 3600,
            session_idle_s: 24 * 3600,
        }
    }
}

/// When sign-in asks for a captcha, and which provider checks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CaptchaPolicy {
    pub mode: CaptchaMode,
    /// With `after_failures`: failed sign-ins from one IP (in the lockout window) before a captcha.
    pub ip_failures: u32,
    /// With `after_failures`: failed sign-ins of one account before a captcha.
    pub account_failures: u32,
    pub provider: CaptchaProvider,
    /// Leading zero bits a proof-of-work solution needs (each bit doubles the work).
    pub pow_difficulty: u8,
}

impl Default for CaptchaPolicy {
    fn default() -> Self {
        CaptchaPolicy {
            mode: CaptchaMode::Off,
            ip_failures: 5,
            account_failures: 3,
            provider: CaptchaProvider::ProofOfWork,
            pow_difficulty: 14,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaMode {
    Off,
    Always,
    AfterFailures,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaptchaProvider {
    /// Built in: the server issues a hash puzzle; no third party involved.
    ProofOfWork,
    /// A siteverify-compatible service (hCaptcha, Turnstile), configured on the instance.
    Siteverify,
}

/// How the tenant's hosted pages look.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Theme {
    pub name: Option<String>,
    pub logo_url: Option<String>,
    /// A CSS hex colour such as `#3b5bdb`.
    pub primary_colour: String,
}

impl Theme {
    /// Adds a message under `{prefix}name` for every field the pages cannot use, the brand
    /// colour's contrast with white included.
    pub fn validate(&self, errors: &mut crate::validate::FieldErrors, prefix: &str) {
        let field = |name: &str| format!("{prefix}{name}");
        let colour = &self.primary_colour;
        match crate::contrast::parse_hex(colour).filter(|_| colour.len() == 7) {
            None => errors.add(&field("primary_colour"), "must be a hex colour such as #3b5bdb"),
            Some(rgb) if crate::contrast::on_white(rgb) < crate::contrast::MIN_ON_WHITE => errors.add(
                &field("primary_colour"),
                format!(
                    "has a contrast of {}:1 with white; the sign-in button's text, links and focus ring need at least \
                     4.5:1 (the same hue at {} would do)",
                    crate::contrast::shown(crate::contrast::on_white(rgb)),
                    crate::contrast::to_hex(crate::contrast::accessible_on_white(rgb)),
                ),
            ),
            Some(_) => {}
        }
        if let Some(logo) = &self.logo_url {
            if !logo.starts_with("https://") || logo.contains(['"', '\'', '<', '>', ' ']) {
                errors.add(&field("logo_url"), "must be an https URL");
            }
        }
        if let Some(name) = &self.name {
            crate::validate::check_name(errors, &field("name"), name, 100);
        }
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme { name: None, logo_url: None, primary_colour: "#3b5bdb".into() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    /// A slug, part of URLs (`/t/{id}/…`) and of the tenant's issuer.
    pub id: String,
    pub display_name: String,
    pub settings: TenantSettings,
    pub meta: Meta,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub tenant_id: String,
    /// Normalised (trimmed, lower-case); unique within the tenant.
    pub email: String,
    pub email_verified: bool,
    pub name: Option<String>,
    pub disabled: bool,
    /// argon2id PHC string; never leaves the domain layer.
    pub password_hash: Option<String>,
    /// An admin (or a breach check) asked for a new password before the next sign-in.
    pub must_reset_password: bool,
    /// A tenant admin's role: their access tokens are accepted by the management API for
    /// this tenant, with what the role allows.
    pub role: Option<AdminRole>,
    /// What Actions stored about the user (`api.user.setAppMetadata`); read-only to the user.
    pub app_metadata: serde_json::Map<String, serde_json::Value>,
    /// The language the user chose for the hosted pages, one of [`UI_LOCALES`]: it wins over
    /// the browser's and the tenant's, not over a client's `ui_locales`.
    pub locale: Option<String>,
    /// OpenID Connect's profile claims beyond `name`.
    pub profile: Profile,
    /// What applications keep about the user that the user may see and change (Auth0's
    /// `user_metadata`); `app_metadata` is the part the user may not change.
    pub user_metadata: serde_json::Map<String, serde_json::Value>,
    /// The user's id in the system they were imported from (Auth0's `user_id`), unique in
    /// the tenant: an import can match on it.
    pub external_id: Option<String>,
    /// Maintained by sign-in with single atomic statements, not by resource updates.
    pub lockout: Lockout,
    pub meta: Meta,
}

/// A user's OpenID Connect profile claims beyond `name` (OIDC Core §5.1), released with
/// the `profile` scope.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// An `https` URL of the user's picture.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
}

impl Profile {
    /// The claims that are set, by their OIDC names.
    pub fn claims(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("nickname", &self.nickname),
            ("picture", &self.picture),
        ]
        .into_iter()
        .filter_map(|(claim, value)| Some((claim, value.as_deref()?)))
    }
}

/// What a tenant admin may do with the management API (and the console) in their tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminRole {
    /// Everything in the tenant, including who else administers it.
    Owner,
    /// Everything in the tenant except changing admins' roles and managing credentials.
    Admin,
    /// Reads everything (never a secret, which no read returns); changes nothing.
    Viewer,
}

impl AdminRole {
    pub const ALL: [AdminRole; 3] = [AdminRole::Owner, AdminRole::Admin, AdminRole::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            AdminRole::Owner => "owner",
            AdminRole::Admin => "admin",
            AdminRole::Viewer => "viewer",
        }
    }

    pub fn parse(text: &str) -> Option<AdminRole> {
        AdminRole::ALL.into_iter().find(|role| role.as_str() == text)
    }

    /// The management scopes the role holds in its tenant.
    pub fn scopes(self) -> Vec<Scope> {
        let tenant_scopes = Scope::ALL.into_iter().filter(|scope| !scope.is_instance_wide());
        match self {
            AdminRole::Owner => tenant_scopes.collect(),
            AdminRole::Admin => tenant_scopes.filter(|scope| *scope != Scope::CredentialsWrite).collect(),
            AdminRole::Viewer => tenant_scopes.filter(|scope| scope.is_read()).collect(),
        }
    }
}

/// Failed-attempt bookkeeping of a user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lockout {
    pub failed_attempts: i64,
    pub window_start: i64,
    /// Milliseconds; locked while in the future.
    pub locked_until: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Runs where a secret cannot be kept (SPA, native app): no secret, PKCE required.
    Public,
    /// Runs on a server: authenticates with a secret.
    Confidential,
}

impl ClientType {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Public => "public",
            ClientType::Confidential => "confidential",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "public" => Some(ClientType::Public),
            "confidential" => Some(ClientType::Confidential),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// The device authorization grant (RFC 8628): TVs, consoles, command-line tools.
    DeviceCode,
    /// Token exchange (RFC 8693): a tenant's API, holding a user's token for it, gets one for
    /// another of the tenant's APIs, acting for the user.
    TokenExchange,
}

impl Grant {
    pub const ALL: [Grant; 5] = [
        Grant::AuthorizationCode,
        Grant::RefreshToken,
        Grant::ClientCredentials,
        Grant::DeviceCode,
        Grant::TokenExchange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Grant::AuthorizationCode => "authorization_code",
            Grant::RefreshToken => "refresh_token",
            Grant::ClientCredentials => "client_credentials",
            Grant::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
            Grant::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Grant::ALL.into_iter().find(|grant| grant.as_str() == value)
    }
}

/// An OAuth client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    /// Also the OAuth `client_id`.
    pub id: String,
    pub tenant_id: String,
    pub name: String,
    pub client_type: ClientType,
    pub redirect_uris: Vec<String>,
    /// Where RP-initiated logout may return the browser to (exact match).
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed_grants: Vec<Grant>,
    pub allowed_scopes: Vec<String>,
    /// First-party applications skip the consent screen.
    pub first_party: bool,
    /// SHA-256 of the client secret (confidential clients only).
    pub secret_digest: Option<String>,
    /// Public JWKS for `private_key_jwt` client authentication (confidential clients).
    pub jwks: Option<serde_json::Value>,
    /// Overrides of the tenant's token lifetimes for this application.
    pub token_settings: ApplicationTokenSettings,
    /// MFA this application asks for on top of the tenant's policy (it can only raise it):
    /// enforced when the application requests authorization, as a step-up.
    pub mfa: Option<crate::mfa::MfaMode>,
    /// Authorization requests must be pushed first (RFC 9126): the authorization endpoint
    /// takes only a `request_uri` from the pushed authorization request endpoint.
    pub require_par: bool,
    /// Tokens must be bound to the client's key with DPoP (RFC 9449 §5.2): a token request
    /// without a proof is refused.
    pub dpop_bound_access_tokens: bool,
    /// Where logout tokens are posted when a session that signed in to this application
    /// ends (OpenID Connect Back-Channel Logout 1.0).
    pub backchannel_logout_uri: Option<String>,
    /// Where the end-session page loads an iframe (with `iss` and `sid`) when a session that
    /// signed in to this application ends there (OpenID Connect Front-Channel Logout 1.0).
    pub frontchannel_logout_uri: Option<String>,
    /// Whether it signs users in to organizations (`organization=`, the hosted picker).
    pub organization_usage: crate::organizations::OrganizationUsage,
    pub meta: Meta,
}

/// What a management credential may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    TenantsRead,
    TenantsWrite,
    UsersRead,
    UsersWrite,
    ApplicationsRead,
    ApplicationsWrite,
    CredentialsRead,
    CredentialsWrite,
    WebhooksRead,
    WebhooksWrite,
    ActionsRead,
    ActionsWrite,
    LogsRead,
}

impl Scope {
    pub const ALL: [Scope; 13] = [
        Scope::TenantsRead,
        Scope::TenantsWrite,
        Scope::UsersRead,
        Scope::UsersWrite,
        Scope::ApplicationsRead,
        Scope::ApplicationsWrite,
        Scope::CredentialsRead,
        Scope::CredentialsWrite,
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
        Scope::ActionsRead,
        Scope::ActionsWrite,
        Scope::LogsRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::TenantsRead => "tenants:read",
            Scope::TenantsWrite => "tenants:write",
            Scope::UsersRead => "users:read",
            Scope::UsersWrite => "users:write",
            Scope::ApplicationsRead => "applications:read",
            Scope::ApplicationsWrite => "applications:write",
            Scope::CredentialsRead => "credentials:read",
            Scope::CredentialsWrite => "credentials:write",
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
            Scope::ActionsRead => "actions:read",
            Scope::ActionsWrite => "actions:write",
            Scope::LogsRead => "logs:read",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == value)
    }

    /// Scopes that only read.
    pub fn is_read(self) -> bool {
        self.as_str().ends_with(":read")
    }

    /// Scopes that act on the whole instance and cannot be given to a tenant-bound credential.
    pub fn is_instance_wide(self) -> bool {
        matches!(self, Scope::TenantsWrite)
    }
}

/// A bearer credential for the management API. Only the digest of its token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagementCredential {
    pub id: String,
    /// `None`: every tenant (the bootstrap credential); `Some`: that tenant only.
    pub tenant_id: Option<String>,
    pub name: String,
    pub scopes: Vec<Scope>,
    pub token_digest: String,
    pub meta: Meta,
}

impl ManagementCredential {
    pub fn has_scope(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    pub fn can_access_tenant(&self, tenant_id: &str) -> bool {
        self.tenant_id.as_deref().is_none_or(|own| own == tenant_id)
    }
}
