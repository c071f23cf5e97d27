//! Passkeys (WebAuthn): enrolment by a signed-in user, the second factor at the MFA step,
//! and passwordless sign-in with a discoverable credential. Any failed ceremony is
//! `webauthn_failed`, with the user's other methods in `details.alternatives`.

use intelliauth_catalogue::Code;
use serde_json::{json, Value};

use super::flows::{CsrfProof, FlowKind};
use super::login::SignedIn;
use super::mfa::STEP_MFA;
use super::{Auth, ClientContext};
use crate::events::{Event, EventType};
use crate::mfa::{Ceremony, Factor, FactorKind};
use crate::model::{Tenant, User};
use crate::{ids, Error, Result};

/// How long the browser has to answer a ceremony.
const CEREMONY_TTL_MS: i64 = 5 * 60 * 1000;
pub const AMR_HARDWARE_KEY: &str = "hwk";
pub const AMR_USER_PRESENCE: &str = "user";

const PURPOSE_REGISTER: &str = "register";
const PURPOSE_AUTHENTICATE: &str = "authenticate";
const PURPOSE_DISCOVER: &str = "discover";

/// Options for `navigator.credentials.create/get`, and the id to answer with.
#[derive(Debug, Clone)]
pub struct PasskeyChallenge {
    pub ceremony_id: String,
    pub options: Value,
}

fn user_handle(user_id: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(user_id.strip_prefix("usr_")?).ok()
}

impl Auth {
    fn passkeys(&self) -> Result<&dyn crate::ports::Passkeys> {
        self.passkeys.as_deref().ok_or_else(|| {
            Error::new(Code::WebauthnFailed)
                .with_cause("passkeys are unavailable: the public URL's host is not a domain")
        })
    }

    /// `webauthn_failed`, naming the other ways this user can sign in.
    async fn webauthn_failed(&self, user_id: Option<&str>, cause: impl Into<String>) -> Error {
        let cause = cause.into();
        // The user sees only the catalogue copy; the operator sees why.
        tracing::info!(reason = %cause, user = user_id.unwrap_or("-"), "WebAuthn ceremony failed");
        let mut error = Error::new(Code::WebauthnFailed).with_cause(cause);
        if let Some(user_id) = user_id {
            if let Ok(methods) = self.enrolled_methods(user_id).await {
                let others: Vec<&str> = methods.into_iter().filter(|k| *k != "webauthn").collect();
                error = error.with_detail("alternatives", json!(others));
            }
        }
        error
    }

    async fn remember_ceremony(
        &self,
        tenant_id: &str,
        user_id: Option<&str>,
        purpose: &str,
        state: String,
    ) -> Result<String> {
        let now = ids::now_ms();
        let ceremony = Ceremony {
            id: ids::new_id("wac"),
            tenant_id: tenant_id.to_owned(),
            user_id: user_id.map(str::to_owned),
            purpose: purpose.to_owned(),
            state,
            expires_at: now + CEREMONY_TTL_MS,
        };
        self.mfa_store.insert_ceremony(&ceremony).await?;
        Ok(ceremony.id)
    }

    fn stored_passkeys(factors: &[Factor]) -> Vec<String> {
        factors
            .iter()
            .filter(|f| f.kind == FactorKind::Webauthn && f.confirmed_at.is_some())
            .filter_map(|f| f.credential.clone())
            .collect()
    }

    /// A signed-in user starts adding a passkey.
    pub async fn start_passkey_enrolment(&self, user: &User) -> Result<PasskeyChallenge> {
        let handle = user_handle(&user.id).ok_or_else(|| Error::internal("user id is not a UUID"))?;
        let factors = self.mfa_store.user_factors(&user.id).await?;
        let ceremony = self
            .passkeys()?
            .start_registration(handle, &user.email, &Self::stored_passkeys(&factors))
            .map_err(Error::internal)?;
        let ceremony_id =
            self.remember_ceremony(&user.tenant_id, Some(&user.id), PURPOSE_REGISTER, ceremony.state).await?;
        Ok(PasskeyChallenge { ceremony_id, options: ceremony.options })
    }

    /// The browser's new credential; backup codes when the user had none.
    pub async fn finish_passkey_enrolment(
        &self,
        user: &User,
        ceremony_id: &str,
        response: &Value,
    ) -> Result<Option<Vec<String>>> {
        let now = ids::now_ms();
        let ceremony = self.mfa_store.take_ceremony(ceremony_id, PURPOSE_REGISTER, now).await?;
        let Some(ceremony) = ceremony.filter(|c| c.user_id.as_deref() == Some(&user.id)) else {
            return Err(self.webauthn_failed(Some(&user.id), "unknown, used or expired registration ceremony").await);
        };
        let verified = match self.passkeys()?.finish_registration(response, &ceremony.state) {
            Ok(verified) => verified,
            Err(reason) => return Err(self.webauthn_failed(Some(&user.id), reason).await),
        };
        let mut factor = Factor::pending(&user.id, &user.tenant_id, FactorKind::Webauthn, "Passkey".into());
        factor.credential_id = Some(verified.credential_id);
        factor.credential = Some(verified.credential);
        self.mfa_store.insert_factor(&factor).await?;
        let enrolled = Event::new(
            &user.tenant_id,
            EventType::UserMfaEnrolled,
            json!({ "user_id": user.id, "factor_id": factor.id, "factor": "webauthn" }),
        );
        self.mfa_store.confirm_factor(&factor, 0, now, &[enrolled]).await?;
        self.first_backup_codes(&user.id).await
    }

    /// The MFA step: a challenge for the user's passkeys.
    pub async fn start_flow_passkey(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
    ) -> Result<PasskeyChallenge> {
        let (_, user) = self.mfa_flow(tenant_id, flow_id, proof, &[STEP_MFA]).await?;
        let user_id = user.id;
        let factors = self.mfa_store.user_factors(&user_id).await?;
        let stored = Self::stored_passkeys(&factors);
        if stored.is_empty() {
            return Err(self.webauthn_failed(Some(&user_id), "the user has no passkey").await);
        }
        let ceremony = self.passkeys()?.start_authentication(&stored).map_err(Error::internal)?;
        let ceremony_id =
            self.remember_ceremony(tenant_id, Some(&user_id), PURPOSE_AUTHENTICATE, ceremony.state).await?;
        Ok(PasskeyChallenge { ceremony_id, options: ceremony.options })
    }

    /// Whether the assertion answers the user's ceremony with one of their passkeys.
    pub(super) async fn passkey_ok(
        &self,
        user: &User,
        ceremony_id: &str,
        response: &Value,
    ) -> Result<std::result::Result<(), Error>> {
        let now = ids::now_ms();
        let ceremony = self.mfa_store.take_ceremony(ceremony_id, PURPOSE_AUTHENTICATE, now).await?;
        let Some(ceremony) = ceremony.filter(|c| c.user_id.as_deref() == Some(&user.id)) else {
            return Ok(Err(self.webauthn_failed(Some(&user.id), "unknown, used or expired ceremony").await));
        };
        let factors = self.mfa_store.user_factors(&user.id).await?;
        match self.passkeys()?.finish_authentication(response, &ceremony.state, &Self::stored_passkeys(&factors)) {
            Ok(verified) => {
                self.mfa_store.update_passkey(&user.id, &verified.credential_id, &verified.credential, now).await?;
                Ok(Ok(()))
            }
            Err(reason) => Ok(Err(self.webauthn_failed(Some(&user.id), reason).await)),
        }
    }

    /// Passwordless: a challenge any discoverable passkey of this tenant can answer.
    pub async fn start_passwordless(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
    ) -> Result<PasskeyChallenge> {
        self.load_flow(tenant_id, flow_id, FlowKind::Login, proof).await?;
        let ceremony = self.passkeys()?.start_discoverable().map_err(Error::internal)?;
        let ceremony_id = self.remember_ceremony(tenant_id, None, PURPOSE_DISCOVER, ceremony.state).await?;
        Ok(PasskeyChallenge { ceremony_id, options: ceremony.options })
    }

    /// Passwordless: the passkey names the user and proves possession with user
    /// verification, which is two factors (`hwk` and `user`).
    #[allow(clippy::too_many_arguments)]
    pub async fn finish_passwordless(
        &self,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        ceremony_id: &str,
        response: &Value,
        previous_session: Option<&str>,
        client: ClientContext,
    ) -> Result<SignedIn> {
        let flow = self.load_flow(tenant_id, flow_id, FlowKind::Login, proof).await?;
        let tenant: Tenant = self.tenant(tenant_id).await?;
        let now = ids::now_ms();
        let ceremony = self.mfa_store.take_ceremony(ceremony_id, PURPOSE_DISCOVER, now).await?;
        let Some(ceremony) = ceremony.filter(|c| c.tenant_id == tenant_id) else {
            return Err(self.webauthn_failed(None, "unknown, used or expired ceremony").await);
        };
        let passkeys = self.passkeys()?;
        let handle = match passkeys.discoverable_user(response) {
            Ok(handle) => handle,
            Err(reason) => return Err(self.webauthn_failed(None, reason).await),
        };
        let user_id = format!("usr_{}", handle.simple());
        let Some(user) = self.store.get_user(tenant_id, &user_id).await? else {
            return Err(self.webauthn_failed(None, "no user of this tenant has that passkey").await);
        };
        let factors = self.mfa_store.user_factors(&user.id).await?;
        let verified = match passkeys.finish_discoverable(response, &ceremony.state, &Self::stored_passkeys(&factors)) {
            Ok(verified) => verified,
            Err(reason) => return Err(self.webauthn_failed(Some(&user.id), reason).await),
        };
        self.mfa_store.update_passkey(&user.id, &verified.credential_id, &verified.credential, now).await?;
        if user.disabled {
            return Err(Error::new(Code::AccountDisabled));
        }
        if let Some(locked) = super::login::locked_out(&user, now) {
            return Err(locked);
        }
        let amr = vec![AMR_HARDWARE_KEY.to_owned(), AMR_USER_PRESENCE.to_owned()];
        self.complete_sign_in(&tenant, flow, user, amr, &client, previous_session).await?.map_err(Error::from)
    }
}
