//! Mailed links: email verification and password recovery. Tokens are single use,
//! expire, and are stored as digests.

use intelliauth_catalogue::Code;

use super::{Auth, ClientContext, RESENDS_PER_WINDOW};
use crate::events::{Event, EventType};
use crate::model::User;
use crate::ports::{Mail, OneTimeToken};
use crate::validate::{normalize_email, FieldErrors};
use crate::{ids, secret, Error, Result};
use serde_json::json;

const VERIFY_PURPOSE: &str = "verify_email";
const RESET_PURPOSE: &str = "reset_password";
const VERIFY_LIFETIME_MS: i64 = 24 * 3600 * 1000;
const RESET_LIFETIME_MS: i64 = 3600 * 1000;

/// The answer for a link that is unknown, used or expired.
fn link_invalid() -> Error {
    Error::new(Code::FlowInvalid).with_detail("reason", "link_invalid_expired_or_used")
}

impl Auth {
    async fn issue_token(&self, tenant_id: &str, user_id: &str, purpose: &str, lifetime_ms: i64) -> Result<String> {
        let token = secret::generate("");
        let now = ids::now_ms();
        let record = OneTimeToken {
            digest: secret::digest(&token),
            purpose: purpose.into(),
            tenant_id: tenant_id.into(),
            user_id: user_id.into(),
            created_at: now,
            expires_at: now + lifetime_ms,
        };
        self.auth_store.insert_token(&record).await?;
        Ok(token)
    }

    /// The mail `message` (its `-subject` and `-text` in the catalogues) from the tenant to
    /// `to`, in the language of the request or of the reader (`reader_locale`, their saved
    /// one), in the tenant's wording.
    pub(super) async fn mail(
        &self,
        tenant_id: &str,
        to: &str,
        reader_locale: Option<&str>,
        message: &str,
        args: &[(&str, &str)],
    ) -> Result<Mail> {
        let tenant = self.tenant(tenant_id).await?;
        let words = |part: &str| self.wording.write(&tenant, reader_locale, &format!("{message}-{part}"), args);
        Ok(Mail { to: to.to_owned(), subject: words("subject"), text: words("text") })
    }

    pub(super) async fn deliver(&self, mail: &Mail) -> Result<()> {
        self.mailer.send(mail).await.map_err(|cause| Error::unavailable(format!("mail delivery failed: {cause}")))
    }

    pub fn reset_url(&self, tenant_id: &str, token: &str) -> String {
        format!("{}{}", self.public_url, crate::paths::RESET.with_query(tenant_id, &[("token", token)]))
    }

    pub(super) async fn issue_reset_ticket(&self, tenant_id: &str, user_id: &str) -> Result<String> {
        self.issue_token(tenant_id, user_id, RESET_PURPOSE, RESET_LIFETIME_MS).await
    }

    /// Mails the address a link that verifies it; the page it opens signs in towards
    /// `return_to` (where the registration was headed: an application, an invitation).
    pub(super) async fn send_verification(
        &self,
        tenant_id: &str,
        user: &User,
        return_to: Option<&crate::paths::ReturnTo>,
    ) -> Result<()> {
        let token = self.issue_token(tenant_id, &user.id, VERIFY_PURPOSE, VERIFY_LIFETIME_MS).await?;
        let back = return_to.map(|back| back.path(tenant_id));
        let mut pairs = vec![("token", token.as_str())];
        pairs.extend(back.as_deref().map(|back| ("return_to", back)));
        let link = format!("{}{}", self.public_url, crate::paths::VERIFY.with_query(tenant_id, &pairs));
        let mail = self.mail(tenant_id, &user.email, user.locale.as_deref(), "mail-verify", &[("link", &link)]).await?;
        self.deliver(&mail).await
    }

    /// Throttles mail requests per address: `rate_limited` with the wait.
    async fn throttle_mail(&self, tenant_id: &str, email: &str) -> Result<()> {
        let (count, left_ms) = self.count_mail_request(tenant_id, email).await;
        if count > RESENDS_PER_WINDOW {
            let wait_ms = left_ms.max(1000);
            return Err(Error::new(Code::RateLimited)
                .with_retry_after((wait_ms as u64).div_ceil(1000))
                .with_detail("limit", "email"));
        }
        Ok(())
    }

    /// Sends a new verification link if the address has an unverified account. The
    /// answer is the same whether or not it does.
    pub async fn resend_verification(&self, tenant_id: &str, email: &str, _client: ClientContext) -> Result<()> {
        self.tenant(tenant_id).await?;
        let email = normalize_email(email);
        self.throttle_mail(tenant_id, &email).await?;
        if let Some(user) = self.auth_store.user_by_email(tenant_id, &email).await? {
            if !user.email_verified {
                self.send_verification(tenant_id, &user, None).await?;
            }
        }
        Ok(())
    }

    pub async fn verify_email(&self, tenant_id: &str, token: &str) -> Result<()> {
        let record = self.auth_store.consume_token(&secret::digest(token), VERIFY_PURPOSE, ids::now_ms()).await?;
        let record = record.filter(|record| record.tenant_id == tenant_id).ok_or_else(link_invalid)?;
        let verified = Event::new(tenant_id, EventType::UserEmailVerified, json!({ "id": record.user_id }));
        self.auth_store.mark_email_verified(&record.user_id, ids::now_ms(), &[verified]).await?;
        Ok(())
    }

    /// Mails a reset link if the address has an account; the same answer either way.
    pub async fn request_recovery(&self, tenant_id: &str, email: &str, _client: ClientContext) -> Result<()> {
        self.tenant(tenant_id).await?;
        let email = normalize_email(email);
        self.throttle_mail(tenant_id, &email).await?;
        if let Some(user) = self.auth_store.user_by_email(tenant_id, &email).await? {
            let token = self.issue_reset_ticket(tenant_id, &user.id).await?;
            let link = self.reset_url(tenant_id, &token);
            let mail =
                self.mail(tenant_id, &user.email, user.locale.as_deref(), "mail-reset", &[("link", &link)]).await?;
            self.deliver(&mail).await?;
        }
        Ok(())
    }

    /// Sets a new password with a reset token (from the mail or a `password_must_be_reset`
    /// ticket). Ends every session of the user and lifts any lock.
    pub async fn reset_password(&self, tenant_id: &str, token: &str, password: String) -> Result<User> {
        let tenant = self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        tenant.settings.password_policy.check(&mut errors, "password", &password);
        errors.into_result()?;
        let now = ids::now_ms();
        let record = self.auth_store.consume_token(&secret::digest(token), RESET_PURPOSE, now).await?;
        let record = record.filter(|record| record.tenant_id == tenant_id).ok_or_else(link_invalid)?;
        let hash = self.hasher.hash(password).await?;
        let reset = Event::new(tenant_id, EventType::UserPasswordReset, json!({ "id": record.user_id }));
        self.auth_store.set_password_hash(&record.user_id, &hash, true, now, &[reset]).await?;
        // Following the mailed link proves the address.
        self.auth_store.mark_email_verified(&record.user_id, now, &[]).await?;
        let revoked = Event::session_revoked(tenant_id, &record.user_id, None, "password_reset");
        self.auth_store.revoke_user_sessions(&record.user_id, now, &[revoked]).await?;
        self.store.get_user(tenant_id, &record.user_id).await?.ok_or_else(link_invalid)
    }
}
