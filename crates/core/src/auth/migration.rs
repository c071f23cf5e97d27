//! Lazy migration: a user who is not here yet is asked for, at their first sign-in, from the
//! tenant's legacy password verifier; a right password brings them over (hashed with
//! argon2id), and the verifier is never asked about them again.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::Auth;
use crate::directory::ImportMatch;
use crate::log::LogEntry;
use crate::model::{Tenant, User};
use crate::ports::{PasswordVerifier, VerifierAnswer, VerifierCall};
use crate::{ids, Result};

impl Auth {
    /// The Standard Webhooks secret (`whsec_…`) requests to `tenant`'s password verifier are
    /// signed with: derived from the instance key, the tenant and its secret version, so
    /// every node signs alike and nothing secret is stored.
    pub fn verifier_secret(&self, tenant: &Tenant) -> String {
        let purpose = format!("password-verifier:{}:{}", tenant.id, tenant.settings.migration.secret_version);
        format!("{}{}", crate::management::SECRET_PREFIX, STANDARD.encode(self.instance_key.derive(&purpose)))
    }

    /// Whether sign-in asks `tenant`'s password verifier about unknown emails. When not,
    /// an unknown email costs one argon2 verification, as a wrong password does.
    pub(super) fn migrates(&self, tenant: &Tenant) -> bool {
        self.verifier_of(tenant).is_some()
    }

    /// `tenant`'s password verifier's URL, and who asks it, when both are there.
    fn verifier_of<'a>(&'a self, tenant: &'a Tenant) -> Option<(&'a str, &'a dyn PasswordVerifier)> {
        let url = tenant.settings.migration.password_verifier_url.as_deref()?;
        Some((url, self.password_verifier.as_deref()?))
    }

    /// When `tenant` names a password verifier and has no user for `email`: asks it, and on
    /// a right password creates the user from its answer. `None` when it refused, could not
    /// be asked or answered something unusable (the tenant log says which), so the sign-in
    /// fails as for any unknown email: nothing here tells a caller more than that.
    pub(super) async fn migrate_on_sign_in(
        &self,
        tenant: &Tenant,
        email: &str,
        password: &str,
    ) -> Result<Option<User>> {
        let Some((url, verifier)) = self.verifier_of(tenant) else { return Ok(None) };
        let secret = self.verifier_secret(tenant);
        let call = VerifierCall { url, secret: &secret, tenant_id: &tenant.id, email, password };
        let answer = match verifier.verify(call).await {
            Ok(VerifierAnswer::Right(answer)) => answer,
            Ok(VerifierAnswer::Wrong) => return Ok(None),
            Err(reason) => {
                self.log_migration(tenant, None, "user.migration.failed", json!({ "reason": reason })).await;
                return Ok(None);
            }
        };
        let mut row = match crate::management::row_from_verifier(answer, email) {
            Ok(row) => row,
            Err(error) => {
                let details = json!({ "reason": "the verifier's user is not an import line", "error": error.details });
                self.log_migration(tenant, None, "user.migration.failed", details).await;
                return Ok(None);
            }
        };
        row.password_hash = Some(self.hasher.hash(password.to_owned()).await?);
        let written = self.store.import_users(&tenant.id, &[row], ImportMatch::Email, false, ids::now_ms()).await?;
        let Some(user) = self.auth_store.user_by_email(&tenant.id, email).await? else { return Ok(None) };
        if written.created.contains(email) {
            self.log_migration(tenant, Some(&user.id), "user.migrated", json!({})).await;
            return Ok(Some(user));
        }
        // Brought over meanwhile by a twin request: this password must match what it stored.
        let stored = user.password_hash.clone().unwrap_or_default();
        Ok(self.hasher.verify(password.to_owned(), stored).await?.then_some(user))
    }

    async fn log_migration(&self, tenant: &Tenant, user_id: Option<&str>, kind: &str, details: Value) {
        let code = if kind == "user.migrated" { "ok" } else { "service_unavailable" };
        let entry = LogEntry::new(&tenant.id, kind, code, details).with_user(user_id.map(str::to_owned));
        crate::log::record(self.log.as_ref(), &entry).await;
    }
}
