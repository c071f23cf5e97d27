//! The device authorization grant (RFC 8628): a device without a browser (a TV, a console,
//! a command-line tool) gets a device code to poll with and a short user code; the person
//! signs in on another screen, checks the code and approves; the device's next poll gets
//! the tokens, once.

use intelliauth_catalogue::Code;
use intelliauth_core::actions::{CustomClaims, Reuse};
use intelliauth_core::apis::access::split_scopes;
use intelliauth_core::auth::{ClientContext, ACR_MULTI_FACTOR};
use intelliauth_core::mfa::MfaMode;
use intelliauth_core::model::{Application, Grant, Tenant};
use intelliauth_core::ports::{DeviceCodeRecord, DeviceStatus};
use intelliauth_core::{ids, paths, secret, Error, Refusal, Result};
use rand::Rng;

use crate::authorize::{Granted, SessionInfo};
use crate::client_auth::ClientCredentials;
use crate::exchange::{invalid_grant, redeemed};
use crate::provider::{Oidc, TokenRequest, TokenResponse};

/// How long a device code lives: enough to find a phone and sign in (RFC 8628 suggests minutes).
const LIFETIME_S: i64 = 600;
/// The polling interval the device is given; `slow_down` adds five seconds (§3.5).
const INTERVAL_S: i64 = 5;
/// User codes: consonants only (no words, no vowels to misread), eight of them — 20^8 ≈
/// 2.6 × 10^10, with attempts rate limited per address (§5.1).
const ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH: usize = 8;

/// The device authorization response (§3.2).
#[derive(Debug, Clone)]
pub struct DeviceAuthorization {
    pub device_code: String,
    /// As shown to the person: `BCDF-GHJK`.
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// A pending device authorization, as the approval page shows it.
#[derive(Debug, Clone)]
pub struct DeviceRequest {
    pub user_code: String,
    pub application: Application,
    pub scopes: Vec<String>,
    /// The API the tokens are for (its identifier), as the device asked.
    pub audience: Option<String>,
}

/// What a device asks for: scopes and, as an authorization request may, an API (`audience`
/// or RFC 8707's `resource`).
#[derive(Debug, Clone, Default)]
pub struct DeviceAsk {
    pub scope: Option<String>,
    pub audience: Option<String>,
    pub resource: Option<String>,
}

/// The user code as typed (any case, dashes or spaces) in its stored form.
pub fn normalize_user_code(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).take(32).collect()
}

fn display_user_code(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// The device asks for more than the session's sign-in: sign in with a second factor first.
fn step_up_needed() -> Error {
    Error::new(Code::StepUpRequired).with_detail("acr_values", ACR_MULTI_FACTOR)
}

fn expired() -> Error {
    Error::new(Code::ExpiredToken).with_refusal(Refusal::ExpiredToken)
}

impl Oidc {
    /// Starts a device authorization for the client: its scopes checked as an authorization
    /// request's, with the API it names, if any.
    pub async fn device_authorization(
        &self,
        tenant_id: &str,
        client: ClientCredentials,
        ask: DeviceAsk,
    ) -> Result<DeviceAuthorization> {
        self.tenant(tenant_id).await?;
        let application = self.authenticate_client(tenant_id, &client).await?;
        if !application.allowed_grants.contains(&Grant::DeviceCode) {
            return Err(Error::new(Code::UnauthorizedClient)
                .with_refusal(Refusal::ClientNotAllowed)
                .with_detail("grant_type", Grant::DeviceCode.as_str()));
        }
        let requested: Vec<String> = match &ask.scope {
            Some(scope) => scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            None => vec!["openid".to_owned()],
        };
        let audience = crate::resource::one_audience(ask.audience.as_deref(), ask.resource.as_deref())?;
        let api = self.requested_api(tenant_id, &application, audience, || requested.clone()).await?;
        let scopes = match &api {
            Some(api) => {
                let (mut oidc, permissions) = split_scopes(api, &application, &requested)?;
                oidc.extend(permissions);
                oidc
            }
            None => {
                let refused: Vec<&str> = requested
                    .iter()
                    .filter(|scope| !application.allowed_scopes.contains(scope))
                    .map(String::as_str)
                    .collect();
                if !refused.is_empty() {
                    return Err(Error::new(Code::InvalidScope)
                        .with_refusal(Refusal::BadScope)
                        .with_detail("scopes", refused));
                }
                let mut scopes: Vec<String> = Vec::new();
                for scope in requested {
                    if !scopes.contains(&scope) {
                        scopes.push(scope);
                    }
                }
                scopes
            }
        };
        let device_code = secret::generate("iad_");
        let user_code: String = {
            let mut rng = rand::thread_rng();
            (0..USER_CODE_LENGTH).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect()
        };
        let now = ids::now_ms();
        let record = DeviceCodeRecord {
            device_digest: secret::digest(&device_code),
            user_code: user_code.clone(),
            tenant_id: tenant_id.to_owned(),
            client_id: application.id.clone(),
            scope: scopes.join(" "),
            audience: api.map(|api| api.identifier),
            created_at: now,
            expires_at: now + LIFETIME_S * 1000,
            interval_s: INTERVAL_S,
            polled_at: 0,
            status: DeviceStatus::Pending,
            user_id: None,
            grant_data: None,
        };
        self.authorizations.insert_device_code(&record).await?;
        let verification_uri = self.endpoint(paths::DEVICE, tenant_id);
        let shown = display_user_code(&user_code);
        Ok(DeviceAuthorization {
            device_code,
            verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
            verification_uri,
            user_code: shown,
            expires_in: LIFETIME_S,
            interval: INTERVAL_S,
        })
    }

    /// The pending authorization a typed user code names, for the approval page;
    /// `expired_token` for a code that is unknown, decided or past its lifetime.
    pub async fn device_request(&self, tenant_id: &str, typed: &str) -> Result<DeviceRequest> {
        let user_code = normalize_user_code(typed);
        let record = match self.authorizations.device_code_by_user_code(tenant_id, &user_code).await? {
            Some(record) if record.status == DeviceStatus::Pending && record.expires_at > ids::now_ms() => record,
            _ => return Err(expired()),
        };
        let application = self.application(tenant_id, &record.client_id).await?.ok_or_else(expired)?;
        Ok(DeviceRequest {
            user_code: display_user_code(&user_code),
            application,
            scopes: record.scope.split(' ').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
            audience: record.audience,
        })
    }

    /// The signed-in person's answer for the device: approved, the grant records the session
    /// (and what post-login Actions set for this application); denied, the device's next
    /// poll is `access_denied`.
    pub async fn decide_device(
        &self,
        tenant_id: &str,
        typed: &str,
        session: SessionInfo,
        approve: bool,
        client: &ClientContext,
    ) -> Result<()> {
        let request = self.device_request(tenant_id, typed).await?;
        let user_code = normalize_user_code(typed);
        let now = ids::now_ms();
        if !approve {
            return match self.authorizations.decide_device_code(tenant_id, &user_code, None, now).await? {
                true => Ok(()),
                false => Err(expired()),
            };
        }
        let application = &request.application;
        // The application's MFA policy holds here as at the authorization endpoint.
        let requires_second_factor = match application.mfa {
            Some(MfaMode::Required) => true,
            Some(MfaMode::Optional) => {
                self.mfa.user_factors(&session.user_id).await?.iter().any(|factor| factor.confirmed_at.is_some())
            }
            Some(MfaMode::Off) | None => false,
        };
        if requires_second_factor && intelliauth_core::auth::acr_for(&session.amr) != ACR_MULTI_FACTOR {
            return Err(step_up_needed());
        }
        let custom_claims = match &self.session_reuse {
            None => CustomClaims::default(),
            Some(hook) => {
                match hook
                    .reuse_session(
                        tenant_id,
                        &session.user_id,
                        &session.amr,
                        intelliauth_core::actions::SigningInTo {
                            application,
                            audience: request.audience.as_deref(),
                            organization: None,
                        },
                        client,
                    )
                    .await?
                {
                    Reuse::Proceed(claims) => claims.unwrap_or_default(),
                    Reuse::NeedsSecondFactor => return Err(step_up_needed()),
                }
            }
        };
        let granted = Granted {
            redirect_uri: String::new(),
            scope: request.scopes.join(" "),
            nonce: None,
            code_challenge: String::new(),
            auth_time: session.auth_time_ms / 1000,
            session_id: session.session_id.clone(),
            acr: intelliauth_core::auth::acr_for(&session.amr).into(),
            amr: session.amr.clone(),
            custom_claims,
            audience: request.audience.clone(),
            dpop_jkt: None,
            organization: None,
        };
        let grant_data = serde_json::to_string(&granted).map_err(Error::internal)?;
        let approved = Some((session.user_id.as_str(), grant_data.as_str()));
        match self.authorizations.decide_device_code(tenant_id, &user_code, approved, now).await? {
            true => Ok(()),
            false => Err(expired()),
        }
    }

    /// The device polls (§3.4, §3.5): pending, too fast, expired, denied — or, once, the tokens.
    pub(crate) async fn exchange_device_code(
        &self,
        tenant: &Tenant,
        application: &Application,
        request: TokenRequest,
        key: Option<&str>,
    ) -> Result<TokenResponse> {
        let device_code = redeemed(application, Grant::DeviceCode, request.device_code.as_deref(), "device_code")?;
        let digest = secret::digest(device_code);
        let now = ids::now_ms();
        let record = self.authorizations.poll_device_code(&digest, now).await?;
        let record = match record {
            Some(record) if record.tenant_id == tenant.id && record.client_id == application.id => record,
            _ => return Err(invalid_grant("the device code is unknown or was issued to another client")),
        };
        if now >= record.expires_at {
            return Err(expired());
        }
        match record.status {
            DeviceStatus::Denied => {
                return Err(Error::new(Code::AccessDenied).with_refusal(Refusal::Denied));
            }
            DeviceStatus::Used => return Err(invalid_grant("the device code was already used")),
            DeviceStatus::Pending if now - record.polled_at < record.interval_s * 1000 => {
                return Err(Error::new(Code::SlowDown)
                    .with_refusal(Refusal::SlowDown)
                    .with_detail("interval", record.interval_s + 5));
            }
            DeviceStatus::Pending => {
                return Err(Error::new(Code::AuthorizationPending)
                    .with_refusal(Refusal::AuthorizationPending)
                    .with_detail("interval", record.interval_s));
            }
            DeviceStatus::Approved => {}
        }
        let mut granted: Granted =
            serde_json::from_str(record.grant_data.as_deref().unwrap_or_default()).map_err(Error::internal)?;
        // Naming another API is the client's mistake: the code stays for its right request.
        crate::resource::same_audience(request.audience.as_deref(), granted.audience.as_deref())?;
        if !self.authorizations.use_device_code(&digest).await? {
            return Err(invalid_grant("the device code was already used"));
        }
        let user_id = record.user_id.clone().unwrap_or_default();
        let user = match self.store.get_user(&tenant.id, &user_id).await? {
            Some(user) if !user.disabled => user,
            _ => return Err(invalid_grant("the user can no longer sign in")),
        };
        crate::dpop::bind_grant(&mut granted, application, key)?;
        let settings = tenant.settings.oauth.for_application(&application.token_settings);
        let grant_id = ids::new_id("rtf");
        let grant = (grant_id.as_str(), now + settings.refresh_absolute_s as i64 * 1000);
        Ok(self.issue_tokens(tenant, application, &user, &granted, (grant, key)).await?.response)
    }
}
