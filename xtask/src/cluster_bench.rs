//! `cargo xtask bench --cluster`: one node and then three on one PostgreSQL with Redis,
//! each time behind the same HAProxy, under the same loads; the figures go to the "Three
//! nodes behind a balancer" section of bench/RESULTS.md.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::bench::{self, BenchServer, Figures};
use crate::target_dir;

pub const HEADING: &str = "## Three nodes behind a balancer";

/// HAProxy from Debian's packages in front of `nodes`, round robin per request.
struct Balancer {
    child: Child,
    base: String,
    config: PathBuf,
}

impl Balancer {
    fn start(nodes: &[&BenchServer]) -> Result<Balancer, String> {
        let port =
            std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
        let servers: String = nodes
            .iter()
            .enumerate()
            .map(|(n, node)| format!("  server node{n} {} check inter 1s\n", node.base.trim_start_matches("http://")))
            .collect();
        let config = format!(
            "global\n  maxconn 4000\n\
             defaults\n  mode http\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n\
             frontend cluster\n  bind 127.0.0.1:{port}\n  default_backend nodes\n\
             backend nodes\n  balance roundrobin\n  option httpchk GET /readyz\n{servers}"
        );
        let path = std::env::temp_dir().join(format!("intelliauth-bench-haproxy-{}-{port}.cfg", std::process::id()));
        std::fs::write(&path, config).map_err(|e| e.to_string())?;
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("haproxy (apt-get install haproxy): {e}"))?;
        let balancer = Balancer { child, base: format!("http://127.0.0.1:{port}"), config: path };
        let started = Instant::now();
        while !bench::ready(balancer.base.trim_start_matches("http://")) {
            if started.elapsed() > Duration::from_secs(10) {
                return Err("HAProxy did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(balancer)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.config);
    }
}

/// The loads, through the balancer in front of `nodes` (the first holds the fixtures).
fn measure(nodes: &[&BenchServer]) -> Result<Vec<(&'static str, Figures)>, String> {
    let balancer = Balancer::start(nodes)?;
    let address = balancer.base.trim_start_matches("http://").to_owned();
    let (_, _, spa_id) = bench::prepare(nodes[0])?;
    let (users, duration) = (bench::SIGN_IN_USERS, bench::LOAD_DURATION);
    let tokens = bench::client_credentials_via(nodes[0], &balancer.base)?;
    let code_flows = crate::sign_in_load::code_flows(&address, &spa_id, users, duration);
    let refreshes = crate::sign_in_load::refreshes(&address, &spa_id, users, duration);
    let sign_ins = crate::sign_in_load::sign_ins(&address, users, duration);
    Ok(vec![
        ("client credentials tokens", tokens),
        ("authorization code flow (signed in)", code_flows.checked("code flows through the balancer")?.into()),
        ("refresh token rotation", refreshes.checked("refreshes through the balancer")?.into()),
        ("password sign-ins", sign_ins.checked("sign-ins through the balancer")?.into()),
    ])
}

fn cluster(nodes: usize, postgres: &str) -> Result<Vec<(&'static str, Figures)>, String> {
    let binary = target_dir().join("release/intelliauth");
    let redis = ["--redis-url", "redis://127.0.0.1:6379", "--redis-prefix"];
    let prefix = format!("bench-{}-{nodes}", std::process::id());
    let args: Vec<&str> = redis.iter().copied().chain([prefix.as_str()]).collect();
    let first = bench::start_node(&binary, Some(postgres), &args, None)?;
    // Every node of an installation unseals the same secrets: the first node's instance key.
    let key = std::fs::read_to_string(first.data_dir.join("instance.key")).map_err(|e| format!("instance key: {e}"))?;
    let sibling_args: Vec<&str> = args.iter().copied().chain(["--instance-key", key.trim()]).collect();
    let mut rest = Vec::new();
    for _ in 1..nodes {
        rest.push(bench::start_node(&binary, Some(postgres), &sibling_args, Some(&first.token))?);
    }
    let all: Vec<&BenchServer> = std::iter::once(&first).chain(rest.iter()).collect();
    measure(&all)
}

pub fn run() -> Result<(), String> {
    let postgres = bench::postgres_url();
    let mut runs = Vec::new();
    for nodes in [1, 3] {
        eprintln!("{nodes} node(s) behind HAProxy");
        let schema = format!("bench_cluster_{}_{nodes}", std::process::id());
        runs.push((nodes, bench::in_schema(&postgres, &schema, |url| cluster(nodes, url))??));
    }
    let mut section = format!(
        "{HEADING}\n\nMade by `cargo xtask bench --cluster` on {}: release nodes on one PostgreSQL schema, sharing \
         rate limits through Redis, behind HAProxy (round robin per request, so a session, a code and a refresh \
         token cross nodes); one node behind the same HAProxy is the baseline. Every process — wrk, the \
         nodes, HAProxy, PostgreSQL, Redis — shares this machine's {} cores, so three nodes cannot add CPU \
         here: the ratio is what the shared state and the extra processes cost, and on machines of their own \
         each node adds its own cores.\n\n\
         | Load | One node (/s) | Three nodes (/s) | Three / one | p99, one → three |\n|---|---:|---:|---:|---:|\n",
        bench::utc_now(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let (one, three) = (&runs[0].1, &runs[1].1);
    for ((name, single), (_, many)) in one.iter().zip(three) {
        section.push_str(&format!(
            "| {name} | {:.0} | {:.0} | {:.2}x | {} → {} |\n",
            single.requests_per_second,
            many.requests_per_second,
            many.requests_per_second / single.requests_per_second,
            single.p99,
            many.p99
        ));
    }
    let path = crate::workspace_root().join("bench/RESULTS.md");
    let existing = std::fs::read_to_string(&path).unwrap_or_default();
    std::fs::write(&path, crate::sections::replace(&existing, HEADING, &section)).map_err(|e| e.to_string())?;
    println!("{section}");
    Ok(())
}
