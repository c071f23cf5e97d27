//! APIs, permissions and roles over HTTP on both backends: an API's identifier is the only
//! audience a token may name (`invalid_target` otherwise), an application gets for itself
//! only what its client grant says and for a user only what the user's roles give (RBAC),
//! refused scopes are named in `details.scopes`, tokens carry `aud`, `scope`,
//! `permissions` and `roles` (RFC 9068), a role taken away ends at the next refresh, and
//! post-login Actions see the API and the roles and change the permissions.

mod common;

use common::oauth::{authorize, authorize_path_in, challenge, exchange_redirect, REDIRECT};
use common::tokens::{claims, query_param};
use common::{unique, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const REPORTS: &str = "https://reports.example.com/";

struct Client {
    id: String,
    secret: String,
}

async fn client(server: &Server, tenant: &str, name: &str) -> Client {
    let app = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": name, "client_type": "confidential", "redirect_uris": [REDIRECT], "first_party": true,
                    "allowed_grants": ["authorization_code", "refresh_token", "client_credentials"],
                    "allowed_scopes": ["openid", "email", "profile", "offline_access"] }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    Client {
        id: app.body["client_id"].as_str().unwrap().into(),
        secret: app.body["client_secret"].as_str().unwrap().into(),
    }
}

async fn reports_api(server: &Server, tenant: &str, settings: Value) -> Value {
    let mut body = json!({
        "identifier": REPORTS, "name": "Reports",
        "permissions": [
            { "value": "read:reports", "description": "Read reports" },
            { "value": "write:reports", "description": "Write reports" },
            { "value": "delete:reports" },
        ],
    });
    body.as_object_mut().unwrap().extend(settings.as_object().unwrap().clone());
    server.created(&format!("/v1/tenants/{tenant}/apis"), body).await
}

async fn client_credentials(server: &Server, tenant: &str, client: &Client, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    server.oauth_post(tenant, "token", (&client.id, &client.secret), &form).await
}

/// The code flow for `client` in `tenant` with the browser `cookie`: the redirect's query.
async fn code_for(server: &Server, tenant: &str, client: &Client, cookie: &str, extra: &[(&str, &str)]) -> String {
    let path = authorize_path_in(tenant, &client.id, extra);
    let (status, location, body) = authorize(server, &path, Some(cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(location.starts_with(REDIRECT), "{location}");
    location
}

async fn exchange(server: &Server, tenant: &str, client: &Client, location: &str) -> Reply {
    exchange_redirect(server, tenant, (&client.id, Some(&client.secret)), location).await
}

async fn refresh(server: &Server, tenant: &str, client: &Client, token: &str, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    form.extend_from_slice(extra);
    server.oauth_post(tenant, "token", (&client.id, &client.secret), &form).await
}

fn permissions_of(token: &Value) -> Value {
    claims(token["access_token"].as_str().unwrap())["permissions"].clone()
}

#[tokio::test]
async fn machine_tokens_hold_what_the_client_grant_says_and_name_what_they_refuse() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-m2m-");
    server.tenant(&tenant, json!({})).await;
    let api = reports_api(&server, &tenant, json!({ "access_token_lifetime_s": 120 })).await;
    let api_id = api["id"].as_str().unwrap();
    let machine = client(&server, &tenant, "nightly").await;

    // An audience the tenant has no API for was once copied into `aud`; now it is refused
    // as RFC 8707's invalid_target, with the catalogue's invalid_scope.
    let unknown = client_credentials(&server, &tenant, &machine, &[("audience", "https://elsewhere.example/")]).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST, "{}", unknown.text);
    assert_eq!(unknown.body["error"], "invalid_target");
    assert_eq!(unknown.body["code"], "invalid_scope");
    assert_eq!(unknown.body["details"]["audience"], "https://elsewhere.example/");

    // No client grant: the application may not act for itself at this API.
    let ungranted = client_credentials(&server, &tenant, &machine, &[("audience", REPORTS)]).await;
    assert_eq!(ungranted.body["error"], "unauthorized_client", "{}", ungranted.text);

    let grant = server
        .created(
            &format!("/v1/tenants/{tenant}/client-grants"),
            json!({ "client_id": machine.id, "api_id": api_id, "scopes": ["read:reports", "write:reports"] }),
        )
        .await;
    assert_eq!(grant["subject_type"], "client");

    // No scope asked: every permission of the grant; `resource` works as `audience` does.
    let token = client_credentials(&server, &tenant, &machine, &[("resource", REPORTS)]).await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text);
    assert_eq!(token.body["scope"], "read:reports write:reports");
    assert_eq!(token.body["expires_in"], 120, "the API's own lifetime");
    let access = claims(token.body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], REPORTS);
    assert_eq!(access["sub"], machine.id.as_str());
    assert_eq!(access["permissions"], json!(["read:reports", "write:reports"]));
    assert_eq!(access["exp"].as_i64().unwrap() - access["iat"].as_i64().unwrap(), 120);

    // Some asked: only those; asking beyond the grant or the API names each offender.
    let narrow =
        client_credentials(&server, &tenant, &machine, &[("audience", REPORTS), ("scope", "read:reports")]).await;
    assert_eq!(narrow.body["scope"], "read:reports", "{}", narrow.text);
    let wide = client_credentials(
        &server,
        &tenant,
        &machine,
        &[("audience", REPORTS), ("scope", "read:reports delete:reports launch:missiles")],
    )
    .await;
    assert_eq!(wide.status, StatusCode::BAD_REQUEST, "{}", wide.text);
    assert_eq!(wide.body["error"], "invalid_scope");
    assert_eq!(wide.body["details"]["scopes"], json!(["delete:reports", "launch:missiles"]));
    assert_eq!(wide.body["details"]["audience"], REPORTS);

    // A resource server introspecting the token sees the permissions.
    let introspected = server
        .oauth_post(
            &tenant,
            "introspect",
            (&machine.id, &machine.secret),
            &[("token", token.body["access_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(introspected.body["active"], true, "{}", introspected.text);
    assert_eq!(introspected.body["permissions"], json!(["read:reports", "write:reports"]));

    // A permission taken out of the API is taken out of the grant, and out of tokens.
    let patched = server
        .call(
            Method::PATCH,
            &format!("/v1/tenants/{tenant}/apis/{api_id}"),
            Some(json!({ "permissions": [{ "value": "read:reports" }] })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let grant = server.get(&format!("/v1/tenants/{tenant}/client-grants/{}", grant["id"].as_str().unwrap())).await;
    assert_eq!(grant.body["scopes"], json!(["read:reports"]));
    let token = client_credentials(&server, &tenant, &machine, &[("audience", REPORTS)]).await;
    assert_eq!(token.body["scope"], "read:reports");

    // Deleting the API deletes its grants; its identifier is unknown again.
    let deleted = server.call(Method::DELETE, &format!("/v1/tenants/{tenant}/apis/{api_id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let grants = server.get(&format!("/v1/tenants/{tenant}/client-grants?client_id={}", machine.id)).await;
    assert_eq!(grants.body["data"], json!([]));
    let gone = client_credentials(&server, &tenant, &machine, &[("audience", REPORTS)]).await;
    assert_eq!(gone.body["error"], "invalid_target");
}

#[tokio::test]
async fn user_tokens_hold_what_roles_give_and_lose_it_at_the_next_refresh() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-rbac-");
    server.tenant(&tenant, json!({})).await;
    let user_id = server.user_with_password(&tenant, "ann@example.com", PASSWORD, true).await;
    let api = reports_api(&server, &tenant, json!({ "rbac": true, "roles_claim": true })).await;
    let api_id = api["id"].as_str().unwrap();
    let app = client(&server, &tenant, "dashboard").await;
    let role = server
        .created(
            &format!("/v1/tenants/{tenant}/roles"),
            json!({ "name": "analyst", "description": "Reads reports",
                "permissions": [{ "api_id": api_id, "value": "read:reports" }] }),
        )
        .await;
    let role_id = role["id"].as_str().unwrap();

    // Assigned twenty times at once: one assignment in the store.
    let path = format!("/v1/tenants/{tenant}/users/{user_id}/roles");
    let url = server.url(&path);
    let assigning: Vec<_> = (0..20)
        .map(|_| tokio::spawn(server.request(Method::POST, &path).json(&json!({ "roles": [role_id] })).send()))
        .collect();
    for assigned in assigning {
        let status = assigned.await.unwrap().unwrap().status();
        assert_eq!(status, StatusCode::OK, "{url}");
    }
    let count = format!("SELECT CAST(COUNT(*) AS TEXT) FROM user_roles WHERE user_id = '{user_id}'");
    let rows = server.query_text(&count).await;
    assert_eq!(rows, "1");
    let held = server.get(&format!("/v1/tenants/{tenant}/users/{user_id}/permissions")).await;
    assert_eq!(
        held.body["data"],
        json!([{ "api_id": api_id, "api_identifier": REPORTS, "value": "read:reports", "roles": ["analyst"] }])
    );

    let cookie = server.browser_session(&tenant, "ann@example.com", PASSWORD).await;
    let scope = "openid offline_access read:reports write:reports";
    let location = code_for(&server, &tenant, &app, &cookie, &[("scope", scope), ("audience", REPORTS)]).await;
    let tokens = exchange(&server, &tenant, &app, &location).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    // Granted less than asked, and said so in `scope` (RFC 6749 §3.3).
    assert_eq!(tokens.body["scope"], "openid offline_access read:reports");
    let access = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["aud"], REPORTS);
    assert_eq!(access["permissions"], json!(["read:reports"]));
    assert_eq!(access["roles"], json!(["analyst"]));
    assert_eq!(claims(tokens.body["id_token"].as_str().unwrap())["aud"], app.id.as_str(), "the ID token is the app's");

    // A new role shows at the next refresh, and one taken away is gone from it.
    let writer = server
        .created(
            &format!("/v1/tenants/{tenant}/roles"),
            json!({ "name": "editor", "permissions": [{ "api_id": api_id, "value": "write:reports" }] }),
        )
        .await;
    let assigned = server.post(&path, json!({ "roles": [writer["id"]] })).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);
    let removed = server.call(Method::DELETE, &format!("{path}/{role_id}"), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let refreshed = refresh(&server, &tenant, &app, tokens.body["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(permissions_of(&refreshed.body), json!(["write:reports"]));
    assert_eq!(claims(refreshed.body["access_token"].as_str().unwrap())["roles"], json!(["editor"]));

    // The grant is for its API: a refresh cannot name another.
    let other = refresh(
        &server,
        &tenant,
        &app,
        refreshed.body["refresh_token"].as_str().unwrap(),
        &[("resource", "https://other.example.com/")],
    )
    .await;
    assert_eq!(other.body["error"], "invalid_target", "{}", other.text);

    // A scope the API does not define goes back to the client as invalid_scope.
    let path = authorize_path_in(&tenant, &app.id, &[("scope", "openid launch:missiles"), ("audience", REPORTS)]);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_scope"), "{location}");
    assert!(query_param(&location, "code").is_none());
    let path = authorize_path_in(&tenant, &app.id, &[("resource", "https://nowhere.example.com/")]);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_target"), "{location}");

    // Without RBAC a user's token holds what the application asked of the API.
    let patched = server
        .call(Method::PATCH, &format!("/v1/tenants/{tenant}/apis/{api_id}"), Some(json!({ "rbac": false })))
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let location = code_for(&server, &tenant, &app, &cookie, &[("scope", scope), ("audience", REPORTS)]).await;
    let tokens = exchange(&server, &tenant, &app, &location).await;
    assert_eq!(permissions_of(&tokens.body), json!(["read:reports", "write:reports"]));

    // Deleting the API takes its permissions out of every role.
    let deleted = server.call(Method::DELETE, &format!("/v1/tenants/{tenant}/apis/{api_id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let editor = server.get(&format!("/v1/tenants/{tenant}/roles/{}", writer["id"].as_str().unwrap())).await;
    assert_eq!(editor.body["permissions"], json!([]));
    let gone = refresh(&server, &tenant, &app, tokens.body["refresh_token"].as_str().unwrap(), &[]).await;
    assert_eq!(gone.body["error"], "invalid_grant", "{}", gone.text);
}

#[tokio::test]
async fn an_api_may_admit_only_applications_with_a_user_grant() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-grant-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "bo@example.com", PASSWORD, true).await;
    let api = reports_api(&server, &tenant, json!({ "user_access": "client_grant" })).await;
    let app = client(&server, &tenant, "portal").await;
    let cookie = server.browser_session(&tenant, "bo@example.com", PASSWORD).await;
    let extra = [("scope", "openid read:reports"), ("audience", REPORTS)];
    let path = authorize_path_in(&tenant, &app.id, &extra);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("unauthorized_client"), "{location}");

    server
        .created(
            &format!("/v1/tenants/{tenant}/client-grants"),
            json!({ "client_id": app.id, "api_id": api["id"], "subject_type": "user", "scopes": ["read:reports"] }),
        )
        .await;
    let location = code_for(&server, &tenant, &app, &cookie, &extra).await;
    let tokens = exchange(&server, &tenant, &app, &location).await;
    assert_eq!(permissions_of(&tokens.body), json!(["read:reports"]), "{}", tokens.text);
    // Beyond the user grant is refused by name, before any code.
    let wide = [("scope", "openid read:reports write:reports"), ("audience", REPORTS)];
    let path = authorize_path_in(&tenant, &app.id, &wide);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_scope"), "{location}");

    // A pushed request is checked the same way.
    let challenge = challenge();
    let pushed = server
        .oauth_post(
            &tenant,
            "par",
            (&app.id, &app.secret),
            &[
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("code_challenge", challenge.as_str()),
                ("code_challenge_method", "S256"),
                ("resource", "https://nowhere.example.com/"),
            ],
        )
        .await;
    assert_eq!(pushed.status, StatusCode::BAD_REQUEST, "{}", pushed.text);
    assert_eq!(pushed.body["error"], "invalid_target");
}

#[tokio::test]
async fn post_login_actions_see_the_api_and_roles_and_change_permissions() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-act-");
    server.tenant(&tenant, json!({})).await;
    let user_id = server.user_with_password(&tenant, "cy@example.com", PASSWORD, true).await;
    let api = reports_api(&server, &tenant, json!({ "rbac": true })).await;
    let api_id = api["id"].as_str().unwrap();
    let role = server
        .created(
            &format!("/v1/tenants/{tenant}/roles"),
            json!({ "name": "auditor", "permissions": [{ "api_id": api_id, "value": "read:reports" }] }),
        )
        .await;
    let assigned =
        server.post(&format!("/v1/tenants/{tenant}/users/{user_id}/roles"), json!({ "roles": [role["id"]] })).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  api.accessToken.setCustomClaim("seen_api", event.resource_server ? event.resource_server.identifier : null);
  api.accessToken.setCustomClaim("seen_roles", event.authorization.roles);
  if (event.authorization.roles.includes("auditor")) {
    api.accessToken.addScope("delete:reports");
    api.accessToken.addScope("not:defined");
    api.accessToken.removeScope("read:reports");
  }
};"#;
    let action = server
        .post(
            &format!("/v1/tenants/{tenant}/actions"),
            json!({ "name": "perms", "trigger": "post-login", "code": code }),
        )
        .await;
    assert_eq!(action.status, StatusCode::CREATED, "{}", action.text);
    let app = client(&server, &tenant, "auditing").await;
    let extra = [("scope", "openid read:reports"), ("audience", REPORTS)];

    // Signing in for the request: the Actions run once, knowing the API.
    let path = authorize_path_in(&tenant, &app.id, &extra);
    let (_, login, _) = authorize(&server, &path, None).await;
    let cookie = server.browser_sign_in(&login, "cy@example.com", PASSWORD).await;
    let location = code_for(&server, &tenant, &app, &cookie, &extra).await;
    let tokens = exchange(&server, &tenant, &app, &location).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let access = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["seen_api"], REPORTS);
    assert_eq!(access["seen_roles"], json!(["auditor"]));
    assert_eq!(access["permissions"], json!(["delete:reports"]), "added if defined, removed as asked");
    assert_eq!(tokens.body["scope"], "openid delete:reports");

    // The same session asking for no API runs them again: no API, nothing to add.
    let location = code_for(&server, &tenant, &app, &cookie, &[("scope", "openid")]).await;
    let tokens = exchange(&server, &tenant, &app, &location).await;
    let access = claims(tokens.body["access_token"].as_str().unwrap());
    assert_eq!(access["seen_api"], Value::Null);
    assert!(access.get("permissions").is_none(), "{access}");
    assert_eq!(access["aud"], access["iss"]);
}

#[tokio::test]
async fn apis_roles_and_grants_are_checked_where_they_are_managed() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-mgmt-");
    server.tenant(&tenant, json!({})).await;
    let apis = format!("/v1/tenants/{tenant}/apis");
    let bad = server.post(&apis, json!({ "identifier": "reports", "permissions": [{ "value": "openid" }] })).await;
    let fields = &bad.assert_error(400, "validation_failed")["fields"];
    assert!(fields["identifier"].is_array() && fields["permissions"].is_array(), "{fields}");
    let api = reports_api(&server, &tenant, json!({})).await;
    let again = server.post(&apis, json!({ "identifier": REPORTS })).await;
    again.assert_error(409, "conflict");
    let listed = server.get(&apis).await;
    assert_eq!(
        listed.body["data"][0]["permissions"][0],
        json!({ "value": "read:reports", "description": "Read reports" })
    );

    let roles = format!("/v1/tenants/{tenant}/roles");
    let unknown_api = server
        .post(&roles, json!({ "name": "x", "permissions": [{ "api_id": "api_nope", "value": "read:reports" }] }))
        .await;
    unknown_api.assert_error(404, "not_found");
    let undefined = server
        .post(&roles, json!({ "name": "x", "permissions": [{ "api_id": api["id"], "value": "fly:planes" }] }))
        .await;
    undefined.assert_error(400, "validation_failed");

    let public = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": "spa", "client_type": "public", "redirect_uris": [REDIRECT] }),
        )
        .await;
    let grant = server
        .post(
            &format!("/v1/tenants/{tenant}/client-grants"),
            json!({ "client_id": public.body["client_id"], "api_id": api["id"], "scopes": [] }),
        )
        .await;
    grant.assert_error(400, "validation_failed");
    let user_grant = server
        .post(
            &format!("/v1/tenants/{tenant}/client-grants"),
            json!({ "client_id": public.body["client_id"], "api_id": api["id"], "subject_type": "user", "scopes": ["nope"] }),
        )
        .await;
    assert_eq!(user_grant.body["details"]["fields"]["scopes"][0], "\"nope\" is not a permission of this API");

    // Another tenant's credential sees none of it.
    let other = server.credential(&["applications:read"], Some("default")).await;
    let foreign = server.http.get(server.url(&apis)).bearer_auth(&other).send().await.unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
}

/// A third-party application asking a user for an API's permissions: the consent page names
/// the API and shows each permission with the description its admin wrote.
#[tokio::test]
async fn consent_names_the_api_and_describes_its_permissions() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("api-consent-");
    server.tenant(&tenant, json!({})).await;
    reports_api(&server, &tenant, json!({})).await;
    server.user_with_password(&tenant, "ada@example.com", PASSWORD, true).await;
    let app = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": "Partner", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": false }),
        )
        .await;
    let client_id = app.body["client_id"].as_str().unwrap();
    let cookie = server.browser_session(&tenant, "ada@example.com", PASSWORD).await;
    let path = authorize_path_in(
        &tenant,
        client_id,
        &[("audience", REPORTS), ("scope", "openid read:reports delete:reports")],
    );
    let (status, location, body) = authorize(&server, &path, Some(&cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(location.contains("/consent?request_id="), "{location}");
    let page = server.page(&location, &cookie).await;
    assert!(page.contains("<p id=\"scopes-api\">At Reports, the API:</p>"), "{page}");
    assert!(page.contains("<li><code>read:reports</code> <span class=\"muted\">Read reports</span></li>"), "{page}");
    assert!(page.contains("<li><code>delete:reports</code></li>"), "no description, nothing beside it: {page}");
    assert!(page.contains("<li><code>openid</code></li>"), "{page}");
}
