//! `cargo xtask bench --log-cost`: what writing the tenant log costs the sign-in and token
//! hot paths, measured A/B in one run. *Without* is this commit with
//! `bench/without-tenant-log.patch` applied (every log write removed, nothing else); *with*
//! is this commit. Servers of the two alternate round by round, so both meet the same
//! machine, and each figure is the median of its rounds.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench::{self, BenchServer};
use crate::{cargo, run as run_command, target_dir, workspace_root};

/// Rounds per binary and backend (`INTELLIAUTH_BENCH_ROUNDS`, default 4), rounded up to an
/// even number: the server that runs first in a round was measured up to 20% faster than
/// the second (whatever the binary), so each binary must go first in half the rounds for
/// that to cancel.
fn rounds() -> usize {
    let asked: usize =
        std::env::var("INTELLIAUTH_BENCH_ROUNDS").ok().and_then(|n| n.parse().ok()).filter(|n| *n > 0).unwrap_or(4);
    asked.next_multiple_of(2)
}
pub const HEADING: &str = "## Tenant log: cost on the hot paths";
const ENDPOINTS: [&str; 4] = [
    "POST /t/default/oauth/token (client_credentials)",
    "sign-in: start flow + password (JSON API)",
    "authorization code flow: authorize + exchange (signed in)",
    "refresh token rotation",
];

/// Whether `endpoint` is measured: all unless `INTELLIAUTH_BENCH_ONLY` names parts of some
/// (comma-separated, for example `refresh,code flow`).
fn selected(endpoint: &str) -> bool {
    let only = std::env::var("INTELLIAUTH_BENCH_ONLY").unwrap_or_default();
    only.trim().is_empty() || only.split(',').any(|part| endpoint.contains(part.trim()))
}

/// One endpoint's figures on one server: requests per second, and the CPU time the server
/// (and on PostgreSQL every `postgres` process) spent per request, in microseconds — a far
/// quieter measure of what the log costs than throughput on a machine the load generator
/// shares.
#[derive(Clone, Copy)]
struct Measured {
    per_second: f64,
    cpu_us: f64,
    /// Tenant log entries per request, counted in the log's hourly rollup
    /// after the load (0 without the log).
    entries: f64,
}

/// The figures of each selected endpoint, in [`ENDPOINTS`] order, on a fresh server.
fn hot_paths(binary: &Path, database_url: Option<&str>) -> Result<Vec<Option<Measured>>, String> {
    let server: BenchServer = bench::start_server(binary, database_url)?;
    let (_, address, spa_id) = bench::prepare(&server)?;
    let users = bench::SIGN_IN_USERS;
    let duration = bench::LOAD_DURATION;
    let cpu = || cpu_seconds(server.pid(), database_url.is_some());
    let mut figures = Vec::new();
    for (index, endpoint) in ENDPOINTS.iter().enumerate() {
        if !selected(endpoint) {
            figures.push(None);
            continue;
        }
        let before = cpu();
        let entries_before = log_entries(&server)?;
        let per_second = match index {
            0 => bench::client_credentials(&server)?.requests_per_second,
            _ => {
                let load = match index {
                    1 => crate::sign_in_load::sign_ins(&address, users, duration),
                    2 => crate::sign_in_load::code_flows(&address, &spa_id, users, duration),
                    _ => crate::sign_in_load::refreshes(&address, &spa_id, users, duration),
                };
                load.checked("the log-cost benchmark's load")?.per_second
            }
        };
        let requests = (per_second * duration.as_secs_f64()).max(1.0);
        let cpu_us = 1e6 * (cpu() - before) / requests;
        let entries = (log_entries(&server)? - entries_before) / requests;
        figures.push(Some(Measured { per_second, cpu_us, entries }));
    }
    Ok(figures)
}

/// How many entries the tenant log holds, once the writer has written what it
/// had queued (the count stops moving for longer than the writer's window).
fn log_entries(server: &BenchServer) -> Result<f64, String> {
    let count = || -> Result<f64, String> {
        let answer = bench::curl_json(server, "GET", "/v1/tenants/default/log-counts", "")?;
        let counts: serde_json::Value =
            serde_json::from_str(&answer).map_err(|e| format!("log-counts: {e}: {answer}"))?;
        let rows = counts["data"].as_array().ok_or_else(|| format!("log-counts answered {answer}"))?;
        Ok(rows.iter().filter_map(|row| row["count"].as_f64()).sum())
    };
    let mut last = count()?;
    loop {
        std::thread::sleep(std::time::Duration::from_millis(500));
        let now = count()?;
        if now == last {
            return Ok(now);
        }
        last = now;
    }
}

/// The CPU the tenant log's writer alone spends per entry (this process's and, on
/// PostgreSQL, every `postgres` process's), in microseconds: the store's `log_writer_cost`
/// example queues token entries at `rate` per second for the benchmark's load duration into a
/// fresh database of the backend, and only its writing is measured — less the same loop run
/// without entries (`--pace-only`: the pacing and the wake-ups of an idle process).
fn writer_cpu_per_entry(example: &Path, database: &str, rate: f64) -> Result<f64, String> {
    Ok(example_cpu_per_entry(example, database, rate, &[])?
        - example_cpu_per_entry(example, database, rate, &["--pace-only"])?)
}

/// One run of the `log_writer_cost` example: CPU microseconds per entry it was asked for.
fn example_cpu_per_entry(example: &Path, database: &str, rate: f64, mode: &[&str]) -> Result<f64, String> {
    use std::io::{BufRead, BufReader, Write};
    let seconds = bench::LOAD_DURATION.as_secs_f64();
    let mut child = Command::new(example)
        .args([database, &format!("{rate:.0}"), &format!("{seconds}")])
        .args(mode)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", example.display()))?;
    let mut stdin = child.stdin.take().ok_or("no stdin")?;
    let mut lines = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let mut expect = |prefix: &str| match lines.next() {
        Some(Ok(line)) if line.starts_with(prefix) => Ok(line),
        other => Err(format!("log_writer_cost: expected {prefix}, got {other:?}")),
    };
    expect("ready")?;
    let postgres = database.starts_with("postgres");
    let before = cpu_seconds(child.id(), postgres);
    writeln!(stdin, "go").map_err(|e| e.to_string())?;
    let written: f64 = expect("written ")?.trim_start_matches("written ").parse().map_err(|_| "bad count")?;
    let spent = cpu_seconds(child.id(), postgres) - before;
    writeln!(stdin).map_err(|e| e.to_string())?;
    child.wait().map_err(|e| e.to_string())?;
    Ok(1e6 * spent / written.max(1.0))
}

/// CPU seconds (user and system) used so far by process `pid`, plus every `postgres`
/// process when `postgres` (the database's work for the server runs there).
fn cpu_seconds(pid: u32, postgres: bool) -> f64 {
    // Clock ticks per second of /proc's times: USER_HZ, 100 on the kernels this runs on.
    const TICKS_PER_SECOND: f64 = 100.0;
    let times = |stat: &str| -> Option<(String, f64)> {
        let (head, rest) = stat.rsplit_once(')')?;
        let name = head.split_once('(')?.1.to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some((name, ticks / TICKS_PER_SECOND))
    };
    let mut total =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).ok().and_then(|s| times(&s)).map_or(0.0, |t| t.1);
    if postgres {
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            if let Some((name, seconds)) = times(&stat) {
                if name == "postgres" {
                    total += seconds;
                }
            }
        }
    }
    total
}

/// Builds this commit with the log writes patched out, and keeps that binary aside.
fn build_without_log() -> Result<PathBuf, String> {
    let root = workspace_root();
    let source = target_dir().join("bench-without-tenant-log");
    let git = |args: &[&str]| run_command(Command::new("git").arg("-C").arg(&root).args(args));
    let _ = git(&["worktree", "remove", "--force", &source.display().to_string()]);
    git(&["worktree", "add", "--detach", &source.display().to_string(), "HEAD"])?;
    let patch = root.join("bench/without-tenant-log.patch");
    let built = run_command(Command::new("git").arg("-C").arg(&source).arg("apply").arg(&patch))
        .and_then(|()| run_command(cargo().current_dir(&source).args(["build", "--release", "-p", "intelliauth"])));
    let kept = target_dir().join("release/intelliauth-without-tenant-log");
    let copied = built.and_then(|()| {
        std::fs::copy(target_dir().join("release/intelliauth"), &kept).map(drop).map_err(|e| e.to_string())
    });
    git(&["worktree", "remove", "--force", &source.display().to_string()])?;
    copied.map(|()| kept)
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

/// How far `values` lie apart, as a share of their median: what a change must exceed to
/// mean anything.
fn spread(values: &[f64]) -> f64 {
    let (low, high) = values.iter().fold((f64::MAX, f64::MIN), |(low, high), v| (low.min(*v), high.max(*v)));
    100.0 * (high - low) / median(values)
}

/// One endpoint's table row. The change is the geometric mean of the rounds' own ratios:
/// the two servers of a round ran back to back, so what drifts through a run cancels within
/// a pair, and with each binary first in half the rounds, so does the order.
fn row(backend: &str, endpoint: &str, without: &[Measured], with: &[Measured]) -> String {
    let rate = |figures: &[Measured]| figures.iter().map(|m| m.per_second).collect::<Vec<_>>();
    let cpu = |figures: &[Measured]| figures.iter().map(|m| m.cpu_us).collect::<Vec<_>>();
    let (without_rate, with_rate) = (rate(without), rate(with));
    let listed = |values: &[f64]| values.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join(", ");
    let noise = spread(&without_rate).max(spread(&with_rate));
    format!(
        "| {backend} | `{endpoint}` | {:.0} | {:.0} | {:+.1}% | {noise:.0}% | {:.0} → {:.0} | {:+.1}% | {} | {} |\n",
        median(&without_rate),
        median(&with_rate),
        paired_change(&without_rate, &with_rate),
        median(&cpu(without)),
        median(&cpu(with)),
        paired_change(&cpu(without), &cpu(with)),
        listed(&without_rate),
        listed(&with_rate)
    )
}

/// One endpoint's row of the log measured alone (see [`writer_cpu_per_entry`]).
fn writer_row(
    writer: &Path,
    backend: &str,
    endpoint: &str,
    without: &[Measured],
    with: &[Measured],
) -> Result<String, String> {
    let entries = median(&with.iter().map(|m| m.entries).collect::<Vec<_>>());
    let rate = median(&with.iter().map(|m| m.per_second).collect::<Vec<_>>()) * entries;
    let cpu_without = median(&without.iter().map(|m| m.cpu_us).collect::<Vec<_>>());
    let per_entry = if entries <= 0.0 {
        0.0
    } else if backend == "SQLite" {
        let data_dir = std::env::temp_dir().join(format!("intelliauth-log-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let cost = writer_cpu_per_entry(writer, &data_dir.display().to_string(), rate);
        let _ = std::fs::remove_dir_all(&data_dir);
        cost?
    } else {
        let schema = format!("bench_log_writer_{}", std::process::id());
        bench::in_schema(&bench::postgres_url(), &schema, |url| writer_cpu_per_entry(writer, url, rate))??
    };
    Ok(format!(
        "| {backend} | `{endpoint}` | {entries:.2} | {per_entry:.1} | {cpu_without:.0} | {:.1}% |\n",
        100.0 * entries * per_entry / cpu_without
    ))
}

/// The geometric mean of the rounds' ratios `with / without`, as a percentage change.
fn paired_change(without: &[f64], with: &[f64]) -> f64 {
    let log_ratios: Vec<f64> = without.iter().zip(with).map(|(before, after)| (after / before).ln()).collect();
    100.0 * ((log_ratios.iter().sum::<f64>() / log_ratios.len() as f64).exp() - 1.0)
}

/// The backends to measure (`INTELLIAUTH_BENCH_BACKENDS`, comma-separated; both unless set),
/// so that an experiment on one backend does not wait for the other.
fn backends() -> Vec<&'static str> {
    let chosen = std::env::var("INTELLIAUTH_BENCH_BACKENDS").unwrap_or_default().to_lowercase();
    ["SQLite", "PostgreSQL"]
        .into_iter()
        .filter(|backend| chosen.is_empty() || chosen.split(',').any(|name| name.trim() == backend.to_lowercase()))
        .collect()
}

pub fn run() -> Result<(), String> {
    bench::ensure_wrk()?;
    // A binary without the log kept from an earlier run (`INTELLIAUTH_BENCH_WITHOUT`) spares
    // its build while experimenting with the log's side only.
    let without = match std::env::var_os("INTELLIAUTH_BENCH_WITHOUT") {
        Some(path) => PathBuf::from(path),
        None => build_without_log()?,
    };
    run_command(cargo().args(["build", "--release", "-p", "intelliauth"]))?;
    run_command(cargo().args(["build", "--release", "-p", "intelliauth-store", "--example", "log_writer_cost"]))?;
    let with = target_dir().join("release/intelliauth");
    let writer = target_dir().join("release/examples/log_writer_cost");
    let mut writer_table = String::new();
    let postgres = bench::postgres_url();
    let mut table = String::new();
    let rounds_per_binary = rounds();
    for backend in backends() {
        // rounds[binary][endpoint] = requests/s of each round
        let mut rounds = [vec![Vec::new(); ENDPOINTS.len()], vec![Vec::new(); ENDPOINTS.len()]];
        for round in 0..rounds_per_binary {
            // Alternate which goes first, so neither always meets a warmer machine.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for which in order {
                let binary = if which == 0 { &without } else { &with };
                eprintln!("{backend}, round {}: {}", round + 1, if which == 0 { "without the log" } else { "with it" });
                let figures = match backend {
                    "SQLite" => hot_paths(binary, None)?,
                    _ => {
                        let schema = format!("bench_log_{}_{round}_{which}", std::process::id());
                        bench::in_schema(&postgres, &schema, |url| hot_paths(binary, Some(url)))??
                    }
                };
                // The next server should not meet this one's writes still on their way to disk.
                let _ = Command::new("sync").status();
                for (endpoint, value) in figures.into_iter().enumerate() {
                    rounds[which][endpoint].extend(value);
                }
            }
        }
        for (index, endpoint) in ENDPOINTS.iter().enumerate() {
            if rounds[0][index].is_empty() {
                continue;
            }
            table.push_str(&row(backend, endpoint, &rounds[0][index], &rounds[1][index]));
            writer_table.push_str(&writer_row(&writer, backend, endpoint, &rounds[0][index], &rounds[1][index])?);
        }
    }
    let date = bench::utc_now();
    let section = format!(
        "{HEADING}\n\nMade by `cargo xtask bench --log-cost` on {date}: the same commit built twice, *without* \
         the tenant log (`bench/without-tenant-log.patch`: the store's log writes, the token queue and the \
         decision records made no-ops) and *with* it; {rounds_per_binary} rounds each, servers of the two \
         alternating, a fresh server and database per round, 10 s of load per endpoint. Requests/s, median of \
         the rounds; *Change* is the geometric mean of the rounds' ratios (each round's two servers ran \
         back to back, each binary first in half the rounds), and the budget is a change no worse than −5%. *Spread* is how far one binary's own rounds \
         lie apart (the larger of the two, as a share of its median): a change smaller than it is not a \
         measured difference. *CPU/request* is the CPU time the server (and on PostgreSQL every `postgres` \
         process) spent per request, median of the rounds without → with, and its paired change: what the \
         log costs each request, far less disturbed by the load generator sharing the machine.\n\n\
         | Backend | Endpoint | Without | With | Change | Spread | CPU/request (µs) | CPU change | Rounds without | Rounds with |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---|---|\n{table}\n\
         The log measured alone: *Entries/request* counts the entries the *with* servers wrote \
         per request (from the log's hourly rollup after each load); *Writer CPU/entry* \
         is what the store's `log_writer_cost` example spent (with, on PostgreSQL, every `postgres` \
         process) to build, queue and write entries through the real `LogQueue` into a fresh database, \
         paced at the rate the *with* servers issued them, so batches are as large as under the load; \
         *Share* is entries × writer CPU over the CPU a request took *without* the log: what the log \
         adds to a request's CPU, measured without the load generator's noise.\n\n\
         | Backend | Endpoint | Entries/request | Writer CPU/entry (µs) | CPU/request without (µs) | Share |\n\
         |---|---|---:|---:|---:|---:|\n{writer_table}"
    );
    let path = workspace_root().join("bench/RESULTS.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, crate::sections::replace(&existing, HEADING, &section)).map_err(|e| e.to_string())?;
    println!("{section}");
    Ok(())
}
