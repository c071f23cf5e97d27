//! DPoP (RFC 9449) over HTTP on both backends, with proofs signed here by a P-256 key (ring):
//! the token endpoint asks for its nonce, binds tokens to the proof's key (`cnf.jkt`,
//! `token_type: DPoP`), refuses replays (also twenty at once), other methods, URLs, old
//! proofs, unsupported algorithms and private keys; a public client's refresh token needs its
//! key (a stolen one ends the grant); userinfo wants the DPoP scheme, a proof and `ath`; a
//! bound token is no Bearer token anywhere; an application may require DPoP.

mod common;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::oauth::{authorize, authorize_path_in, REDIRECT, VERIFIER};
use common::tokens::{claims, query_param};
use common::{unique, Options, Reply, Server};
use reqwest::{Method, StatusCode};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const PASSWORD: &str = "correct horse battery";

/// A client's DPoP key.
struct ProofKey {
    pair: EcdsaKeyPair,
    jwk: Value,
}

impl ProofKey {
    fn new() -> ProofKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = json!({ "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]) });
        ProofKey { pair, jwk }
    }

    /// RFC 7638, computed here independently of the server.
    fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.jwk["x"].as_str().unwrap(),
            self.jwk["y"].as_str().unwrap()
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    fn sign(&self, header: &Value, claims: &Value) -> String {
        let input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = self.pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref()))
    }

    /// A proof for `method` `url`, with a nonce and the access token's hash when given.
    fn proof(&self, method: &str, url: &str, nonce: Option<&str>, access_token: Option<&str>) -> String {
        self.proof_with(method, url, nonce, access_token, |_, _| {})
    }

    fn proof_with(
        &self,
        method: &str,
        url: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
        change: impl FnOnce(&mut Value, &mut Value),
    ) -> String {
        let mut header = json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk });
        let mut claims = json!({ "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": url,
            "iat": time::OffsetDateTime::now_utc().unix_timestamp() });
        if let Some(nonce) = nonce {
            claims["nonce"] = nonce.into();
        }
        if let Some(token) = access_token {
            claims["ath"] = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())).into();
        }
        change(&mut header, &mut claims);
        self.sign(&header, &claims)
    }
}

struct Tenant {
    id: String,
    token_url: String,
    userinfo_url: String,
}

async fn tenant(server: &Server) -> Tenant {
    let id = unique("dpop-");
    server.tenant(&id, json!({})).await;
    let discovery = server.public_json(&format!("/t/{id}/.well-known/openid-configuration")).await;
    assert_eq!(discovery["dpop_signing_alg_values_supported"], json!(["ES256", "EdDSA", "Ed25519", "RS256"]));
    // Discovery says exactly what is offered: every grant, and no more than is built.
    let grants = discovery["grant_types_supported"].as_array().unwrap();
    for grant in ["urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:device_code"] {
        assert!(grants.iter().any(|offered| offered == grant), "{grant}");
    }
    for unsupported in ["request_parameter_supported", "request_uri_parameter_supported", "claims_parameter_supported"]
    {
        assert_eq!(discovery[unsupported], false, "{unsupported}");
    }
    Tenant {
        token_url: discovery["token_endpoint"].as_str().unwrap().to_owned(),
        userinfo_url: discovery["userinfo_endpoint"].as_str().unwrap().to_owned(),
        id,
    }
}

/// A token request's form posted with these DPoP headers, authenticated as `client` when given.
async fn token(
    server: &Server,
    tenant: &Tenant,
    client: Option<(&str, &str)>,
    form: &[(&str, &str)],
    proofs: &[&str],
) -> Reply {
    let mut request = server.http.post(server.url(&format!("/t/{}/oauth/token", tenant.id))).form(form);
    if let Some((id, secret)) = client {
        request = request.basic_auth(id, Some(secret));
    }
    for proof in proofs {
        request = request.header("DPoP", *proof);
    }
    Reply::from(request.send().await.unwrap()).await
}

/// The server's current nonce, as a first proof without one learns it.
async fn nonce(server: &Server, tenant: &Tenant, client: (&str, &str), key: &ProofKey) -> String {
    let proof = key.proof("POST", &tenant.token_url, None, None);
    let asked = token(server, tenant, Some(client), &[("grant_type", "client_credentials")], &[&proof]).await;
    asked.assert_error(400, "use_dpop_nonce");
    assert_eq!(asked.body["error"], "use_dpop_nonce");
    asked.header("dpop-nonce").expect("a DPoP-Nonce header").to_owned()
}

async fn machine(server: &Server, tenant: &Tenant) -> (String, String) {
    let app = server
        .post(
            &format!("/v1/tenants/{}/applications", tenant.id),
            json!({ "name": "m2m", "client_type": "confidential", "redirect_uris": ["https://m2m.example/cb"],
                    "allowed_grants": ["client_credentials"], "allowed_scopes": ["reports"] }),
        )
        .await;
    assert_eq!(app.status, StatusCode::CREATED, "{}", app.text);
    (app.body["client_id"].as_str().unwrap().to_owned(), app.body["client_secret"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_token_endpoint_binds_tokens_to_the_proof_key_and_refuses_every_bad_proof() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = tenant(&server).await;
    let (id, secret) = machine(&server, &tenant).await;
    let client = (id.as_str(), secret.as_str());
    let key = ProofKey::new();
    let form = [("grant_type", "client_credentials")];

    let nonce = nonce(&server, &tenant, client, &key).await;
    let proof = key.proof("POST", &tenant.token_url, Some(&nonce), None);
    let bound = token(&server, &tenant, Some(client), &form, &[&proof]).await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.text);
    assert_eq!(bound.body["token_type"], "DPoP");
    assert!(bound.header("dpop-nonce").is_some(), "the next nonce comes with the tokens");
    let access = bound.body["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["cnf"]["jkt"], key.thumbprint().as_str());

    // Introspection tells a resource server the token is bound, and to which key.
    let introspected = server.oauth_post(&tenant.id, "introspect", client, &[("token", access)]).await;
    assert_eq!(introspected.body["token_type"], "DPoP", "{}", introspected.text);
    assert_eq!(introspected.body["cnf"]["jkt"], key.thumbprint().as_str());

    // The same proof again is a replay.
    let replay = token(&server, &tenant, Some(client), &form, &[&proof]).await;
    replay.assert_error(400, "invalid_dpop_proof");
    assert_eq!(replay.body["error"], "invalid_dpop_proof");
    assert!(replay.body["details"]["reason"].as_str().unwrap().contains("replay"), "{}", replay.text);

    // Twenty requests with one proof at once: exactly one gets a token.
    let proof = key.proof("POST", &tenant.token_url, Some(&nonce), None);
    let url = server.url(&format!("/t/{}/oauth/token", tenant.id));
    let racing: Vec<_> = (0..20)
        .map(|_| {
            let request = server.http.post(&url).basic_auth(&id, Some(&secret)).header("DPoP", &proof).form(&form);
            tokio::spawn(request.send())
        })
        .collect();
    let mut issued = 0;
    for race in racing {
        if race.await.unwrap().unwrap().status() == StatusCode::OK {
            issued += 1;
        }
    }
    assert_eq!(issued, 1, "one proof, one token");

    // Each way a proof can be wrong, named in details.reason.
    let hs256 = {
        let proof = key.proof("POST", &tenant.token_url, Some(&nonce), None);
        let mut parts: Vec<String> = proof.split('.').map(str::to_owned).collect();
        parts[0] = URL_SAFE_NO_PAD.encode(json!({ "typ": "dpop+jwt", "alg": "HS256", "jwk": key.jwk }).to_string());
        parts.join(".")
    };
    let cases: Vec<(&str, String)> = vec![
        ("htm", key.proof("GET", &tenant.token_url, Some(&nonce), None)),
        ("htu", key.proof("POST", &tenant.userinfo_url, Some(&nonce), None)),
        (
            "typ",
            key.proof_with("POST", &tenant.token_url, Some(&nonce), None, |header, _| header["typ"] = "JWT".into()),
        ),
        ("alg", hs256),
        (
            "jwk",
            key.proof_with("POST", &tenant.token_url, Some(&nonce), None, |header, _| {
                header["jwk"]["d"] = "AAAA".into()
            }),
        ),
        (
            "iat",
            key.proof_with("POST", &tenant.token_url, Some(&nonce), None, |_, claims| {
                claims["iat"] = (claims["iat"].as_i64().unwrap() - 3600).into()
            }),
        ),
        ("signature", {
            let other = ProofKey::new();
            other.proof_with("POST", &tenant.token_url, Some(&nonce), None, |header, _| header["jwk"] = key.jwk.clone())
        }),
        ("compact", "not-a-jwt".to_owned()),
    ];
    for (what, proof) in cases {
        let refused = token(&server, &tenant, Some(client), &form, &[&proof]).await;
        assert_eq!(refused.body["code"], "invalid_dpop_proof", "{what}: {}", refused.text);
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{what}");
    }
    // A made-up nonce is answered with a real one; two DPoP headers are refused.
    let made_up = key.proof("POST", &tenant.token_url, Some("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), None);
    token(&server, &tenant, Some(client), &form, &[&made_up]).await.assert_error(400, "use_dpop_nonce");
    let first = key.proof("POST", &tenant.token_url, Some(&nonce), None);
    let second = key.proof("POST", &tenant.token_url, Some(&nonce), None);
    token(&server, &tenant, Some(client), &form, &[&first, &second]).await.assert_error(400, "invalid_dpop_proof");

    // A bound token is not a Bearer token: not at userinfo, not at the management API.
    let bearer = server.http.get(&tenant.userinfo_url).bearer_auth(access).send().await.unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    let management = server.http.get(server.url("/v1/tenants")).bearer_auth(access).send().await.unwrap();
    assert_eq!(management.status(), StatusCode::UNAUTHORIZED);

    // An application may require DPoP.
    let required = server
        .call(
            Method::PATCH,
            &format!("/v1/tenants/{}/applications/{id}", tenant.id),
            Some(json!({ "dpop_bound_access_tokens": true })),
        )
        .await;
    assert_eq!(required.body["dpop_bound_access_tokens"], true, "{}", required.text);
    token(&server, &tenant, Some(client), &form, &[]).await.assert_error(400, "invalid_dpop_proof");
}

#[tokio::test]
async fn a_public_client_s_tokens_need_its_key_at_refresh_and_at_userinfo() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = tenant(&server).await;
    server.user_with_password(&tenant.id, "dee@example.com", PASSWORD, true).await;
    let app = server
        .post(
            &format!("/v1/tenants/{}/applications", tenant.id),
            json!({ "name": "spa", "client_type": "public", "redirect_uris": [REDIRECT], "first_party": true,
                    "allowed_grants": ["authorization_code", "refresh_token"],
                    "allowed_scopes": ["openid", "email", "offline_access"] }),
        )
        .await;
    let client_id = app.body["client_id"].as_str().unwrap().to_owned();
    let key = ProofKey::new();
    let cookie = server.browser_session(&tenant.id, "dee@example.com", PASSWORD).await;
    let code_for = |extra: Vec<(&'static str, String)>| {
        let server = &server;
        let (tenant, client_id, cookie) = (&tenant, &client_id, &cookie);
        async move {
            let mut pairs: Vec<(&str, &str)> = vec![("scope", "openid email offline_access")];
            pairs.extend(extra.iter().map(|(k, v)| (*k, v.as_str())));
            let path = authorize_path_in(&tenant.id, client_id, &pairs);
            let (_, location, _) = authorize(server, &path, Some(cookie)).await;
            query_param(&location, "code").unwrap_or_else(|| panic!("no code: {location}"))
        }
    };
    let exchange_form = |code: &str| {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", VERIFIER.to_owned()),
            ("client_id", client_id.clone()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>, proofs: Vec<String>| {
        let server = &server;
        let tenant = &tenant;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let proofs: Vec<&str> = proofs.iter().map(String::as_str).collect();
            token(server, tenant, None, &form, &proofs).await
        }
    };

    // The first proof learns the nonce; the code is exchanged for bound tokens.
    let code = code_for(vec![]).await;
    let asked = post(exchange_form(&code), vec![key.proof("POST", &tenant.token_url, None, None)]).await;
    asked.assert_error(400, "use_dpop_nonce");
    let nonce = asked.header("dpop-nonce").unwrap().to_owned();
    let tokens = post(exchange_form(&code), vec![key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    assert_eq!(tokens.body["token_type"], "DPoP", "{}", tokens.text);
    let access = tokens.body["access_token"].as_str().unwrap().to_owned();
    let refresh_token = tokens.body["refresh_token"].as_str().unwrap().to_owned();

    // Userinfo: the DPoP scheme, a proof for GET of this URL with the token's hash.
    let userinfo = |scheme: &'static str, proof: Option<String>| {
        let (server, tenant, access) = (&server, &tenant, access.clone());
        async move {
            let mut request =
                server.http.get(&tenant.userinfo_url).header("authorization", format!("{scheme} {access}"));
            if let Some(proof) = proof {
                request = request.header("DPoP", proof);
            }
            request.send().await.unwrap()
        }
    };
    let ok = userinfo("DPoP", Some(key.proof("GET", &tenant.userinfo_url, None, Some(&access)))).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.json::<Value>().await.unwrap()["email"], "dee@example.com");
    let no_ath = userinfo("DPoP", Some(key.proof("GET", &tenant.userinfo_url, None, None))).await;
    assert_eq!(no_ath.status(), StatusCode::UNAUTHORIZED);
    let challenge = no_ath.headers()["www-authenticate"].to_str().unwrap().to_owned();
    assert!(challenge.starts_with("DPoP ") && challenge.contains("error=\"invalid_dpop_proof\""), "{challenge}");
    let other_key = ProofKey::new();
    let stolen = userinfo("DPoP", Some(other_key.proof("GET", &tenant.userinfo_url, None, Some(&access)))).await;
    assert_eq!(stolen.status(), StatusCode::UNAUTHORIZED);
    let no_proof = userinfo("DPoP", None).await;
    assert_eq!(no_proof.status(), StatusCode::UNAUTHORIZED);

    // The refresh token is bound: with the key it refreshes; without it, or with another
    // key, it is refused and the grant ends (whoever holds it stole it).
    let refresh_form = |token: &str| {
        vec![("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client_id.as_str())]
            .into_iter()
            .map(|(k, v)| (k, v.to_owned()))
            .collect::<Vec<_>>()
    };
    let refreshed =
        post(refresh_form(&refresh_token), vec![key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text);
    assert_eq!(claims(refreshed.body["access_token"].as_str().unwrap())["cnf"]["jkt"], key.thumbprint().as_str());
    let next = refreshed.body["refresh_token"].as_str().unwrap().to_owned();
    let thief = post(refresh_form(&next), vec![other_key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    thief.assert_error(400, "invalid_dpop_proof");
    let after = post(refresh_form(&next), vec![key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    assert_eq!(after.body["error"], "invalid_grant", "the grant ended: {}", after.text);

    // dpop_jkt on the authorization request binds the code to a key.
    let code = code_for(vec![("dpop_jkt", key.thumbprint())]).await;
    let wrong = post(exchange_form(&code), vec![other_key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    wrong.assert_error(400, "invalid_dpop_proof");
    let code = code_for(vec![("dpop_jkt", key.thumbprint())]).await;
    let unbound = post(exchange_form(&code), vec![]).await;
    unbound.assert_error(400, "invalid_dpop_proof");
    let code = code_for(vec![("dpop_jkt", key.thumbprint())]).await;
    let right = post(exchange_form(&code), vec![key.proof("POST", &tenant.token_url, Some(&nonce), None)]).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.text);
}
