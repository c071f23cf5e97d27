//! Multi-factor authentication: the tenant's policy, enrolled factors, and the storage
//! port behind them. The sign-in step that asks for a factor lives in `auth::mfa`.

pub mod backup;
pub mod totp;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::events::Event;
use crate::ports::StoreResult;

/// Whether sign-in asks for a second factor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaMode {
    /// Never.
    #[default]
    Off,
    /// When the user has enrolled a factor.
    Optional,
    /// Always: a user without a factor enrols one before the sign-in completes.
    Required,
}

impl MfaMode {
    pub fn as_str(self) -> &'static str {
        match self {
            MfaMode::Off => "off",
            MfaMode::Optional => "optional",
            MfaMode::Required => "required",
        }
    }

    pub fn parse(text: &str) -> Option<MfaMode> {
        [MfaMode::Off, MfaMode::Optional, MfaMode::Required].into_iter().find(|mode| mode.as_str() == text)
    }
}

/// The tenant's MFA settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MfaPolicy {
    pub mode: MfaMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FactorKind {
    Totp,
    Sms,
    Webauthn,
}

impl FactorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Totp => "totp",
            FactorKind::Sms => "sms",
            FactorKind::Webauthn => "webauthn",
        }
    }

    pub fn parse(text: &str) -> Option<FactorKind> {
        [FactorKind::Totp, FactorKind::Sms, FactorKind::Webauthn].into_iter().find(|kind| kind.as_str() == text)
    }
}

impl Factor {
    /// A new factor of `user`, unconfirmed and without secrets; callers fill in their kind's parts.
    pub fn pending(user_id: &str, tenant_id: &str, kind: FactorKind, label: String) -> Factor {
        Factor {
            id: crate::ids::new_id("mfa"),
            tenant_id: tenant_id.to_owned(),
            user_id: user_id.to_owned(),
            kind,
            label: Some(label),
            secret_sealed: None,
            phone: None,
            credential_id: None,
            credential: None,
            last_used_step: None,
            confirmed_at: None,
            created_at: crate::ids::now_ms(),
            last_used_at: None,
        }
    }
}

/// A WebAuthn ceremony waiting for the browser's answer: single use, short-lived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    pub id: String,
    pub tenant_id: String,
    /// `None` for a passwordless sign-in, where the credential names the user.
    pub user_id: Option<String>,
    pub purpose: String,
    pub state: String,
    pub expires_at: i64,
}

/// A texted code, stored as a digest until used or expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsCode {
    pub id: String,
    pub factor_id: String,
    pub user_id: String,
    pub phone: String,
    pub digest: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// Codes texted lately, per user and per phone, with the oldest of each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SmsSends {
    pub per_user: i64,
    pub oldest_for_user: Option<i64>,
    pub per_phone: i64,
    pub oldest_for_phone: Option<i64>,
}

/// An enrolled (or enrolling) second factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor {
    pub id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub kind: FactorKind,
    pub label: Option<String>,
    /// The TOTP seed, sealed with the instance key.
    pub secret_sealed: Option<String>,
    /// The SMS factor's number, E.164.
    pub phone: Option<String>,
    /// A passkey's credential id (base64url) and its stored form (public key, counter).
    pub credential_id: Option<String>,
    pub credential: Option<String>,
    /// The last TOTP step accepted, so a code works once.
    pub last_used_step: Option<i64>,
    /// `None` while enrolment waits for the first valid code.
    pub confirmed_at: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// Persistence for factors and backup codes. Using a TOTP step or a backup code is one
/// conditional statement, so a code cannot be used twice even by concurrent requests.
#[async_trait]
pub trait FactorStore: Send + Sync + 'static {
    async fn insert_factor(&self, factor: &Factor) -> StoreResult<()>;
    /// Every factor of the user, confirmed or not, oldest first.
    async fn user_factors(&self, user_id: &str) -> StoreResult<Vec<Factor>>;
    /// Confirms an enrolling factor at `step` and drops the user's other unconfirmed ones.
    async fn confirm_factor(&self, factor: &Factor, step: i64, now: i64, events: &[Event]) -> StoreResult<bool>;
    /// Records `step` as used if it is later than the last one used.
    async fn use_totp_step(&self, factor_id: &str, step: i64, now: i64) -> StoreResult<bool>;
    async fn delete_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool>;
    /// Removes every factor and backup code of the user.
    async fn delete_user_factors(&self, user_id: &str) -> StoreResult<u64>;
    /// Replaces the user's backup codes with these digests.
    async fn replace_backup_codes(&self, user_id: &str, digests: &[String], now: i64) -> StoreResult<()>;
    /// Uses the backup code with this digest if it exists and is unused.
    async fn use_backup_code(&self, user_id: &str, digest: &str, now: i64) -> StoreResult<bool>;
    async fn unused_backup_codes(&self, user_id: &str) -> StoreResult<i64>;
    async fn insert_sms_code(&self, code: &SmsCode) -> StoreResult<()>;
    async fn delete_sms_code(&self, id: &str) -> StoreResult<()>;
    /// Codes texted since `since` to this user and to this phone (whoever it belongs to).
    async fn sms_sends_since(&self, user_id: &str, phone: &str, since: i64) -> StoreResult<SmsSends>;
    /// Uses the live, unused code with this digest for the factor.
    async fn use_sms_code(&self, factor_id: &str, digest: &str, now: i64) -> StoreResult<bool>;
    async fn insert_ceremony(&self, ceremony: &Ceremony) -> StoreResult<()>;
    /// Removes and returns the live ceremony with this id and purpose (single use).
    async fn take_ceremony(&self, id: &str, purpose: &str, now: i64) -> StoreResult<Option<Ceremony>>;
    /// Stores a passkey's new signature counter after a sign-in.
    async fn update_passkey(&self, user_id: &str, credential_id: &str, credential: &str, now: i64) -> StoreResult<()>;
}
