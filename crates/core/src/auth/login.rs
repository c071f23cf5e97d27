//! Password sign-in: captcha → password (one argon2 verification whether or not the email
//! exists) → account checks → session.

use intelliauth_catalogue::Code;

use super::captcha::CaptchaDue;
use super::flows::{CsrfProof, FlowKind};
use super::mfa::SecondFactorDue;
use super::session::ActiveSession;
use super::{Auth, ClientContext};
use crate::events::{Event, EventType};
use crate::log::LogEntry;
use crate::model::User;
use crate::password::MAX_PASSWORD_BYTES;
use crate::ports::{AttemptSubject, FailurePolicy, Reservation};
use crate::validate::normalize_email;
use crate::{ids, secret, Error, Result};
use serde_json::json;

#[derive(Debug, Clone, Default)]
pub struct SignIn {
    pub email: String,
    pub password: String,
    /// A proof-of-work answer (`<id>:<solution>`) or a siteverify response token.
    pub captcha: Option<String>,
    /// The session this browser had before; it is ended so the session id rotates.
    pub previous_session: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: ActiveSession,
    pub user: User,
    pub return_to: Option<String>,
}

/// What the password step decided, short of a refusal (a wrong password, a lock, a
/// disabled account … stay errors). The hosted pages and the JSON API each render it.
#[derive(Debug)]
pub enum SignInStep {
    SignedIn(Box<SignedIn>),
    /// A second factor is due: the flow waits at its MFA (or enrolment) step.
    SecondFactor(SecondFactorDue),
    /// The password must be replaced before signing in: a reset ticket for it, and the
    /// link that uses it.
    MustResetPassword {
        ticket: String,
        reset_url: String,
    },
    /// A person must be shown first.
    Captcha(CaptchaDue),
}

impl SignInStep {
    /// The catalogue code of a step short of a session.
    pub fn code(&self) -> Option<Code> {
        match self {
            SignInStep::SignedIn(_) => None,
            SignInStep::SecondFactor(due) => Some(due.code()),
            SignInStep::MustResetPassword { .. } => Some(Code::PasswordMustBeReset),
            SignInStep::Captcha(_) => Some(Code::CaptchaRequired),
        }
    }

    /// For clients that read codes (the JSON API): the session, or the catalogue error
    /// that names the step, with what the client needs to take it.
    pub fn into_signed_in(self) -> Result<SignedIn> {
        match self {
            SignInStep::SignedIn(signed_in) => Ok(*signed_in),
            SignInStep::SecondFactor(due) => Err(due.into()),
            SignInStep::MustResetPassword { ticket, reset_url } => Err(Error::new(Code::PasswordMustBeReset)
                .with_detail("reset_url", reset_url)
                .with_detail("reset_ticket", ticket)),
            SignInStep::Captcha(due) => Err(due.into()),
        }
    }
}

fn seconds_until(deadline_ms: i64, now: i64) -> u64 {
    // Round up so a client that waits this long finds the lock gone.
    ((deadline_ms - now).max(0) as u64).div_ceil(1000).max(1)
}

/// `account_locked` for an attempt the store refused to admit. Refused before any lock
/// exists (attempts in flight fill the threshold), the lock those attempts are about to
/// cause is the wait to expect.
pub(super) fn refused_attempt(locked_until: i64, policy: FailurePolicy) -> Error {
    let until = if locked_until > policy.now { locked_until } else { policy.now + policy.lock_ms };
    Error::new(Code::AccountLocked).with_retry_after(seconds_until(until, policy.now))
}

/// `account_locked` with the seconds to wait, if the account is locked at `now`.
pub(super) fn locked_out(user: &User, now: i64) -> Option<Error> {
    (user.lockout.locked_until > now)
        .then(|| Error::new(Code::AccountLocked).with_retry_after(seconds_until(user.lockout.locked_until, now)))
}

impl Auth {
    /// The password step of a sign-in. Every outcome is in the tenant log: success, wrong
    /// passwords and locks with the changes they make, and here the rest (a disabled
    /// account, an unverified email, a second factor asked for, an Action's refusal).
    pub async fn sign_in(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        input: SignIn,
        client: ClientContext,
    ) -> Result<SignInStep> {
        let email = normalize_email(&input.email);
        let outcome = self.decide_sign_in(tenant_id, flow_id, proof, input, client).await;
        let unlogged = match &outcome {
            Ok(step) => step.code().map(|code| (code, None)),
            Err(error) => Some((error.code, error.details.get("reason"))),
        };
        if let Some((code, reason)) = unlogged {
            // The caller gets the decision even if the log could not take it.
            if let Err(failure) = self.log_sign_in_outcome(tenant_id, &email, code, reason).await {
                tracing::warn!(error = %failure, code = code.as_str(), "the tenant log missed a sign-in outcome");
            }
        }
        outcome
    }

    async fn log_sign_in_outcome(
        &self,
        tenant_id: &str,
        email: &str,
        code: Code,
        reason: Option<&serde_json::Value>,
    ) -> Result<()> {
        let kind = match code {
            // Logged with the change they make, or not decisions about this sign-in at all
            // (an unknown tenant or flow, the database away).
            Code::InvalidCredentials | Code::AccountLocked | Code::NotFound => return Ok(()),
            _ if code.http_status() >= 500 && code != Code::StepError => return Ok(()),
            Code::MfaRequired | Code::MfaEnrolmentRequired => "user.login.challenged",
            _ => EventType::UserLoginFailed.as_str(),
        };
        let user_id = match email {
            "" => None,
            email => self.auth_store.user_by_email(tenant_id, email).await?.map(|user| user.id),
        };
        let details = json!({ "email": email, "reason": reason });
        let entry = LogEntry::new(tenant_id, kind, code.as_str(), details).with_user(user_id);
        Ok(self.log.append_log(&entry).await?)
    }

    async fn decide_sign_in(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        input: SignIn,
        client: ClientContext,
    ) -> Result<SignInStep> {
        let flow = self.load_flow(tenant_id, flow_id, FlowKind::Login, proof).await?;
        let tenant = self.tenant(tenant_id).await?;
        let email = normalize_email(&input.email);
        let user = if email.is_empty() || email.len() > 254 {
            None
        } else {
            self.auth_store.user_by_email(tenant_id, &email).await?
        };

        if self.captcha_needed(&tenant, user.as_ref(), &client).await {
            match input.captcha.as_deref().filter(|answer| !answer.is_empty()) {
                None => return Ok(SignInStep::Captcha(self.captcha_due(&tenant, false).await?)),
                Some(answer) if !self.captcha_solved(&tenant, answer, &client).await? => {
                    return Ok(SignInStep::Captcha(self.captcha_due(&tenant, true).await?))
                }
                Some(_) => {}
            }
        }

        // The attempt is counted before the password is checked: once the subject is locked
        // (or concurrent guesses have taken the count past the threshold) every attempt is
        // refused unchecked, with the same answer whatever the password.
        let digest = secret::digest(&email);
        let user_id = user.as_ref().map(|user| user.id.clone());
        let subject = match &user_id {
            Some(user_id) => AttemptSubject::User(user_id),
            None => AttemptSubject::Unknown { tenant_id: &tenant.id, email_digest: &digest },
        };
        let policy = FailurePolicy::for_sign_in(&tenant.settings.sign_in, ids::now_ms());
        if let Reservation::Refused { locked_until } = self.auth_store.reserve_sign_in_attempt(subject, policy).await? {
            self.count_ip_failure(&tenant.id, client.ip).await;
            let details = json!({ "email": email, "reason": "password" });
            self.log_refused_attempt(&tenant.id, user_id.clone(), details).await?;
            return Err(refused_attempt(locked_until, policy));
        }

        // Exactly one argon2 verification on every other path, so timing does not tell
        // whether the account exists.
        let mut stored_hash = user.as_ref().and_then(|user| user.password_hash.clone());
        let mut user = user;
        let migrates = user.is_none() && self.migrates(&tenant) && input.password.len() <= MAX_PASSWORD_BYTES;
        let password_ok = if migrates {
            // Not here yet: the tenant's legacy system may know them (lazy migration). Its
            // answer takes a network round trip, unlike a local hash: a tenant that asks a
            // verifier accepts that unknown emails answer at another pace (documented).
            user = self.migrate_on_sign_in(&tenant, &email, &input.password).await?;
            stored_hash = None; // hashed just now with today's parameters
            user.is_some()
        } else {
            let hash = match &stored_hash {
                Some(hash) => hash.clone(),
                None => self.dummy_hash().await?.to_owned(),
            };
            input.password.len() <= MAX_PASSWORD_BYTES
                && self.hasher.verify(input.password.clone(), hash).await?
                && stored_hash.is_some()
        };
        let user = match user {
            Some(user) if password_ok => user,
            other => return Err(self.failed_password(&tenant, &email, other.as_ref(), subject, &client).await),
        };

        let now = ids::now_ms();
        if user.disabled {
            return Err(Error::new(Code::AccountDisabled));
        }
        self.auth_store.clear_failed_sign_ins(&user.id).await?;
        if let Some(hash) = &stored_hash {
            if self.hasher.needs_rehash(hash) {
                let rehashed = self.hasher.hash(input.password.clone()).await?;
                self.auth_store.set_password_hash(&user.id, &rehashed, false, now, &[]).await?;
                self.log_hash_upgrade(&tenant.id, &user.id, hash).await;
            }
        }
        if tenant.settings.sign_in.require_verified_email && !user.email_verified {
            return Err(Error::new(Code::EmailUnverified)
                .with_detail("resend_url", crate::paths::API_VERIFICATION.url(&self.public_url, &tenant.id)));
        }
        // A password that is on the breached list today must be replaced, even if it was
        // accepted when it was set.
        if user.must_reset_password || tenant.settings.password_policy.is_common(&input.password) {
            let ticket = self.issue_reset_ticket(&tenant.id, &user.id).await?;
            let reset_url = self.reset_url(&tenant.id, &ticket);
            return Ok(SignInStep::MustResetPassword { ticket, reset_url });
        }

        if let Some(due) = self.second_factor_gate(&tenant, &flow, &user).await? {
            return Ok(SignInStep::SecondFactor(due));
        }
        let amr = vec![super::mfa::AMR_PASSWORD.to_owned()];
        let previous = input.previous_session.as_deref();
        Ok(match self.complete_sign_in(&tenant, flow, user, amr, &client, previous).await? {
            Ok(signed_in) => SignInStep::SignedIn(Box::new(signed_in)),
            Err(due) => SignInStep::SecondFactor(due),
        })
    }

    /// Records that a user's hash from another system (or older parameters) became
    /// today's argon2id, so an admin can follow a migration to its end.
    async fn log_hash_upgrade(&self, tenant_id: &str, user_id: &str, old_hash: &str) {
        let from = crate::legacy_hash::Scheme::of(old_hash).map_or("unknown", |scheme| scheme.name());
        let entry = LogEntry::new(tenant_id, "user.password_hash_upgraded", "ok", json!({ "from": from }))
            .with_user(Some(user_id.to_owned()));
        crate::log::record(self.log.as_ref(), &entry).await;
    }

    /// Records an attempt refused unchecked during a lock: it changes nothing else, so it
    /// is the only trace an admin has of the guessing.
    pub(super) async fn log_refused_attempt(
        &self,
        tenant_id: &str,
        user_id: Option<String>,
        details: serde_json::Value,
    ) -> Result<()> {
        let entry =
            LogEntry::new(tenant_id, EventType::UserLoginFailed.as_str(), Code::AccountLocked.as_str(), details)
                .with_user(user_id);
        Ok(self.log.append_log(&entry).await?)
    }

    /// Settles the reserved attempt as a failure (locking at the threshold) and answers
    /// `invalid_credentials`, the same for an unknown email and a wrong password.
    async fn failed_password(
        &self,
        tenant: &crate::model::Tenant,
        email: &str,
        user: Option<&User>,
        subject: AttemptSubject<'_>,
        client: &ClientContext,
    ) -> Error {
        let now = ids::now_ms();
        self.count_ip_failure(&tenant.id, client.ip).await;
        let failure = FailurePolicy::for_sign_in(&tenant.settings.sign_in, now);
        // Both kinds of subject write one row and one event, so an unknown address answers
        // as slowly as a known one.
        let failed = Event::new(
            &tenant.id,
            EventType::UserLoginFailed,
            json!({ "user_id": user.map(|user| &user.id), "email": email, "ip": client.ip.to_string(),
                    "code": Code::InvalidCredentials.as_str() }),
        );
        let lock_event = user.map(|user| Event::user_locked(user, tenant.settings.sign_in.lockout_duration_s));
        match self.auth_store.settle_failed_sign_in(subject, failure, &[failed], lock_event.as_ref()).await {
            Ok(()) => Error::new(Code::InvalidCredentials),
            Err(error) => error.into(),
        }
    }
}
