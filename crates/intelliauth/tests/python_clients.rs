//! Clients nobody here wrote, in another language: a relying party on Python's authlib, and
//! schemathesis over the OpenAPI document, each against the real binary on this backend.
//! `e2e/python/setup.sh` installs them (once, into a virtual environment outside the clone).

mod common;

use std::path::PathBuf;
use std::process::Stdio;

use common::{Options, Server};

fn python_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e/python")
}

/// The virtual environment's `bin` directory, installing it when needed.
async fn python_bin() -> PathBuf {
    let output = tokio::process::Command::new("bash")
        .arg(python_dir().join("setup.sh"))
        .stderr(Stdio::inherit())
        .output()
        .await
        .expect("run e2e/python/setup.sh");
    assert!(output.status.success(), "e2e/python/setup.sh failed");
    let python = PathBuf::from(String::from_utf8(output.stdout).unwrap().trim());
    python.parent().unwrap().to_owned()
}

async fn run(program: PathBuf, args: &[&str]) -> (bool, String) {
    let output = tokio::process::Command::new(&program)
        .args(args)
        .current_dir(python_dir())
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .output()
        .await
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn an_authlib_relying_party_signs_in_refreshes_revokes_and_reads_errors() {
    let bin = python_bin().await;
    // A short key cache, so an API's new algorithm signs within seconds.
    let server = Server::start_with(Options::default().arg("--signing-key-cache-s", 1)).await;
    let base = server.url("");
    let (ok, output) = run(bin.join("python"), &["authlib_rp.py", &base, &server.token]).await;
    eprintln!("{output}");
    assert!(ok, "the authlib relying party failed:\n{output}\nserver log:\n{}", server.logs());
    assert!(output.contains("5 passed, 0 failed"), "{output}");
}

/// Schemathesis, bounded in time, over every operation of the document: no server error,
/// no status or content type the document does not name, bodies that match their schemas,
/// and no schema-valid request refused, except where the document cannot know: an If-Match
/// naming an older version (412), a resource that is gone (404), and a password the
/// tenant's policy refuses (`e2e/python/schemathesis_hooks.py`, `schemathesis.toml`).
#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_undocumented_answer() {
    let bin = python_bin().await;
    let unlimited = Options::default()
        .arg("--rate-limit-ip-per-s", 100_000)
        .arg("--rate-limit-ip-burst", 100_000)
        .arg("--rate-limit-credential-per-s", 100_000)
        .arg("--rate-limit-credential-burst", 100_000);
    let server = Server::start_with(unlimited).await;
    let schema = server.url("/v1/openapi.json");
    let authorization = format!("Authorization: Bearer {}", server.token);
    let seconds = std::env::var("INTELLIAUTH_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "45".into());
    let (ok, output) = run(
        bin.join("schemathesis"),
        &[
            "run",
            &schema,
            "--header",
            &authorization,
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance,valid_requests_are_accepted",
            "--max-time",
            &seconds,
            "--seed",
            "20261202",
            "--workers",
            // One worker: with several, hypothesis describes strategies with `ast.parse` from
            // several threads, which CPython 3.11 does not support ("AST constructor recursion
            // depth mismatch"), and the run fails with the tool's own runtime error.
            "1",
        ],
    )
    .await;
    let summary: String =
        output.lines().rev().take(25).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join("\n");
    eprintln!("{summary}");
    assert!(ok, "schemathesis found failures:\n{output}");
    assert!(!server.logs().contains("request failed"), "a server error in the log:\n{}", server.logs());
}
