//! What a token request for an API gets: which of the scopes asked are OpenID Connect's and
//! which the API's permissions (anything else is refused by name), what a user's or an
//! application's token may hold of them, and what post-login Actions changed.

use intelliauth_catalogue::Code;
use serde_json::json;

use super::{Api, ClientGrant, Role, UserAccess};
use crate::model::Application;
use crate::{Error, Refusal, Result};

/// The scopes of OpenID Connect itself; with an API, every other scope is one of its permissions.
pub const OIDC_SCOPES: [&str; 4] = ["openid", "profile", "email", "offline_access"];

/// A request naming an `audience` (or `resource`) the tenant has no API for: the catalogue's
/// `invalid_scope`, written as RFC 8707's `invalid_target` for OAuth clients.
pub fn unknown_audience(audience: &str) -> Error {
    Error::new(Code::InvalidScope)
        .with_refusal(Refusal::UnknownTarget)
        .with_message("The requested audience is not an API of this tenant.")
        .with_detail("audience", audience.chars().take(256).collect::<String>())
        .with_detail("reason", "no API has this identifier")
}

fn refused_scopes(api: &Api, scopes: Vec<String>, reason: &str) -> Error {
    Error::new(Code::InvalidScope)
        .with_refusal(Refusal::BadScope)
        .with_detail("scopes", scopes)
        .with_detail("audience", api.identifier.clone())
        .with_detail("reason", reason)
}

/// The scopes asked with an API as audience, split into the OpenID Connect scopes the
/// application may ask for and the API's permissions. A scope that is neither is refused
/// with `invalid_scope`, every such scope named in `details.scopes`.
pub fn split_scopes(api: &Api, application: &Application, scopes: &[String]) -> Result<(Vec<String>, Vec<String>)> {
    let (mut oidc, mut permissions, mut unknown) = (Vec::new(), Vec::new(), Vec::new());
    for scope in scopes {
        let target = if OIDC_SCOPES.contains(&scope.as_str()) && application.allowed_scopes.contains(scope) {
            &mut oidc
        } else if api.defines(scope) {
            &mut permissions
        } else {
            &mut unknown
        };
        if !target.contains(scope) {
            target.push(scope.clone());
        }
    }
    if !unknown.is_empty() {
        return Err(refused_scopes(api, unknown, "the API does not define these permissions"));
    }
    Ok((oidc, permissions))
}

/// Whether `application` may ask for tokens for `api` on behalf of users (`grant`: its client
/// grant of subject type `user`, if any); `unauthorized_client` otherwise.
pub fn check_user_access(api: &Api, application: &Application, grant: Option<&ClientGrant>) -> Result<()> {
    if api.config.user_access == UserAccess::ClientGrant && grant.is_none() {
        return Err(Error::new(Code::UnauthorizedClient)
            .with_refusal(Refusal::ClientNotAllowed)
            .with_message("This application has no client grant for the requested API's users.")
            .with_detail("audience", api.identifier.clone())
            .with_detail("client_id", application.id.clone()));
    }
    Ok(())
}

/// What a user's token for `api` holds of the permissions `asked`: those the application's
/// user grant allows (when the API requires one; asking for more is `invalid_scope`), and,
/// under RBAC, only those the user's `roles` give — the rest are left out, as RFC 6749 §3.3
/// lets a server grant less than asked and says so in `scope`.
pub fn user_permissions(
    api: &Api,
    asked: &[String],
    grant: Option<&ClientGrant>,
    roles: &[Role],
) -> Result<Vec<String>> {
    if api.config.user_access == UserAccess::ClientGrant {
        let allowed = grant.map(|grant| grant.scopes.as_slice()).unwrap_or_default();
        let refused: Vec<String> = asked.iter().filter(|scope| !allowed.contains(scope)).cloned().collect();
        if !refused.is_empty() {
            return Err(refused_scopes(api, refused, "the application's client grant does not include these"));
        }
    }
    Ok(asked
        .iter()
        .filter(|permission| api.defines(permission))
        .filter(|permission| {
            !api.config.rbac || roles.iter().any(|role| role.permissions_on(&api.id).any(|held| held == *permission))
        })
        .cloned()
        .collect())
}

/// What an application's own token (client credentials) for `api` holds: every permission
/// of its client grant when it asked for none, else those asked — each must be in the grant
/// (`invalid_scope` naming the others). Without a grant it gets none (`unauthorized_client`).
pub fn client_permissions(
    api: &Api,
    application: &Application,
    asked: Option<&[String]>,
    grant: Option<&ClientGrant>,
) -> Result<Vec<String>> {
    let Some(grant) = grant else {
        return Err(Error::new(Code::UnauthorizedClient)
            .with_refusal(Refusal::ClientNotAllowed)
            .with_message("This application has no client grant for the requested API.")
            .with_detail("audience", api.identifier.clone())
            .with_detail("client_id", application.id.clone()));
    };
    // A permission removed from the API since the grant was made is no longer given.
    let granted = grant.scopes.iter().filter(|scope| api.defines(scope));
    let Some(asked) = asked else { return Ok(granted.cloned().collect()) };
    let refused: Vec<String> =
        asked.iter().filter(|scope| !grant.scopes.contains(scope) || !api.defines(scope)).cloned().collect();
    if !refused.is_empty() {
        let reason = "the API does not define these, or the application's client grant does not include them";
        return Err(refused_scopes(api, refused, reason));
    }
    let mut permissions: Vec<String> = Vec::with_capacity(asked.len());
    for scope in asked {
        if !permissions.contains(scope) {
            permissions.push(scope.clone());
        }
    }
    Ok(permissions)
}

/// `permissions` after post-login Actions: added ones only if the API defines them (an
/// Action cannot mint a permission no resource server knows), removed ones taken out.
pub fn adjusted(api: &Api, mut permissions: Vec<String>, added: &[String], removed: &[String]) -> Vec<String> {
    for permission in added {
        if api.defines(permission) && !permissions.contains(permission) {
            permissions.push(permission.clone());
        }
    }
    permissions.retain(|permission| !removed.contains(permission));
    permissions
}

/// The names of the user's roles that give a permission of `api`: the `roles` claim.
pub fn role_names(api: &Api, roles: &[Role]) -> Vec<String> {
    roles.iter().filter(|role| role.permissions_on(&api.id).next().is_some()).map(|role| role.name.clone()).collect()
}

/// The API and the user's roles as post-login Actions see them (`event.resource_server`,
/// `event.authorization`).
pub fn event_detail(api: Option<&Api>, roles: &[Role]) -> (serde_json::Value, serde_json::Value) {
    let resource_server = api.map(|api| json!({ "identifier": api.identifier, "name": api.config.name }));
    let authorization = json!({ "roles": roles.iter().map(|role| role.name.clone()).collect::<Vec<_>>() });
    (resource_server.unwrap_or(serde_json::Value::Null), authorization)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apis::{ApiConfig, Permission, RolePermission, SubjectType};
    use crate::model::Meta;

    fn api(rbac: bool, user_access: UserAccess) -> Api {
        let permissions = ["read:reports", "write:reports"]
            .map(|value| Permission { value: value.into(), description: String::new() })
            .to_vec();
        Api {
            id: "api_1".into(),
            tenant_id: "t".into(),
            identifier: "https://reports.example".into(),
            config: ApiConfig { name: "Reports".into(), permissions, rbac, user_access, ..ApiConfig::default() },
            meta: Meta::new(0),
        }
    }

    fn role(values: &[&str]) -> Role {
        Role {
            id: "rol_1".into(),
            tenant_id: "t".into(),
            name: "analyst".into(),
            description: String::new(),
            permissions: values
                .iter()
                .map(|value| RolePermission { api_id: "api_1".into(), value: (*value).into() })
                .collect(),
            meta: Meta::new(0),
        }
    }

    fn grant(scopes: &[&str]) -> ClientGrant {
        ClientGrant {
            id: "cgr_1".into(),
            tenant_id: "t".into(),
            client_id: "app".into(),
            api_id: "api_1".into(),
            subject_type: SubjectType::Client,
            scopes: scopes.iter().map(|scope| (*scope).to_owned()).collect(),
            meta: Meta::new(0),
        }
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|value| (*value).to_owned()).collect()
    }

    #[test]
    fn rbac_keeps_only_what_roles_give() {
        let asked = strings(&["read:reports", "write:reports"]);
        let held = user_permissions(&api(true, UserAccess::AllApplications), &asked, None, &[role(&["read:reports"])]);
        assert_eq!(held.unwrap(), strings(&["read:reports"]));
        let open = user_permissions(&api(false, UserAccess::AllApplications), &asked, None, &[]);
        assert_eq!(open.unwrap(), asked);
    }

    #[test]
    fn a_user_grant_bounds_what_may_be_asked() {
        let api = api(false, UserAccess::ClientGrant);
        let refused = user_permissions(&api, &strings(&["write:reports"]), Some(&grant(&["read:reports"])), &[]);
        assert_eq!(refused.unwrap_err().details["scopes"], json!(["write:reports"]));
    }

    #[test]
    fn client_grants_default_to_all_and_refuse_the_rest_by_name() {
        let api = api(false, UserAccess::AllApplications);
        let app = crate::console::console_application("t", "http://localhost");
        assert_eq!(
            client_permissions(&api, &app, None, Some(&grant(&["read:reports"]))).unwrap(),
            strings(&["read:reports"])
        );
        let asked = strings(&["read:reports", "write:reports", "delete:everything"]);
        let error = client_permissions(&api, &app, Some(&asked), Some(&grant(&["read:reports"]))).unwrap_err();
        assert_eq!(error.code, Code::InvalidScope);
        assert_eq!(error.details["scopes"], json!(["write:reports", "delete:everything"]));
        assert_eq!(client_permissions(&api, &app, None, None).unwrap_err().code, Code::UnauthorizedClient);
    }

    #[test]
    fn actions_add_only_defined_permissions() {
        let api = api(true, UserAccess::AllApplications);
        let adjusted = adjusted(
            &api,
            strings(&["read:reports"]),
            &strings(&["write:reports", "root"]),
            &strings(&["read:reports"]),
        );
        assert_eq!(adjusted, strings(&["write:reports"]));
    }
}
