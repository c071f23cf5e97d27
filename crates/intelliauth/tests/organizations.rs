//! Organizations over HTTP on both backends: `organization=` by id or name as the
//! application's `organization_usage` allows, membership checked
//! (`organization_membership_required`, `access_denied` for OAuth clients), the hosted picker
//! when an application requires one (chosen for the user when they have one, refused with
//! `prompt=none`), `org_id`/`org_name` in tokens, the member's roles giving an API's
//! permissions, a member removed losing the organization at the next refresh, and
//! invitations (an invitee without an account registers from the link and joins).

mod common;

use common::browser::{field, link, Browser};
use common::oauth::{authorize, authorize_path_in, exchange_redirect, REDIRECT};
use common::tokens::{claims, query_param};
use common::{no_redirects, unique, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "correct horse battery";
const REPORTS: &str = "https://reports.example.com/";

async fn app(server: &Server, tenant: &str, usage: &str) -> String {
    let body = json!({ "name": format!("b2b-{usage}"), "client_type": "public", "redirect_uris": [REDIRECT],
                       "first_party": true, "allowed_grants": ["authorization_code", "refresh_token"],
                       "allowed_scopes": ["openid", "email", "profile", "offline_access", "read:reports"],
                       "organization_usage": usage });
    let created = server.created(&format!("/v1/tenants/{tenant}/applications"), body).await;
    assert_eq!(created["organization_usage"], usage);
    created["client_id"].as_str().unwrap().to_owned()
}

fn path(tenant: &str, client_id: &str, extra: &[(&str, &str)]) -> String {
    authorize_path_in(tenant, client_id, extra)
}

async fn tokens(server: &Server, tenant: &str, client_id: &str, location: &str) -> Reply {
    exchange_redirect(server, tenant, (client_id, None), location).await
}

#[tokio::test]
async fn users_sign_in_to_organizations_they_belong_to_and_tokens_say_which() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("org-");
    server.tenant(&tenant, json!({})).await;
    let ann = server.user_with_password(&tenant, "ann@example.com", PASSWORD, true).await;
    server.user_with_password(&tenant, "bob@example.com", PASSWORD, true).await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    let globex = server.created(&orgs, json!({ "name": "globex", "display_name": "Globex" })).await;
    let initech = server.created(&orgs, json!({ "name": "initech", "display_name": "Initech" })).await;
    let (globex_id, initech_id) = (globex["id"].as_str().unwrap(), initech["id"].as_str().unwrap());
    for org in [globex_id, initech_id] {
        let added = server.post(&format!("{orgs}/{org}/members"), json!({ "users": [ann] })).await;
        assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.text);
    }
    let listed = server.get(&format!("/v1/tenants/{tenant}/users/{ann}/organizations")).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2);

    // An application that does not sign in to organizations refuses the parameter.
    let plain = app(&server, &tenant, "deny").await;
    let ann_cookie = server.browser_session(&tenant, "ann@example.com", PASSWORD).await;
    let (_, location, _) =
        authorize(&server, &path(&tenant, &plain, &[("organization", "globex")]), Some(&ann_cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"), "{location}");

    // Allowed: by name or id, for members only.
    let allowing = app(&server, &tenant, "allow").await;
    let (_, location, _) =
        authorize(&server, &path(&tenant, &allowing, &[("organization", "globex")]), Some(&ann_cookie)).await;
    let issued = tokens(&server, &tenant, &allowing, &location).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.text);
    let id_token = claims(issued.body["id_token"].as_str().unwrap());
    assert_eq!((id_token["org_id"].as_str(), id_token["org_name"].as_str()), (Some(globex_id), Some("globex")));
    assert_eq!(claims(issued.body["access_token"].as_str().unwrap())["org_id"], globex_id);
    let (_, location, _) =
        authorize(&server, &path(&tenant, &allowing, &[("organization", initech_id)]), Some(&ann_cookie)).await;
    let issued = tokens(&server, &tenant, &allowing, &location).await;
    assert_eq!(claims(issued.body["id_token"].as_str().unwrap())["org_name"], "initech");
    let bob_cookie = server.browser_session(&tenant, "bob@example.com", PASSWORD).await;
    let (_, location, _) =
        authorize(&server, &path(&tenant, &allowing, &[("organization", "globex")]), Some(&bob_cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("access_denied"), "{location}");
    assert_eq!(query_param(&location, "catalogue_error").as_deref(), Some("organization_membership_required"));
    let (_, location, _) =
        authorize(&server, &path(&tenant, &allowing, &[("organization", "no-such-org")]), Some(&ann_cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"), "{location}");
    // Without one, an ordinary sign-in: no org_id.
    let (_, location, _) = authorize(&server, &path(&tenant, &allowing, &[]), Some(&ann_cookie)).await;
    let issued = tokens(&server, &tenant, &allowing, &location).await;
    assert!(claims(issued.body["id_token"].as_str().unwrap()).get("org_id").is_none());

    // Required: the picker lists the user's organizations; the pick goes on to a code.
    let requiring = app(&server, &tenant, "require").await;
    let (status, picker, _) = authorize(&server, &path(&tenant, &requiring, &[]), Some(&ann_cookie)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(picker.contains("/oauth/organization?request_id="), "{picker}");
    let page = no_redirects().get(server.url(&picker)).header("cookie", &ann_cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Globex") && html.contains("Initech"), "{html}");
    let csrf = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let picked = no_redirects()
        .post(server.url(&picker))
        .header("cookie", &ann_cookie)
        .form(&[("csrf_token", csrf.as_str()), ("organization", initech_id)])
        .send()
        .await
        .unwrap();
    let location = picked.headers()["location"].to_str().unwrap().to_owned();
    let issued = tokens(&server, &tenant, &requiring, &location).await;
    assert_eq!(claims(issued.body["id_token"].as_str().unwrap())["org_id"], initech_id, "{}", issued.text);
    // Picking an organization one is not a member of is refused like naming it.
    let (_, picker, _) = authorize(&server, &path(&tenant, &requiring, &[]), Some(&ann_cookie)).await;
    let outsider = server.created(&orgs, json!({ "name": "umbrella" })).await;
    let refused = no_redirects()
        .post(server.url(&picker))
        .header("cookie", &ann_cookie)
        .form(&[("csrf_token", csrf.as_str()), ("organization", outsider["id"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(query_param(&location, "catalogue_error").as_deref(), Some("organization_membership_required"));
    // prompt=none cannot show the picker; a user in no organization is refused.
    let (_, location, _) =
        authorize(&server, &path(&tenant, &requiring, &[("prompt", "none")]), Some(&ann_cookie)).await;
    assert_eq!(query_param(&location, "error").as_deref(), Some("interaction_required"), "{location}");
    let (_, location, _) = authorize(&server, &path(&tenant, &requiring, &[]), Some(&bob_cookie)).await;
    assert_eq!(query_param(&location, "catalogue_error").as_deref(), Some("organization_membership_required"));
    // With one organization it is chosen for the user.
    let removed = server.call(Method::DELETE, &format!("{orgs}/{initech_id}/members/{ann}"), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let (_, location, _) = authorize(&server, &path(&tenant, &requiring, &[]), Some(&ann_cookie)).await;
    let issued = tokens(&server, &tenant, &requiring, &location).await;
    assert_eq!(claims(issued.body["id_token"].as_str().unwrap())["org_id"], globex_id, "{location}");
}

#[tokio::test]
async fn a_member_s_roles_give_api_permissions_until_they_leave_the_organization() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("org-rbac-");
    server.tenant(&tenant, json!({})).await;
    let cy = server.user_with_password(&tenant, "cy@example.com", PASSWORD, true).await;
    let api = server.created(
        &format!("/v1/tenants/{tenant}/apis"),
        json!({ "identifier": REPORTS, "rbac": true, "roles_claim": true, "permissions": [{ "value": "read:reports" }] }),
    )
    .await;
    let role = server
        .created(
            &format!("/v1/tenants/{tenant}/roles"),
            json!({ "name": "org-analyst", "permissions": [{ "api_id": api["id"], "value": "read:reports" }] }),
        )
        .await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    let hooli = server.created(&orgs, json!({ "name": "hooli" })).await;
    let hooli_id = hooli["id"].as_str().unwrap();
    server.post(&format!("{orgs}/{hooli_id}/members"), json!({ "users": [cy] })).await;
    let unknown = server
        .call(Method::PUT, &format!("{orgs}/{hooli_id}/members/{cy}/roles"), Some(json!({ "roles": ["rol_nope"] })))
        .await;
    unknown.assert_error(404, "not_found");
    let member = server
        .call(Method::PUT, &format!("{orgs}/{hooli_id}/members/{cy}/roles"), Some(json!({ "roles": [role["id"]] })))
        .await;
    assert_eq!(member.body["roles"], json!([role["id"]]), "{}", member.text);

    let client_id = app(&server, &tenant, "allow").await;
    let cookie = server.browser_session(&tenant, "cy@example.com", PASSWORD).await;
    let extra = [("scope", "openid offline_access read:reports"), ("audience", REPORTS), ("organization", "hooli")];
    let (_, location, _) = authorize(&server, &path(&tenant, &client_id, &extra), Some(&cookie)).await;
    let issued = tokens(&server, &tenant, &client_id, &location).await;
    let access = claims(issued.body["access_token"].as_str().unwrap());
    assert_eq!(access["permissions"], json!(["read:reports"]), "{}", issued.text);
    assert_eq!(access["roles"], json!(["org-analyst"]));
    assert_eq!(access["org_id"], hooli_id);
    // Outside the organization the same user holds nothing of the API.
    let (_, location, _) = authorize(&server, &path(&tenant, &client_id, &extra[..2]), Some(&cookie)).await;
    let outside = tokens(&server, &tenant, &client_id, &location).await;
    assert_eq!(claims(outside.body["access_token"].as_str().unwrap())["permissions"], json!([]));

    // Removed from the organization: the next refresh is refused.
    let removed = server.call(Method::DELETE, &format!("{orgs}/{hooli_id}/members/{cy}"), None).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", issued.body["refresh_token"].as_str().unwrap()),
        ("client_id", client_id.as_str()),
    ];
    let refused = Reply::from(
        server.http.post(server.url(&format!("/t/{tenant}/oauth/token"))).form(&form).send().await.unwrap(),
    )
    .await;
    assert_eq!(refused.body["error"], "invalid_grant", "{}", refused.text);

    // Checked where managed.
    server.post(&orgs, json!({ "name": "hooli" })).await.assert_error(409, "conflict");
    server.post(&orgs, json!({ "name": "Not A Slug" })).await.assert_error(400, "validation_failed");
    server.post(&orgs, json!({ "name": "conn", "connections": ["con_nope"] })).await.assert_error(404, "not_found");
}

#[tokio::test]
async fn an_invitation_mailed_to_an_address_joins_whoever_signs_in_with_it_once() {
    let smtp = common::smtp::SmtpServer::start().await;
    let options = Options::unlimited().arg("--smtp-url", &smtp.url).arg("--mail-from", "Acme <id@acme.example>");
    let server = Server::start_with(options).await;
    let tenant = unique("org-inv-");
    server.tenant(&tenant, json!({})).await;
    let dee = server.user_with_password(&tenant, "dee@example.com", PASSWORD, false).await;
    server.user_with_password(&tenant, "eve@example.com", PASSWORD, true).await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    let org = server.created(&orgs, json!({ "name": "piedpiper", "display_name": "Pied Piper" })).await;
    let org_id = org["id"].as_str().unwrap();
    let role = server.created(&format!("/v1/tenants/{tenant}/roles"), json!({ "name": "engineer" })).await;

    let invited = server
        .created(&format!("{orgs}/{org_id}/invitations"), json!({ "email": "Dee@Example.com", "roles": [role["id"]] }))
        .await;
    assert_eq!(invited["email"], "dee@example.com");
    let url = invited["invitation_url"].as_str().unwrap().to_owned();
    let mailed = smtp.link("dee@example.com", "/invitation?token=").await;
    assert_eq!(mailed, url, "the mail carries the link");
    let listed = server.get(&format!("{orgs}/{org_id}/invitations")).await;
    assert!(listed.body["data"][0].get("invitation_url").is_none(), "the link is shown once: {}", listed.text);
    let path = url.split_once("/t/").map(|(_, rest)| format!("/t/{rest}")).unwrap();

    // Without a session: sign in first, with the invited address offered.
    let first = no_redirects().get(server.url(&path)).send().await.unwrap();
    let login = first.headers()["location"].to_str().unwrap().to_owned();
    assert!(login.contains("/login?return_to=") && login.contains("login_hint=dee%40example.com"), "{login}");

    // Someone else signed in cannot take it.
    let eve = server.browser_session(&tenant, "eve@example.com", PASSWORD).await;
    let page = no_redirects().get(server.url(&path)).header("cookie", &eve).send().await.unwrap().text().await.unwrap();
    let csrf = page.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let token = path.split("token=").nth(1).unwrap().to_owned();
    let accept_url = server.url(&format!("/t/{tenant}/invitation"));
    let accept = |cookie: String, csrf: String| {
        let (url, token) = (accept_url.clone(), token.clone());
        async move {
            no_redirects()
                .post(url)
                .header("cookie", cookie)
                .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = accept(eve.clone(), csrf).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(refused.text().await.unwrap().contains("permission_denied"));

    // The invitee, after signing in through the link's way: ten accepts at once join once.
    let dee_cookie = server.browser_sign_in(&login, "dee@example.com", PASSWORD).await;
    let page = no_redirects().get(server.url(&path)).header("cookie", &dee_cookie).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains("Pied Piper") && html.contains("accept-invitation"), "{html}");
    let csrf = html.split("name=\"csrf_token\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let racing: Vec<_> = (0..10).map(|_| accept(dee_cookie.clone(), csrf.clone())).collect();
    let mut joined = 0;
    for answer in futures_join(racing).await {
        if answer.status() == StatusCode::OK {
            joined += 1;
        }
    }
    assert_eq!(joined, 1, "one link, one acceptance");
    let members = server.get(&format!("{orgs}/{org_id}/members")).await;
    assert_eq!(
        members.body["data"],
        json!([{ "user_id": dee, "roles": [role["id"]], "created_at": members.body["data"][0]["created_at"] }])
    );
    let user = server.get(&format!("/v1/tenants/{tenant}/users/{dee}")).await;
    assert_eq!(user.body["email_verified"], true, "the link reached the address");
    // Spent: the link now answers as an invalid one.
    let spent = no_redirects().get(server.url(&path)).header("cookie", &dee_cookie).send().await.unwrap();
    assert!(spent.text().await.unwrap().contains("flow_invalid"));

    // A withdrawn invitation's link stops working.
    let second = server
        .created(&format!("{orgs}/{org_id}/invitations"), json!({ "email": "eve@example.com", "send_email": false }))
        .await;
    let withdrawn = server
        .call(Method::DELETE, &format!("{orgs}/{org_id}/invitations/{}", second["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(withdrawn.status, StatusCode::NO_CONTENT);
    let link =
        second["invitation_url"].as_str().unwrap().split_once("/t/").map(|(_, rest)| format!("/t/{rest}")).unwrap();
    let gone = no_redirects().get(server.url(&link)).header("cookie", &eve).send().await.unwrap();
    assert!(gone.text().await.unwrap().contains("flow_invalid"));
}

/// Runs the futures at once on the runtime's threads and waits for all.
async fn futures_join<F>(futures: Vec<F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut outputs = Vec::with_capacity(handles.len());
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn post_login_actions_see_the_organization_and_run_again_for_another() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("org-act-");
    server.tenant(&tenant, json!({})).await;
    let flo = server.user_with_password(&tenant, "flo@example.com", PASSWORD, true).await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    let org = server.created(&orgs, json!({ "name": "acme-co", "metadata": { "plan": "gold" } })).await;
    server.post(&format!("{orgs}/{}/members", org["id"].as_str().unwrap()), json!({ "users": [flo] })).await;
    let code = r#"exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://example.com/org", event.organization ? event.organization.name + ":" + event.organization.metadata.plan : null);
};"#;
    server
        .created(
            &format!("/v1/tenants/{tenant}/actions"),
            json!({ "name": "org", "trigger": "post-login", "code": code }),
        )
        .await;
    let client_id = app(&server, &tenant, "allow").await;

    let (_, login, _) = authorize(&server, &path(&tenant, &client_id, &[("organization", "acme-co")]), None).await;
    let cookie = server.browser_sign_in(&login, "flo@example.com", PASSWORD).await;
    let (_, location, _) =
        authorize(&server, &path(&tenant, &client_id, &[("organization", "acme-co")]), Some(&cookie)).await;
    let issued = tokens(&server, &tenant, &client_id, &location).await;
    assert_eq!(
        claims(issued.body["id_token"].as_str().unwrap())["https://example.com/org"],
        "acme-co:gold",
        "{}",
        issued.text
    );
    let (_, location, _) = authorize(&server, &path(&tenant, &client_id, &[]), Some(&cookie)).await;
    let issued = tokens(&server, &tenant, &client_id, &location).await;
    assert_eq!(claims(issued.body["id_token"].as_str().unwrap())["https://example.com/org"], Value::Null);
}

#[tokio::test]
async fn signing_in_to_an_organization_wears_its_branding_and_offers_only_its_connections() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("org-brand-");
    server.tenant(&tenant, json!({})).await;
    let connections = format!("/v1/tenants/{tenant}/connections");
    let github = server
        .created(&connections, json!({ "name": "github", "preset": "github", "client_id": "gh", "client_secret": "s" }))
        .await;
    server
        .created(&connections, json!({ "name": "gitlab", "preset": "gitlab", "client_id": "gl", "client_secret": "s" }))
        .await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    server
        .created(
            &orgs,
            json!({ "name": "globex", "display_name": "Globex",
                    "branding": { "primary_colour": "#0b6b3a", "logo_url": null }, "connections": [github["id"]] }),
        )
        .await;
    let client_id = app(&server, &tenant, "allow").await;

    let (_, login, _) = authorize(&server, &path(&tenant, &client_id, &[("organization", "globex")]), None).await;
    let http = no_redirects();
    let started = http.get(server.url(&login)).send().await.unwrap();
    let cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let flow_page = started.headers()["location"].to_str().unwrap().to_owned();
    let html = http.get(server.url(&flow_page)).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("--primary:#0b6b3a") && html.contains("<strong>Globex</strong>"), "{html}");
    assert!(html.contains("data-connection=\"github\""), "{html}");
    assert!(!html.contains("data-connection=\"gitlab\""), "only the organization's connections: {html}");
    // Its members cannot be sent through another connection by editing the URL.
    let flow = query_param(&flow_page, "flow").unwrap();
    let other = http
        .get(server.url(&format!("/t/{tenant}/login/connection/gitlab?flow={flow}")))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert!(other.text().await.unwrap().contains("permission_denied"));
    // Without an organization, every connection and the tenant's look.
    let (_, login, _) = authorize(&server, &path(&tenant, &client_id, &[]), None).await;
    let started = http.get(server.url(&login)).send().await.unwrap();
    let cookie = started.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let flow_page = started.headers()["location"].to_str().unwrap().to_owned();
    let html = http.get(server.url(&flow_page)).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("data-connection=\"gitlab\"") && !html.contains("#0b6b3a"), "{html}");
}

/// An invitee without an account: the link's sign-in page offers registration with the
/// invited address, the registration's verification mail signs in towards the invitation,
/// and the invitee joins — one link, no second trip to the mail.
#[tokio::test]
async fn an_invitee_without_an_account_registers_from_the_link_and_joins() {
    let smtp = common::smtp::SmtpServer::start().await;
    let options = Options::unlimited().arg("--smtp-url", &smtp.url).arg("--mail-from", "Acme <id@acme.example>");
    let server = Server::start_with(options).await;
    let tenant = unique("org-new-");
    server.tenant(&tenant, json!({})).await;
    let orgs = format!("/v1/tenants/{tenant}/organizations");
    let org = server.created(&orgs, json!({ "name": "hooli", "display_name": "Hooli" })).await;
    let org_id = org["id"].as_str().unwrap();
    server.created(&format!("{orgs}/{org_id}/invitations"), json!({ "email": "fay@example.com" })).await;
    let mailed = smtp.link("fay@example.com", "/invitation?token=").await;
    let invitation = mailed.split_once("/t/").map(|(_, rest)| format!("/t/{rest}")).unwrap();

    let mut browser = Browser::new(&server.url(""));
    let (login, _) = browser.follow(&invitation, &server.url("")).await;
    let register = link(&login.body, "/register");
    assert!(register.contains("return_to=") && register.contains("login_hint=fay%40example.com"), "{register}");
    let (form, form_url) = browser.follow(&register, &server.url("")).await;
    assert!(
        form.body.contains("type=\"email\" value=\"fay@example.com\""),
        "the invited address, typed: {}",
        form.body
    );
    let csrf = field(&form.body, "csrf_token");
    let path = form_url.trim_start_matches(&server.url(""));
    let sent = browser
        .post(path, &[("csrf_token", &csrf), ("email", "fay@example.com"), ("name", "Fay"), ("password", PASSWORD)])
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);

    let verify = smtp.link("fay@example.com", "/verify?token=").await;
    assert!(verify.contains("return_to="), "the verification link knows the way back: {verify}");
    let verified = browser.get(&verify).await;
    let sign_in = link(&verified.body, "/login");
    assert!(sign_in.contains("return_to="), "{sign_in}");
    let (page, page_url) = browser.follow(&sign_in, &server.url("")).await;
    let csrf = field(&page.body, "csrf_token");
    let signed_in = browser
        .post(
            page_url.trim_start_matches(&server.url("")),
            &[("csrf_token", &csrf), ("email", "fay@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    assert_eq!(signed_in.location(), invitation, "signed in, back to the invitation");
    let offer = browser.get(&invitation).await;
    let csrf = field(&offer.body, "csrf_token");
    let token = field(&offer.body, "token");
    let joined = browser.post(&format!("/t/{tenant}/invitation"), &[("csrf_token", &csrf), ("token", &token)]).await;
    assert_eq!(joined.status, StatusCode::OK, "{}", joined.body);
    assert!(joined.body.contains("invitation-done"), "{}", joined.body);
    let members = server.get(&format!("{orgs}/{org_id}/members")).await;
    assert_eq!(members.body["data"].as_array().unwrap().len(), 1, "{}", members.text);
}
