//! The sandbox for tenant-admin Actions: QuickJS (through rquickjs), one fresh runtime and
//! context per execution on the blocking pool, a wall-clock budget enforced by the engine's
//! interrupt handler, a heap limit, and `fetch` limited to the tenant's allowed hosts.
//!
//! Apart from `core` so the C engine and its unsafe bindings stay out of the domain, which
//! only sees `core::actions::ActionEngine`.

mod fetch;
mod sandbox;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use intelliauth_core::actions::{ActionEngine, RunReport, RunRequest, RunStatus};
use intelliauth_core::webhooks::address::AddressPolicy;
use intelliauth_egress::{Egress, EgressSettings};
use tokio::sync::Semaphore;

pub use fetch::Fetcher;
pub use sandbox::{MEMORY_LIMIT_BYTES, SCRIPT_NAME};

/// Runs Actions; cheap to clone.
#[derive(Clone)]
pub struct QuickJsEngine {
    /// Bounds executions in parallel, so runaway Actions cannot take every blocking thread
    /// or `executions × heap limit` of memory.
    slots: Arc<Semaphore>,
    /// Each tenant's share of `slots`: one tenant saturating its share leaves the rest to
    /// the others.
    tenants: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
    per_tenant: usize,
    egress: Egress,
}

impl QuickJsEngine {
    /// An engine running at most `parallel` executions at once, whose `fetch` reaches only
    /// addresses `policy` allows (as webhooks: no loopback or private networks by default).
    pub fn new(parallel: usize, policy: AddressPolicy) -> Self {
        // No timeout of the client's own: each `fetch` is bounded by its execution's deadline.
        let settings =
            EgressSettings { user_agent: concat!("IntelliAuth-Actions/", env!("CARGO_PKG_VERSION")), timeout: None };
        let egress = Egress::new(policy, settings).expect("a TLS client with default settings builds");
        let parallel = parallel.max(1);
        QuickJsEngine {
            slots: Arc::new(Semaphore::new(parallel)),
            tenants: Arc::default(),
            per_tenant: (parallel / TENANT_SHARE_DIVISOR).max(1),
            egress,
        }
    }
}

#[async_trait]
impl ActionEngine for QuickJsEngine {
    async fn run(&self, request: RunRequest) -> RunReport {
        let queued = Instant::now();
        // A slot of the tenant's own share first, then one of the instance's: a tenant's
        // queue waits in its own line, and the wait is not billed to the budget (it is
        // bounded by QUEUE_WAIT instead).
        let tenant_slots = self.tenant_slots(&request.tenant_id);
        let tenant_of_report = request.tenant_id.clone();
        let waited = async { (tenant_slots.acquire_owned().await, self.slots.clone().acquire_owned().await) };
        let permits = match tokio::time::timeout(QUEUE_WAIT, waited).await {
            Ok((Ok(tenant), Ok(instance))) => (tenant, instance),
            _ => return RunReport { status: RunStatus::TimedOut, console: Vec::new(), duration: queued.elapsed() },
        };
        let started = Instant::now();
        let deadline = started + request.budget;
        let report = |status, console| RunReport { status, console, duration: started.elapsed() };
        let fetcher = Fetcher::new(self.egress.clone(), request.allowed_hosts.clone(), deadline);
        let execution = tokio::task::spawn_blocking(move || sandbox::execute(&request, deadline, fetcher));
        // The reaper: an execution still running well past its deadline (which the engine's
        // checks should make impossible) gives its slots back and is reported timed out; its
        // thread ends when the engine next checks, but it no longer blocks anyone's share.
        let executed = tokio::time::timeout_at((deadline + REAP_AFTER).into(), execution).await;
        drop(permits);
        match executed {
            Err(_) => {
                tracing::warn!(tenant = %tenant_of_report, "an Action execution outlived its deadline; its slot was reaped");
                report(RunStatus::TimedOut, Vec::new())
            }
            Ok(Ok((status, console))) => report(status, console),
            Ok(Err(panic)) => {
                tracing::error!(error = %panic, "an Action execution panicked");
                report(RunStatus::Failed { error: "the sandbox failed".into(), stack: None }, Vec::new())
            }
        }
    }
}

impl QuickJsEngine {
    /// Four executions per core at once.
    pub fn with_policy(policy: AddressPolicy) -> Self {
        QuickJsEngine::new(std::thread::available_parallelism().map_or(4, |n| n.get() * 4), policy)
    }
}

impl QuickJsEngine {
    fn tenant_slots(&self, tenant_id: &str) -> Arc<Semaphore> {
        let mut tenants = self.tenants.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tenants.entry(tenant_id.to_owned()).or_insert_with(|| Arc::new(Semaphore::new(self.per_tenant))).clone()
    }
}

/// A tenant may hold this fraction of the instance's execution slots at once.
const TENANT_SHARE_DIVISOR: usize = 4;
/// How long past its deadline an execution may hold its slots before they are reaped.
const REAP_AFTER: Duration = Duration::from_secs(2);
/// The longest an execution waits for a slot before it counts as timed out.
const QUEUE_WAIT: Duration = Duration::from_secs(10);

/// The budget used when a caller gives none.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(intelliauth_core::actions::DEFAULT_TIMEOUT_MS);

#[cfg(test)]
mod tests {
    use super::*;
    use intelliauth_core::actions::Trigger;
    use serde_json::json;

    fn request(tenant: &str, code: &str, budget_ms: u64) -> RunRequest {
        RunRequest {
            tenant_id: tenant.into(),
            code: code.into(),
            trigger: Trigger::PostLogin,
            event: json!({}),
            secrets: Default::default(),
            budget: Duration::from_millis(budget_ms),
            allowed_hosts: vec![],
        }
    }

    /// One tenant saturating its share of the slots with spinning Actions leaves another
    /// tenant's Action to run at once, with its whole budget.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_tenant_saturating_its_share_does_not_delay_another() {
        let engine = QuickJsEngine::new(8, AddressPolicy::default());
        let spin = "exports.onExecutePostLogin = async () => { while (true) {} };";
        let hogs: Vec<_> = (0..8)
            .map(|_| {
                let (engine, hog) = (engine.clone(), request("hog", spin, 1500));
                tokio::spawn(async move { engine.run(hog).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(100)).await;
        let started = Instant::now();
        let report = engine
            .run(request("bystander", "exports.onExecutePostLogin = async (e, api) => api.access.deny('ok');", 1000))
            .await;
        let took = started.elapsed();
        assert!(
            matches!(report.status, RunStatus::Completed(ref c) if c.deny.as_deref() == Some("ok")),
            "{:?}",
            report.status
        );
        assert!(took < Duration::from_millis(500), "the bystander waited {took:?}");
        for hog in hogs {
            assert_eq!(hog.await.unwrap().status, RunStatus::TimedOut);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runaway_actions_do_not_stop_others() {
        let engine = QuickJsEngine::new(2, AddressPolicy::default());
        let request = |code: &str, budget_ms: u64| request("t", code, budget_ms);
        let spinning = engine.run(request("exports.onExecutePostLogin = async () => { while (true) {} };", 400));
        let quick = async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            engine.run(request("exports.onExecutePostLogin = async (e, api) => api.access.deny('no');", 1000)).await
        };
        let (spun, quick) = tokio::join!(spinning, quick);
        assert_eq!(spun.status, RunStatus::TimedOut);
        assert!(matches!(quick.status, RunStatus::Completed(ref c) if c.deny.as_deref() == Some("no")));
        assert!(quick.duration < Duration::from_millis(300), "{:?}", quick.duration);
    }
}
