//! `cargo xtask bench --profile`: where the time goes, from system-wide `perf` samples while
//! the release server answers client-credentials tokens (each backend) and drains a webhook
//! backlog (PostgreSQL); a summary by kind of work goes to bench/RESULTS.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::bench::{self, BenchServer};
use crate::target_dir;

pub const HEADING: &str = "## Where the time goes";

/// Samples per second per core.
const FREQUENCY: &str = "499";

/// `perf record` of every process on the machine until [`stop`].
fn start(output: &Path) -> Result<Child, String> {
    Command::new("perf")
        .args(["record", "-a", "-F", FREQUENCY, "-o"])
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("perf (apt-get install linux-perf): {e}"))
}

fn stop(mut perf: Child) -> Result<(), String> {
    let _ = Command::new("kill").args(["-s", "INT", &perf.id().to_string()]).status();
    perf.wait().map_err(|e| e.to_string())?;
    Ok(())
}

/// One sample line of `perf report`: share, process, object, symbol.
struct Sample {
    percent: f64,
    command: String,
    object: String,
    symbol: String,
}

fn samples(recording: &Path) -> Result<Vec<Sample>, String> {
    let output = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "--sort", "comm,dso,sym", "-q", "-i"])
        .arg(recording)
        .output()
        .map_err(|e| format!("perf report: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    Ok(text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let percent = words.next()?.strip_suffix('%')?.parse().ok()?;
            let command = words.next()?.to_owned();
            let object = words.next()?.to_owned();
            let symbol = words.skip(1).collect::<Vec<_>>().join(" ");
            Some(Sample { percent, command, object, symbol })
        })
        .collect())
}

/// Whether the sample is the server's: its main thread, tokio's workers and blocking pool,
/// or sqlx's SQLite worker threads.
fn in_server(sample: &Sample) -> bool {
    ["intelliauth", "tokio", "sqlx-sqlite"].iter().any(|name| sample.command.starts_with(name))
}

/// The kind of work a sample is, by its process (thread), object and symbol.
fn kind(sample: &Sample) -> String {
    let symbol = sample.symbol.as_str();
    let has = |needles: &[&str]| needles.iter().any(|needle| symbol.contains(needle));
    if sample.command.starts_with("postgres") {
        return "PostgreSQL (its processes)".into();
    }
    if sample.command.starts_with("wrk") {
        return "the load generator (wrk)".into();
    }
    if sample.command.starts_with("xtask") {
        return "the bench's own clients and receiver".into();
    }
    if sample.command == "swapper" {
        return "idle (nothing to run)".into();
    }
    if !in_server(sample) {
        return format!("other: {}", sample.command);
    }
    server_kind(sample, has).into()
}

fn server_kind(sample: &Sample, has: impl Fn(&[&str]) -> bool) -> &'static str {
    if sample.command.starts_with("sqlx-sqlite") {
        return "server: SQLite worker threads";
    }
    if sample.object.contains("kernel") {
        return "server: kernel (sockets, scheduling, wake-ups)";
    }
    if has(&["argon2", "blake2", "Blake2"]) {
        return "server: argon2 (password hashing)";
    }
    if has(&["ring::", "ring_core", "p256", "nistz256", "sha256", "sha2::", "ecdsa", "bn_mul", "aes"]) {
        return "server: cryptography (ES256, SHA-256, AES-GCM)";
    }
    if has(&["sqlite3"]) {
        return "server: SQLite";
    }
    if has(&["sqlx"]) {
        return "server: SQL driver (sqlx)";
    }
    if has(&["malloc", "free", "realloc", "memcpy", "memmove", "alloc::"]) {
        return "server: allocation and copying";
    }
    if has(&["serde", "json"]) {
        return "server: JSON";
    }
    if has(&["hyper", "http::", "httparse", "axum", "tower"]) {
        return "server: HTTP (hyper, axum)";
    }
    if has(&["tokio", "futex", "pthread", "parking"]) {
        return "server: async runtime (tokio)";
    }
    "server: everything else"
}

struct Summary {
    name: String,
    kinds: Vec<(String, f64)>,
    top: Vec<(f64, String)>,
}

fn summarise(name: String, recording: &Path) -> Result<Summary, String> {
    let samples = samples(recording)?;
    let mut kinds: Vec<(String, f64)> = Vec::new();
    for sample in &samples {
        let name = kind(sample);
        match kinds.iter_mut().find(|(kind_name, _)| *kind_name == name) {
            Some((_, share)) => *share += sample.percent,
            None => kinds.push((name, sample.percent)),
        }
    }
    kinds.sort_by(|a, b| b.1.total_cmp(&a.1));
    // Small shares of processes that are not part of the picture, together.
    let (shown, small): (Vec<_>, Vec<_>) =
        kinds.into_iter().partition(|(name, share)| !name.starts_with("other: ") || *share >= 1.0);
    let mut kinds = shown;
    let rest: f64 = small.iter().map(|(_, share)| share).sum();
    if rest > 0.0 {
        kinds.push(("other processes, each under 1%".into(), rest));
    }
    let top = samples
        .iter()
        .filter(|sample| in_server(sample))
        .take(8)
        .map(|sample| (sample.percent, format!("{} ({})", sample.symbol, sample.object)))
        .collect();
    Ok(Summary { name, kinds, top })
}

fn recording_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("intelliauth-profile-{}-{name}.data", std::process::id()))
}

/// Profiles `server` while wrk asks for client-credentials tokens.
fn token_endpoint(backend: &str, server: &BenchServer) -> Result<Summary, String> {
    let path = recording_path(&format!("token-{backend}"));
    let perf = start(&path)?;
    let load = bench::client_credentials(server);
    stop(perf)?;
    let load = load?;
    let summary = summarise(
        format!("Client-credentials tokens, {backend} ({:.0}/s while recorded)", load.requests_per_second),
        &path,
    );
    let _ = std::fs::remove_file(&path);
    summary
}

/// Profiles password sign-ins (start a flow, send the password) on `server`.
fn sign_ins(server: &BenchServer) -> Result<Summary, String> {
    let (_, address, _) = bench::prepare(server)?;
    let path = recording_path("sign-in");
    let perf = start(&path)?;
    let load = crate::sign_in_load::sign_ins(&address, bench::SIGN_IN_USERS, bench::LOAD_DURATION);
    stop(perf)?;
    let load = load.checked("sign-ins")?;
    let summary = summarise(format!("Password sign-ins, SQLite ({:.0}/s while recorded)", load.per_second), &path);
    let _ = std::fs::remove_file(&path);
    summary
}

/// Profiles the drain of a webhook backlog to one subscription.
fn webhook_drain(server: &BenchServer) -> Result<Summary, String> {
    let path = recording_path("webhooks");
    let address = server.base.trim_start_matches("http://").to_owned();
    let mut perf = None;
    let mut failed = None;
    let mut probe = |draining: bool| {
        let result =
            if draining { start(&path).map(|child| perf = Some(child)) } else { perf.take().map_or(Ok(()), stop) };
        if let Err(error) = result {
            failed.get_or_insert(error);
        }
    };
    let figures = crate::webhook_load::deliveries_probed(&address, &server.token, 4000, 200, &mut probe)?;
    if let Some(error) = failed {
        return Err(error);
    }
    let summary = summarise(
        format!(
            "Webhook drain to one subscription, PostgreSQL ({:.0} deliveries/s while recorded)",
            figures.per_second
        ),
        &path,
    );
    let _ = std::fs::remove_file(&path);
    summary
}

fn table(summary: &Summary) -> String {
    let mut out = format!("### {}\n\n| Where | Share of all CPU samples |\n|---|---:|\n", summary.name);
    for (kind, share) in &summary.kinds {
        out.push_str(&format!("| {kind} | {share:.1}% |\n"));
    }
    out.push_str("\nThe server's hottest symbols:\n\n| Share | Symbol (object) |\n|---:|---|\n");
    for (share, symbol) in &summary.top {
        out.push_str(&format!("| {share:.2}% | `{}` |\n", symbol.replace('|', "\\|")));
    }
    out.push('\n');
    out
}

pub fn run() -> Result<(), String> {
    let binary = target_dir().join("release/intelliauth");
    let mut summaries = Vec::new();
    {
        let server = bench::start_server(&binary, None)?;
        eprintln!("profiling the token endpoint on SQLite");
        summaries.push(token_endpoint("SQLite", &server)?);
        eprintln!("profiling password sign-ins on SQLite");
        summaries.push(sign_ins(&server)?);
    }
    let schema = format!("bench_profile_{}", std::process::id());
    let postgres = bench::in_schema(&bench::postgres_url(), &schema, |url| {
        let server = bench::start_server(&binary, Some(url))?;
        eprintln!("profiling the token endpoint on PostgreSQL");
        let token = token_endpoint("PostgreSQL", &server)?;
        eprintln!("profiling a webhook drain on PostgreSQL");
        Ok(vec![token, webhook_drain(&server)?])
    })??;
    summaries.extend(postgres);
    let mut section = format!(
        "{HEADING}\n\nMade by `cargo xtask bench --profile` on {}: `perf record -a -F {FREQUENCY}` over the whole \
         machine while the load ran (the token endpoint: the main table's wrk load; sign-ins: its eight loops; the drain: a 4,000-event backlog \
         to one subscription, from enabling it to the last receipt), summed by process and, in the server, by \
         what each symbol is. Shares are of all samples on both cores, idle time included (the kernel's `swapper`).\n\n",
        bench::utc_now()
    );
    for summary in &summaries {
        section.push_str(&table(summary));
    }
    let path = crate::workspace_root().join("bench/RESULTS.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, crate::sections::replace(&existing, HEADING, &section)).map_err(|e| e.to_string())?;
    println!("{section}");
    Ok(())
}
