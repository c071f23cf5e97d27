//! Token exchange (RFC 8693) over HTTP on both backends: the back end of the tenant's Orders
//! API, holding a user's token for it, exchanges it for a token for the Billing API acting
//! for the user — `act` names the back end, permissions are what the user's roles give and
//! the back end's client grant allows — and revoking the user's grant ends both; every
//! unacceptable subject token, client or target is refused with the RFC's errors.

mod common;

use common::oauth::{authorize, authorize_path_in, exchange_redirect, REDIRECT};
use common::tokens::claims;
use common::{unique, Options, Reply, Server};
use reqwest::StatusCode;
use serde_json::json;

const PASSWORD: &str = "correct horse battery";
const ORDERS: &str = "https://orders.example.com/";
const BILLING: &str = "https://billing.example.com/";
const EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

async fn confidential(server: &Server, tenant: &str, name: &str, grants: &[&str]) -> (String, String) {
    let app = server
        .created(
            &format!("/v1/tenants/{tenant}/applications"),
            json!({ "name": name, "client_type": "confidential", "redirect_uris": [REDIRECT], "first_party": true,
                "allowed_grants": grants }),
        )
        .await;
    (app["client_id"].as_str().unwrap().to_owned(), app["client_secret"].as_str().unwrap().to_owned())
}

async fn exchange(server: &Server, tenant: &str, client: (&str, &str), subject: &str, extra: &[(&str, &str)]) -> Reply {
    let mut form = vec![("grant_type", EXCHANGE), ("subject_token", subject), ("subject_token_type", ACCESS_TOKEN)];
    for (key, value) in extra {
        form.retain(|(k, _)| k != key);
        form.push((key, value));
    }
    server.oauth_post(tenant, "token", client, &form).await
}

#[tokio::test]
async fn an_api_back_end_exchanges_a_user_s_token_for_another_api_acting_for_the_user() {
    let server = Server::start_with(Options::unlimited()).await;
    let tenant = unique("tx-");
    server.tenant(&tenant, json!({})).await;
    let user_id = server.user_with_password(&tenant, "fay@example.com", PASSWORD, true).await;
    let apis = format!("/v1/tenants/{tenant}/apis");
    server.created(&apis, json!({ "identifier": ORDERS, "permissions": [{ "value": "read:orders" }] })).await;
    let billing = server
        .created(
            &apis,
            json!({ "identifier": BILLING, "rbac": true,
                "permissions": [{ "value": "read:invoices" }, { "value": "pay:invoices" }] }),
        )
        .await;
    let role = server
        .created(
            &format!("/v1/tenants/{tenant}/roles"),
            json!({ "name": "customer", "permissions": [{ "api_id": billing["id"], "value": "read:invoices" }] }),
        )
        .await;
    let assigned =
        server.post(&format!("/v1/tenants/{tenant}/users/{user_id}/roles"), json!({ "roles": [role["id"]] })).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.text);

    // The web app gets the user's token for Orders.
    let (web, web_secret) = confidential(&server, &tenant, "web", &["authorization_code", "refresh_token"]).await;
    let cookie = server.browser_session(&tenant, "fay@example.com", PASSWORD).await;
    let path =
        authorize_path_in(&tenant, &web, &[("scope", "openid offline_access read:orders"), ("audience", ORDERS)]);
    let (_, location, _) = authorize(&server, &path, Some(&cookie)).await;
    let tokens = exchange_redirect(&server, &tenant, (&web, Some(&web_secret)), &location).await;
    let orders_token = tokens.body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(claims(&orders_token)["aud"], ORDERS);

    // The Orders back end may exchange only with the grant and a client grant for Billing's users.
    let (orders_api, orders_secret) = confidential(&server, &tenant, "orders-api", &["client_credentials"]).await;
    let backend = (orders_api.as_str(), orders_secret.as_str());
    let unallowed = exchange(&server, &tenant, backend, &orders_token, &[("audience", BILLING)]).await;
    assert_eq!(unallowed.body["error"], "unauthorized_client", "{}", unallowed.text);
    let (orders_api, orders_secret) =
        confidential(&server, &tenant, "orders-backend", &["client_credentials", EXCHANGE]).await;
    let backend = (orders_api.as_str(), orders_secret.as_str());
    let ungranted = exchange(&server, &tenant, backend, &orders_token, &[("audience", BILLING)]).await;
    assert_eq!(ungranted.body["error"], "unauthorized_client", "{}", ungranted.text);
    server
        .created(
            &format!("/v1/tenants/{tenant}/client-grants"),
            json!({ "client_id": orders_api, "api_id": billing["id"], "subject_type": "user",
                "scopes": ["read:invoices", "pay:invoices"] }),
        )
        .await;

    let exchanged = exchange(&server, &tenant, backend, &orders_token, &[("audience", BILLING)]).await;
    assert_eq!(exchanged.status, StatusCode::OK, "{}", exchanged.text);
    assert_eq!(exchanged.body["issued_token_type"], ACCESS_TOKEN);
    assert_eq!(exchanged.body["token_type"], "Bearer");
    assert!(exchanged.body.get("refresh_token").is_none());
    let billing_token = exchanged.body["access_token"].as_str().unwrap().to_owned();
    let billing_claims = claims(&billing_token);
    assert_eq!(
        (billing_claims["aud"].as_str(), billing_claims["sub"].as_str()),
        (Some(BILLING), Some(user_id.as_str()))
    );
    assert_eq!(billing_claims["act"], json!({ "sub": orders_api }));
    assert_eq!(billing_claims["client_id"], orders_api.as_str());
    assert_eq!(billing_claims["permissions"], json!(["read:invoices"]), "RBAC: the user's role, not the whole grant");
    assert!(billing_claims["exp"].as_i64() <= claims(&orders_token)["exp"].as_i64(), "never outliving its subject");

    // Beyond the grant, an unknown target, a made-up or foreign subject: refused, by name.
    let wide =
        exchange(&server, &tenant, backend, &orders_token, &[("audience", BILLING), ("scope", "refund:invoices")])
            .await;
    assert_eq!(wide.body["error"], "invalid_scope", "{}", wide.text);
    assert_eq!(wide.body["details"]["scopes"], json!(["refund:invoices"]));
    let nowhere =
        exchange(&server, &tenant, backend, &orders_token, &[("audience", "https://nowhere.example.com/")]).await;
    assert_eq!(nowhere.body["error"], "invalid_target", "{}", nowhere.text);
    let forged = exchange(&server, &tenant, backend, "eyJhbGciOiJub25lIn0.e30.", &[("audience", BILLING)]).await;
    assert_eq!(
        (forged.body["error"].as_str(), forged.body["code"].as_str()),
        (Some("invalid_request"), Some("invalid_grant"))
    );
    let typed = exchange(
        &server,
        &tenant,
        backend,
        &orders_token,
        &[("audience", BILLING), ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token")],
    )
    .await;
    assert_eq!(typed.body["error"], "invalid_request", "{}", typed.text);
    let other_tenant = unique("tx-other-");
    server.tenant(&other_tenant, json!({})).await;
    let (m2m, m2m_secret) = confidential(&server, &tenant, "m2m", &["client_credentials"]).await;
    let machine =
        server.oauth_post(&tenant, "token", (&m2m, &m2m_secret), &[("grant_type", "client_credentials")]).await;
    let machine_token = machine.body["access_token"].as_str().unwrap();
    let not_a_user = exchange(&server, &tenant, backend, machine_token, &[("audience", BILLING)]).await;
    assert_eq!(not_a_user.body["error"], "invalid_request", "{}", not_a_user.text);

    // Revoking the user's grant (its refresh token) ends the exchanged token with it.
    let introspect = |token: String| {
        let server = &server;
        let tenant = tenant.clone();
        let (id, secret) = (orders_api.clone(), orders_secret.clone());
        async move { server.oauth_post(&tenant, "introspect", (&id, &secret), &[("token", token.as_str())]).await }
    };
    assert_eq!(introspect(billing_token.clone()).await.body["active"], true);
    assert_eq!(claims(&billing_token)["grant_id"], claims(&orders_token)["grant_id"]);
    let refresh_token = tokens.body["refresh_token"].as_str().unwrap();
    let revoked = server.oauth_post(&tenant, "revoke", (&web, &web_secret), &[("token", refresh_token)]).await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(introspect(orders_token.clone()).await.body["active"], false);
    assert_eq!(introspect(billing_token).await.body["active"], false, "exchanged from a revoked grant");
    let after = exchange(&server, &tenant, backend, &orders_token, &[("audience", BILLING)]).await;
    assert_eq!(after.body["error"], "invalid_request", "a revoked subject cannot be exchanged: {}", after.text);
}
