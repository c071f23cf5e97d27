//! The OAuth 2.0 token endpoint (client credentials), metadata, key set, introspection and
//! key rotation. Signatures are checked with the p256 / ed25519 crates directly against
//! the published JWKS, not with the server's own JWT code.

mod common;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use common::oauth::{machine_client, machine_token};
use common::tokens::verified;
use common::{Options, Reply, Server};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// Client id and secret for `client_secret_basic`, if the request uses it.
type BasicAuth<'a> = Option<(&'a str, &'a str)>;

async fn token(server: &Server, tenant: &str, basic: BasicAuth<'_>, form: &[(&str, &str)]) -> Reply {
    let mut request = server.http.post(server.url(&format!("/t/{tenant}/oauth/token"))).form(form);
    if let Some((id, secret)) = basic {
        request = request.header("authorization", format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))));
    }
    Reply::from(request.send().await.unwrap()).await
}

#[tokio::test]
async fn metadata_and_key_set_describe_the_tenant_issuer() {
    let server = Server::start().await;
    let metadata: Value = server.public_json("/t/default/.well-known/oauth-authorization-server").await;
    let issuer = metadata["issuer"].as_str().unwrap();
    assert!(issuer.ends_with("/t/default"), "{issuer}");
    assert_eq!(metadata["token_endpoint"], format!("{issuer}/oauth/token"));
    assert_eq!(metadata["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(
        metadata["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "private_key_jwt", "none"])
    );
    assert_eq!(metadata["authorization_endpoint"], format!("{issuer}/oauth/authorize"));
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
    let discovery: Value = server.public_json("/t/default/.well-known/openid-configuration").await;
    assert_eq!(discovery, metadata, "OIDC discovery and RFC 8414 metadata agree");
    let jwks: Value = server.public_json("/t/default/.well-known/jwks.json").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "the active key and the next one, published ahead of use");
    for key in keys {
        assert_eq!(
            (key["kty"].as_str(), key["alg"].as_str(), key["use"].as_str()),
            (Some("EC"), Some("ES256"), Some("sig"))
        );
        assert!(key.get("d").is_none(), "never the private half");
    }
    server.get("/t/nowhere/.well-known/jwks.json").await.assert_error(404, "not_found");
}

#[tokio::test]
async fn client_credentials_issue_a_signed_rfc9068_access_token() {
    let server = Server::start().await;
    let (id, secret) =
        machine_client(&server, "default", &["client_credentials"], &["orders:read", "orders:write"]).await;
    let reply = token(
        &server,
        "default",
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "orders:read")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        (reply.body["token_type"].as_str(), reply.body["expires_in"].as_u64(), reply.body["scope"].as_str()),
        (Some("Bearer"), Some(3600), Some("orders:read"))
    );
    let (header, claims) = verified(&server, "default", reply.body["access_token"].as_str().unwrap()).await;
    assert_eq!((header["typ"].as_str(), header["alg"].as_str()), (Some("at+jwt"), Some("ES256")));
    assert!(claims["iss"].as_str().unwrap().ends_with("/t/default"));
    assert_eq!((claims["sub"].as_str(), claims["client_id"].as_str()), (Some(id.as_str()), Some(id.as_str())));
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 3600);
    assert!(claims["jti"].is_string() && claims["aud"].is_string());

    let post = token(
        &server,
        "default",
        None,
        &[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", &secret)],
    )
    .await;
    assert_eq!(post.status, StatusCode::OK, "client_secret_post: {}", post.text);
    let (_, claims) = verified(&server, "default", post.body["access_token"].as_str().unwrap()).await;
    assert_eq!(claims["aud"], claims["iss"], "without an audience the token is the tenant's own");
    assert_eq!(claims["scope"], "orders:read orders:write", "all allowed scopes when none are asked for");

    // An audience is an API of the tenant (tests/apis.rs), never a string copied into `aud`.
    let free = token(
        &server,
        "default",
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("audience", "https://api.example")],
    )
    .await;
    assert_eq!(free.status, StatusCode::BAD_REQUEST, "{}", free.text);
    assert_eq!(free.body["error"], "invalid_target");
}

#[tokio::test]
async fn a_tenant_can_sign_with_eddsa_or_rs256() {
    let server = Server::start().await;
    for (tenant, alg) in [("ed", "EdDSA"), ("rsa", "RS256")] {
        server.tenant(tenant, json!({ "oauth": { "signing_alg": alg, "access_token_lifetime_s": 120 } })).await;
        let (id, secret) = machine_client(&server, tenant, &["client_credentials"], &["a"]).await;
        let reply = token(&server, tenant, Some((&id, &secret)), &[("grant_type", "client_credentials")]).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let (header, claims) = verified(&server, tenant, reply.body["access_token"].as_str().unwrap()).await;
        assert_eq!(header["alg"], alg);
        assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 120);
    }
    let jwks: Value = server.public_json("/t/rsa/.well-known/jwks.json").await;
    for key in jwks["keys"].as_array().unwrap() {
        assert_eq!((key["kty"].as_str(), key["e"].as_str()), (Some("RSA"), Some("AQAB")));
        assert_eq!(URL_SAFE_NO_PAD.decode(key["n"].as_str().unwrap()).unwrap().len(), 256, "a 2048-bit modulus");
    }
}

#[tokio::test]
async fn bad_client_authentication_is_invalid_client_with_a_challenge() {
    let server = Server::start().await;
    let (id, secret) = machine_client(&server, "default", &["client_credentials"], &["a"]).await;
    let cases: Vec<(BasicAuth, Vec<(&str, &str)>)> = vec![
        (Some((&id, "wrong-secret")), vec![("grant_type", "client_credentials")]),
        (Some(("app_unknown", &secret)), vec![("grant_type", "client_credentials")]),
        (None, vec![("grant_type", "client_credentials")]),
        (Some((&id, &secret)), vec![("grant_type", "client_credentials"), ("client_secret", &secret)]),
    ];
    for (basic, form) in cases {
        let reply = token(&server, "default", basic, &form).await;
        reply.assert_error(401, "invalid_client");
        reply.assert_catalogue_message();
        assert_eq!(reply.body["error"], "invalid_client", "RFC 6749 field beside the catalogue code");
        assert!(reply.header("www-authenticate").is_some_and(|h| h.starts_with("Basic realm=")), "{:?}", reply.headers);
    }
}

#[tokio::test]
async fn grants_and_scopes_the_client_may_not_use_are_refused() {
    let server = Server::start().await;
    let (web_id, web_secret) = machine_client(&server, "default", &["authorization_code"], &["a"]).await;
    let refused =
        token(&server, "default", Some((&web_id, &web_secret)), &[("grant_type", "client_credentials")]).await;
    refused.assert_error(400, "unauthorized_client");
    assert_eq!(refused.body["error"], "unauthorized_client");

    let spa_body = json!({ "name": "spa", "client_type": "public", "redirect_uris": ["http://localhost:3000/cb"] });
    let spa = server.post("/v1/tenants/default/applications", spa_body).await;
    let spa_id = spa.body["client_id"].as_str().unwrap().to_owned();
    token(&server, "default", None, &[("grant_type", "client_credentials"), ("client_id", &spa_id)])
        .await
        .assert_error(400, "unauthorized_client");

    let (id, secret) = machine_client(&server, "default", &["client_credentials"], &["orders:read"]).await;
    let scope = token(
        &server,
        "default",
        Some((&id, &secret)),
        &[("grant_type", "client_credentials"), ("scope", "orders:read admin")],
    )
    .await;
    let details = scope.assert_error(400, "invalid_scope");
    scope.assert_catalogue_message();
    assert_eq!((scope.body["error"].as_str(), details["scopes"].clone()), (Some("invalid_scope"), json!(["admin"])));

    let unsupported = token(&server, "default", Some((&id, &secret)), &[("grant_type", "password")]).await;
    assert_eq!(unsupported.assert_error(400, "unauthorized_client")["grant_type"], "password");
    assert_eq!(unsupported.body["error"], "unsupported_grant_type");
    let missing = token(&server, "default", Some((&id, &secret)), &[]).await;
    missing.assert_error(400, "validation_failed");
    assert_eq!(missing.body["error"], "invalid_request");

    let json_body = server
        .http
        .post(server.url("/t/default/oauth/token"))
        .json(&json!({ "grant_type": "client_credentials" }))
        .send()
        .await
        .unwrap();
    let json_body = Reply::from(json_body).await;
    json_body.assert_error(400, "validation_failed");
    assert_eq!(json_body.body["error"], "invalid_request");
}

#[tokio::test]
async fn introspection_tells_live_tokens_from_forged_ones() {
    let server = Server::start().await;
    let (id, secret) = machine_client(&server, "default", &["client_credentials"], &["a"]).await;
    let access = machine_token(&server, &id, &secret).await;
    let introspect = |form: Vec<(&'static str, String)>| {
        server
            .http
            .post(server.url("/t/default/oauth/introspect"))
            .header("authorization", format!("Basic {}", STANDARD.encode(format!("{id}:{secret}"))))
            .form(&form)
            .send()
    };
    let live = Reply::from(introspect(vec![("token", access.clone())]).await.unwrap()).await;
    assert_eq!(
        (live.body["active"].as_bool(), live.body["client_id"].as_str()),
        (Some(true), Some(id.as_str())),
        "{}",
        live.text
    );
    let mut forged = access.clone();
    forged.replace_range(forged.len() - 4.., "AAAA");
    let dead = Reply::from(introspect(vec![("token", forged)]).await.unwrap()).await;
    assert_eq!(dead.body, json!({ "active": false }));
    let junk = Reply::from(introspect(vec![("token", "not-a-jwt".into())]).await.unwrap()).await;
    assert_eq!(junk.body, json!({ "active": false }));
}

#[tokio::test]
async fn rotation_publishes_the_next_key_first_and_keeps_the_old_one() {
    let server = Server::start().await;
    let (id, secret) = machine_client(&server, "default", &["client_credentials"], &["a"]).await;
    let before = machine_token(&server, &id, &secret).await;
    let (old_header, _) = verified(&server, "default", &before).await;
    let jwks_before: Value = server.public_json("/t/default/.well-known/jwks.json").await;
    let kids_before: Vec<String> =
        jwks_before["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();

    let rotated = server.call(Method::POST, "/v1/tenants/default/keys/rotate", None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    let kids_after: Vec<String> =
        rotated.body["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kids_after.len(), 3, "retired, active and a new next key");
    assert!(kids_before.iter().all(|kid| kids_after.contains(kid)), "both earlier keys stay published");

    let after = machine_token(&server, &id, &secret).await;
    let (new_header, _) = verified(&server, "default", &after).await;
    assert_ne!(new_header["kid"], old_header["kid"]);
    assert!(
        kids_before.contains(&new_header["kid"].as_str().unwrap().to_owned()),
        "the key that signs now was published before it was used"
    );
    verified(&server, "default", &before).await; // tokens from the retired key still verify
}

#[tokio::test]
async fn signing_keys_are_sealed_with_the_instance_key() {
    let server = Server::start().await;
    let (id, secret) = machine_client(&server, "default", &["client_credentials"], &["a"]).await;
    assert_eq!(
        token(&server, "default", Some((&id, &secret)), &[("grant_type", "client_credentials")]).await.status,
        StatusCode::OK
    );
    let key_file = std::fs::read_to_string(server.data_dir.join("instance.key")).unwrap();
    assert_eq!(key_file.len(), 43, "a 32-byte key in base64url");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(server.data_dir.join("instance.key")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "readable by its owner only");
    }
    // Another instance key cannot open them: the server refuses to sign rather than leak.
    let other_key = URL_SAFE_NO_PAD.encode([7u8; 32]);
    let restarted = server.restart(Options::default().arg("--instance-key", other_key)).await;
    let reply = token(&restarted, "default", Some((&id, &secret)), &[("grant_type", "client_credentials")]).await;
    reply.assert_error(500, "server_error");
    assert!(!reply.text.contains("instance key"), "nothing internal is sent");
}

#[tokio::test]
async fn the_keys_command_rotates_from_the_command_line() {
    let server = Server::start().await;
    server.http.get(server.url("/t/default/.well-known/jwks.json")).send().await.unwrap();
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_intelliauth"));
    command
        .args(["keys", "rotate", "--tenant", "default", "--data-dir"])
        .arg(&server.data_dir)
        .env_remove("INTELLIAUTH_DATABASE_URL");
    if let Some(schema) = &server.schema {
        command.arg("--database-url").arg(schema.url_via(&schema.base_url));
    }
    let output = command.output().await.unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let jwks: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 3);
}

/// A client key pair made with the p256 crate directly, and its public JWK.
fn client_key(seed: u8, kid: &str) -> (p256::ecdsa::SigningKey, Value) {
    let key = p256::ecdsa::SigningKey::from_slice(&[seed; 32]).unwrap();
    let point = key.verifying_key().to_encoded_point(false);
    let jwk = json!({ "kty": "EC", "crv": "P-256", "alg": "ES256", "kid": kid,
                      "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()), "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()) });
    (key, jwk)
}

async fn send_assertion(server: &Server, jwt: &str) -> Reply {
    let bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    token(
        server,
        "default",
        None,
        &[("grant_type", "client_credentials"), ("client_assertion_type", bearer), ("client_assertion", jwt)],
    )
    .await
}

/// An RFC 7523 client assertion.
fn assertion(
    key: &p256::ecdsa::SigningKey,
    kid: &str,
    client_id: &str,
    audience: &str,
    lifetime_s: i64,
    jti: &str,
) -> String {
    use p256::ecdsa::signature::Signer;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let header = json!({ "alg": "ES256", "kid": kid, "typ": "JWT" });
    let claims =
        json!({ "iss": client_id, "sub": client_id, "aud": audience, "iat": now, "exp": now + lifetime_s, "jti": jti });
    let input =
        format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature: p256::ecdsa::Signature = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

#[tokio::test]
async fn private_key_jwt_authenticates_clients_by_signed_assertion() {
    let server = Server::start().await;
    let (key, jwk) = client_key(7, "client-key-1");
    let created = server
        .post(
            "/v1/tenants/default/applications",
            json!({ "name": "signed", "client_type": "confidential", "redirect_uris": ["https://s.example/cb"],
                    "allowed_grants": ["client_credentials"], "allowed_scopes": ["a"], "jwks": { "keys": [jwk] } }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let client_id = created.body["client_id"].as_str().unwrap().to_owned();
    let metadata: Value = server.public_json("/t/default/.well-known/openid-configuration").await;
    let endpoint = metadata["token_endpoint"].as_str().unwrap().to_owned();
    assert!(metadata["token_endpoint_auth_methods_supported"].as_array().unwrap().contains(&json!("private_key_jwt")));

    let good = assertion(&key, "client-key-1", &client_id, &endpoint, 60, "jti-1");
    let ok = send_assertion(&server, &good).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    // Each assertion is single use, and every refusal says why (details.reason, and the log).
    let replayed = send_assertion(&server, &good).await;
    let reason = |reply: &common::Reply| reply.body["details"]["reason"].as_str().unwrap_or_default().to_owned();
    replayed.assert_error(401, "invalid_client");
    assert!(reason(&replayed).contains("already used"), "{}", replayed.text);
    assert!(replayed.header("www-authenticate").is_some(), "RFC 7235: a 401 names its scheme");

    let (other_key, _) = client_key(9, "client-key-1");
    let foreign =
        send_assertion(&server, &assertion(&other_key, "client-key-1", &client_id, &endpoint, 60, "jti-2")).await;
    foreign.assert_error(401, "invalid_client");
    assert!(reason(&foreign).contains("signature"), "{}", foreign.text);
    // An hour is what common libraries (authlib) give an assertion; longer is refused.
    let hour = send_assertion(&server, &assertion(&key, "client-key-1", &client_id, &endpoint, 3600, "jti-3")).await;
    assert_eq!(hour.status, StatusCode::OK, "an assertion valid for an hour is accepted: {}", hour.text);
    let long = send_assertion(&server, &assertion(&key, "client-key-1", &client_id, &endpoint, 7200, "jti-6")).await;
    long.assert_error(401, "invalid_client");
    assert!(reason(&long).contains("more than an hour"), "{}", long.text);
    let expired = send_assertion(&server, &assertion(&key, "client-key-1", &client_id, &endpoint, -120, "jti-7")).await;
    assert!(reason(&expired).contains("expired"), "{}", expired.text);
    assert!(server.logs().contains("client assertion refused: the assertion has expired"), "the log says why");
    send_assertion(
        &server,
        &assertion(&key, "client-key-1", &client_id, "https://elsewhere.example/token", 60, "jti-4"),
    )
    .await
    .assert_error(401, "invalid_client");
    let issuer_audience = send_assertion(
        &server,
        &assertion(&key, "client-key-1", &client_id, metadata["issuer"].as_str().unwrap(), 60, "jti-5"),
    )
    .await;
    assert_eq!(
        issuer_audience.status,
        StatusCode::OK,
        "the issuer is an accepted audience too: {}",
        issuer_audience.text
    );

    let (_, mut private) = client_key(11, "leaky");
    private["d"] = "c2VjcmV0".into();
    let leaky_body = json!({ "name": "leaky", "client_type": "confidential", "jwks": { "keys": [private] } });
    let leaky = server.post("/v1/tenants/default/applications", leaky_body).await;
    assert!(leaky.assert_error(400, "validation_failed")["fields"]["jwks.keys[0]"].is_array(), "{}", leaky.text);
}

#[tokio::test]
async fn back_to_back_rotations_on_one_node_sign_only_with_keys_every_node_publishes() {
    let first = Server::start().await;
    // Nodes of one deployment share the public URL, and so each tenant's issuer.
    let metadata = first.public_json("/t/default/.well-known/openid-configuration").await;
    let public_url = metadata["issuer"].as_str().unwrap().trim_end_matches("/t/default").to_owned();
    let second = first.start_sibling(Options::default().arg("--public-url", public_url)).await;
    let (id, secret) = machine_client(&first, "default", &["client_credentials"], &["a"]).await;
    // The second node holds its copy of the keys from before the rotations.
    let from_second = machine_token(&second, &id, &secret).await;
    verified(&second, "default", &from_second).await;

    for _ in 0..2 {
        let rotated = first.call(Method::POST, "/v1/tenants/default/keys/rotate", None).await;
        assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    }
    let from_first = machine_token(&first, &id, &secret).await;
    let (header, _) = verified(&second, "default", &from_first).await; // the second node's JWKS lists its key
    let introspected = second.oauth_post("default", "introspect", (&id, &secret), &[("token", &from_first)]).await;
    assert_eq!(introspected.body["active"], true, "the second node accepts the first's token: {}", introspected.text);
    let retired = first.oauth_post("default", "introspect", (&id, &secret), &[("token", &from_second)]).await;
    assert_eq!(retired.body["active"], true, "and the first still accepts the second's: {}", retired.text);
    let jwks: Value = second.public_json("/t/default/.well-known/jwks.json").await;
    assert!(jwks["keys"].as_array().unwrap().iter().any(|key| key["kid"] == header["kid"]));
}

/// Signs a client credentials token on `signer` (for `audience`, if any) and checks that the
/// other node publishes its key and accepts it; returns the token's algorithm.
async fn token_every_node_accepts(
    signer: &Server,
    other: &Server,
    client: (&str, &str),
    audience: Option<&str>,
) -> String {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend(audience.map(|audience| ("audience", audience)));
    let reply = signer.oauth_post("default", "token", client, &form).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let token = reply.body["access_token"].as_str().unwrap();
    let (header, _) = verified(other, "default", token).await;
    let introspected = other.oauth_post("default", "introspect", client, &[("token", token)]).await;
    assert_eq!(
        introspected.body["active"], true,
        "{} accepts {}'s token: {}",
        other.base, signer.base, introspected.text
    );
    header["alg"].as_str().unwrap().to_owned()
}

/// Signs tokens on both nodes, each checked on the other, until both sign with `alg`;
/// returns the algorithms seen before.
async fn until_both_sign_with(
    nodes: [&Server; 2],
    client: (&str, &str),
    audience: Option<&str>,
    alg: &str,
) -> Vec<String> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(40);
    let mut before = Vec::new();
    loop {
        let first = token_every_node_accepts(nodes[0], nodes[1], client, audience).await;
        let second = token_every_node_accepts(nodes[1], nodes[0], client, audience).await;
        if first == alg && second == alg {
            return before;
        }
        before.extend([first, second]);
        assert!(std::time::Instant::now() < deadline, "still not {alg} after 40 s: {before:?}");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// An API's own algorithm, and a tenant's new one, sign only once every node publishes their
/// keys: saving the API (or the tenant) publishes them at once, the tenant's algorithm signs
/// until they are old enough, and every token either node signs meanwhile verifies on the
/// other. Nodes keep keys for 3 s here, so a new key signs after 8 s.
#[tokio::test]
async fn a_new_algorithm_signs_only_once_every_node_publishes_its_keys() {
    let first = Server::start_with(Options::default().arg("--signing-key-cache-s", 3)).await;
    let metadata = first.public_json("/t/default/.well-known/openid-configuration").await;
    let public_url = metadata["issuer"].as_str().unwrap().trim_end_matches("/t/default").to_owned();
    let second =
        first.start_sibling(Options::default().arg("--public-url", public_url).arg("--signing-key-cache-s", 3)).await;
    let (id, secret) = machine_client(&first, "default", &["client_credentials"], &["a"]).await;
    let client = (id.as_str(), secret.as_str());
    // Both nodes hold the tenant's ES256 keys.
    assert_eq!(token_every_node_accepts(&second, &first, client, None).await, "ES256");

    let api = first
        .created(
            "/v1/tenants/default/apis",
            json!({ "identifier": "https://ledger.example/", "signing_alg": "RS256", "permissions": [{ "value": "read:ledger" }] }),
        )
        .await;
    assert_eq!(api["signing_alg"], "RS256");
    let published: Value = first.public_json("/t/default/.well-known/jwks.json").await;
    assert!(
        published["keys"].as_array().unwrap().iter().any(|key| key["alg"] == "RS256"),
        "published on save: {published}"
    );
    first
        .created(
            "/v1/tenants/default/client-grants",
            json!({ "client_id": id, "api_id": api["id"], "scopes": ["read:ledger"] }),
        )
        .await;
    let ledger = Some("https://ledger.example/");
    assert_eq!(token_every_node_accepts(&first, &second, client, ledger).await, "ES256", "too new to sign yet");
    let before = until_both_sign_with([&first, &second], client, ledger, "RS256").await;
    assert!(before.iter().all(|alg| alg == "ES256"), "{before:?}");

    // The tenant's own switch, made on the other node, holds the same way.
    let patched = second
        .call(
            Method::PATCH,
            "/v1/tenants/default",
            Some(json!({ "settings": { "oauth": { "signing_alg": "EdDSA" } } })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(token_every_node_accepts(&second, &first, client, None).await, "ES256", "too new to sign yet");
    let before = until_both_sign_with([&second, &first], client, None, "EdDSA").await;
    assert!(before.iter().all(|alg| alg == "ES256"), "{before:?}");
    // The API keeps its own; a null gives it the tenant's again.
    assert_eq!(token_every_node_accepts(&first, &second, client, ledger).await, "RS256");
    let api_path = format!("/v1/tenants/default/apis/{}", api["id"].as_str().unwrap());
    let cleared = first.call(Method::PATCH, &api_path, Some(json!({ "signing_alg": null }))).await;
    assert_eq!(cleared.body["signing_alg"], Value::Null, "{}", cleared.text);
    assert_eq!(token_every_node_accepts(&first, &second, client, ledger).await, "EdDSA");
    let refused = first.call(Method::PATCH, &api_path, Some(json!({ "signing_alg": "HS256" }))).await;
    refused.assert_error(400, "validation_failed");

    // A rotation rotates every algorithm's keys: each has a retired, an active and a next.
    let rotated = first.call(Method::POST, "/v1/tenants/default/keys/rotate", None).await;
    assert_eq!(rotated.status, StatusCode::OK, "{}", rotated.text);
    for alg in ["ES256", "EdDSA", "RS256"] {
        let keys = rotated.body["keys"].as_array().unwrap().iter().filter(|key| key["alg"] == alg).count();
        assert_eq!(keys, 3, "{alg}: {}", rotated.text);
    }
}
