//! Upstream identity providers: another IntelliAuth tenant as an OpenID Connect upstream
//! (discovery, code + PKCE, a verified ID token with our nonce), and a local server that
//! speaks GitHub's OAuth 2.0 and API shape. Sign-up by first sign-in, account linking only
//! after the local account proves itself, never by an unverified email, the callback's
//! checks (state used once, bound to the browser that started it), `connection=` on the
//! authorization endpoint, the JSON flow API, claim mapping, Actions, and unlinking.

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::browser::{field, link, Browser};
use common::tokens::{claims, query_param};
use common::{unique, Options, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";

/// Two tenants on one server: `up` is the upstream identity provider, `down` signs its
/// users in through a connection named `idp`.
struct Federation {
    server: Server,
    /// The instance's public URL.
    public: String,
    up: String,
    down: String,
}

async fn federation() -> Federation {
    let server = Server::start_with(Options::unlimited().arg("--webhooks-allow-loopback", true)).await;
    let (up, down) = (unique("up-"), unique("down-"));
    server.tenant(&up, json!({})).await;
    server.tenant(&down, json!({})).await;
    let discovery = server.public_json(&format!("/t/{up}/.well-known/openid-configuration")).await;
    // The instance's public URL, where its redirects point (a browser keeps cookies by host).
    let public = discovery["issuer"].as_str().unwrap().trim_end_matches(&format!("/t/{up}")).to_owned();
    let callback = format!("{public}/t/{down}/login/upstream/callback");
    let app = server
        .post(
            &format!("/v1/tenants/{up}/applications"),
            json!({ "name": "downstream", "client_type": "confidential", "redirect_uris": [callback], "first_party": true }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    let connection = server
        .post(
            &format!("/v1/tenants/{down}/connections"),
            json!({ "name": "idp", "display_name": "Acme SSO", "issuer": discovery["issuer"],
                    "client_id": app.body["client_id"], "client_secret": app.body["client_secret"],
                    "mapping": { "app_metadata.upstream_issuer": "iss" } }),
        )
        .await;
    assert_eq!(connection.status, StatusCode::CREATED, "{}", connection.text);
    assert_eq!(connection.body["client_secret_set"], true);
    assert!(connection.body.get("client_secret").is_none(), "the secret is write-only: {}", connection.body);
    assert_eq!(connection.body["redirect_uri"], callback);
    Federation { server, public, up, down }
}

impl Federation {
    /// A browser signed in at the upstream as `email`.
    async fn browser_at_upstream(&self, email: &str, verified: bool) -> Browser {
        self.server.user_with_password(&self.up, email, PASSWORD, verified).await;
        let mut browser = Browser::new(&self.public);
        let signed_in = browser.sign_in(&self.up, email, PASSWORD).await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
        browser
    }

    /// From the downstream sign-in page's button to the answer of the downstream callback.
    async fn sign_in_through_upstream(&self, browser: &mut Browser) -> (common::browser::Answer, String) {
        let started = browser.get(&format!("/t/{}/login", self.down)).await;
        let page = browser.get(started.location()).await;
        assert!(page.body.contains("Continue with Acme SSO"), "{}", page.body);
        let button = link(&page.body, "/login/connection/idp");
        let to_upstream = browser.get(&button).await;
        assert_eq!(to_upstream.status, StatusCode::SEE_OTHER, "{}", to_upstream.body);
        let authorize = to_upstream.location().to_owned();
        assert!(authorize.contains(&format!("/t/{}/oauth/authorize", self.up)), "{authorize}");
        for parameter in ["state", "nonce", "code_challenge"] {
            assert!(query_param(&authorize, parameter).is_some_and(|v| v.len() >= 43), "{parameter} in {authorize}");
        }
        let back = browser.get(&authorize).await;
        let callback = back.location().to_owned();
        assert!(callback.contains("/login/upstream/callback?"), "{callback}");
        (browser.get(&callback).await, callback)
    }

    async fn user_by_email(&self, email: &str) -> Option<Value> {
        let found = self.server.get(&format!("/v1/tenants/{}/users?email={email}", self.down)).await;
        found.body["data"].as_array().and_then(|users| users.first()).cloned()
    }

    async fn identities(&self, user_id: &str) -> Vec<Value> {
        let reply = self.server.get(&format!("/v1/tenants/{}/users/{user_id}/identities", self.down)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        reply.body["data"].as_array().unwrap().clone()
    }
}

#[tokio::test]
async fn a_first_upstream_sign_in_creates_the_user_and_the_next_finds_them_by_the_identity() {
    let fed = federation().await;
    let mut browser = fed.browser_at_upstream("grace@example.com", true).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut browser).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), format!("/t/{}/account", fed.down));
    let account = browser.get(&format!("/t/{}/account", fed.down)).await;
    assert!(account.body.contains("grace@example.com"), "{}", account.body);
    assert!(account.body.contains("id=\"identities\""), "the account page lists the linked account: {}", account.body);

    let user = fed.user_by_email("grace@example.com").await.expect("created by the first sign-in");
    assert_eq!(user["email_verified"], true, "the upstream said verified");
    assert!(user["app_metadata"]["upstream_issuer"].as_str().unwrap().ends_with(&format!("/t/{}", fed.up)), "{user}");
    let user_id = user["id"].as_str().unwrap();
    let identities = fed.identities(user_id).await;
    assert_eq!(identities.len(), 1, "{identities:?}");
    assert_eq!(identities[0]["connection"], "idp");

    // Signed out and in again: the same user, through the identity, nothing new.
    let mut again = Browser::new(&fed.public);
    again.sign_in(&fed.up, "grace@example.com", PASSWORD).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut again).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(fed.identities(user_id).await.len(), 1);
    let users = fed.server.get(&format!("/v1/tenants/{}/users", fed.down)).await;
    assert_eq!(users.body["data"].as_array().unwrap().len(), 1, "{}", users.text);
    let log = fed.server.get(&format!("/v1/tenants/{}/logs?type=user.identity_linked", fed.down)).await;
    assert_eq!(log.body["data"].as_array().unwrap().len(), 1, "{}", log.text);
    // The upstream's tokens served the sign-ins; nothing of them is kept after.
    let kept =
        fed.server.query_text("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_requests WHERE outcome IS NOT NULL").await;
    assert_eq!(kept, "0");
}

#[tokio::test]
async fn a_local_account_is_linked_only_after_it_signs_in_and_never_by_an_unverified_email() {
    let fed = federation().await;
    let local = fed.server.user_with_password(&fed.down, "alan@example.com", PASSWORD, true).await;

    // Unverified at the upstream: refused, nothing linked, the account untouched.
    let mut unverified = fed.browser_at_upstream("alan@example.com", false).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut unverified).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("data-code=\"upstream_email_unverified\""), "{}", answer.body);
    assert!(fed.identities(&local).await.is_empty());

    // Verified upstream: the sign-in page asks for the local account first.
    let up_user = fed.server.get(&format!("/v1/tenants/{}/users?email=alan@example.com", fed.up)).await;
    let up_id = up_user.body["data"][0]["id"].as_str().unwrap().to_owned();
    let verified = fed
        .server
        .call(Method::PATCH, &format!("/v1/tenants/{}/users/{up_id}", fed.up), Some(json!({ "email_verified": true })))
        .await;
    assert_eq!(verified.status, StatusCode::OK, "{}", verified.text);
    let mut browser = Browser::new(&fed.public);
    browser.sign_in(&fed.up, "alan@example.com", PASSWORD).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut browser).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let login = answer.location().to_owned();
    assert!(login.contains("link=1") && login.contains("login_hint=alan%40example.com"), "{login}");
    let page = browser.get(&login).await;
    assert!(page.body.contains("Sign in to it once to link"), "{}", page.body);
    assert!(fed.identities(&local).await.is_empty(), "not linked before the account signs in");

    // A wrong password links nothing; the right one on the same flow links and signs in.
    let csrf = field(&page.body, "csrf_token");
    let wrong = browser
        .post(&login, &[("csrf_token", &csrf), ("email", "alan@example.com"), ("password", "wrong password 1")])
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert!(fed.identities(&local).await.is_empty());
    let right =
        browser.post(&login, &[("csrf_token", &csrf), ("email", "alan@example.com"), ("password", PASSWORD)]).await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.body);
    let identities = fed.identities(&local).await;
    assert_eq!(identities.len(), 1, "{identities:?}");

    // From now on the upstream signs the same account in directly.
    let mut later = Browser::new(&fed.public);
    later.sign_in(&fed.up, "alan@example.com", PASSWORD).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut later).await;
    assert_eq!(answer.location(), format!("/t/{}/account", fed.down), "{}", answer.body);

    // The account keeps its password, so unlinking is allowed, from the account page.
    let account = later.get(&format!("/t/{}/account", fed.down)).await;
    let removal = account
        .body
        .split("action=\"")
        .find(|part| part.contains("/identities/"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let csrf = field(&account.body, "csrf_token");
    let removed = later.post(&removal, &[("csrf_token", &csrf)]).await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(fed.identities(&local).await.is_empty());
}

#[tokio::test]
async fn the_callback_takes_its_state_once_and_only_from_the_browser_that_started_it() {
    let fed = federation().await;
    let mut browser = fed.browser_at_upstream("eve@example.com", true).await;
    let started = browser.get(&format!("/t/{}/login", fed.down)).await;
    let page = browser.get(started.location()).await;
    let to_upstream = browser.get(&link(&page.body, "/login/connection/idp")).await;
    let back = browser.get(to_upstream.location()).await;
    let callback = back.location().to_owned();

    // Another browser (the attacker's link in a victim's browser) cannot finish it.
    let mut other = Browser::new(&fed.public);
    let forged = other.get(&callback).await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{}", forged.body);
    assert!(forged.body.contains("data-code=\"state_mismatch\""), "{}", forged.body);
    // The state was used by that try: replaying it in the right browser fails too.
    let replay = browser.get(&callback).await;
    assert!(replay.body.contains("data-code=\"state_mismatch\""), "{}", replay.body);
    // A made-up state, and no state at all.
    let made_up = browser.get(&format!("/t/{}/login/upstream/callback?code=x&state=forged", fed.down)).await;
    assert!(made_up.body.contains("data-code=\"state_mismatch\""), "{}", made_up.body);
    assert!(fed.user_by_email("eve@example.com").await.is_none());

    // The upstream said no: its error is the catalogue's upstream_refused.
    let page = browser.get(&format!("/t/{}/login", fed.down)).await;
    let page = browser.get(page.location()).await;
    let to_upstream = browser.get(&link(&page.body, "/login/connection/idp")).await;
    let state = query_param(to_upstream.location(), "state").unwrap();
    let refused = browser
        .get(&format!("/t/{}/login/upstream/callback?error=access_denied&error_description=no&state={state}", fed.down))
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.body.contains("data-code=\"upstream_refused\""), "{}", refused.body);
    let failures = fed.server.get(&format!("/v1/tenants/{}/logs?type=user.login.failed", fed.down)).await;
    assert!(failures.text.contains("upstream_refused") && failures.text.contains("access_denied"), "{}", failures.text);
}

#[tokio::test]
async fn connection_on_the_authorization_endpoint_goes_straight_upstream_and_the_token_says_fed() {
    let fed = federation().await;
    let client = fed
        .server
        .post(
            &format!("/v1/tenants/{}/applications", fed.down),
            json!({ "name": "spa", "client_type": "public", "redirect_uris": [common::oauth::REDIRECT], "first_party": true }),
        )
        .await;
    let client_id = client.body["client_id"].as_str().unwrap().to_owned();
    let authorize =
        common::oauth::authorize_path(&client_id, &[("connection", "idp"), ("login_hint", "ada@example.com")])
            .replace("/t/default/", &format!("/t/{}/", fed.down));
    let mut browser = fed.browser_at_upstream("ada@example.com", true).await;
    let to_start = browser.get(&authorize).await;
    assert!(to_start.location().contains("/login/connection/idp?return_to="), "{}", to_start.location());
    let to_upstream = browser.get(to_start.location()).await;
    assert_eq!(
        query_param(to_upstream.location(), "login_hint").as_deref(),
        Some("ada@example.com"),
        "the hint passes through"
    );
    let (answer, _) = browser.follow(to_upstream.location(), &fed.public).await;
    let redirect = answer.location().to_owned();
    assert!(redirect.starts_with(common::oauth::REDIRECT), "{redirect}");
    let code = query_param(&redirect, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", common::oauth::REDIRECT),
        ("client_id", client_id.as_str()),
        ("code_verifier", common::oauth::VERIFIER),
    ];
    let token_url = format!("{}/t/{}/oauth/token", fed.server.base, fed.down);
    let tokens = common::Reply::from(reqwest::Client::new().post(token_url).form(&form).send().await.unwrap()).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text);
    let id_token = claims(tokens.body["id_token"].as_str().unwrap());
    assert_eq!(id_token["amr"], json!(["fed"]), "{id_token}");
    assert_eq!(id_token["email"], "ada@example.com");
}

#[tokio::test]
async fn connections_are_checked_when_saved_and_an_unreachable_upstream_is_upstream_unavailable() {
    let fed = federation().await;
    let path = format!("/v1/tenants/{}/connections", fed.down);
    let saml = fed
        .server
        .post(&path, json!({ "name": "saml", "client_id": "x", "strategy": "saml", "mapping": { "a": 1 } }))
        .await;
    let fields = &saml.assert_error(400, "validation_failed")["fields"];
    assert!(fields["strategy"].is_array() && fields["mapping.a"].is_array(), "{fields}");
    let bad = fed.server.post(&path, json!({ "name": "Bad Name", "client_id": "", "issuer": "https://idp.example", "mapping": { "roles": "x" } })).await;
    let fields = &bad.assert_error(400, "validation_failed")["fields"];
    for field in ["name", "client_id", "mapping"] {
        assert!(fields[field].is_array(), "{field}: {fields}");
    }
    let oauth2 = fed.server.post(&path, json!({ "name": "plain", "strategy": "oauth2", "client_id": "x" })).await;
    assert!(oauth2.assert_error(400, "validation_failed")["fields"]["token_endpoint"].is_array());
    let private =
        fed.server.post(&path, json!({ "name": "private", "issuer": "https://10.1.2.3", "client_id": "x" })).await;
    assert!(private.assert_error(400, "validation_failed")["fields"]["issuer"].is_array(), "{}", private.text);
    let preset = fed.server.post(&path, json!({ "name": "google", "preset": "google", "client_id": "x" })).await;
    assert!(preset.assert_error(400, "validation_failed")["fields"]["client_secret"].is_array(), "{}", preset.text);
    let taken =
        fed.server.post(&path, json!({ "name": "idp", "issuer": "https://idp.example", "client_id": "x" })).await;
    taken.assert_error(409, "conflict");

    // An upstream that does not answer: the button leads to the catalogue's page, not a hang.
    let closed = common::balancer::free_port();
    let dead = fed
        .server
        .post(&path, json!({ "name": "dead", "issuer": format!("http://127.0.0.1:{closed}"), "client_id": "x" }))
        .await;
    assert_eq!(dead.status, StatusCode::CREATED, "{}", dead.text);
    let listed = fed.server.get(&path).await;
    assert_eq!(listed.body["data"].as_array().unwrap().len(), 2, "{}", listed.text);
    let mut browser = Browser::new(&fed.public);
    let answer = browser.get(&format!("/t/{}/login/connection/dead", fed.down)).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.body);
    assert!(answer.body.contains("data-code=\"upstream_unavailable\""), "{}", answer.body);
    let missing = browser.get(&format!("/t/{}/login/connection/nope", fed.down)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);

    // Disabled: no button, no way in.
    let id = dead.body["id"].as_str().unwrap();
    let off = fed.server.call(Method::PATCH, &format!("{path}/{id}"), Some(json!({ "enabled": false }))).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.text);
    let page = browser.get(&format!("/t/{}/register", fed.down)).await;
    let page = browser.get(page.location()).await;
    assert!(
        page.body.contains("/login/connection/idp") && !page.body.contains("/login/connection/dead"),
        "{}",
        page.body
    );
    let deleted = fed.server.call(Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
}

/// What the GitHub-style server knows: the codes it issued with their PKCE challenges.
#[derive(Clone, Default)]
struct GitHub {
    codes: Arc<Mutex<Vec<(String, String)>>>,
}

const GITHUB_TOKEN: &str = "gho_test_token";

async fn github_token(State(github): State<GitHub>, headers: HeaderMap, body: String) -> (AxumStatus, Json<Value>) {
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    assert_eq!(headers.get("accept").unwrap(), "application/json", "GitHub answers JSON only when asked");
    let known = github.codes.lock().unwrap().iter().find(|(code, _)| Some(code) == form.get("code")).cloned();
    let Some((_, challenge)) = known else {
        // GitHub's way: 200 with an error.
        return (
            AxumStatus::OK,
            Json(
                json!({ "error": "bad_verification_code", "error_description": "The code passed is incorrect or expired." }),
            ),
        );
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let pkce_ok = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) == challenge;
    let client_ok = form.get("client_id").map(String::as_str) == Some("gh-client")
        && form.get("client_secret").map(String::as_str) == Some("gh-secret");
    if !pkce_ok || !client_ok {
        return (AxumStatus::OK, Json(json!({ "error": "incorrect_client_credentials" })));
    }
    (
        AxumStatus::OK,
        Json(json!({ "access_token": GITHUB_TOKEN, "token_type": "bearer", "scope": "read:user,user:email" })),
    )
}

fn authorized(headers: &HeaderMap) -> bool {
    let agent = headers.get("user-agent").is_some(); // GitHub refuses requests without one
    agent && headers.get("authorization").is_some_and(|value| value == &format!("Bearer {GITHUB_TOKEN}"))
}

async fn github_user(headers: HeaderMap) -> (AxumStatus, Json<Value>) {
    if !authorized(&headers) {
        return (AxumStatus::UNAUTHORIZED, Json(json!({ "message": "Bad credentials" })));
    }
    (
        AxumStatus::OK,
        Json(json!({ "id": 4242, "login": "octocat", "name": "Mona Lisa", "email": "public@elsewhere.example",
                    "avatar_url": "https://avatars.example/u/4242" })),
    )
}

async fn github_emails(headers: HeaderMap) -> (AxumStatus, Json<Value>) {
    if !authorized(&headers) {
        return (AxumStatus::UNAUTHORIZED, Json(json!({ "message": "Bad credentials" })));
    }
    (
        AxumStatus::OK,
        Json(json!([
            { "email": "secondary@example.com", "primary": false, "verified": true },
            { "email": "mona@example.com", "primary": true, "verified": true },
        ])),
    )
}

async fn start_github() -> (String, GitHub) {
    let github = GitHub::default();
    let app = Router::new()
        .route("/login/oauth/access_token", post(github_token))
        .route("/user", get(github_user))
        .route("/user/emails", get(github_emails))
        .with_state(github.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, github)
}

#[tokio::test]
async fn a_github_style_upstream_signs_in_a_native_app_through_the_json_flow_api() {
    let server = Server::start_with(Options::unlimited().arg("--webhooks-allow-loopback", true)).await;
    let tenant = unique("gh-");
    server.tenant(&tenant, json!({})).await;
    let (github, issued) = start_github().await;
    let created = server
        .post(
            &format!("/v1/tenants/{tenant}/connections"),
            json!({ "name": "github", "preset": "github", "client_id": "gh-client", "client_secret": "gh-secret",
                    "authorization_endpoint": format!("{github}/login/oauth/authorize"),
                    "token_endpoint": format!("{github}/login/oauth/access_token"),
                    "userinfo_endpoint": format!("{github}/user"),
                    "mapping": { "app_metadata.github_login": "login" } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["display_name"], "GitHub");
    assert_eq!(created.body["scopes"], json!(["read:user", "user:email"]));
    let app_redirect = "com.example.app:/callback";
    let app = server
        .post(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": "native", "client_type": "public", "redirect_uris": [app_redirect] }),
        )
        .await;
    let client_id = app.body["client_id"].as_str().unwrap().to_owned();
    // An Action sees the connection, its token and the identity.
    let action = server
        .post(
            &format!("/v1/tenants/{tenant}/actions"),
            json!({ "name": "gh", "trigger": "post-login", "code":
                "exports.onExecutePostLogin = async (event, api) => {\n  \
                   api.user.setAppMetadata('via', event.connection && event.connection.name);\n  \
                   api.user.setAppMetadata('has_token', !!(event.connection && event.connection.tokens.access_token));\n  \
                   api.user.setAppMetadata('identities', event.user.identities.map(i => i.provider + ':' + i.user_id));\n};" }),
        )
        .await;
    assert_eq!(action.status, StatusCode::CREATED, "{}", action.text);

    let flow = server.flow(&tenant, "login").await;
    let start_path = format!("/t/{tenant}/api/login/{flow}/connection");
    let wrong = server
        .post(&start_path, json!({ "connection": "github", "client_id": client_id, "redirect_uri": "com.evil:/cb" }))
        .await;
    wrong.assert_error(400, "invalid_redirect_uri");
    let started = server
        .post(
            &start_path,
            json!({ "connection": "github", "client_id": client_id, "redirect_uri": app_redirect, "login_hint": "octocat" }),
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text);
    let url = started.body["authorization_url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{github}/login/oauth/authorize?")), "{url}");
    assert_eq!(query_param(url, "login").as_deref(), Some("octocat"), "GitHub's hint parameter: {url}");
    assert!(query_param(url, "nonce").is_none(), "no nonce for plain OAuth 2.0");
    // The person approves at GitHub, which sends the browser back with a code.
    issued.codes.lock().unwrap().push(("gh-code".into(), query_param(url, "code_challenge").unwrap()));
    let state = query_param(url, "state").unwrap();
    let mut browser = Browser::new(&server.base);
    let bad_code = browser.get(&format!("/t/{tenant}/login/upstream/callback?code=other&state={state}")).await;
    assert_eq!(bad_code.status, StatusCode::FORBIDDEN, "{}", bad_code.body);
    assert!(bad_code.body.contains("data-code=\"upstream_refused\""), "{}", bad_code.body);

    let flow = server.flow(&tenant, "login").await;
    let started = server
        .post(
            &format!("/t/{tenant}/api/login/{flow}/connection"),
            json!({ "connection": "github", "client_id": client_id, "redirect_uri": app_redirect }),
        )
        .await;
    let url = started.body["authorization_url"].as_str().unwrap();
    issued.codes.lock().unwrap().push(("gh-code-2".into(), query_param(url, "code_challenge").unwrap()));
    let state = query_param(url, "state").unwrap();
    let back = browser.get(&format!("/t/{tenant}/login/upstream/callback?code=gh-code-2&state={state}")).await;
    assert_eq!(back.status, StatusCode::SEE_OTHER, "{}", back.body);
    let to_app = back.location().to_owned();
    assert!(to_app.starts_with(app_redirect), "{to_app}");
    assert_eq!(query_param(&to_app, "flow_id").as_deref(), Some(flow.as_str()));
    let code = query_param(&to_app, "upstream_code").unwrap();
    let finish = format!("/t/{tenant}/api/login/{flow}/connection/finish");
    let wrong_code = server.post(&finish, json!({ "upstream_code": "iau_guess" })).await;
    wrong_code.assert_error(400, "state_mismatch");
    let signed_in = server.post(&finish, json!({ "upstream_code": code })).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.text);
    assert!(signed_in.body["session_token"].is_string());
    let user = &signed_in.body["user"];
    assert_eq!(user["email"], "mona@example.com", "the verified primary address, not the public one");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["nickname"], "octocat");
    assert_eq!(user["picture"], "https://avatars.example/u/4242");
    server.post(&finish, json!({ "upstream_code": code })).await.assert_error(400, "flow_invalid");

    let stored = server.get(&format!("/v1/tenants/{tenant}/users/{}", user["id"].as_str().unwrap())).await;
    let metadata = &stored.body["app_metadata"];
    assert_eq!(metadata["github_login"], "octocat", "{metadata}");
    assert_eq!(metadata["via"], "github", "{metadata}");
    assert_eq!(metadata["has_token"], true, "{metadata}");
    assert_eq!(metadata["identities"], json!(["github:4242"]), "{metadata}");

    // Passwordless and linked once: the last way in cannot be unlinked by accident.
    let user_id = user["id"].as_str().unwrap();
    let identities = server.get(&format!("/v1/tenants/{tenant}/users/{user_id}/identities")).await;
    let identity_id = identities.body["data"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(identities.body["data"][0]["user_id"], "4242");
    let path = format!("/v1/tenants/{tenant}/users/{user_id}/identities/{identity_id}");
    server.call(Method::DELETE, &path, None).await.assert_error(409, "last_sign_in_method");
    let forced = server.call(Method::DELETE, &format!("{path}?force=true"), None).await;
    assert_eq!(forced.status, StatusCode::NO_CONTENT, "{}", forced.text);
}

#[tokio::test]
async fn a_form_post_answer_is_posted_again_from_our_origin_so_the_flow_cookie_comes_with_it() {
    let fed = federation().await;
    let mut browser = fed.browser_at_upstream("apple@example.com", true).await;
    let started = browser.get(&format!("/t/{}/login", fed.down)).await;
    let page = browser.get(started.location()).await;
    let to_upstream = browser.get(&link(&page.body, "/login/connection/idp")).await;
    let back = browser.get(to_upstream.location()).await;
    let callback = back.location().to_owned();
    let (path, query) = callback.split_once('?').unwrap();
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes()).into_owned().collect();

    // Apple's cross-site form post arrives without the SameSite=Lax flow cookie.
    let cross_site = reqwest::Client::new().post(path).form(&fields).send().await.unwrap();
    assert_eq!(cross_site.status(), StatusCode::OK);
    let repost = cross_site.text().await.unwrap();
    assert!(repost.contains("id=\"repost\"") && repost.contains("name=\"same_site\""), "{repost}");
    assert_eq!(field(&repost, "state"), fields.iter().find(|(k, _)| k == "state").unwrap().1);

    // The page's own post, from our origin, carries the cookie: the sign-in goes on.
    let mut again: Vec<(String, String)> = fields.clone();
    again.push(("same_site".into(), "1".into()));
    let pairs: Vec<(&str, &str)> = again.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let answer = browser.post(path, &pairs).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), format!("/t/{}/account", fed.down));
}

#[tokio::test]
async fn a_tenant_that_requires_mfa_asks_an_upstream_sign_in_for_a_second_factor_too() {
    let fed = federation().await;
    let settings = fed
        .server
        .call(
            Method::PATCH,
            &format!("/v1/tenants/{}", fed.down),
            Some(json!({ "settings": { "mfa": { "mode": "required" } } })),
        )
        .await;
    assert_eq!(settings.status, StatusCode::OK, "{}", settings.text);
    let mut browser = fed.browser_at_upstream("mfa@example.com", true).await;
    let (answer, _) = fed.sign_in_through_upstream(&mut browser).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert!(answer.location().contains("/login/mfa?flow="), "{}", answer.location());
    let account = browser.get(&format!("/t/{}/account", fed.down)).await;
    assert_eq!(account.status, StatusCode::SEE_OTHER, "no session before the second factor");
}

#[tokio::test]
async fn a_signed_in_user_links_an_upstream_account_from_the_account_page_whatever_its_email() {
    let fed = federation().await;
    fed.server.user_with_password(&fed.down, "bob@example.com", PASSWORD, true).await;
    // Another address, not even verified upstream: the user proves both accounts.
    let mut browser = fed.browser_at_upstream("bob.elsewhere@example.com", false).await;
    let signed_in = browser.sign_in(&fed.down, "bob@example.com", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.body);
    let account = browser.get(&format!("/t/{}/account", fed.down)).await;
    assert!(account.body.contains("Link Acme SSO"), "{}", account.body);
    let action = format!("/t/{}/account/identities/link/idp", fed.down);
    let csrf = field(&account.body, "csrf_token");
    let forged = browser.post(&action, &[("csrf_token", "forged")]).await;
    assert!(forged.body.contains("data-code=\"state_mismatch\""), "{}", forged.body);
    let to_upstream = browser.post(&action, &[("csrf_token", &csrf)]).await;
    assert_eq!(to_upstream.status, StatusCode::SEE_OTHER, "{}", to_upstream.body);
    let (answer, _) = browser.follow(to_upstream.location(), &fed.public).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(answer.body.contains("data-identity=\"idp\""), "back on the account page, linked: {}", answer.body);
    let bob = fed.user_by_email("bob@example.com").await.unwrap();
    let identities = fed.identities(bob["id"].as_str().unwrap()).await;
    assert_eq!(identities.len(), 1);
    assert!(fed.user_by_email("bob.elsewhere@example.com").await.is_none(), "no second user");

    // The same upstream account cannot be linked to someone else too.
    fed.server.user_with_password(&fed.down, "carol@example.com", PASSWORD, true).await;
    let mut carol = Browser::new(&fed.public);
    carol.sign_in(&fed.up, "bob.elsewhere@example.com", PASSWORD).await;
    carol.sign_in(&fed.down, "carol@example.com", PASSWORD).await;
    let account = carol.get(&format!("/t/{}/account", fed.down)).await;
    let csrf = field(&account.body, "csrf_token");
    let to_upstream = carol.post(&action, &[("csrf_token", &csrf)]).await;
    let (answer, _) = carol.follow(to_upstream.location(), &fed.public).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    let carol_id = fed.user_by_email("carol@example.com").await.unwrap()["id"].as_str().unwrap().to_owned();
    assert!(fed.identities(&carol_id).await.is_empty());
}

/// An upstream that speaks Sign in with Apple's shape: discovery, a key set, a token
/// endpoint that takes only a client secret signed with the registered `.p8` key (ES256,
/// the team as `iss`, the Services ID as `sub`), ID tokens whose `email_verified` is the
/// string `"true"`, and (asked for the name or email) a `form_post` answer.
#[derive(Clone)]
struct Apple {
    base: String,
    /// The public key of the client's `.p8` key, to check client secrets with.
    client_key: Arc<Vec<u8>>,
    /// The key the upstream signs ID tokens with (PKCS#8), and its public JWK.
    signing_key: Arc<Vec<u8>>,
    jwk: Value,
    /// Codes issued: (code, PKCE challenge, nonce).
    codes: Arc<Mutex<Vec<(String, String, String)>>>,
    /// Sign ID tokens with another nonce than the request's.
    wrong_nonce: Arc<Mutex<bool>>,
}

fn b64_json(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

fn es256_sign(pkcs8: &[u8], input: &str) -> String {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng).unwrap();
    URL_SAFE_NO_PAD.encode(key.sign(&rng, input.as_bytes()).unwrap().as_ref())
}

async fn apple_token(State(apple): State<Apple>, body: String) -> (AxumStatus, Json<Value>) {
    use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(body.as_bytes()).into_owned().collect();
    let refuse =
        |why: &str| (AxumStatus::BAD_REQUEST, Json(json!({ "error": "invalid_client", "error_description": why })));
    // The client secret: a JWT signed with the client's key, naming its team and key.
    let secret = form.get("client_secret").cloned().unwrap_or_default();
    let parts: Vec<&str> = secret.split('.').collect();
    if parts.len() != 3 {
        return refuse("the client secret is not a JWT");
    }
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    let signed = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, apple.client_key.as_slice())
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
        .is_ok();
    let now = now_s();
    if !signed || header["kid"] != "KEY1234567" || header["alg"] != "ES256" {
        return refuse("the client secret is not signed by the registered key");
    }
    if claims["iss"] != "TEAM123456"
        || claims["sub"] != "com.example.web"
        || claims["aud"] != "https://appleid.apple.com"
        || claims["exp"].as_i64().unwrap_or(0) <= now
    {
        return refuse("the client secret's claims are wrong");
    }
    let known = apple.codes.lock().unwrap().iter().find(|(code, _, _)| Some(code) == form.get("code")).cloned();
    let Some((_, challenge, nonce)) = known else {
        return (AxumStatus::BAD_REQUEST, Json(json!({ "error": "invalid_grant" })));
    };
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())) != challenge {
        return (AxumStatus::BAD_REQUEST, Json(json!({ "error": "invalid_grant", "error_description": "PKCE" })));
    }
    let nonce = if *apple.wrong_nonce.lock().unwrap() { "another-nonce".to_owned() } else { nonce };
    let id_claims = json!({ "iss": apple.base, "aud": "com.example.web", "sub": "001234.abcdef", "nonce": nonce,
        "email": "x7@privaterelay.appleid.com", "email_verified": "true", "is_private_email": "true",
        "iat": now, "exp": now + 600 });
    let input = format!("{}.{}", b64_json(&json!({ "alg": "ES256", "kid": "apple-1" })), b64_json(&id_claims));
    let id_token = format!("{input}.{}", es256_sign(&apple.signing_key, &input));
    (
        AxumStatus::OK,
        Json(
            json!({ "access_token": "apple-access", "token_type": "Bearer", "id_token": id_token, "expires_in": 3600 }),
        ),
    )
}

async fn start_apple(client_key: Vec<u8>) -> Apple {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let signing = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap().as_ref().to_vec();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &signing, &rng).unwrap();
    let point = pair.public_key().as_ref();
    let jwk = json!({ "kty": "EC", "crv": "P-256", "kid": "apple-1", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let apple = Apple {
        base: base.clone(),
        client_key: Arc::new(client_key),
        signing_key: Arc::new(signing),
        jwk,
        codes: Arc::default(),
        wrong_nonce: Arc::default(),
    };
    let discovery = json!({ "issuer": base, "authorization_endpoint": format!("{base}/auth/authorize"),
        "token_endpoint": format!("{base}/auth/token"), "jwks_uri": format!("{base}/auth/keys") });
    let keys = json!({ "keys": [apple.jwk.clone()] });
    let app = Router::new()
        .route("/.well-known/openid-configuration", get(move || async move { Json(discovery) }))
        .route("/auth/keys", get(move || async move { Json(keys) }))
        .route("/auth/token", post(apple_token))
        .with_state(apple.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    apple
}

fn now_s() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Sends the browser to Apple, which approves and posts its answer back across sites; the
/// answer of the callback at the end.
async fn apple_sign_in(apple: &Apple, tenant: &str, browser: &mut Browser) -> common::browser::Answer {
    let started = browser.get(&format!("/t/{tenant}/login")).await;
    let page = browser.get(started.location()).await;
    assert!(page.body.contains("Continue with Apple"), "{}", page.body);
    let to_apple = browser.get(&link(&page.body, "/login/connection/apple")).await;
    let url = to_apple.location().to_owned();
    assert!(url.starts_with(&format!("{}/auth/authorize?", apple.base)), "{url}");
    assert_eq!(query_param(&url, "response_mode").as_deref(), Some("form_post"));
    let code = unique("code-");
    let issued = (code.clone(), query_param(&url, "code_challenge").unwrap(), query_param(&url, "nonce").unwrap());
    apple.codes.lock().unwrap().push(issued);
    let form = [("code", code), ("state", query_param(&url, "state").unwrap())];
    let callback = format!("/t/{tenant}/login/upstream/callback");
    let repost = reqwest::Client::new().post(format!("{}{callback}", browser.base)).form(&form).send().await.unwrap();
    assert!(repost.text().await.unwrap().contains("id=\"repost\""));
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).chain([("same_site", "1")]).collect();
    browser.post(&callback, &pairs).await
}

#[tokio::test]
async fn sign_in_with_apple_signs_its_client_secret_with_the_p8_key_and_takes_its_form_post() {
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let server = Server::start_with(Options::unlimited().arg("--webhooks-allow-loopback", true)).await;
    let tenant = unique("apple-");
    server.tenant(&tenant, json!({})).await;
    // The developer's Sign in with Apple key, as Apple hands it out: a PKCS#8 PEM file.
    let rng = ring::rand::SystemRandom::new();
    let p8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        base64::engine::general_purpose::STANDARD.encode(p8.as_ref())
    );
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, p8.as_ref(), &rng).unwrap();
    let apple = start_apple(pair.public_key().as_ref().to_vec()).await;
    let path = format!("/v1/tenants/{tenant}/connections");
    let without_ids = json!({ "name": "apple", "preset": "apple", "client_id": "com.example.web", "client_secret": pem,
                              "issuer": apple.base });
    let fields = &server.post(&path, without_ids).await.assert_error(400, "validation_failed")["fields"].clone();
    assert!(fields["team_id"].is_array() && fields["key_id"].is_array(), "{fields}");
    let created = server
        .post(
            &path,
            json!({ "name": "apple", "preset": "apple", "client_id": "com.example.web", "client_secret": pem,
                             "team_id": "TEAM123456", "key_id": "KEY1234567", "issuer": apple.base }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["scopes"], json!(["openid", "email", "name"]));
    let public = created.body["redirect_uri"].as_str().unwrap().split("/t/").next().unwrap().to_owned();

    let mut browser = Browser::new(&public);
    let answer = apple_sign_in(&apple, &tenant, &mut browser).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    assert_eq!(answer.location(), format!("/t/{tenant}/account"));
    let users = server.get(&format!("/v1/tenants/{tenant}/users?email=x7@privaterelay.appleid.com")).await;
    assert_eq!(users.body["data"][0]["email_verified"], true, "Apple's \"true\" is a yes: {}", users.text);

    // An ID token that does not answer this sign-in (another nonce) is refused.
    *apple.wrong_nonce.lock().unwrap() = true;
    let mut other = Browser::new(&public);
    let answer = apple_sign_in(&apple, &tenant, &mut other).await;
    assert_eq!(answer.status, StatusCode::BAD_GATEWAY, "{}", answer.body);
    assert!(answer.body.contains("data-code=\"upstream_response_invalid\""), "{}", answer.body);
    let failures = server.get(&format!("/v1/tenants/{tenant}/logs?type=user.login.failed")).await;
    assert!(failures.text.contains("nonce"), "the admin sees why: {}", failures.text);
}

#[tokio::test]
async fn a_json_flow_cannot_be_finished_through_the_browser_start() {
    let fed = federation().await;
    let api_flow = fed.server.flow(&fed.down, "login").await;
    let mut browser = fed.browser_at_upstream("mallory@example.com", true).await;
    // A browser handed the JSON flow's id: it gets a flow of its own, not that one.
    let started = browser.get(&format!("/t/{}/login", fed.down)).await;
    browser.get(started.location()).await;
    let to_upstream = browser.get(&format!("/t/{}/login/connection/idp?flow={api_flow}", fed.down)).await;
    let (answer, _) = browser.follow(to_upstream.location(), &fed.public).await;
    assert_eq!(answer.status, StatusCode::OK, "signed in in the browser: {}", answer.body);
    assert!(answer.body.contains("mallory@example.com"), "{}", answer.body);
    // The JSON flow learnt nothing: no result to finish with, and it is still open.
    let finish = format!("/t/{}/api/login/{api_flow}/connection/finish", fed.down);
    fed.server.post(&finish, json!({ "upstream_code": "iau_anything" })).await.assert_error(400, "state_mismatch");
    let kept = fed
        .server
        .query_text(&format!("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_requests WHERE flow_id = '{api_flow}'"))
        .await;
    assert_eq!(kept, "0", "no upstream request was made on the JSON flow");
}
