//! Presets: the well-known upstreams, their endpoints and their quirks, so a tenant admin
//! gives only a client id and secret.

use serde::{Deserialize, Serialize};

use super::Strategy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    Google,
    Microsoft,
    Github,
    Gitlab,
    Apple,
}

impl Preset {
    pub const ALL: [Preset; 5] = [Preset::Google, Preset::Microsoft, Preset::Github, Preset::Gitlab, Preset::Apple];

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::Google => "google",
            Preset::Microsoft => "microsoft",
            Preset::Github => "github",
            Preset::Gitlab => "gitlab",
            Preset::Apple => "apple",
        }
    }

    pub fn parse(text: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|preset| preset.as_str() == text)
    }

    /// The button's default label.
    pub fn display_name(self) -> &'static str {
        match self {
            Preset::Google => "Google",
            Preset::Microsoft => "Microsoft",
            Preset::Github => "GitHub",
            Preset::Gitlab => "GitLab",
            Preset::Apple => "Apple",
        }
    }

    pub fn strategy(self) -> Strategy {
        match self {
            Preset::Github => Strategy::Oauth2,
            _ => Strategy::Oidc,
        }
    }

    /// The OpenID Connect issuer whose discovery document gives the endpoints. Microsoft's
    /// `common` endpoint serves every Entra tenant: its ID tokens name their own tenant
    /// (see [`Preset::issuer_matches`]).
    pub fn issuer(self) -> Option<&'static str> {
        match self {
            Preset::Google => Some("https://accounts.google.com"),
            Preset::Microsoft => Some("https://login.microsoftonline.com/common/v2.0"),
            Preset::Gitlab => Some("https://gitlab.com"),
            Preset::Apple => Some("https://appleid.apple.com"),
            Preset::Github => None,
        }
    }

    /// GitHub's OAuth 2.0 endpoints (authorization, token, user); GitHub Enterprise sets its own.
    pub fn oauth2_endpoints(self) -> Option<(&'static str, &'static str, &'static str)> {
        match self {
            Preset::Github => Some((
                "https://github.com/login/oauth/authorize",
                "https://github.com/login/oauth/access_token",
                "https://api.github.com/user",
            )),
            _ => None,
        }
    }

    pub fn scopes(self) -> &'static [&'static str] {
        match self {
            Preset::Github => &["read:user", "user:email"],
            Preset::Apple => &["openid", "email", "name"],
            _ => &["openid", "email", "profile"],
        }
    }

    /// The authorization parameter an account hint travels in, if the upstream takes one.
    pub fn login_hint_parameter(self) -> Option<&'static str> {
        match self {
            Preset::Github => Some("login"),
            Preset::Apple => None,
            _ => Some("login_hint"),
        }
    }

    /// Apple answers with a form post when it is asked for the name or email.
    pub fn form_post(self) -> bool {
        self == Preset::Apple
    }

    /// Whether the upstream's `email` may be taken as verified when it says so. Microsoft's
    /// `email` claim is whatever the account's owner typed, in any Entra tenant, so it is
    /// never proof of the address (the "nOAuth" takeover).
    pub fn trusts_email_verified(self) -> bool {
        self != Preset::Microsoft
    }
}

/// Whether an ID token's `iss` is the issuer expected: the same string, or for a
/// multi-tenant Microsoft issuer (`…/common/v2.0`, `…/organizations/v2.0`) the issuer of
/// the token's own tenant (`…/{tid}/v2.0`).
pub fn issuer_matches(expected: &str, iss: &str, tid: Option<&str>) -> bool {
    if expected == iss {
        return true;
    }
    let Some(tid) = tid.filter(|tid| !tid.is_empty() && tid.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
    else {
        return false;
    };
    ["common", "organizations", "consumers", "{tenantid}"].iter().any(|alias| {
        let marker = format!("/{alias}/");
        expected.contains(&marker) && expected.replacen(&marker, &format!("/{tid}/"), 1) == iss
    })
}

/// Whether a discovery document announcing `announced` is the configured issuer's: the
/// same string, or for a multi-tenant Microsoft issuer the `{tenantid}` template its
/// document announces.
pub fn discovery_issuer_matches(configured: &str, announced: &str) -> bool {
    configured == announced
        || ["common", "organizations", "consumers"].iter().any(|alias| {
            let marker = format!("/{alias}/");
            configured.contains(&marker) && configured.replacen(&marker, "/{tenantid}/", 1) == announced
        })
}

/// Whether `secret` is a PEM private key (Apple's `.p8` file) rather than a shared secret.
pub fn is_pem_private_key(secret: &str) -> bool {
    secret.trim_start().starts_with("-----BEGIN PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_multi_tenant_issuer_matches_only_the_token_s_own_tenant() {
        let common = "https://login.microsoftonline.com/common/v2.0";
        let tid = "9188040d-6c67-4c5b-b112-36a304b66dad";
        assert!(issuer_matches(common, &format!("https://login.microsoftonline.com/{tid}/v2.0"), Some(tid)));
        assert!(!issuer_matches(common, "https://login.microsoftonline.com/other/v2.0", Some(tid)));
        assert!(!issuer_matches(common, "https://evil.example/9188/v2.0", Some("9188")));
        assert!(!issuer_matches("https://accounts.google.com", "https://accounts.google.com/x", Some("x")));
        assert!(issuer_matches("https://accounts.google.com", "https://accounts.google.com", None));
    }

    #[test]
    fn microsoft_s_multi_tenant_discovery_document_is_its_own() {
        let common = "https://login.microsoftonline.com/common/v2.0";
        assert!(discovery_issuer_matches(common, "https://login.microsoftonline.com/{tenantid}/v2.0"));
        assert!(!discovery_issuer_matches(common, "https://evil.example/{tenantid}/v2.0"));
        assert!(discovery_issuer_matches("https://gitlab.com", "https://gitlab.com"));
        assert!(!discovery_issuer_matches("https://gitlab.com", "https://gitlab.com/"));
    }
}
