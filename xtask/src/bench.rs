//! `cargo xtask bench`: a release server under load from `wrk`, figures into bench/RESULTS.md.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;

use crate::webhook_load::WebhookFigures;
use crate::{cargo, run as run_command, target_dir, workspace_root};

const DURATION: &str = "10s";
const CONNECTIONS: &str = "32";
const THREADS: &str = "2";

#[derive(Clone)]
pub(crate) struct Figures {
    pub(crate) requests_per_second: f64,
    pub(crate) p50: String,
    pub(crate) p99: String,
}

impl From<crate::sign_in_load::LoadFigures> for Figures {
    fn from(load: crate::sign_in_load::LoadFigures) -> Self {
        let milliseconds = |d: Duration| format!("{:.2}ms", d.as_secs_f64() * 1e3);
        Figures { requests_per_second: load.per_second, p50: milliseconds(load.p50), p99: milliseconds(load.p99) }
    }
}

struct Row {
    backend: &'static str,
    endpoint: &'static str,
    figures: Figures,
}

/// A release server on a random port; killed on drop.
pub(crate) struct BenchServer {
    child: Child,
    pub(crate) base: String,
    pub(crate) token: String,
    pub(crate) data_dir: PathBuf,
    /// From spawning the process to its first `200` from `/readyz`.
    ready_after: Duration,
}

impl BenchServer {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The process's resident memory now, in KiB (`VmRSS` of /proc).
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap_or_default();
        line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
    }
}

/// Whether `GET /readyz` at `address` answers 200 (one plain HTTP/1.1 exchange).
pub(crate) fn ready(address: &str) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(address) else { return false };
    let request = format!("GET /readyz HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    let mut status = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok() && stream.read_exact(&mut status).is_ok() && status.ends_with(b" 200")
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

pub(crate) fn ensure_wrk() -> Result<(), String> {
    if Command::new("wrk").arg("--version").output().is_ok() {
        return Ok(());
    }
    eprintln!("wrk not found; installing it from Debian's packages");
    run_command(Command::new("apt-get").arg("update").arg("-qq"))?;
    run_command(Command::new("apt-get").args(["install", "-y", "-qq", "wrk"]))
}

pub(crate) fn start_server(binary: &Path, database_url: Option<&str>) -> Result<BenchServer, String> {
    start_node(binary, database_url, &[], None)
}

/// A server with `extra` arguments; `token` makes it one more node of a cluster whose
/// bootstrap token that is.
pub(crate) fn start_node(
    binary: &Path,
    database_url: Option<&str>,
    extra: &[&str],
    token: Option<&str>,
) -> Result<BenchServer, String> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let data_dir = std::env::temp_dir().join(format!(
        "intelliauth-bench-{}-{}",
        std::process::id(),
        STARTED.fetch_add(1, Ordering::Relaxed)
    ));
    let token = token.map(str::to_owned).unwrap_or_else(|| {
        format!(
            "iam_bench{:032x}",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos()
        )
    });
    let mut command = Command::new(binary);
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--rate-limit-ip-per-s", "0", "--rate-limit-credential-per-s", "0"])
        // The webhook figures use a receiver on this machine.
        .args(["--webhooks-allow-loopback", "true"])
        .args(extra)
        .arg("--data-dir")
        .arg(&data_dir)
        .env("INTELLIAUTH_BOOTSTRAP_TOKEN", &token)
        .env("INTELLIAUTH_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(url) = database_url {
        command.arg("--database-url").arg(url);
    }
    let spawned = std::time::Instant::now();
    let mut child = command.spawn().map_err(|e| format!("cannot start the release server: {e}"))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let mut said = Vec::new();
    let address = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    break rest.split_whitespace().next().unwrap_or_default().to_owned();
                }
                said.push(line);
            }
            _ => return Err(format!("the server exited before listening:\n{}", said.join("\n"))),
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    while !ready(&address) {
        if spawned.elapsed() > Duration::from_secs(30) {
            return Err("the server did not become ready within 30 s".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let ready_after = spawned.elapsed();
    Ok(BenchServer { child, base: format!("http://{address}"), token, data_dir, ready_after })
}

pub(crate) fn curl_json(server: &BenchServer, method: &str, path: &str, body: &str) -> Result<String, String> {
    let output = Command::new("curl")
        .args(["-sS", "-X", method, "-H", "content-type: application/json", "-H"])
        .arg(format!("Authorization: Bearer {}", server.token))
        .args(["-d", body])
        .arg(format!("{}{path}", server.base))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(crate) fn wrk(url: &str, extra: &[String]) -> Result<Figures, String> {
    let mut command = Command::new("wrk");
    command.args(["-t", THREADS, "-c", CONNECTIONS, "-d", DURATION, "--latency"]).args(extra);
    let output = command.arg(url).output().map_err(|e| format!("wrk: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    let find = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|line| line.starts_with(prefix))
            .and_then(|line| line.split_whitespace().nth(1))
            .map(str::to_owned)
    };
    let non_2xx = text.lines().find(|line| line.contains("Non-2xx"));
    if let Some(line) = non_2xx {
        return Err(format!("{url}: {}", line.trim()));
    }
    Ok(Figures {
        requests_per_second: find("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("no figures from wrk:\n{text}"))?,
        p50: find("50%").unwrap_or_default(),
        p99: find("99%").unwrap_or_default(),
    })
}

/// A confidential client of the default tenant with client credentials; its id and secret.
fn bench_client(server: &BenchServer) -> Result<(String, String), String> {
    // Names are unique in a tenant; each measurement has a client of its own.
    static MADE: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!("bench-{}", MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
    let body = serde_json::json!({
        "name": name, "client_type": "confidential", "redirect_uris": ["https://bench.example/cb"],
        "allowed_grants": ["client_credentials"], "allowed_scopes": ["bench"],
    });
    let created = curl_json(server, "POST", "/v1/tenants/default/applications", &body.to_string())?;
    let field = |name: &str| crate::sign_in_load::field(&created, name);
    match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) => Ok((id, secret)),
        _ => Err(format!("creating the bench client failed: {created}")),
    }
}

/// Load on the token endpoint: a confidential client asking for client-credentials tokens.
pub(crate) fn client_credentials(server: &BenchServer) -> Result<Figures, String> {
    client_credentials_via(server, &server.base)
}

/// The same load sent to `base` (a balancer in front of `server` and its siblings).
pub(crate) fn client_credentials_via(server: &BenchServer, base: &str) -> Result<Figures, String> {
    let (id, secret) = bench_client(server)?;
    basic_form_posts(&format!("{base}/t/default/oauth/token"), &id, &secret, "grant_type=client_credentials")
}

/// Load on introspection: a confidential client asking about its own access token.
fn introspection(server: &BenchServer) -> Result<Figures, String> {
    let (id, secret) = bench_client(server)?;
    let output = Command::new("curl")
        .args(["-sS", "-u", &format!("{id}:{secret}"), "-d", "grant_type=client_credentials"])
        .arg(format!("{}/t/default/oauth/token", server.base))
        .output()
        .map_err(|e| format!("curl: {e}"))?;
    let tokens = String::from_utf8_lossy(&output.stdout);
    let token =
        crate::sign_in_load::field(&tokens, "access_token").ok_or(format!("no token to introspect: {tokens}"))?;
    basic_form_posts(&format!("{}/t/default/oauth/introspect", server.base), &id, &secret, &format!("token={token}"))
}

/// wrk posting `body` as a form to `url`, authenticated as the client `id` with HTTP
/// Basic: for IntelliAuth and for the peer alike.
fn basic_form_posts(url: &str, id: &str, secret: &str, body: &str) -> Result<Figures, String> {
    let script = std::env::temp_dir().join(format!("intelliauth-bench-{}.lua", std::process::id()));
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
    let lua = format!(
        "wrk.method = \"POST\"\nwrk.body = \"{body}\"\n\
         wrk.headers[\"Content-Type\"] = \"application/x-www-form-urlencoded\"\nwrk.headers[\"Authorization\"] = \"Basic {basic}\"\n"
    );
    std::fs::write(&script, lua).map_err(|e| e.to_string())?;
    let figures = wrk(url, &["-s".into(), script.display().to_string()]);
    let _ = std::fs::remove_file(&script);
    figures
}

/// node-oidc-provider's figures, under the same loads as ours.
struct PeerFigures {
    client_credentials: Figures,
    introspection: Figures,
    code_flow: Figures,
    refresh: Figures,
}

fn bench_peer() -> Result<PeerFigures, String> {
    let peer = crate::peer::Peer::start()?;
    let (id, secret) = crate::peer::CLIENT;
    eprintln!("node-oidc-provider: client-credentials tokens");
    let client_credentials =
        basic_form_posts(&format!("{}/token", peer.base), id, secret, "grant_type=client_credentials")?;
    let address = peer.base.trim_start_matches("http://").to_owned();
    eprintln!("node-oidc-provider: introspection");
    let token = crate::peer_load::access_token(&address)?;
    let introspection =
        basic_form_posts(&format!("{}/token/introspection", peer.base), id, secret, &format!("token={token}"))?;
    eprintln!("node-oidc-provider: code flow");
    let code_flow = crate::peer_load::code_flows(&address, SIGN_IN_USERS, LOAD_DURATION)
        .checked("node-oidc-provider's code flow")?
        .into();
    eprintln!("node-oidc-provider: refresh token rotation");
    let refresh = crate::peer_load::refreshes(&address, SIGN_IN_USERS, LOAD_DURATION)
        .checked("node-oidc-provider's refresh")?
        .into();
    Ok(PeerFigures { client_credentials, introspection, code_flow, refresh })
}

/// One chained-flow measurement, run when its turn comes.
type LoadRun<'a> = Box<dyn Fn() -> crate::sign_in_load::LoadFigures + 'a>;

/// Concurrent loops for the chained flows: enough to keep every core busy.
pub(crate) const INTROSPECTION: &str = "POST /t/default/oauth/introspect (an access token)";
const CLIENT_CREDENTIALS: &str = "POST /t/default/oauth/token (client_credentials)";
const CODE_FLOW: &str = "authorization code flow: authorize + exchange (signed in)";
const REFRESH: &str = "refresh token rotation";

/// Concurrent loops for the chained flows: enough to keep every core busy.
pub(crate) const SIGN_IN_USERS: usize = 8;
pub(crate) const LOAD_DURATION: Duration = Duration::from_secs(10);

/// Test events queued while the subscription is disabled, then drained.
const WEBHOOK_BACKLOG: usize = 2000;
/// Users whose `user.created` events fan out to 100 subscriptions: as many messages as the backlog.
const FAN_OUT_USERS: usize = WEBHOOK_BACKLOG / 100;
/// Events per second for the latency figure.
const WEBHOOK_RATE: usize = 200;

struct Results {
    rows: Vec<Row>,
    /// Per backend: start to ready, and resident memory idle right after.
    startup: Vec<(&'static str, Duration, u64)>,
    webhooks: Vec<(&'static str, WebhookFigures)>,
    peer: Option<PeerFigures>,
    actions: Vec<ActionFigures>,
}

/// What one trivial post-login Action adds to a sign-in.
struct ActionFigures {
    backend: &'static str,
    without: Figures,
    with: Figures,
    /// The executions' own durations (sandbox start to result), from the execution log.
    execution_p50_ms: f64,
    execution_p99_ms: f64,
    executions: usize,
}

/// The trivial Action: reads the event, sets one claim.
const TRIVIAL_ACTION: &str =
    "exports.onExecutePostLogin = async (event, api) => { api.idToken.setCustomClaim('bench', event.user.email); };";

/// Sign-ins with one trivial post-login Action, against `without` (the same load without it).
fn action_overhead(
    server: &BenchServer,
    backend: &'static str,
    address: &str,
    without: Figures,
) -> Result<ActionFigures, String> {
    let body = serde_json::json!({ "name": "bench", "trigger": "post-login", "code": TRIVIAL_ACTION }).to_string();
    let created = curl_json(server, "POST", "/v1/tenants/default/actions", &body)?;
    let id =
        crate::sign_in_load::field(&created, "id").ok_or(format!("creating the bench Action failed: {created}"))?;
    let load =
        crate::sign_in_load::sign_ins(address, SIGN_IN_USERS, LOAD_DURATION).checked("sign-ins with an Action")?;
    let log = curl_json(server, "GET", &format!("/v1/tenants/default/actions/{id}/executions?limit=200"), "")?;
    let log: serde_json::Value = serde_json::from_str(&log).map_err(|e| format!("execution log: {e}"))?;
    let mut durations: Vec<f64> = log["data"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|row| row["duration_ms"].as_f64()).collect())
        .unwrap_or_default();
    durations.sort_by(f64::total_cmp);
    let at = |q: f64| durations.get(((durations.len() as f64 * q) as usize).min(durations.len().saturating_sub(1)));
    Ok(ActionFigures {
        backend,
        without,
        with: load.into(),
        execution_p50_ms: at(0.5).copied().unwrap_or_default(),
        execution_p99_ms: at(0.99).copied().unwrap_or_default(),
        executions: durations.len(),
    })
}

/// The fixtures every load needs: the account sign-ins use (its lockout threshold raised,
/// since every virtual user signs in to it at once and a burst past the threshold is
/// refused unchecked) and a first-party SPA; returns the user's id, the server's address
/// and the SPA's client id.
pub(crate) fn prepare(server: &BenchServer) -> Result<(String, String, String), String> {
    let created = curl_json(
        server,
        "POST",
        "/v1/tenants/default/users",
        r#"{"email":"bench@example.com","password":"correct horse battery"}"#,
    )?;
    let id = created
        .split("\"id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or(format!("create user failed: {created}"))?
        .to_owned();
    curl_json(server, "PATCH", "/v1/tenants/default", r#"{"settings":{"sign_in":{"lockout_threshold":100000}}}"#)?;
    let address = server.base.trim_start_matches("http://").to_owned();
    let spa = curl_json(
        server,
        "POST",
        "/v1/tenants/default/applications",
        &format!(
            r#"{{"name":"bench-spa","client_type":"public","first_party":true,"redirect_uris":["{}"]}}"#,
            crate::sign_in_load::REDIRECT
        ),
    )?;
    let spa_id = spa
        .split("\"client_id\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or(format!("creating the bench SPA failed: {spa}"))?
        .to_owned();
    std::thread::sleep(Duration::from_millis(200));
    Ok((id, address, spa_id))
}

fn bench_backend(backend: &'static str, database_url: Option<&str>, results: &mut Results) -> Result<(), String> {
    let server = start_server(&target_dir().join("release/intelliauth"), database_url)?;
    results.startup.push((backend, server.ready_after, server.rss_kib()));
    let (id, address, spa_id) = prepare(&server)?;
    let rows = &mut results.rows;
    eprintln!("{backend}: /healthz");
    rows.push(Row {
        backend,
        endpoint: "GET /healthz (floor)",
        figures: wrk(&format!("{}/healthz", server.base), &[])?,
    });
    eprintln!("{backend}: GET user");
    let user_url = format!("{}/v1/tenants/default/users/{id}", server.base);
    rows.push(Row {
        backend,
        endpoint: "GET /v1/tenants/default/users/{id}",
        figures: wrk(&user_url, &["-H".into(), format!("Authorization: Bearer {}", server.token)])?,
    });
    eprintln!("{backend}: client-credentials tokens");
    rows.push(Row { backend, endpoint: CLIENT_CREDENTIALS, figures: client_credentials(&server)? });
    eprintln!("{backend}: introspection");
    rows.push(Row { backend, endpoint: INTROSPECTION, figures: introspection(&server)? });
    let runs: [(&'static str, LoadRun); 4] = [
        (
            "sign-in: start flow + password (JSON API)",
            Box::new(|| crate::sign_in_load::sign_ins(&address, SIGN_IN_USERS, LOAD_DURATION)),
        ),
        (CODE_FLOW, Box::new(|| crate::sign_in_load::code_flows(&address, &spa_id, SIGN_IN_USERS, LOAD_DURATION))),
        (
            "full authorization code flow: sign in + authorize + exchange",
            Box::new(|| crate::sign_in_load::full_flows(&address, &spa_id, SIGN_IN_USERS, LOAD_DURATION)),
        ),
        (REFRESH, Box::new(|| crate::sign_in_load::refreshes(&address, &spa_id, SIGN_IN_USERS, LOAD_DURATION))),
    ];
    for (endpoint, run) in runs {
        eprintln!("{backend}: {endpoint}");
        rows.push(Row { backend, endpoint, figures: run().checked(endpoint)?.into() });
    }
    eprintln!("{backend}: sign-in with one trivial post-login Action");
    let baseline = rows
        .iter()
        .find(|row| row.backend == backend && row.endpoint.starts_with("sign-in"))
        .map(|row| row.figures.clone());
    if let Some(without) = baseline {
        let figures = action_overhead(&server, backend, &address, without)?;
        results.actions.push(figures);
    }
    eprintln!("{backend}: webhook deliveries");
    let webhooks = crate::webhook_load::deliveries(&address, &server.token, WEBHOOK_BACKLOG, WEBHOOK_RATE)?;
    results.webhooks.push((backend, webhooks));
    Ok(())
}

/// The webhook figures alone, printed (for working on delivery; RESULTS.md is untouched).
fn webhooks_only() -> Result<(), String> {
    let measure = |database_url: Option<&str>| -> Result<WebhookFigures, String> {
        let server = start_server(&target_dir().join("release/intelliauth"), database_url)?;
        let address = server.base.trim_start_matches("http://").to_owned();
        crate::webhook_load::deliveries(&address, &server.token, WEBHOOK_BACKLOG, WEBHOOK_RATE)
    };
    println!("SQLite: {:?}", measure(None)?);
    let schema = format!("bench_{}", std::process::id());
    let figures = in_schema(&postgres_url(), &schema, |url| measure(Some(url)))?;
    println!("PostgreSQL: {:?}", figures?);
    Ok(())
}

/// The installed oidc-provider's version, from its package.json.
fn peer_version() -> String {
    let manifest = std::fs::read_to_string(workspace_root().join("bench/peer/node_modules/oidc-provider/package.json"))
        .unwrap_or_default();
    manifest.split("\"version\": \"").nth(1).and_then(|rest| rest.split('"').next()).unwrap_or("?").to_owned()
}

fn node_version() -> String {
    Command::new("node")
        .arg("--version")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().trim_start_matches('v').to_owned())
        .unwrap_or_default()
}

/// The release server's argon2 figures, from `intelliauth calibrate`.
struct Calibration {
    fastest: Duration,
    /// Hashes per second with every core hashing: the sign-in ceiling.
    ceiling_per_s: f64,
}

fn calibrate() -> Result<Calibration, String> {
    let output =
        Command::new(target_dir().join("release/intelliauth")).arg("calibrate").output().map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let figures: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| format!("calibrate printed {text:?}: {e}"))?;
    let number = |name: &str| figures[name].as_f64().ok_or(format!("calibrate printed no {name}: {text}"));
    Ok(Calibration {
        fastest: Duration::from_secs_f64(number("fastest_ms")? / 1e3),
        ceiling_per_s: number("sign_in_ceiling_per_s")?,
    })
}

/// The PostgreSQL the benchmarks use.
pub(crate) fn postgres_url() -> String {
    std::env::var("INTELLIAUTH_BENCH_DATABASE_URL")
        .or_else(|_| std::env::var("INTELLIAUTH_TEST_DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Runs `work` with the URL of a fresh `schema` of `postgres`, dropped afterwards. The outer
/// `Err` is a schema that could not be created (no PostgreSQL); the inner one is `work`'s.
pub(crate) fn in_schema<T>(
    postgres: &str,
    schema: &str,
    work: impl FnOnce(&str) -> Result<T, String>,
) -> Result<Result<T, String>, String> {
    psql(postgres, &format!("CREATE SCHEMA {schema}"))?;
    let separator = if postgres.contains('?') { '&' } else { '?' };
    let result = work(&format!("{postgres}{separator}options=-c%20search_path%3D{schema}"));
    let _ = psql(postgres, &format!("DROP SCHEMA {schema} CASCADE"));
    Ok(result)
}

/// Now, for a report's date line.
pub(crate) fn utc_now() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

pub(crate) fn psql(url: &str, sql: &str) -> Result<(), String> {
    run_command(Command::new("psql").arg(url).args(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql]).stdout(Stdio::null()))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or("?".into(), |kb| format!("{} GiB", kb / 1024 / 1024));
    format!("{cores} cores ({cpu}), {memory} RAM; wrk and the server share the machine")
}

/// A share with two significant digits, so small ones (0.13%) still say something.
fn percent(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}%")
    } else if value >= 1.0 {
        format!("{value:.1}%")
    } else {
        format!("{value:.2}%")
    }
}

/// The side-by-side table: the peer's figure, ours on each backend, and the ratios.
fn peer_section(peer: &PeerFigures, rows: &[Row]) -> String {
    let mut out = format!(
        "\n### Beside node-oidc-provider\n\nnode-oidc-provider {} (`bench/peer`: Node {}, in memory, ES256, one worker \
         process per core through node:cluster) on this machine in the same run, under the same load and the same \
         kind of client: client credentials and introspection by a confidential client over HTTP Basic (wrk); the \
         code flow and refresh rotation by a public client with PKCE, eight loops on kept-alive connections, each \
         signed in once first (its interaction finishes at once, as ours has a session). Its code-flow access \
         tokens are opaque and kept in memory (ours are ES256 JWTs beside the ID token), which is what it \
         introspects; ours introspects a client-credentials JWT (signature, then the revocation list in the \
         database). Targets: client credentials at least 5x the peer (and 50% of our /healthz floor), the code \
         flow and refresh at least 3x.\n\n\
         | Measure | node-oidc-provider | IntelliAuth, SQLite | SQLite / peer | IntelliAuth, PostgreSQL | PostgreSQL / peer | Target |\n\
         |---|---:|---:|---:|---:|---:|---:|\n",
        peer_version(),
        node_version(),
    );
    let measures = [
        ("client credentials", CLIENT_CREDENTIALS, &peer.client_credentials, "5x"),
        ("introspection", INTROSPECTION, &peer.introspection, "—"),
        ("code flow (authorize + exchange)", CODE_FLOW, &peer.code_flow, "3x"),
        ("refresh rotation", REFRESH, &peer.refresh, "3x"),
    ];
    for (name, endpoint, theirs, target) in measures {
        let ours = |backend: &str| {
            rows.iter()
                .find(|row| row.backend == backend && row.endpoint == endpoint)
                .map(|row| row.figures.requests_per_second)
        };
        let cell = |backend: &str| match ours(backend) {
            Some(rate) => (format!("{rate:.0}"), format!("{:.2}x", rate / theirs.requests_per_second)),
            None => ("—".into(), "—".into()),
        };
        let ((sqlite, sqlite_ratio), (postgres, postgres_ratio)) = (cell("SQLite"), cell("PostgreSQL"));
        out.push_str(&format!(
            "| {name} (/s) | {:.0} | {sqlite} | {sqlite_ratio} | {postgres} | {postgres_ratio} | {target} |\n",
            theirs.requests_per_second
        ));
    }
    out
}

fn report(results: &Results, date: &str, calibration: &Calibration) -> String {
    let rows = &results.rows;
    let mut out = String::from("# Benchmarks\n\nMade by `cargo xtask bench` (a release build; rate limits off).\n\n");
    out.push_str(&format!("- Date: {date}\n- Machine: {}\n", machine()));
    out.push_str(&format!(
        "- Load: `wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION} --latency` per endpoint, after one warm-up request\n\n"
    ));
    out.push_str("| Backend | Endpoint | Requests/s | p50 | p99 | vs floor |\n|---|---|---:|---:|---:|---:|\n");
    for row in rows {
        let floor = rows
            .iter()
            .find(|r| r.backend == row.backend && r.endpoint.contains("healthz"))
            .map(|r| r.figures.requests_per_second);
        let ratio = match floor {
            Some(floor) => percent(100.0 * row.figures.requests_per_second / floor),
            _ => "—".into(),
        };
        out.push_str(&format!(
            "| {} | `{}` | {:.0} | {} | {} | {} |\n",
            row.backend, row.endpoint, row.figures.requests_per_second, row.figures.p50, row.figures.p99, ratio
        ));
    }
    if let Some(peer) = &results.peer {
        out.push_str(&peer_section(peer, rows));
    }
    out.push_str(
        "\nStart and idle size: from spawning `intelliauth serve` (a new data directory or an empty \
         PostgreSQL schema, migrations included) to its first 200 from `/readyz`, and its resident \
         memory right then (targets: under 300 ms and 30 MB).\n\n| Backend | Start to ready | Idle RSS |\n|---|---:|---:|\n",
    );
    for (backend, ready_after, rss_kib) in &results.startup {
        out.push_str(&format!(
            "| {backend} | {:.0} ms | {:.1} MB |\n",
            ready_after.as_secs_f64() * 1e3,
            *rss_kib as f64 * 1024.0 / 1e6
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let ceiling = calibration.ceiling_per_s;
    out.push_str(&format!(
        "\nArgon2 ceiling: `intelliauth calibrate` (the release build) keeps {cores} argon2id hashes (19 MiB, t=2, \
         p=1) running at once, one per core, and they finish {ceiling:.0} a second: no sign-in load can verify more \
         passwords than that on this machine. (One hash alone takes {:.1} ms at best; {cores} times that rate, {:.0}/s, \
         is not reached with every core hashing, as the hashes then share caches and memory bandwidth.)\n\n\
         | Backend | Sign-ins/s | Share of the argon2 ceiling |\n|---|---:|---:|\n",
        calibration.fastest.as_secs_f64() * 1e3,
        cores as f64 / calibration.fastest.as_secs_f64(),
    ));
    for row in rows.iter().filter(|row| row.endpoint.starts_with("sign-in")) {
        let share = 100.0 * row.figures.requests_per_second / ceiling;
        out.push_str(&format!("| {} | {:.1} | {share:.0}% |\n", row.backend, row.figures.requests_per_second));
    }
    out.push_str(
        "\n`GET user` authenticates the management credential (SHA-256 digest lookup) and reads the user: two \
         indexed queries per request. PostgreSQL is local (127.0.0.1:5432).\n",
    );
    out.push_str(&format!(
        "\n## Webhooks\n\nA std-only receiver on this machine answers 204. One subscription: {WEBHOOK_BACKLOG} test \
         events queued while the subscription is disabled, then timed from enabling it to the last receipt (signing, \
         HTTP, and recording each attempt; the default 16 in flight per subscription, 32 per node). A hundred \
         subscriptions: {FAN_OUT_USERS} users created (each `user.created` event fans out to all of them: \
         {WEBHOOK_BACKLOG} messages), timed from the first user's creation to the last receipt. \
         Latency: {WEBHOOK_RATE} events/s for 3 s, each timed from the API call that created it to its receipt \
         (target: p99 under 50 ms).\n\n\
         | Backend | Deliveries/s, one subscription | Deliveries/s, 100 subscriptions | Event → receipt p50 | p99 |\n\
         |---|---:|---:|---:|---:|\n"
    ));
    for (backend, figures) in &results.webhooks {
        out.push_str(&format!(
            "| {backend} | {:.0} | {:.0} | {:.2}ms | {:.2}ms |\n",
            figures.per_second,
            figures.fan_out_per_second,
            figures.latency_p50.as_secs_f64() * 1e3,
            figures.latency_p99.as_secs_f64() * 1e3
        ));
    }
    out.push_str(
        "\n## Actions\n\nSign-ins (start a flow, send the password; the load above) again with one trivial \
         post-login Action (`setCustomClaim` from `event.user`): each execution creates a fresh QuickJS runtime and \
         context on the blocking pool, runs the prelude and the code, and logs the execution.\n\n\
         | Backend | Sign-ins/s without → with | p50 without → with | p99 without → with | Execution p50 | Execution p99 |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for figures in &results.actions {
        out.push_str(&format!(
            "| {} | {:.1} → {:.1} | {} → {} | {} → {} | {:.2}ms | {:.2}ms |\n",
            figures.backend,
            figures.without.requests_per_second,
            figures.with.requests_per_second,
            figures.without.p50,
            figures.with.p50,
            figures.without.p99,
            figures.with.p99,
            figures.execution_p50_ms,
            figures.execution_p99_ms,
        ));
    }
    if let Some(first) = results.actions.first() {
        out.push_str(&format!(
            "\nExecution figures are over the last {} executions of the run, timed by the server from taking a \
             sandbox slot to the result: that is the Action's cost on a sign-in. Sign-ins are bound by argon2 (see \
             the ceiling above) on the same two cores, so their own rate and latency move by more than that from \
             run to run; the with/without columns show the Action is lost in that noise, not a measured overhead.\n",
            first.executions
        ));
    }
    out
}

pub fn run(args: &[String]) -> Result<(), String> {
    if args.iter().any(|arg| arg == "--log-cost") {
        return crate::log_cost::run();
    }
    ensure_wrk()?;
    run_command(cargo().args(["build", "--release", "-p", "intelliauth"]))?;
    if args.iter().any(|arg| arg == "--webhooks") {
        return webhooks_only();
    }
    if args.iter().any(|arg| arg == "--profile") {
        return crate::profile::run();
    }
    if args.iter().any(|arg| arg == "--cluster") {
        return crate::cluster_bench::run();
    }
    if args.iter().any(|arg| arg == "--users") {
        return crate::users_scale::run();
    }
    // The peer first: it is the part most likely to fail (npm, Node), and it fails early.
    let peer = Some(bench_peer()?);
    let mut results =
        Results { rows: Vec::new(), startup: Vec::new(), webhooks: Vec::new(), actions: Vec::new(), peer };
    bench_backend("SQLite", None, &mut results)?;
    let schema = format!("bench_{}", std::process::id());
    match in_schema(&postgres_url(), &schema, |url| bench_backend("PostgreSQL", Some(url), &mut results)) {
        Ok(result) => result?,
        Err(error) => eprintln!("PostgreSQL skipped: {error}"),
    }
    let mut report = report(&results, &utc_now(), &calibrate()?);
    let path = workspace_root().join("bench/RESULTS.md");
    // The log-cost and million-user sections come from their own runs; a full run keeps them.
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    for heading in
        [crate::log_cost::HEADING, crate::users_scale::HEADING, crate::cluster_bench::HEADING, crate::profile::HEADING]
    {
        if let Some(section) = crate::sections::existing(&existing, heading) {
            report = crate::sections::replace(&report, heading, section);
        }
    }
    std::fs::create_dir_all(path.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::write(&path, &report).map_err(|e| e.to_string())?;
    println!("{report}");
    Ok(())
}
