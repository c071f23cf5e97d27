//! Registration: the tenant's password policy, then a verification mail. An address that
//! already has an account gets a mail saying so, and the response is the same either way.

use intelliauth_catalogue::Code;

use super::flows::{CsrfProof, FlowKind};
use super::{Auth, ClientContext};
use crate::management::{Management, NewUser};
use crate::validate::normalize_email;
use crate::Result;

#[derive(Debug, Clone, Default)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
}

impl Registration {
    /// The user this registration would create.
    pub fn as_new_user(&self) -> NewUser {
        NewUser {
            email: self.email.clone(),
            password: Some(self.password.clone()),
            name: self.name.clone(),
            email_verified: false,
            role: None,
            // The page's language is the browser's now, not a choice the user made.
            locale: None,
            ..NewUser::default()
        }
    }
}

impl Auth {
    pub async fn register(
        &self,
        management: &Management,
        tenant_id: &str,
        flow_id: &str,
        proof: CsrfProof<'_>,
        input: Registration,
        client: ClientContext,
    ) -> Result<()> {
        let flow = self.load_flow(tenant_id, flow_id, FlowKind::Registration, proof).await?;
        let new_user = input.as_new_user();
        management.check_new_user(tenant_id, &new_user).await?.into_result()?;
        // Before the user exists, and whether or not the address is taken, so an Action's
        // answer does not tell who has an account.
        let tenant = self.tenant(tenant_id).await?;
        let app_metadata = self
            .pre_registration(&tenant, &normalize_email(&new_user.email), new_user.name.as_deref(), &client)
            .await?;
        match management.create_user(tenant_id, new_user.clone()).await {
            Ok(mut user) => {
                self.finish_flow(&flow).await?;
                if !app_metadata.is_empty() {
                    self.store_app_metadata(&user.id, &app_metadata).await?;
                    user.app_metadata = app_metadata;
                }
                self.post_registration(&tenant, &user, &client);
                self.send_verification(tenant_id, &user, flow.return_to.as_ref()).await
            }
            Err(error) if error.code == Code::Conflict => {
                self.finish_flow(&flow).await?;
                let email = normalize_email(&new_user.email);
                // Signing in from the mail goes where the registration was headed.
                let back = flow.return_to.as_ref().map(|back| back.path(tenant_id));
                let sign_in =
                    format!("{}{}", self.public_url, crate::paths::LOGIN.returning_to(tenant_id, back.as_deref()));
                let forgot = crate::paths::FORGOT.url(&self.public_url, tenant_id);
                let links = [("sign_in", sign_in.as_str()), ("forgot", forgot.as_str())];
                let mail = self.mail(tenant_id, &email, None, "mail-registered", &links).await?;
                self.deliver(&mail).await
            }
            Err(error) => Err(error),
        }
    }
}
