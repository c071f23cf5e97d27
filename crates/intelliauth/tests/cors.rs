//! CORS for single-page applications: discovery and keys for any origin; the token,
//! userinfo and revocation endpoints for the origins of registered redirect URIs only,
//! error responses included; nothing else is cross-origin.

mod common;

use common::{Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::json;

const SPA: &str = "http://localhost:4321";

async fn preflight(server: &Server, path: &str, origin: &str) -> reqwest::Response {
    server
        .http
        .request(Method::OPTIONS, server.url(path))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type, authorization, x-evil")
        .send()
        .await
        .unwrap()
}

fn allow_origin(response: &reqwest::Response) -> Option<&str> {
    response.headers().get("access-control-allow-origin").map(|value| value.to_str().unwrap())
}

#[tokio::test]
async fn registered_origins_may_call_the_token_endpoints_and_others_may_not() {
    let server = Server::start().await;
    let app_body = json!({ "name": "spa", "client_type": "public", "redirect_uris": [format!("{SPA}/callback")] });
    let app = server.post("/v1/tenants/default/applications", app_body).await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);

    let allowed = preflight(&server, "/t/default/oauth/token", SPA).await;
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(allow_origin(&allowed), Some(SPA));
    assert_eq!(allowed.headers()["access-control-allow-methods"], "GET, POST");
    assert_eq!(
        allowed.headers()["access-control-allow-headers"],
        "content-type, authorization",
        "unknown headers dropped"
    );
    assert!(allowed.headers().get("access-control-allow-credentials").is_none(), "no cookies cross-origin");

    let stranger = preflight(&server, "/t/default/oauth/token", "http://evil.example").await;
    assert_eq!(allow_origin(&stranger), None);
    assert!(stranger.headers().get("access-control-allow-methods").is_none());

    // An error from the token endpoint is readable by the SPA, with its code.
    let failed = server
        .http
        .post(server.url("/t/default/oauth/token"))
        .header("origin", SPA)
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", "nope"),
            ("client_id", app.body["client_id"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(allow_origin(&failed), Some(SPA));
    assert!(failed.headers()["access-control-expose-headers"].to_str().unwrap().contains("www-authenticate"));
    assert_eq!(Reply::from(failed).await.body["code"], "invalid_grant");

    // Discovery is public; the management API and the pages are not cross-origin.
    let discovery = server
        .http
        .get(server.url("/t/default/.well-known/openid-configuration"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(allow_origin(&discovery), Some("*"));
    let management = preflight(&server, "/v1/tenants/default/users", SPA).await;
    assert_eq!(allow_origin(&management), None);
    let login = preflight(&server, "/t/default/login", SPA).await;
    assert_eq!(allow_origin(&login), None);
}
