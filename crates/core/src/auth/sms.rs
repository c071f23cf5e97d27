//! SMS one-time codes: phone numbers in E.164, six-digit codes sent through the gateway,
//! stored hashed, single use and short-lived; sends limited per phone and per user.

use intelliauth_catalogue::Code;
use rand::Rng;
use serde_json::json;

use super::flows::CsrfProof;
use super::mfa::STEP_MFA;
use super::Auth;
use crate::error::DomainCopy;
use crate::events::{Event, EventType};
use crate::mfa::{Factor, FactorKind, SmsCode};
use crate::model::User;
use crate::validate::FieldErrors;
use crate::{ids, secret, Error, Result};

/// How long a texted code works.
pub const SMS_CODE_TTL_MS: i64 = 5 * 60 * 1000;
/// The window the send limits count over.
pub const SMS_WINDOW_MS: i64 = 15 * 60 * 1000;
pub const SENDS_PER_PHONE: i64 = 3;
pub const SENDS_PER_USER: i64 = 5;

/// `+` and 8 to 15 digits, the first not zero (ITU-T E.164).
pub fn check_phone(errors: &mut FieldErrors, field: &str, phone: &str) {
    let digits = phone.strip_prefix('+').unwrap_or_default();
    let valid =
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if !valid {
        errors.add(field, "must be an international number in E.164 form, such as +14155550100");
    }
}

/// The number as the user sees it: the country code and the last two digits.
pub fn masked(phone: &str) -> String {
    let keep_end = 2.min(phone.len());
    let start: String = phone.chars().take(3).collect();
    format!("{start}{}{}", "•".repeat(phone.len().saturating_sub(3 + keep_end)), &phone[phone.len() - keep_end..])
}

fn code_digest(factor_id: &str, code: &str) -> String {
    secret::digest(&format!("{factor_id}:{}", code.trim()))
}

/// Where a code went, for the client to tell the user.
#[derive(Debug, Clone)]
pub struct SmsSent {
    pub factor_id: String,
    pub sent_to: String,
    pub expires_in_s: i64,
}

impl Auth {
    /// Texts a fresh code for `factor`, unless the phone or the user had too many lately.
    pub(super) async fn send_sms_code(&self, user: &User, factor: &Factor) -> Result<SmsSent> {
        let phone = factor.phone.clone().ok_or_else(|| Error::internal("SMS factor without a phone"))?;
        let Some(sender) = self.sms_sender.clone() else {
            return Err(Error::new(Code::SmsSendFailed).with_cause("no SMS gateway is configured (--sms-gateway-url)"));
        };
        let now = ids::now_ms();
        let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
        let record = SmsCode {
            id: ids::new_id("sms"),
            factor_id: factor.id.clone(),
            user_id: user.id.clone(),
            phone: phone.clone(),
            digest: code_digest(&factor.id, &code),
            created_at: now,
            expires_at: now + SMS_CODE_TTL_MS,
        };
        // Counted after inserting, so concurrent sends cannot all slip under the limit.
        self.mfa_store.insert_sms_code(&record).await?;
        let since = now - SMS_WINDOW_MS;
        let sends = self.mfa_store.sms_sends_since(&user.id, &phone, since).await?;
        let over = [
            (sends.per_phone, sends.oldest_for_phone, SENDS_PER_PHONE),
            (sends.per_user, sends.oldest_for_user, SENDS_PER_USER),
        ]
        .into_iter()
        .filter(|(count, _, limit)| count > limit)
        .map(|(_, oldest, _)| oldest.unwrap_or(now) + SMS_WINDOW_MS - now)
        .max();
        if let Some(wait_ms) = over {
            self.mfa_store.delete_sms_code(&record.id).await?;
            return Err(Error::new(Code::SmsRateLimited).with_retry_after((wait_ms.max(1000) as u64).div_ceil(1000)));
        }
        let tenant = self.tenant(&user.tenant_id).await?;
        let args = [("code", code.as_str()), ("tenant", tenant.display_name.as_str())];
        let text = self.wording.write(&tenant, user.locale.as_deref(), "sms-code-text", &args);
        if let Err(reason) = sender.send(&phone, &text).await {
            return Err(Error::new(Code::SmsSendFailed).with_cause(reason).with_detail("factor", "sms"));
        }
        Ok(SmsSent { factor_id: factor.id.clone(), sent_to: masked(&phone), expires_in_s: SMS_CODE_TTL_MS / 1000 })
    }

    /// Texts a code to the phone of the user at the MFA step of a sign-in.
    pub async fn send_flow_sms(&self, tenant_id: &str, flow_id: &str, proof: CsrfProof<'_>) -> Result<SmsSent> {
        let (_, user) = self.mfa_flow(tenant_id, flow_id, proof, &[STEP_MFA]).await?;
        let factors = self.mfa_store.user_factors(&user.id).await?;
        let factor = factors
            .iter()
            .find(|f| f.kind == FactorKind::Sms && f.confirmed_at.is_some())
            .ok_or_else(|| Error::new(Code::SmsSendFailed).with_copy(DomainCopy::NoSmsPhone))?;
        self.send_sms_code(&user, factor).await
    }

    /// A signed-in user adds a phone: the factor waits for the texted code.
    pub async fn start_sms_enrolment(&self, user: &User, phone: &str) -> Result<SmsSent> {
        let mut errors = FieldErrors::new();
        check_phone(&mut errors, "phone", phone);
        errors.into_result()?;
        let label = format!("Text message to {}", masked(phone));
        let mut factor = Factor::pending(&user.id, &user.tenant_id, FactorKind::Sms, label);
        factor.phone = Some(phone.to_owned());
        self.mfa_store.insert_factor(&factor).await?;
        self.send_sms_code(user, &factor).await
    }

    /// Confirms the user's pending phone with the texted code; backup codes when they had none.
    pub async fn confirm_sms(&self, user: &User, code: &str) -> Result<Option<Vec<String>>> {
        let now = ids::now_ms();
        let factors = self.mfa_store.user_factors(&user.id).await?;
        let pending = factors
            .iter()
            .rev()
            .find(|f| f.kind == FactorKind::Sms && f.confirmed_at.is_none())
            .ok_or_else(|| Error::new(Code::FlowInvalid).with_copy(DomainCopy::PhoneAgain))?;
        if !self.mfa_store.use_sms_code(&pending.id, &code_digest(&pending.id, code), now).await? {
            return Err(sms_code_invalid());
        }
        let enrolled = Event::new(
            &user.tenant_id,
            EventType::UserMfaEnrolled,
            json!({ "user_id": user.id, "factor_id": pending.id, "factor": "sms" }),
        );
        self.mfa_store.confirm_factor(pending, 0, now, &[enrolled]).await?;
        self.first_backup_codes(&user.id).await
    }

    /// Whether `code` is a live code texted for one of the user's confirmed phones (used up if so).
    pub(super) async fn sms_code_ok(&self, user: &User, code: &str) -> Result<bool> {
        let now = ids::now_ms();
        let factors = self.mfa_store.user_factors(&user.id).await?;
        for factor in factors.iter().filter(|f| f.kind == FactorKind::Sms && f.confirmed_at.is_some()) {
            if self.mfa_store.use_sms_code(&factor.id, &code_digest(&factor.id, code), now).await? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A wrong texted code: the one-time-code error, with copy that points at the message.
pub fn sms_code_invalid() -> Error {
    Error::new(Code::TotpInvalid).with_copy(DomainCopy::SmsCodeInvalid).with_detail("factor", "sms")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        for good in ["+14155550100", "+442071838750", "+33612345678"] {
            let mut errors = FieldErrors::new();
            check_phone(&mut errors, "phone", good);
            assert!(errors.is_empty(), "{good}");
        }
        for bad in ["4155550100", "+0155550100", "+1 415 555 0100", "+1234567", "+1234567890123456", "", "+"] {
            let mut errors = FieldErrors::new();
            check_phone(&mut errors, "phone", bad);
            assert!(!errors.is_empty(), "{bad}");
        }
        assert_eq!(masked("+14155550100"), "+14•••••••00");
    }
}
