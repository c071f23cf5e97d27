//! The admin console's OAuth client: built into every tenant, derived from the public URL,
//! neither stored nor editable, so no admin can break the way admins sign in.

use crate::model::{Application, ApplicationTokenSettings, ClientType, Grant, Meta};

/// The console's `client_id` in every tenant. Stored applications have generated ids
/// (`app_…`), so none can take it.
pub const CONSOLE_CLIENT_ID: &str = "intelliauth-console";

/// Where the console receives its authorization code.
pub fn console_callback(public_url: &str) -> String {
    format!("{}/console/callback", public_url.trim_end_matches('/'))
}

/// The console as a client of `tenant_id`: public (PKCE), first-party (no consent screen),
/// authorization code only, returning to `/console/callback` and after logout to `/console`.
pub fn console_application(tenant_id: &str, public_url: &str) -> Application {
    let public_url = public_url.trim_end_matches('/');
    Application {
        id: CONSOLE_CLIENT_ID.to_owned(),
        tenant_id: tenant_id.to_owned(),
        name: "Admin console".to_owned(),
        client_type: ClientType::Public,
        redirect_uris: vec![console_callback(public_url)],
        post_logout_redirect_uris: vec![format!("{public_url}/console")],
        allowed_grants: vec![Grant::AuthorizationCode],
        allowed_scopes: vec!["openid".into(), "profile".into(), "email".into()],
        first_party: true,
        secret_digest: None,
        jwks: None,
        token_settings: ApplicationTokenSettings::default(),
        mfa: None,
        require_par: false,
        dpop_bound_access_tokens: false,
        backchannel_logout_uri: None,
        frontchannel_logout_uri: None,
        organization_usage: crate::organizations::OrganizationUsage::Deny,
        meta: Meta::new(0),
    }
}

/// The built-in console when `client_id` names it, else what `stored` finds.
pub async fn application_or_console<F>(
    tenant_id: &str,
    client_id: &str,
    public_url: &str,
    stored: F,
) -> crate::ports::StoreResult<Option<Application>>
where
    F: std::future::Future<Output = crate::ports::StoreResult<Option<Application>>>,
{
    if client_id == CONSOLE_CLIENT_ID {
        return Ok(Some(console_application(tenant_id, public_url)));
    }
    stored.await
}
