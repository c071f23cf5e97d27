//! Sign-in's ports to outside services: mail, SMS, captcha verification, WebAuthn
//! ceremonies and a tenant's legacy password verifier, and the wording of what is mailed
//! and texted. `providers` and `passkeys` implement them.

use async_trait::async_trait;

/// An email to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Delivers mail: SMTP in production, files in the data directory by default.
#[async_trait]
pub trait Mailer: Send + Sync + 'static {
    async fn send(&self, mail: &Mail) -> Result<(), String>;
}

/// Writes what a tenant tells people outside its pages (mail, text messages) in the
/// reader's language, in the tenant's own wording where it has one. The server's message
/// catalogues implement it; the domain names a message and its arguments only.
pub trait Wording: Send + Sync + 'static {
    /// The text of the message `key` with `args` from `tenant`, for a reader whose saved
    /// language is `reader_locale`: the request's explicit choice (`ui_locales`) outranks
    /// it, and it outranks the browser's and the tenant's default.
    fn write(
        &self,
        tenant: &crate::model::Tenant,
        reader_locale: Option<&str>,
        key: &str,
        args: &[(&str, &str)],
    ) -> String;
}

/// Options for the browser and the state to keep until it answers.
#[derive(Debug, Clone)]
pub struct PasskeyCeremony {
    pub options: serde_json::Value,
    pub state: String,
}

/// A credential that passed a ceremony, in its stored form.
#[derive(Debug, Clone)]
pub struct VerifiedPasskey {
    pub credential_id: String,
    pub credential: String,
}

/// WebAuthn ceremonies. `Err` says why a ceremony failed; the caller answers `webauthn_failed`.
pub trait Passkeys: Send + Sync + 'static {
    fn start_registration(
        &self,
        user_handle: uuid::Uuid,
        name: &str,
        existing: &[String],
    ) -> Result<PasskeyCeremony, String>;
    fn finish_registration(&self, response: &serde_json::Value, state: &str) -> Result<VerifiedPasskey, String>;
    fn start_authentication(&self, stored: &[String]) -> Result<PasskeyCeremony, String>;
    fn finish_authentication(
        &self,
        response: &serde_json::Value,
        state: &str,
        stored: &[String],
    ) -> Result<VerifiedPasskey, String>;
    fn start_discoverable(&self) -> Result<PasskeyCeremony, String>;
    /// The user handle a discoverable credential's assertion names.
    fn discoverable_user(&self, response: &serde_json::Value) -> Result<uuid::Uuid, String>;
    fn finish_discoverable(
        &self,
        response: &serde_json::Value,
        state: &str,
        stored: &[String],
    ) -> Result<VerifiedPasskey, String>;
}

/// Sends text messages (one-time codes) through an SMS gateway.
#[async_trait]
pub trait SmsSender: Send + Sync + 'static {
    /// `to` is E.164; `Err` says why the gateway did not take the message.
    async fn send(&self, to: &str, body: &str) -> Result<(), String>;
}

/// Checks a captcha response with a third-party siteverify service.
#[async_trait]
pub trait CaptchaVerifier: Send + Sync + 'static {
    /// The public key the browser widget needs.
    fn site_key(&self) -> &str;
    async fn verify(&self, response: &str, remote_ip: std::net::IpAddr) -> Result<bool, String>;
}

/// One question to a tenant's legacy password verifier.
pub struct VerifierCall<'a> {
    pub url: &'a str,
    /// The Standard Webhooks secret (`whsec_…`) the request is signed with.
    pub secret: &'a str,
    pub tenant_id: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// What a legacy password verifier answered.
#[derive(Debug)]
pub enum VerifierAnswer {
    /// The password is right: the user as an import line (IntelliAuth's import format).
    Right(serde_json::Value),
    /// The password is wrong, or the email unknown there too.
    Wrong,
}

/// Asks a tenant's legacy system whether an email and password are right (lazy migration).
#[async_trait]
pub trait PasswordVerifier: Send + Sync + 'static {
    /// `Err` says why the verifier could not be asked or answered nothing usable.
    async fn verify(&self, call: VerifierCall<'_>) -> Result<VerifierAnswer, String>;
}
