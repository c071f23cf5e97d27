//! The error catalogue and the API description, as clients see them.

mod common;

use common::Server;
use intelliauth_catalogue::ENTRIES;
use reqwest::StatusCode;

#[tokio::test]
async fn get_errors_publishes_the_seed_s_45_codes_and_the_observations_beyond_it_without_a_credential() {
    let server = Server::start().await;
    let response = server.http.get(server.url("/v1/errors")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    let codes = body["codes"].as_array().unwrap();
    assert_eq!(codes.len(), ENTRIES.len());
    let from_seed = codes.iter().filter(|code| code["in_seed"] == true).count();
    assert_eq!(from_seed, 45, "the seed's codes, each marked so");
    let beyond: Vec<&str> = codes.iter().filter(|c| c["in_seed"] == false).filter_map(|c| c["code"].as_str()).collect();
    assert_eq!(
        beyond,
        [
            "delivered",
            "receiver_unexpected_status",
            "receiver_connection_failed",
            "receiver_dns_failed",
            "receiver_address_forbidden",
            "attempt_interrupted",
            "upstream_refused",
            "upstream_unavailable",
            "upstream_response_invalid",
            "upstream_email_unverified",
            "upstream_email_missing",
            "link_required",
            "last_sign_in_method",
            "authorization_pending",
            "slow_down",
            "expired_token",
            "access_denied",
            "invalid_dpop_proof",
            "use_dpop_nonce",
            "organization_membership_required"
        ]
    );
    for (entry, published) in ENTRIES.iter().zip(codes) {
        assert_eq!(published["code"], entry.code.as_str());
        assert_eq!(published["message"], entry.message);
        assert_eq!(published["family"], entry.family.as_str());
        assert_eq!(published["http_status"], serde_json::json!(entry.http_status));
        for key in ["user_visible", "advice", "retryable"] {
            assert!(!published[key].is_null(), "{key} on {}", entry.code);
        }
    }
    let locked = codes.iter().find(|c| c["code"] == "account_locked").unwrap();
    assert_eq!(locked["message"], "Too many failed attempts. Try again in a few minutes.");
    assert_eq!(locked["retry_after"], "details_retry_after_s");
    let mfa = codes.iter().find(|c| c["code"] == "mfa_required").unwrap();
    assert_eq!(mfa["user_visible"], false);
}

#[test]
fn the_errors_command_prints_the_same_catalogue() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth")).arg("errors").output().unwrap();
    assert!(output.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(printed, intelliauth_catalogue::catalogue_json());
}

#[tokio::test]
async fn openapi_document_describes_the_management_api() {
    let server = Server::start().await;
    let document: serde_json::Value = server.public_json("/v1/openapi.json").await;
    assert!(document["openapi"].as_str().unwrap().starts_with("3.1"), "{}", document["openapi"]);
    let user = &document["paths"]["/v1/tenants/{tenant_id}/users/{user_id}"];
    for method in ["get", "patch", "delete"] {
        assert!(user[method].is_object(), "{method} missing");
    }
    assert!(document["paths"]["/v1/tenants/{tenant_id}/applications"]["post"].is_object());
    assert!(document["paths"]["/v1/credentials"]["post"].is_object());
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert!(document["components"]["schemas"]["ErrorBody"].is_object());
}

/// The first `sh` block after `heading` in README, with the token and port of `server`.
fn readme_block(server: &Server, heading: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = readme.split(heading).nth(1).expect("README has the section");
    let script = section.split("```sh\n").nth(1).and_then(|block| block.split("```").next()).expect("a sh block");
    script
        .lines()
        .map(|line| if line.starts_with("TOKEN=") { format!("TOKEN={}", server.token) } else { line.to_owned() })
        .collect::<Vec<_>>()
        .join("\n")
        .replace("http://localhost:8080", &server.base)
}

async fn run_sh(script: &str) -> String {
    let output = tokio::process::Command::new("bash").args(["-euo", "pipefail", "-c", script]).output().await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// README's curl examples work against a real server, as a newcomer would paste them:
/// create and read a user, sign in as that user through the JSON flow API, and get a
/// client-credentials token.
#[tokio::test]
async fn readme_curl_examples_create_a_user_and_sign_in() {
    let server = Server::start().await;
    let management = run_sh(&readme_block(&server, "## Try the management API")).await;
    assert_eq!(management.matches("\"email\":\"ada@example.com\"").count(), 2, "created, then listed: {management}");
    let sign_in = run_sh(&readme_block(&server, "## Sign-in")).await;
    assert!(sign_in.contains("\"session_token\":\"ias_s_"), "{sign_in}");
    let oauth = run_sh(&readme_block(&server, "## OAuth 2.0 and OpenID Connect")).await;
    assert!(oauth.contains("\"access_token\":\"ey") && oauth.contains("\"scope\":\"reports:read\""), "{oauth}");
}

#[tokio::test]
async fn the_docs_site_is_served_with_the_error_index_and_its_topics() {
    let server = Server::start().await;
    let get = |path: &'static str| server.http.get(server.url(path)).header("accept", "text/html").send();
    let index = get("/docs").await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    assert!(index.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let index = index.text().await.unwrap();
    for link in ["/docs/getting-started", "/docs/reference/error-codes", "/docs/troubleshooting/step-up"] {
        assert!(index.contains(&format!("href=\"{link}\"")), "the navigation links {link}");
    }
    let errors = get("/docs/reference/error-codes").await.unwrap().text().await.unwrap();
    for entry in ENTRIES {
        assert!(errors.contains(&format!("<code>{}</code>", entry.code)), "{} in the index", entry.code);
    }
    assert!(errors.contains("href=\"/docs/troubleshooting/handling-mfa-required\""), "codes link their topics");
    let topic = get("/docs/troubleshooting/handling-mfa-required").await.unwrap().text().await.unwrap();
    assert!(topic.contains("export async function signInWithMfa"), "the tested example is in the page");
    assert_eq!(get("/docs/style.css").await.unwrap().status(), StatusCode::OK);
    let missing = get("/docs/no-such-page").await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[test]
fn the_committed_openapi_document_is_the_one_the_server_serves() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_intelliauth")).arg("openapi").output().unwrap();
    assert!(output.status.success());
    let served: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/src/reference/openapi.json");
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default()).unwrap_or_default();
    assert!(served == committed, "docs/src/reference/openapi.json is stale: run `cargo xtask gen` and commit it");
}

/// Every Rust source file of the workspace crates `crate_dirs`, with its text.
fn sources_of(crate_dirs: &[&str]) -> Vec<(std::path::PathBuf, String)> {
    crate_dirs.iter().flat_map(|crate_dir| sources(crate_dir)).collect()
}

/// Every Rust source file under `crates/<crate>/src`, with its text.
fn sources(crate_dir: &str) -> Vec<(std::path::PathBuf, String)> {
    let mut found = Vec::new();
    let mut stack = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(crate_dir).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path, text));
            }
        }
    }
    found
}

#[test]
fn every_v1_route_is_registered_with_its_openapi_operation() {
    // A `/v1` route added with axum's plain `.route(…)` would be served undocumented; every
    // one goes through `documented_routes()` (`routes!` of annotated handlers) instead.
    let mut undocumented = Vec::new();
    for (path, text) in sources("server") {
        for call in text.split(".route(").skip(1) {
            let argument = call.trim_start();
            if argument.starts_with("\"/v1/") && !argument.starts_with("\"/v1/openapi.json\"") {
                let route: String = argument.chars().take_while(|c| *c != ',').collect();
                undocumented.push(format!("{}: {route}", path.display()));
            }
        }
    }
    assert!(undocumented.is_empty(), "routes outside the OpenAPI document:\n{}", undocumented.join("\n"));
}

#[test]
fn tenant_paths_are_built_only_by_core_paths() {
    // ARCHITECTURE: every `/t/{tenant}/…` path one crate builds for another comes from
    // `core::paths`; a hand-built one (`format!("/t/…")`, a literal in a page) is how a
    // link and the route it points at drift apart.
    let mut built = Vec::new();
    let crates = ["core", "oidc", "server", "store", "webhooks", "actions", "providers", "egress"];
    for (path, text) in sources_of(&crates).into_iter().filter(|(path, _)| !path.ends_with("paths.rs")) {
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let routed = code.trim_start().starts_with(".route(\"/t/{tenant_id}/api/")
                || code.trim_start().starts_with(".route(\"/t/{tenant_id}/.well-known/")
                || code.trim_start().starts_with(".route(\"/.well-known/");
            let hand_built = ["\"/t/", "\\\"/t/", "}/t/", "{issuer}/"].iter().any(|pattern| code.contains(pattern));
            if hand_built && !routed && !code.contains("#[test]") && !path.ends_with("cors.rs") {
                built.push(format!("{}:{}: {}", path.display(), number + 1, line.trim()));
            }
        }
    }
    assert!(built.is_empty(), "tenant paths built outside core::paths:\n{}", built.join("\n"));
}

#[test]
fn only_egress_builds_a_client_for_tenant_chosen_addresses() {
    // ARCHITECTURE: webhooks and Actions' fetch reach tenant-chosen URLs only through
    // `intelliauth-egress`, whose resolver drops the addresses the SSRF policy refuses.
    let crates = ["core", "oidc", "server", "store", "webhooks", "actions", "providers", "passkeys"];
    let outside: Vec<String> = sources_of(&crates)
        .into_iter()
        .filter(|(_, text)| text.contains("dns_resolver(") || text.contains("GuardedResolver"))
        .map(|(path, _)| path.display().to_string())
        .collect();
    assert!(outside.is_empty(), "guarded clients built outside crates/egress: {outside:?}");
}
