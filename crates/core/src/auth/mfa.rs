//! The second step of sign-in: after the password, ask for a factor the user enrolled
//! (`mfa_required`), or have them enrol one first when the tenant requires MFA
//! (`mfa_enrolment_required`); then verify a TOTP or backup code and finish the sign-in.
//! Also the signed-in user's own factors, and an admin's reset.

use intelliauth_catalogue::Code;
use serde_json::json;

use super::flows::{CsrfProof, FlowKind, StartedFlow};
use super::login::SignedIn;
use super::{Auth, ClientContext};
use crate::error::DomainCopy;
use crate::events::{Event, EventType};
use crate::mfa::{backup, totp, Factor, FactorKind, MfaMode};
use crate::model::{Tenant, User};
use crate::ports::{AttemptSubject, FailurePolicy, FlowRecord, Reservation};
use crate::{ids, Error, Result};

/// The login flow's step while it waits for a second factor.
pub const STEP_MFA: &str = "mfa";
/// The login flow's step while the user enrols their first factor.
pub const STEP_ENROL: &str = "mfa_enrolment";

/// Authentication methods references (RFC 8176) and the levels they reach.
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
pub const AMR_SMS: &str = "sms";
pub const ACR_SINGLE_FACTOR: &str = "urn:intelliauth:loa:1";
pub const ACR_MULTI_FACTOR: &str = "urn:intelliauth:loa:2";

/// The level of assurance the methods used reach.
pub fn acr_for(amr: &[String]) -> &'static str {
    if amr.len() > 1 {
        ACR_MULTI_FACTOR
    } else {
        ACR_SINGLE_FACTOR
    }
}

/// What the user typed at the MFA step.
#[derive(Debug, Clone)]
pub enum SecondFactor {
    Totp(String),
    BackupCode(String),
    /// A code texted with [`Auth::send_flow_sms`].
    Sms(String),
    /// A passkey's assertion for the ceremony of [`Auth::start_flow_passkey`].
    Webauthn {
        ceremony_id: String,
        response: serde_json::Value,
    },
}

/// A sign-in finished by its second factor. `backup_codes` are shown once, after enrolment.
#[derive(Debug, Clone)]
pub struct MfaSignedIn {
    pub signed_in: SignedIn,
    pub backup_codes: Option<Vec<String>>,
}

/// A TOTP factor waiting for its first code.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub factor_id: String,
    /// Base32, for typing into an authenticator app.
    pub secret: String,
    pub otpauth_uri: String,
}

/// What a user has enrolled, as `mfa_required` lists it.
pub fn enrolled_kinds(factors: &[Factor], backup_codes_left: i64) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for factor in factors.iter().filter(|f| f.confirmed_at.is_some()) {
        if !kinds.contains(&factor.kind.as_str()) {
            kinds.push(factor.kind.as_str());
        }
    }
    if !kinds.is_empty() && backup_codes_left > 0 {
        kinds.push("backup_code");
    }
    kinds
}

fn totp_invalid() -> Error {
    Error::new(Code::TotpInvalid)
}

fn flow_invalid() -> Error {
    Error::new(Code::FlowInvalid).with_detail("flow", "login")
}

/// A second factor is due: the flow waits at its MFA step, or (`enrol`) at enrolment when
/// the user has none and one is required.
#[derive(Debug, Clone)]
pub struct SecondFactorDue {
    pub flow_id: String,
    pub enrol: bool,
    /// The kinds the user can answer with (at the MFA step).
    pub factors: Vec<&'static str>,
}

impl SecondFactorDue {
    /// `mfa_required`, or `mfa_enrolment_required`.
    pub fn code(&self) -> Code {
        if self.enrol {
            Code::MfaEnrolmentRequired
        } else {
            Code::MfaRequired
        }
    }
}

/// How clients that read codes (the JSON API) learn of it: the catalogue error, with the
/// flow and the step to continue at.
impl From<SecondFactorDue> for Error {
    fn from(due: SecondFactorDue) -> Error {
        let error = Error::new(due.code()).with_detail("flow_id", due.flow_id);
        if due.enrol {
            error.with_detail("step", STEP_ENROL).with_detail("enrol", json!(["totp"]))
        } else {
            error.with_detail("step", STEP_MFA).with_detail("factors", json!(due.factors))
        }
    }
}

impl Auth {
    /// After a correct password: `None` when no second factor is needed, otherwise the
    /// flow moved to its MFA step.
    pub(super) async fn second_factor_gate(
        &self,
        tenant: &Tenant,
        flow: &FlowRecord,
        user: &User,
    ) -> Result<Option<SecondFactorDue>> {
        let mode = tenant.settings.mfa.mode;
        if mode == MfaMode::Off {
            return Ok(None);
        }
        self.second_factor_challenge(flow, user, mode == MfaMode::Required).await
    }

    /// Moves the flow to its MFA step (or, when `required` and the user has no factor, to
    /// enrolment) and says so; `None` when nothing is enrolled and nothing is required.
    pub(super) async fn second_factor_challenge(
        &self,
        flow: &FlowRecord,
        user: &User,
        required: bool,
    ) -> Result<Option<SecondFactorDue>> {
        let factors = self.enrolled_methods(&user.id).await?;
        let enrol = factors.is_empty();
        if enrol && !required {
            return Ok(None);
        }
        let step = if enrol { STEP_ENROL } else { STEP_MFA };
        self.auth_store.advance_flow(&flow.id, step, &user.id, &[AMR_PASSWORD.to_owned()]).await?;
        Ok(Some(SecondFactorDue { flow_id: flow.id.clone(), enrol, factors }))
    }

    /// Step-up: a browser flow that asks the signed-in user for a second factor (or has
    /// them enrol one) and then returns to `return_to` with a multi-factor session.
    pub async fn start_step_up(
        &self,
        tenant_id: &str,
        session_token: Option<&str>,
        return_to: &str,
        existing_csrf: Option<&str>,
    ) -> Result<StartedFlow> {
        let (session, user) = self.session(tenant_id, session_token).await?;
        let started = self
            .start_flow_with_csrf(tenant_id, FlowKind::Login, STEP_MFA, true, Some(return_to), existing_csrf)
            .await?;
        let step = if self.enrolled_methods(&user.id).await?.is_empty() { STEP_ENROL } else { STEP_MFA };
        self.auth_store.advance_flow(&started.flow.id, step, &user.id, &session.record.amr).await?;
        Ok(started)
    }

    /// The methods the user can present at the MFA step, as `mfa_required` lists them.
    pub(super) async fn enrolled_methods(&self, user_id: &str) -> Result<Vec<&'static str>> {
        let factors = self.mfa_store.user_factors(user_id).await?;
        let left = self.mfa_store.unused_backup_codes(user_id).await?;
        Ok(enrolled_kinds(&factors, left))
    }

    /// The flow at one of `steps` and the user who passed its password step.
    pub(super) async fn mfa_flow(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        steps: &[&str],
    ) -> Result<(FlowRecord, User)> {
        let flow = self.load_flow(tenant_id, flow_id, FlowKind::Login, proof).await?;
        let user_id = flow.user_id.clone().filter(|_| steps.contains(&flow.step.as_str())).ok_or_else(flow_invalid)?;
        let user = self.store.get_user(tenant_id, &user_id).await?.ok_or_else(flow_invalid)?;
        if user.disabled {
            return Err(Error::new(Code::AccountDisabled));
        }
        Ok((flow, user))
    }

    /// Starts TOTP enrolment during a sign-in that requires MFA.
    pub async fn enrol_totp_in_flow(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
    ) -> Result<TotpEnrolment> {
        let (_, user) = self.mfa_flow(tenant_id, flow_id, proof, &[STEP_ENROL]).await?;
        self.start_totp_enrolment(&user).await
    }

    /// A new unconfirmed TOTP factor for `user`, sealed at rest.
    pub async fn start_totp_enrolment(&self, user: &User) -> Result<TotpEnrolment> {
        let mut seed = [0u8; totp::SECRET_BYTES];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let mut factor = Factor::pending(&user.id, &user.tenant_id, FactorKind::Totp, "Authenticator app".into());
        factor.secret_sealed = Some(self.instance_key.seal(&seed, &factor.id));
        self.mfa_store.insert_factor(&factor).await?;
        let issuer = self.tenant(&user.tenant_id).await?.display_name;
        Ok(TotpEnrolment {
            factor_id: factor.id,
            secret: totp::base32(&seed),
            otpauth_uri: totp::otpauth_uri(&issuer, &user.email, &seed),
        })
    }

    fn totp_seed(&self, factor: &Factor) -> Result<Vec<u8>> {
        let sealed = factor.secret_sealed.as_deref().ok_or_else(|| Error::internal("TOTP factor without a seed"))?;
        self.instance_key.open(sealed, &factor.id).map_err(Error::internal)
    }

    /// Confirms the user's pending TOTP factor with its first code; returns fresh backup
    /// codes when the user had none.
    pub async fn confirm_totp(&self, user: &User, code: &str) -> Result<Option<Vec<String>>> {
        let now = ids::now_ms();
        let factors = self.mfa_store.user_factors(&user.id).await?;
        let pending = factors
            .iter()
            .rev()
            .find(|f| f.kind == FactorKind::Totp && f.confirmed_at.is_none())
            .ok_or_else(|| Error::new(Code::FlowInvalid).with_copy(DomainCopy::TotpSetUpAgain))?;
        let step = totp::verify(&self.totp_seed(pending)?, code, now / 1000, None).ok_or_else(totp_invalid)?;
        let enrolled = Event::new(
            &user.tenant_id,
            EventType::UserMfaEnrolled,
            json!({ "user_id": user.id, "factor_id": pending.id, "factor": "totp" }),
        );
        if !self.mfa_store.confirm_factor(pending, step, now, &[enrolled]).await? {
            return Err(totp_invalid());
        }
        self.first_backup_codes(&user.id).await
    }

    /// Ten backup codes when the user has none left (their first factor), else `None`.
    pub(super) async fn first_backup_codes(&self, user_id: &str) -> Result<Option<Vec<String>>> {
        if self.mfa_store.unused_backup_codes(user_id).await? > 0 {
            return Ok(None);
        }
        Ok(Some(self.regenerate_backup_codes(user_id).await?))
    }

    /// Replaces every backup code of the user with ten new ones, shown once.
    pub async fn regenerate_backup_codes(&self, user_id: &str) -> Result<Vec<String>> {
        let codes = backup::generate();
        let digests: Vec<String> = codes.iter().map(|code| backup::digest(code)).collect();
        self.mfa_store.replace_backup_codes(user_id, &digests, ids::now_ms()).await?;
        Ok(codes)
    }

    /// Checks a code against the user's confirmed factors; `Ok(false)` when it is wrong.
    async fn second_factor_ok(&self, user: &User, answer: &SecondFactor) -> Result<bool> {
        let now = ids::now_ms();
        match answer {
            SecondFactor::Totp(code) => {
                let factors = self.mfa_store.user_factors(&user.id).await?;
                for factor in factors.iter().filter(|f| f.kind == FactorKind::Totp && f.confirmed_at.is_some()) {
                    let seed = self.totp_seed(factor)?;
                    if let Some(step) = totp::verify(&seed, code, now / 1000, factor.last_used_step) {
                        // Two requests racing with one code: only one records the step.
                        return Ok(self.mfa_store.use_totp_step(&factor.id, step, now).await?);
                    }
                }
                Ok(false)
            }
            SecondFactor::BackupCode(code) => {
                Ok(self.mfa_store.use_backup_code(&user.id, &backup::digest(code), now).await?)
            }
            SecondFactor::Sms(code) => self.sms_code_ok(user, code).await,
            SecondFactor::Webauthn { .. } => Ok(false),
        }
    }

    /// The MFA step of a sign-in: a code from an enrolled factor (or, while enrolling, the
    /// new authenticator's first code) finishes the flow with a multi-factor session.
    pub async fn submit_second_factor(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        answer: SecondFactor,
        previous_session: Option<&str>,
        client: ClientContext,
    ) -> Result<MfaSignedIn> {
        let (flow, user) = self.mfa_flow(tenant_id, flow_id, proof, &[STEP_MFA, STEP_ENROL]).await?;
        let step = flow.step.as_str();
        let tenant = self.tenant(tenant_id).await?;
        if let Some(locked) = super::login::locked_out(&user, ids::now_ms()) {
            return Err(locked);
        }
        // A code is counted before it is checked, as a password is: concurrent guesses past
        // the threshold are refused unchecked. A passkey ceremony is not a guess at a secret.
        if !matches!(answer, SecondFactor::Webauthn { .. }) {
            let policy = FailurePolicy::for_sign_in(&tenant.settings.sign_in, ids::now_ms());
            let subject = AttemptSubject::User(&user.id);
            if let Reservation::Refused { locked_until } =
                self.auth_store.reserve_sign_in_attempt(subject, policy).await?
            {
                let details = json!({ "email": user.email, "reason": "second_factor" });
                self.log_refused_attempt(&tenant.id, Some(user.id.clone()), details).await?;
                return Err(super::login::refused_attempt(locked_until, policy));
            }
        }
        let wrong = |answer: &SecondFactor| match answer {
            SecondFactor::Totp(_) => totp_invalid(),
            // Each code works once: a used one is as wrong as a mistyped one, and says so.
            SecondFactor::BackupCode(_) => Error::new(Code::BackupCodeInvalid).with_detail("single_use", true),
            SecondFactor::Sms(_) => super::sms::sms_code_invalid(),
            SecondFactor::Webauthn { .. } => Error::new(Code::WebauthnFailed),
        };
        let (backup_codes, method) = if step == STEP_ENROL {
            let SecondFactor::Totp(code) = &answer else { return Err(totp_invalid()) };
            match self.confirm_totp(&user, code).await {
                Ok(codes) => (codes, AMR_OTP),
                Err(error) if error.code == Code::TotpInvalid => {
                    self.count_failed_factor(&tenant, &user, &client, error.code).await?;
                    return Err(error);
                }
                Err(error) => return Err(error),
            }
        } else if let SecondFactor::Webauthn { ceremony_id, response } = &answer {
            // A failed ceremony is not a guess at a secret: it does not count towards the lockout.
            self.passkey_ok(&user, ceremony_id, response).await??;
            (None, super::passkeys::AMR_HARDWARE_KEY)
        } else {
            if !self.second_factor_ok(&user, &answer).await? {
                // Six digits are guessable: wrong codes count towards the lockout like
                // wrong passwords.
                let wrong = wrong(&answer);
                self.count_failed_factor(&tenant, &user, &client, wrong.code).await?;
                return Err(wrong);
            }
            (None, if matches!(answer, SecondFactor::Sms(_)) { AMR_SMS } else { AMR_OTP })
        };
        self.auth_store.clear_failed_sign_ins(&user.id).await?;
        let mut amr = flow.amr.clone();
        if !amr.iter().any(|m| m == method) {
            amr.push(method.to_owned());
        }
        let signed_in = self.complete_sign_in(&tenant, flow, user, amr, &client, previous_session).await?;
        Ok(MfaSignedIn { signed_in: signed_in.map_err(Error::from)?, backup_codes })
    }

    async fn count_failed_factor(
        &self,
        tenant: &Tenant,
        user: &User,
        client: &ClientContext,
        code: Code,
    ) -> Result<()> {
        let policy = &tenant.settings.sign_in;
        let failure = FailurePolicy::for_sign_in(policy, ids::now_ms());
        let failed = Event::new(
            &tenant.id,
            EventType::UserLoginFailed,
            json!({ "user_id": user.id, "email": user.email, "ip": client.ip.to_string(), "reason": "second_factor",
                    "code": code.as_str() }),
        );
        let locked = Event::user_locked(user, policy.lockout_duration_s);
        // Settles the attempt reserved before the code was checked.
        let subject = AttemptSubject::User(&user.id);
        Ok(self.auth_store.settle_failed_sign_in(subject, failure, &[failed], Some(&locked)).await?)
    }

    /// The user's confirmed factors and how many backup codes are left.
    pub async fn factors(&self, user_id: &str) -> Result<(Vec<Factor>, i64)> {
        let factors = self.mfa_store.user_factors(user_id).await?;
        let confirmed = factors.into_iter().filter(|f| f.confirmed_at.is_some()).collect();
        Ok((confirmed, self.mfa_store.unused_backup_codes(user_id).await?))
    }

    /// The signed-in user removes one of their factors. Under a required policy the last
    /// one stays; removing the last one also removes the backup codes.
    pub async fn remove_own_factor(&self, tenant: &Tenant, user: &User, factor_id: &str) -> Result<()> {
        let (factors, _) = self.factors(&user.id).await?;
        if !factors.iter().any(|f| f.id == factor_id) {
            return Err(Error::not_found("factor"));
        }
        if factors.len() == 1 && tenant.settings.mfa.mode == MfaMode::Required {
            return Err(Error::new(Code::PermissionDenied)
                .with_copy(DomainCopy::LastFactor)
                .with_detail("reason", "last_factor_required"));
        }
        if factors.len() == 1 {
            self.mfa_store.delete_user_factors(&user.id).await?;
        } else {
            self.mfa_store.delete_factor(&user.id, factor_id).await?;
        }
        Ok(())
    }

    /// An admin removes every factor of a user (a lost phone); the next sign-in enrols again
    /// when the tenant requires MFA.
    pub async fn reset_factors(&self, tenant_id: &str, user_id: &str) -> Result<u64> {
        self.store.get_user(tenant_id, user_id).await?.ok_or_else(|| Error::not_found("user"))?;
        Ok(self.mfa_store.delete_user_factors(user_id).await?)
    }
}
