//! OpenID Connect Front-Channel Logout 1.0 over HTTP on both backends: when a session ends
//! at the end-session endpoint, the signed-out page frames each front-channel logout URI of
//! the applications it signed in to — with `iss` and `sid`, allowed by the page's CSP
//! `frame-src` — and then goes on to the client's post-logout redirect.

mod common;

use common::oauth::{authorize, authorize_path_in, exchange_redirect, urlencode, REDIRECT};
use common::tokens::claims;
use common::{no_redirects, unique, Server};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const SIGNED_OUT: &str = "http://localhost:4000/signed-out";

#[tokio::test]
async fn the_end_session_page_frames_each_front_channel_logout_uri_with_iss_and_sid() {
    let server = Server::start().await;
    let tenant = unique("fcl-");
    server.tenant(&tenant, json!({})).await;
    server.user_with_password(&tenant, "gus@example.com", PASSWORD, true).await;
    let apps = format!("/v1/tenants/{tenant}/applications");
    for bad in ["javascript:alert(1)", "http://rp.example/logout", "https://rp.example/logout#frag"] {
        let refused = server
            .post(&apps, json!({ "name": "bad", "client_type": "public", "redirect_uris": [REDIRECT], "frontchannel_logout_uri": bad }))
            .await;
        assert!(
            refused.assert_error(400, "validation_failed")["fields"]["frontchannel_logout_uri"].is_array(),
            "{bad}"
        );
    }
    let created = server
        .post(
            &apps,
            json!({ "name": "framed", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true,
                    "post_logout_redirect_uris": [SIGNED_OUT], "frontchannel_logout_uri": "https://rp.example/logout?app=1" }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["frontchannel_logout_uri"], "https://rp.example/logout?app=1");
    let client_id = created.body["client_id"].as_str().unwrap().to_owned();
    let discovery = server.public_json(&format!("/t/{tenant}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["frontchannel_logout_supported"], true);
    assert_eq!(discovery["frontchannel_logout_session_supported"], true);

    let cookie = server.browser_session(&tenant, "gus@example.com", PASSWORD).await;
    let path = authorize_path_in(&tenant, &client_id, &[]);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    let tokens = exchange_redirect(&server, &tenant, (&client_id, None), &location).await.body;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sid = claims(id_token)["sid"].as_str().unwrap().to_owned();

    let logout = format!(
        "/t/{tenant}/oauth/logout?id_token_hint={}&post_logout_redirect_uri={}&state=bye",
        urlencode(id_token),
        urlencode(SIGNED_OUT)
    );
    let ended = no_redirects().get(server.url(&logout)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(ended.status(), StatusCode::OK, "a page that frames, then goes on");
    let policy = ended.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(policy.contains("frame-src https://rp.example"), "{policy}");
    assert!(ended.headers()["set-cookie"].to_str().unwrap().contains("Max-Age=0"), "the session cookie is cleared");
    let html = ended.text().await.unwrap();
    let issuer = discovery["issuer"].as_str().unwrap();
    let framed = format!("https://rp.example/logout?app=1&amp;iss={}&amp;sid={sid}", urlencode(issuer));
    assert!(html.contains(&format!("<iframe src=\"{framed}\"")), "{html}");
    assert!(html.contains(&format!("content=\"2;url={SIGNED_OUT}?state=bye\"")), "{html}");

    // The session is over: a second logout frames nothing and just goes back.
    let again = no_redirects().get(server.url(&logout)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
}
