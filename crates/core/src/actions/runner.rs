//! Runs a tenant's Actions: opens each one's secrets, hands it to the sandbox, logs the
//! execution, and turns the first deny, timeout or error into its catalogue code.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use intelliauth_catalogue::Code;
use serde_json::{json, Value};

use super::contain::{contain, Masker};
use super::{
    Action, ActionEngine, ActionStore, Commands, Execution, ExecutionOutcome, RunReport, RunRequest, RunStatus, Trigger,
};
use crate::model::Tenant;
use crate::sealed::InstanceKey;
use crate::{ids, Error, Result};

/// Claims one sign-in's Actions may add to a token, serialized.
const MAX_CLAIMS_BYTES: usize = 8 * 1024;

/// Who an execution is for, for its log.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    pub request_id: Option<String>,
    pub user_id: Option<String>,
}

/// Actions with their store, sandbox and the key that seals their secrets. Cheap to clone.
#[derive(Clone)]
pub struct Actions {
    pub(crate) store: Arc<dyn ActionStore>,
    pub(crate) engine: Arc<dyn ActionEngine>,
    pub(crate) key: InstanceKey,
}

/// `{id, name}` of an Action, as `details.step` names it.
pub fn step_detail(action: &Action) -> Value {
    json!({ "id": action.id, "name": action.name })
}

impl Actions {
    pub fn new(store: Arc<dyn ActionStore>, engine: Arc<dyn ActionEngine>, key: InstanceKey) -> Self {
        Actions { store, engine, key }
    }

    pub fn store(&self) -> &Arc<dyn ActionStore> {
        &self.store
    }

    /// The trigger's enabled Actions, in order. Callers read them first, so flows of tenants
    /// without any build no event and make no other query.
    pub async fn enabled(&self, tenant_id: &str, trigger: Trigger) -> Result<Vec<Action>> {
        let mut actions = self.store.list_actions(tenant_id, Some(trigger)).await?;
        actions.retain(|action| action.enabled);
        Ok(actions)
    }

    pub(crate) fn open_secrets(&self, action: &Action) -> Result<BTreeMap<String, String>> {
        let Some(sealed) = &action.secrets_sealed else { return Ok(BTreeMap::new()) };
        let opened = self.key.open(sealed, &action.id).map_err(Error::internal)?;
        serde_json::from_slice(&opened).map_err(Error::internal)
    }

    pub(crate) fn seal_secrets(&self, action_id: &str, secrets: &BTreeMap<String, String>) -> Option<String> {
        (!secrets.is_empty()).then(|| self.key.seal(&serde_json::to_vec(secrets).unwrap_or_default(), action_id))
    }

    /// Runs one Action and logs the execution; `test` runs are logged as such.
    pub async fn execute(
        &self,
        tenant: &Tenant,
        action: &Action,
        event: Value,
        context: &RunContext,
        test: bool,
    ) -> Result<(Execution, RunStatus)> {
        let secrets = self.open_secrets(action)?;
        let masker = Masker::new(&secrets);
        let request = RunRequest {
            tenant_id: tenant.id.clone(),
            code: action.code.clone(),
            trigger: action.trigger,
            event,
            secrets,
            budget: Duration::from_millis(tenant.settings.actions.timeout_ms),
            allowed_hosts: tenant.settings.actions.allowed_hosts.clone(),
        };
        let RunReport { status, console, duration } = self.engine.run(request).await;
        let (status, console) = contain(status, console, &masker);
        let (outcome, reason, error, stack) = match &status {
            RunStatus::Completed(Commands { deny: Some(reason), .. }) => {
                (ExecutionOutcome::Denied, Some(reason.clone()), None, None)
            }
            RunStatus::Completed(_) => (ExecutionOutcome::Success, None, None, None),
            RunStatus::TimedOut => (
                ExecutionOutcome::Timeout,
                None,
                Some(format!("ran past its budget of {} ms", tenant.settings.actions.timeout_ms)),
                None,
            ),
            RunStatus::Failed { error, stack } => (ExecutionOutcome::Error, None, Some(error.clone()), stack.clone()),
        };
        let execution = Execution {
            id: ids::new_id("exe"),
            tenant_id: tenant.id.clone(),
            action_id: action.id.clone(),
            action_name: action.name.clone(),
            action_version: action.code_version,
            trigger: action.trigger,
            request_id: context.request_id.clone(),
            user_id: context.user_id.clone(),
            outcome,
            test,
            duration_us: duration.as_micros() as i64,
            console,
            reason,
            error,
            stack,
            created_at: ids::now_ms(),
        };
        self.store.insert_execution(&execution).await?;
        Ok((execution, status))
    }

    /// Runs `actions` (from [`Actions::enabled`]) in order and merges what they asked for. The
    /// first that denies, times out or fails ends the run with `step_blocked`, `step_timeout`
    /// or `step_error`; the user sees only the catalogue copy, admins the execution log.
    pub async fn run(
        &self,
        tenant: &Tenant,
        actions: &[Action],
        event: &Value,
        context: &RunContext,
    ) -> Result<Commands> {
        let mut merged = Commands::default();
        for action in actions {
            let (execution, status) = self.execute(tenant, action, event.clone(), context, false).await?;
            let step = step_detail(action);
            let commands = match status {
                RunStatus::Completed(commands) => commands,
                RunStatus::TimedOut => {
                    return Err(Error::new(Code::StepTimeout)
                        .with_detail("step", step)
                        .with_cause(format!("Action {} timed out (execution {})", action.id, execution.id)))
                }
                // The Action's own text stays in the execution log, the tenant's: the cause
                // the operator's log carries names the execution, nothing the tenant wrote.
                RunStatus::Failed { .. } => {
                    return Err(Error::new(Code::StepError)
                        .with_detail("step", step)
                        .with_cause(format!("Action {} failed (execution {})", action.id, execution.id)))
                }
            };
            if let Some(reason) = commands.deny {
                return Err(Error::new(Code::StepBlocked).with_detail("step", step).with_detail("reason", reason));
            }
            merged.merge_scopes(&commands);
            merged.id_token_claims.extend(commands.id_token_claims);
            merged.access_token_claims.extend(commands.access_token_claims);
            merged.app_metadata.extend(commands.app_metadata);
            merged.multifactor = commands.multifactor.or(merged.multifactor);
            let scope_bytes = |scopes: &[String]| scopes.iter().map(|scope| scope.len() + 1).sum::<usize>();
            let claims_size = Value::Object(merged.id_token_claims.clone()).to_string().len()
                + Value::Object(merged.access_token_claims.clone()).to_string().len()
                + scope_bytes(&merged.access_token_scopes_added)
                + scope_bytes(&merged.access_token_scopes_removed);
            if claims_size > MAX_CLAIMS_BYTES {
                return Err(Error::new(Code::StepError).with_detail("step", step).with_cause(format!(
                    "Action {} set custom claims of {claims_size} bytes; at most {MAX_CLAIMS_BYTES} fit in tokens",
                    action.id
                )));
            }
        }
        Ok(merged)
    }
}
