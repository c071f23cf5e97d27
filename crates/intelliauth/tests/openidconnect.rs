//! The Rust `openidconnect` crate, unmodified, against an RS256 tenant: discovery, the
//! authorization code flow with PKCE (signing in through the hosted page over HTTP), ID
//! token and at_hash validation, userinfo, and refresh.

mod common;

use common::{no_redirects, Server};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const REDIRECT: &str = "http://localhost:4000/callback";

#[tokio::test]
async fn the_openidconnect_crate_signs_in_validates_and_refreshes() {
    let server = Server::start().await;
    server.tenant("rsa", json!({ "oauth": { "signing_alg": "RS256" } })).await;
    server.user_with_password("rsa", "crate@example.com", PASSWORD, true).await;
    let app_body =
        json!({ "name": "rust rp", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true });
    let app = server.post("/v1/tenants/rsa/applications", app_body).await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    let client_id = app.body["client_id"].as_str().unwrap().to_owned();

    let http = no_redirects();
    let issuer = IssuerUrl::new(format!("{}/t/rsa", server.base.replace("127.0.0.1", "localhost"))).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(client_id), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    let cookie = server.browser_session("rsa", "crate@example.com", PASSWORD).await;
    let response = http.get(url.as_str()).header("cookie", cookie).send().await.unwrap();
    let callback = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let param = |name: &str| callback.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    assert_eq!(param("state").as_deref(), Some(state.secret().as_str()));

    let tokens = client
        .exchange_code(AuthorizationCode::new(param("code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = client.id_token_verifier();
    let claims = id_token.claims(&id_verifier, &nonce).expect("a valid ID token");
    assert_eq!(claims.email().map(|e| e.as_str()), Some("crate@example.com"));
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&id_verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash), "at_hash matches the access token");

    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(claims.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some("crate@example.com"));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().expect("a refresh token"))
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    assert_ne!(refreshed.refresh_token().unwrap().secret(), tokens.refresh_token().unwrap().secret(), "rotated");
}
