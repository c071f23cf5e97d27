//! A tenant's brand colour cannot make its pages unusable: a colour that does not stand apart
//! from white by 4.5:1 is refused, naming the field and the contrast it has (and a shade of
//! the same hue that would do), and the preview endpoint renders the sign-in page for a
//! proposed theme, refusing what the save would refuse.

mod common;

use common::Server;
use reqwest::header::{CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use serde_json::json;

fn theme(colour: &str) -> serde_json::Value {
    json!({ "settings": { "theme": { "primary_colour": colour } } })
}

#[tokio::test]
async fn a_brand_colour_too_pale_for_white_is_refused_with_its_contrast() {
    let server = Server::start().await;
    for (colour, ratio) in [("#ffeb3b", "1.22:1"), ("#ffffff", "1.00:1"), ("#777777", "4.47:1")] {
        let refused = server.call(Method::PATCH, "/v1/tenants/default", Some(theme(colour))).await;
        refused.assert_error(400, "validation_failed");
        let message =
            refused.body["details"]["fields"]["settings.theme.primary_colour"][0].as_str().unwrap().to_owned();
        assert!(message.contains(ratio) && message.contains("4.5:1"), "{colour}: {message}");
        let suggested = message.split("hue at ").nth(1).unwrap().split(' ').next().unwrap();
        let accepted = server.call(Method::PATCH, "/v1/tenants/default", Some(theme(suggested))).await;
        assert_eq!(accepted.status, StatusCode::OK, "the suggested shade {suggested} is accepted: {}", accepted.text);
    }
    let fine = server.call(Method::PATCH, "/v1/tenants/default", Some(theme("#0b6b3a"))).await;
    assert_eq!(fine.status, StatusCode::OK, "{}", fine.text);
    assert_eq!(fine.body["settings"]["theme"]["primary_colour"], "#0b6b3a");
}

#[tokio::test]
async fn the_preview_renders_a_proposed_theme_and_refuses_what_saving_would() {
    let server = Server::start().await;
    let path = "/v1/tenants/default/theme/preview";
    let refused = server.post(path, json!({ "primary_colour": "#ffeb3b" })).await;
    refused.assert_error(400, "validation_failed");
    assert!(
        refused.body["details"]["fields"]["primary_colour"][0].as_str().unwrap().contains("1.22:1"),
        "{}",
        refused.text
    );
    server
        .post(path, json!({ "logo_url": "http://plain.example/logo.png" }))
        .await
        .assert_error(400, "validation_failed");
    server.post(path, json!({ "colour": "#000000" })).await.assert_error(400, "validation_failed");

    let shown = server
        .http
        .post(server.url(path))
        .bearer_auth(&server.token)
        .header("accept-language", "fr")
        .json(&json!({ "primary_colour": "#0b6b3a", "name": "Acme Preview" }))
        .send()
        .await
        .unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    assert!(shown.headers()[CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    assert!(shown.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().contains("form-action 'none'"));
    let html = shown.text().await.unwrap();
    assert!(
        html.contains("--primary:#0b6b3a") && html.contains("Acme Preview") && html.contains("lang=\"fr\""),
        "{html}"
    );
    // Nothing was saved.
    let tenant = server.get("/v1/tenants/default").await;
    assert_eq!(tenant.body["settings"]["theme"]["primary_colour"], "#3b5bdb");

    let viewer = server.credential(&["users:read"], None).await;
    let denied = server.http.post(server.url(path)).bearer_auth(viewer).json(&json!({})).send().await.unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
}
