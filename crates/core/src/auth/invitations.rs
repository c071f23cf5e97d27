//! Organization invitations from the invitee's side: the mailed link, and accepting it once
//! signed in (or registered) with the address it was sent to — which proves that address.

use intelliauth_catalogue::Code;
use serde_json::json;

use super::Auth;
use crate::events::{Event, EventType};
use crate::model::User;
use crate::organizations::{Invitation, Organization};
use crate::validate::normalize_email;
use crate::{ids, secret, Error, Result};

/// The answer for an invitation link that is unknown, used, withdrawn or expired.
fn invitation_invalid() -> Error {
    Error::new(Code::FlowInvalid).with_detail("reason", "invitation_invalid_expired_or_used")
}

impl Auth {
    /// The link an invitation is mailed as.
    pub fn invitation_url(&self, tenant_id: &str, token: &str) -> String {
        format!("{}{}", self.public_url, crate::paths::INVITATION.with_query(tenant_id, &[("token", token)]))
    }

    /// Mails the invitation's link to its address, in the tenant's wording.
    pub async fn mail_invitation(
        &self,
        invitation: &Invitation,
        organization: &Organization,
        token: &str,
    ) -> Result<()> {
        let link = self.invitation_url(&invitation.tenant_id, token);
        let args = [("link", link.as_str()), ("organization", organization.config.display_name.as_str())];
        let mail = self.mail(&invitation.tenant_id, &invitation.email, None, "mail-invitation", &args).await?;
        self.deliver(&mail).await
    }

    /// The invitation a link carries, while it can be accepted, with its organization.
    pub async fn open_invitation(&self, tenant_id: &str, token: &str) -> Result<(Invitation, Organization)> {
        if token.is_empty() || token.len() > 128 {
            return Err(invitation_invalid());
        }
        let invitation = self.organizations.invitation_by_digest(&secret::digest(token)).await?;
        let invitation = invitation
            .filter(|invitation| {
                invitation.tenant_id == tenant_id
                    && invitation.accepted_at.is_none()
                    && invitation.expires_at > ids::now_ms()
            })
            .ok_or_else(invitation_invalid)?;
        let organization = self
            .organizations
            .get_organization(tenant_id, &invitation.organization_id)
            .await?
            .ok_or_else(invitation_invalid)?;
        Ok((invitation, organization))
    }

    /// Accepts the invitation for the signed-in `user`, whose email must be the one it was
    /// sent to: they become a member with its roles, once (the link is then spent), and an
    /// unverified address is verified — the link reached it.
    pub async fn accept_invitation(&self, tenant_id: &str, token: &str, user: &User) -> Result<Organization> {
        let (invitation, organization) = self.open_invitation(tenant_id, token).await?;
        if normalize_email(&user.email) != invitation.email {
            // The catalogue's words on the page, in the reader's language; the reason for support.
            return Err(Error::new(Code::PermissionDenied).with_detail("reason", "invitation_for_another_address"));
        }
        let now = ids::now_ms();
        let accepted = self.organizations.accept_invitation(&secret::digest(token), &user.id, now).await?;
        if accepted.is_none() {
            return Err(invitation_invalid());
        }
        if !user.email_verified {
            let verified = Event::new(tenant_id, EventType::UserEmailVerified, json!({ "id": user.id }));
            self.auth_store.mark_email_verified(&user.id, now, &[verified]).await?;
        }
        let details = json!({ "organization_id": organization.id, "invitation_id": invitation.id });
        let entry = crate::log::LogEntry::new(tenant_id, "user.organization.joined", "ok", details)
            .with_user(Some(user.id.clone()));
        crate::log::record(self.log.as_ref(), &entry).await;
        Ok(organization)
    }
}
