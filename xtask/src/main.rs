//! Project automation: `cargo xtask test | gen | bench`.

mod bench;
mod cluster_bench;
mod log_cost;
mod peer;
mod peer_load;
mod profile;
mod sections;
mod sign_in_load;
mod users_scale;
mod webhook_load;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The workspace this run is for. Read at run time: `cargo run` sets CARGO_MANIFEST_DIR for
/// the invocation, while a compile-time path could name another checkout that shares the
/// target directory (CI clones do).
fn workspace_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .and_then(|xtask| xtask.parent().map(Path::to_path_buf))
        .or_else(|| std::env::current_dir().ok())
        .expect("a workspace directory")
}

fn cargo() -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.current_dir(workspace_root());
    command
}

/// Runs a command, echoing it; `Err` with a message when it fails.
fn run(command: &mut Command) -> Result<(), String> {
    eprintln!("$ {command:?}");
    let status = command.status().map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{command:?} failed with {status}"))
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  test    run every test: the whole workspace and the browser tests on SQLite, then the
          integration suite and the browser tests again on PostgreSQL when
          INTELLIAUTH_TEST_DATABASE_URL is set
  gen     write the SDK's code union and the docs' error index from the catalogue
  bench   load-test a release build beside node-oidc-provider and write bench/RESULTS.md;
          one section instead with --log-cost (the tenant log's cost on the hot paths: this
          commit with and without it), --users (1k users vs 1M, seeded by intelliauth
          import), --cluster (one node vs three behind HAProxy), --profile (perf: where the
          time goes), or --webhooks (the webhook figures, printed only)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("gen") => gen(),
        Some("bench") => bench::run(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| workspace_root().join("target"))
}

fn test(extra: &[String]) -> Result<(), String> {
    let postgres = std::env::var("INTELLIAUTH_TEST_DATABASE_URL").ok().filter(|url| !url.is_empty());
    // HAProxy for the cluster test, installed from Debian's packages when missing.
    run(Command::new("bash").arg(workspace_root().join("scripts/test-deps.sh")))?;
    eprintln!("== every Rust test, on SQLite ==");
    run(cargo()
        .args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .env_remove("INTELLIAUTH_TEST_DATABASE_URL"))?;
    eprintln!("== browser tests (Chromium), on SQLite ==");
    browser_tests(None)?;
    match postgres {
        Some(url) => {
            eprintln!("== the integration suite again, on PostgreSQL ==");
            run(cargo()
                .args(["test", "-p", "intelliauth", "--no-fail-fast"])
                .args(extra)
                .env("INTELLIAUTH_TEST_DATABASE_URL", &url))?;
            eprintln!("== browser tests (Chromium), on PostgreSQL ==");
            browser_tests(Some(&url))
        }
        None => {
            eprintln!("note: INTELLIAUTH_TEST_DATABASE_URL is not set, so PostgreSQL was not tested");
            Ok(())
        }
    }
}

/// Points `npm` at the binary the Rust tests built and at the database under test.
fn npm_test(directory: PathBuf, postgres: Option<&str>) -> Result<(), String> {
    let mut npm = Command::new("npm");
    npm.arg("test").current_dir(directory).env("INTELLIAUTH_BIN", target_dir().join("debug/intelliauth"));
    match postgres {
        Some(url) => npm.env("INTELLIAUTH_TEST_DATABASE_URL", url),
        None => npm.env_remove("INTELLIAUTH_TEST_DATABASE_URL"),
    };
    run(&mut npm)
}

/// The SDK (sdk/js): its build, type check and vitest suite (unit tests, and the docs'
/// examples against the real server); then the hosted pages and the SDK in Chromium
/// (e2e/), after installing Chromium and the npm packages when missing.
fn browser_tests(postgres: Option<&str>) -> Result<(), String> {
    let sdk = workspace_root().join("sdk/js");
    run(Command::new("bash").arg(sdk.join("setup.sh")))?;
    npm_test(sdk, postgres)?;
    let e2e = workspace_root().join("e2e");
    run(Command::new("bash").arg(e2e.join("setup.sh")))?;
    npm_test(e2e, postgres)
}

fn gen() -> Result<(), String> {
    use intelliauth_catalogue::render;
    for (relative, content) in
        [(render::TYPESCRIPT_PATH, render::typescript()), (render::MARKDOWN_PATH, render::markdown_index())]
    {
        let path = workspace_root().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        eprintln!("wrote {relative}");
    }
    // The OpenAPI document as the server serves it, committed so that a change to the API
    // shows in review and a stale copy fails `tests/catalogue.rs`.
    let output = cargo()
        .args(["run", "--quiet", "-p", "intelliauth", "--", "openapi"])
        .output()
        .map_err(|e| format!("cannot run the server's openapi command: {e}"))?;
    if !output.status.success() {
        return Err(format!("intelliauth openapi failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    std::fs::write(workspace_root().join(OPENAPI_PATH), &output.stdout).map_err(|e| e.to_string())?;
    eprintln!("wrote {OPENAPI_PATH}");
    Ok(())
}

/// Where `cargo xtask gen` writes the OpenAPI document.
const OPENAPI_PATH: &str = "docs/src/reference/openapi.json";
