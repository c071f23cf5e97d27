//! The sandbox for tenant-admin Actions: QuickJS (through rquickjs), one fresh runtime and
//! context per execution on the blocking pool, a wall-clock budget enforced by the engine's
//! interrupt handler, a heap limit, and `fetch` limited to the tenant's allowed hosts.
//!
//! Apart from `core` so the C engine and its unsafe bindings stay out of the domain, which
//! only sees `core::actions::ActionEngine`.

mod fetch;
mod sandbox;

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use intelliauth_core::actions::{ActionEngine, RunReport, RunRequest, RunStatus};
use intelliauth_core::webhooks::address::AddressPolicy;
use intelliauth_webhooks::guard::GuardedResolver;
use tokio::sync::Semaphore;

pub use fetch::Fetcher;
pub use sandbox::{MEMORY_LIMIT_BYTES, SCRIPT_NAME};

/// Runs Actions; cheap to clone.
#[derive(Clone)]
pub struct QuickJsEngine {
    /// Bounds executions in parallel, so runaway Actions cannot take every blocking thread
    /// or `executions × heap limit` of memory.
    slots: Arc<Semaphore>,
    client: reqwest::Client,
    policy: AddressPolicy,
}

impl QuickJsEngine {
    /// An engine running at most `parallel` executions at once, whose `fetch` reaches only
    /// addresses `policy` allows (as webhooks: no loopback or private networks by default).
    pub fn new(parallel: usize, policy: AddressPolicy) -> Self {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver::new(policy)))
            .user_agent(concat!("IntelliAuth-Actions/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a TLS client with default settings builds");
        QuickJsEngine { slots: Arc::new(Semaphore::new(parallel.max(1))), client, policy }
    }
}

#[async_trait]
impl ActionEngine for QuickJsEngine {
    async fn run(&self, request: RunRequest) -> RunReport {
        let started = Instant::now();
        let deadline = started + request.budget;
        let report = |status, console| RunReport { status, console, duration: started.elapsed() };
        // Waiting for a slot spends the same budget: a queue of Actions cannot outlast it.
        let permit = match tokio::time::timeout_at(deadline.into(), self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) | Err(_) => return report(RunStatus::TimedOut, Vec::new()),
        };
        let fetcher = Fetcher::new(self.client.clone(), self.policy, request.allowed_hosts.clone(), deadline);
        let executed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            sandbox::execute(&request, deadline, fetcher)
        })
        .await;
        match executed {
            Ok((status, console)) => report(status, console),
            Err(panic) => {
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

/// The budget used when a caller gives none.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(intelliauth_core::actions::DEFAULT_TIMEOUT_MS);

#[cfg(test)]
mod tests {
    use super::*;
    use intelliauth_core::actions::Trigger;
    use serde_json::json;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runaway_actions_do_not_stop_others() {
        let engine = QuickJsEngine::new(2, AddressPolicy::default());
        let request = |code: &str, budget_ms: u64| RunRequest {
            code: code.into(),
            trigger: Trigger::PostLogin,
            event: json!({}),
            secrets: Default::default(),
            budget: Duration::from_millis(budget_ms),
            allowed_hosts: vec![],
        };
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
