//! The hosted side's paths under `/t/{tenant}/…`, built in one place: `core` writes them
//! into emails and flows, `oidc` into redirects, `server` registers its routes from them.
//! A flow's way back is typed ([`ReturnTo`]), so no layer parses another's URL.

/// A path under a tenant: `/t/{tenant}` and a suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantPath(&'static str);

impl TenantPath {
    /// The path for `tenant_id` (escaped: a tenant id is a slug, but the id may come from a
    /// request that was never checked against one).
    pub fn of(self, tenant_id: &str) -> String {
        let tenant: String = form_urlencoded::byte_serialize(tenant_id.as_bytes()).collect();
        format!("/t/{tenant}{}", self.0)
    }

    /// The absolute URL for `tenant_id` under the instance's `public_url`.
    pub fn url(self, public_url: &str, tenant_id: &str) -> String {
        format!("{public_url}{}", self.of(tenant_id))
    }

    /// The path with `name=value` query pairs (values escaped).
    pub fn with_query(self, tenant_id: &str, pairs: &[(&str, &str)]) -> String {
        with_pairs(self.of(tenant_id), pairs)
    }

    /// The path with `return_to=back`, when there is a way back.
    pub fn returning_to(self, tenant_id: &str, back: Option<&str>) -> String {
        match back {
            Some(back) => self.with_query(tenant_id, &[("return_to", back)]),
            None => self.of(tenant_id),
        }
    }

    /// The path for `tenant_id` with the template's other `{name}` segments filled from
    /// `segments` (escaped), for paths with an id in them.
    pub fn fill(self, tenant_id: &str, segments: &[(&str, &str)]) -> String {
        let mut path = self.of(tenant_id);
        for (name, value) in segments {
            let escaped: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
            path = path.replace(&format!("{{{name}}}"), &escaped);
        }
        path
    }

    /// The template the router registers (`/t/{tenant_id}…`).
    pub fn route(self) -> String {
        format!("/t/{{tenant_id}}{}", self.0)
    }
}

/// `path` (without a query) with `name=value` query pairs, values escaped.
pub fn with_pairs(mut path: String, pairs: &[(&str, &str)]) -> String {
    for (index, (name, value)) in pairs.iter().enumerate() {
        path.push(if index == 0 { '?' } else { '&' });
        path.push_str(name);
        path.push('=');
        path.extend(form_urlencoded::byte_serialize(value.as_bytes()));
    }
    path
}

/// The tenant's root: its issuer identifier, under which every endpoint of the tenant lives.
pub const TENANT: TenantPath = TenantPath("");

/// The tenant a request path is for (`/t/{tenant}/…`), when its id is plain enough to go
/// into a cookie's `Path` or a link as it is.
pub fn tenant_of(path: &str) -> Option<&str> {
    let root = TENANT.of("");
    let rest = path.strip_prefix(root.as_str())?;
    let tenant = rest.split('/').next()?;
    let plain = tenant.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    (!tenant.is_empty() && plain).then_some(tenant)
}
pub const LOGIN: TenantPath = TenantPath("/login");
pub const LOGIN_MFA: TenantPath = TenantPath("/login/mfa");
pub const LOGIN_MFA_SMS: TenantPath = TenantPath("/login/mfa/sms");
pub const LOGIN_PASSKEY: TenantPath = TenantPath("/login/passkey");
/// Starts signing in through a connection (an upstream identity provider) by its name.
pub const LOGIN_CONNECTION: TenantPath = TenantPath("/login/connection/{connection}");
/// Where upstream identity providers send the browser back (every connection's redirect URI).
pub const LOGIN_UPSTREAM_CALLBACK: TenantPath = TenantPath("/login/upstream/callback");
pub const REGISTER: TenantPath = TenantPath("/register");
pub const VERIFY: TenantPath = TenantPath("/verify");
pub const VERIFY_RESEND: TenantPath = TenantPath("/verify/resend");
pub const FORGOT: TenantPath = TenantPath("/forgot");
pub const RESET: TenantPath = TenantPath("/reset");
pub const ACCOUNT: TenantPath = TenantPath("/account");
pub const ACCOUNT_TOTP: TenantPath = TenantPath("/account/totp");
pub const ACCOUNT_PHONE: TenantPath = TenantPath("/account/phone");
pub const ACCOUNT_PHONE_CONFIRM: TenantPath = TenantPath("/account/phone/confirm");
pub const ACCOUNT_PASSKEY: TenantPath = TenantPath("/account/passkey");
pub const ACCOUNT_FACTOR_REMOVAL: TenantPath = TenantPath("/account/factors/{factor_id}/remove");
pub const ACCOUNT_IDENTITY_REMOVAL: TenantPath = TenantPath("/account/identities/{identity_id}/remove");
pub const ACCOUNT_IDENTITY_LINK: TenantPath = TenantPath("/account/identities/link/{connection}");
pub const LOGOUT: TenantPath = TenantPath("/logout");
pub const AUTHORIZE: TenantPath = TenantPath("/oauth/authorize");
pub const CONSENT: TenantPath = TenantPath("/oauth/consent");
/// An organization invitation's link (`?token=`).
pub const INVITATION: TenantPath = TenantPath("/invitation");
/// The hosted organization picker of an authorization request.
pub const ORGANIZATION_PICKER: TenantPath = TenantPath("/oauth/organization");
pub const END_SESSION: TenantPath = TenantPath("/oauth/logout");
pub const TOKEN: TenantPath = TenantPath("/oauth/token");
/// RFC 8628's device authorization endpoint.
pub const DEVICE_AUTHORIZATION: TenantPath = TenantPath("/oauth/device_authorization");
/// RFC 9126's pushed authorization request endpoint.
pub const PAR: TenantPath = TenantPath("/oauth/par");
/// Where a person enters (or confirms) a device's user code.
pub const DEVICE: TenantPath = TenantPath("/device");
pub const USERINFO: TenantPath = TenantPath("/oauth/userinfo");
pub const INTROSPECT: TenantPath = TenantPath("/oauth/introspect");
pub const REVOKE: TenantPath = TenantPath("/oauth/revoke");
pub const JWKS: TenantPath = TenantPath("/.well-known/jwks.json");
/// The JSON API's "send the verification email again".
pub const API_VERIFICATION: TenantPath = TenantPath("/api/verification");

/// Where a flow goes when it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnTo {
    /// Back to the authorization request that sent the browser to sign in.
    Authorization { request_id: String },
    /// Another path on this server.
    Path(String),
}

/// The longest return path kept.
const MAX_RETURN_TO: usize = 512;

impl ReturnTo {
    /// Reads a return path a browser asked for (or a flow stored): only same-site paths,
    /// so flows cannot be turned into open redirects; `None` for anything else.
    pub fn parse(text: &str) -> Option<ReturnTo> {
        let local = text.starts_with('/')
            && !text.starts_with("//")
            && !text.contains(['\\', '\r', '\n'])
            && text.len() <= MAX_RETURN_TO;
        if !local {
            return None;
        }
        let resumed = text
            .strip_prefix("/t/")
            .and_then(|rest| rest.split_once('/'))
            .and_then(|(_, rest)| rest.strip_prefix("oauth/authorize?request_id="))
            .filter(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
        Some(match resumed {
            Some(request_id) => ReturnTo::Authorization { request_id: request_id.to_owned() },
            None => ReturnTo::Path(text.to_owned()),
        })
    }

    /// Back to the authorization request `request_id`.
    pub fn authorization(request_id: &str) -> ReturnTo {
        ReturnTo::Authorization { request_id: request_id.to_owned() }
    }

    /// The path to send the browser to, in `tenant_id`.
    pub fn path(&self, tenant_id: &str) -> String {
        match self {
            ReturnTo::Authorization { request_id } => AUTHORIZE.with_query(tenant_id, &[("request_id", request_id)]),
            ReturnTo::Path(path) => path.clone(),
        }
    }

    /// The authorization request this flow resumes, if it resumes one.
    pub fn authorization_request(&self) -> Option<&str> {
        match self {
            ReturnTo::Authorization { request_id } => Some(request_id),
            ReturnTo::Path(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_tenant_of_a_path_is_read_only_when_plain() {
        assert_eq!(tenant_of("/t/default/login"), Some("default"));
        assert_eq!(tenant_of("/t/acme-2"), Some("acme-2"));
        assert_eq!(tenant_of("/t/a;b/login"), None, "nothing that could break out of a cookie attribute");
        assert_eq!(tenant_of("/t//login"), None);
        assert_eq!(tenant_of("/v1/tenants/default"), None);
    }

    use super::*;

    #[test]
    fn a_resumed_authorization_request_reads_back_as_itself() {
        let back = ReturnTo::authorization("azr_123");
        assert_eq!(back.path("acme"), "/t/acme/oauth/authorize?request_id=azr_123");
        assert_eq!(ReturnTo::parse(&back.path("acme")), Some(back));
    }

    #[test]
    fn only_local_paths_are_places_to_return_to() {
        assert_eq!(ReturnTo::parse("/t/acme/account"), Some(ReturnTo::Path("/t/acme/account".into())));
        for foreign in ["https://evil.example/", "//evil.example/", "/\\evil.example", "/a\r\nLocation: x", ""] {
            assert_eq!(ReturnTo::parse(foreign), None, "{foreign:?}");
        }
        assert_eq!(ReturnTo::parse(&format!("/{}", "a".repeat(MAX_RETURN_TO))), None);
        // A request id that is not one of ours stays an opaque path.
        let odd = "/t/acme/oauth/authorize?request_id=x&prompt=none";
        assert_eq!(ReturnTo::parse(odd), Some(ReturnTo::Path(odd.into())));
    }

    #[test]
    fn paths_and_routes_share_one_template() {
        assert_eq!(LOGIN.of("acme"), "/t/acme/login");
        assert_eq!(LOGIN.route(), "/t/{tenant_id}/login");
        assert_eq!(LOGIN.of("a/../b"), "/t/a%2F..%2Fb/login");
        assert_eq!(RESET.url("https://id.example", "acme"), "https://id.example/t/acme/reset");
        assert_eq!(RESET.with_query("acme", &[("token", "a b&c")]), "/t/acme/reset?token=a+b%26c");
        assert_eq!(
            ACCOUNT_FACTOR_REMOVAL.fill("acme", &[("factor_id", "fac_1")]),
            "/t/acme/account/factors/fac_1/remove"
        );
        assert_eq!(ACCOUNT_FACTOR_REMOVAL.route(), "/t/{tenant_id}/account/factors/{factor_id}/remove");
    }
}
