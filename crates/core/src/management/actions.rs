//! Action use cases: create, update (every code change kept as a version), restore a
//! version, order within a trigger, enable or disable, secrets, test runs, and the log.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::{versioned, Management};
use crate::actions::{Action, ActionVersion, Actions, Execution, ExecutionFilter, RunContext, RunStatus, Trigger};
use crate::model::{IfMatch, Meta};
use crate::page::{Page, PageRequest};
use crate::validate::{check_name, FieldErrors};
use crate::{ids, Error, Result};

pub const MAX_CODE_BYTES: usize = 100 * 1024;
/// How long execution logs are kept.
pub const EXECUTION_RETENTION_DAYS: i64 = 30;
const MAX_SECRETS: usize = 20;
const MAX_SECRET_BYTES: usize = 4096;

#[derive(Debug, Clone, Default)]
pub struct NewAction {
    pub name: String,
    pub trigger: String,
    pub code: String,
    pub enabled: Option<bool>,
    pub secrets: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct ActionPatch {
    pub name: Option<String>,
    /// New code: a new version.
    pub code: Option<String>,
    pub enabled: Option<bool>,
    /// Secrets to set; a `None` value removes that secret.
    pub secrets: Option<BTreeMap<String, Option<String>>>,
}

fn check_code(errors: &mut FieldErrors, code: &str) {
    if code.trim().is_empty() {
        errors.add("code", "must not be empty");
    } else if code.len() > MAX_CODE_BYTES {
        errors.add("code", format!("must be at most {} KiB", MAX_CODE_BYTES / 1024));
    }
}

fn check_secret(errors: &mut FieldErrors, name: &str, value: Option<&str>) {
    let well_formed = name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !well_formed {
        errors.add("secrets", format!("{name:?} is not a secret name: letters, digits and _, at most 64"));
    }
    if value.is_some_and(|value| value.len() > MAX_SECRET_BYTES) {
        errors.add("secrets", format!("{name} is longer than {MAX_SECRET_BYTES} bytes"));
    }
}

/// A plausible `event` for a test run of `trigger`, used when the caller gives none.
pub fn sample_event(trigger: Trigger, tenant_id: &str) -> Value {
    let user = json!({
        "user_id": "usr_sample", "email": "sample@example.com", "email_verified": true,
        "name": "Sample User", "given_name": "Sample", "family_name": "User", "nickname": null, "picture": null,
        "app_metadata": {}, "user_metadata": {}, "created_at": "2026-01-01T00:00:00Z",
    });
    let request = json!({ "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (sample)", "request_id": null });
    let tenant = json!({ "id": tenant_id, "name": tenant_id });
    match trigger {
        Trigger::PostLogin => json!({
            "trigger": trigger.as_str(), "tenant": tenant, "user": user, "request": request,
            "application": { "client_id": "app_sample", "name": "Sample application" },
            "authentication": { "methods": [{ "name": "pwd" }], "acr": crate::auth::ACR_SINGLE_FACTOR },
        }),
        Trigger::PreUserRegistration => json!({
            "trigger": trigger.as_str(), "tenant": tenant, "request": request,
            "user": { "email": "sample@example.com", "name": "Sample User" },
        }),
        Trigger::PostUserRegistration => {
            json!({ "trigger": trigger.as_str(), "tenant": tenant, "user": user, "request": request })
        }
    }
}

impl Management {
    fn actions(&self) -> Result<&Actions> {
        self.actions.as_ref().ok_or_else(|| Error::internal("Actions are not configured on this instance"))
    }

    pub async fn create_action(&self, tenant_id: &str, input: NewAction) -> Result<Action> {
        self.tenant(tenant_id).await?;
        let actions = self.actions()?;
        let mut errors = FieldErrors::new();
        check_name(&mut errors, "name", &input.name, 100);
        let trigger = Trigger::parse(&input.trigger);
        if trigger.is_none() {
            let known: Vec<&str> = Trigger::ALL.iter().map(|t| t.as_str()).collect();
            errors.add("trigger", format!("must be one of {}", known.join(", ")));
        }
        check_code(&mut errors, &input.code);
        if input.secrets.len() > MAX_SECRETS {
            errors.add("secrets", format!("at most {MAX_SECRETS} secrets"));
        }
        for (name, value) in &input.secrets {
            check_secret(&mut errors, name, Some(value));
        }
        errors.into_result()?;
        let id = ids::new_id("act");
        let action = Action {
            secrets_sealed: actions.seal_secrets(&id, &input.secrets),
            secret_names: input.secrets.keys().cloned().collect(),
            id,
            tenant_id: tenant_id.to_owned(),
            name: input.name.trim().to_owned(),
            trigger: trigger.unwrap_or(Trigger::PostLogin),
            code: input.code,
            code_version: 1,
            enabled: input.enabled.unwrap_or(true),
            position: 0,
            meta: Meta::new(ids::now_ms()),
        };
        actions.store.insert_action(&action).await?;
        let details = json!({ "action_id": action.id, "name": action.name, "trigger": action.trigger.as_str(),
                              "secret_names": action.secret_names });
        self.record_change(tenant_id, "admin.action.created", details).await;
        // The store chose the position; read it back so the answer shows it.
        self.action(tenant_id, &action.id).await
    }

    pub async fn action(&self, tenant_id: &str, id: &str) -> Result<Action> {
        match self.actions()?.store.get_action(tenant_id, id).await? {
            Some(action) => Ok(action),
            None => Err(self.missing_in_tenant(tenant_id, "action").await),
        }
    }

    pub async fn list_actions(&self, tenant_id: &str, trigger: Option<Trigger>) -> Result<Vec<Action>> {
        self.tenant(tenant_id).await?;
        Ok(self.actions()?.store.list_actions(tenant_id, trigger).await?)
    }

    pub async fn update_action(
        &self,
        tenant_id: &str,
        id: &str,
        patch: ActionPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Action> {
        self.tenant(tenant_id).await?;
        let actions = self.actions()?;
        let mut errors = FieldErrors::new();
        if let Some(name) = &patch.name {
            check_name(&mut errors, "name", name, 100);
        }
        if let Some(code) = &patch.code {
            check_code(&mut errors, code);
        }
        for (name, value) in patch.secrets.iter().flatten() {
            check_secret(&mut errors, name, value.as_deref());
        }
        errors.into_result()?;
        let updated = versioned::update(
            "action",
            if_match,
            || async { Ok(actions.store.get_action(tenant_id, id).await?) },
            |action: &mut Action| {
                if let Some(name) = &patch.name {
                    action.name = name.trim().to_owned();
                }
                if let Some(code) = patch.code.as_ref().filter(|code| **code != action.code) {
                    action.code = code.clone();
                    action.code_version += 1;
                }
                if let Some(enabled) = patch.enabled {
                    action.enabled = enabled;
                }
                if let Some(changes) = &patch.secrets {
                    let mut secrets = actions.open_secrets(action)?;
                    for (name, value) in changes {
                        match value {
                            Some(value) => secrets.insert(name.clone(), value.clone()),
                            None => secrets.remove(name),
                        };
                    }
                    if secrets.len() > MAX_SECRETS {
                        // Too many only together with the secrets already stored: a
                        // conflict with the Action's state, not a malformed request.
                        let mut errors = FieldErrors::new();
                        errors.add("secrets", format!("at most {MAX_SECRETS} secrets in all"));
                        return Err(Error::new(intelliauth_catalogue::Code::Conflict)
                            .with_message("The change conflicts with the Action's other secrets.")
                            .with_detail("fields", errors.into_json()));
                    }
                    action.secrets_sealed = actions.seal_secrets(&action.id, &secrets);
                    action.secret_names = secrets.into_keys().collect();
                }
                Ok(())
            },
            |action, version| async move { Ok(actions.store.update_action(&action, version).await?.then_some(action)) },
        )
        .await?;
        let details = json!({ "action_id": updated.id, "name": updated.name, "code_version": updated.code_version,
                              "enabled": updated.enabled, "secret_names": updated.secret_names });
        self.record_change(tenant_id, "admin.action.updated", details).await;
        Ok(updated)
    }

    pub async fn delete_action(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        let store = &self.actions()?.store;
        versioned::delete(
            "action",
            if_match,
            || async { Ok(store.get_action(tenant_id, id).await?) },
            |version| async move { Ok(store.delete_action(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.action.deleted", json!({ "action_id": id })).await;
        Ok(())
    }

    /// Every kept code version, newest first.
    pub async fn action_versions(&self, tenant_id: &str, id: &str) -> Result<Vec<ActionVersion>> {
        self.action(tenant_id, id).await?;
        Ok(self.actions()?.store.action_versions(id).await?)
    }

    /// Makes an earlier version's code current again, as a new version.
    pub async fn restore_action_version(&self, tenant_id: &str, id: &str, version: i64) -> Result<Action> {
        let versions = self.action_versions(tenant_id, id).await?;
        let kept =
            versions.into_iter().find(|kept| kept.version == version).ok_or_else(|| Error::not_found("version"))?;
        self.update_action(tenant_id, id, ActionPatch { code: Some(kept.code), ..Default::default() }, None).await
    }

    /// Orders the trigger's Actions as `ids` lists them. Each id must be listed once
    /// (`validation_failed`) and name an Action of the trigger (`not_found` names the first
    /// that does not); a list that misses one of them, created since the caller read the
    /// order, is `precondition_failed` with the current order, to reload and retry.
    pub async fn reorder_actions(&self, tenant_id: &str, trigger: &str, ids: Vec<String>) -> Result<Vec<Action>> {
        let Some(trigger) = Trigger::parse(trigger) else {
            return Err(Error::not_found("trigger"));
        };
        let mut errors = FieldErrors::new();
        for (index, id) in ids.iter().enumerate() {
            if ids[..index].contains(id) {
                errors.add(&format!("action_ids[{index}]"), "is listed twice");
            }
        }
        errors.into_result()?;
        let current = self.list_actions(tenant_id, Some(trigger)).await?;
        if let Some(unknown) = ids.iter().find(|id| !current.iter().any(|action| &action.id == *id)) {
            return Err(Error::not_found("action").with_detail("action_id", unknown.as_str()));
        }
        let stale = || {
            let order: Vec<&str> = current.iter().map(|action| action.id.as_str()).collect();
            Error::precondition_failed(None).with_detail("current_order", order)
        };
        if ids.len() != current.len() {
            return Err(stale());
        }
        if !self.actions()?.store.reorder_actions(tenant_id, trigger, &ids, ids::now_ms()).await? {
            return Err(stale());
        }
        let details = json!({ "trigger": trigger.as_str(), "action_ids": ids });
        self.record_change(tenant_id, "admin.actions.reordered", details).await;
        self.list_actions(tenant_id, Some(trigger)).await
    }

    /// Runs the Action on `event` (or a sample) without touching any user: what it asked
    /// for is returned, not applied. The run is logged as a test.
    pub async fn test_action(&self, tenant_id: &str, id: &str, event: Option<Value>) -> Result<(Execution, RunStatus)> {
        let tenant = self.tenant(tenant_id).await?;
        let action = self.action(tenant_id, id).await?;
        let event = event.unwrap_or_else(|| sample_event(action.trigger, tenant_id));
        if !event.is_object() {
            let mut errors = FieldErrors::new();
            errors.add("event", "must be an object");
            errors.into_result()?;
        }
        self.actions()?.execute(&tenant, &action, event, &RunContext::default(), true).await
    }

    pub async fn executions(
        &self,
        tenant_id: &str,
        filter: ExecutionFilter,
        page: PageRequest,
    ) -> Result<Page<Execution>> {
        self.tenant(tenant_id).await?;
        let rows = self.actions()?.store.list_executions(tenant_id, &filter, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |execution| &execution.id))
    }

    /// Drops execution logs past their retention; run periodically.
    pub async fn prune_action_executions(&self) -> Result<u64> {
        let Some(actions) = &self.actions else { return Ok(0) };
        let before = ids::now_ms() - EXECUTION_RETENTION_DAYS * 24 * 3600 * 1000;
        Ok(actions.store.prune_executions(before).await?)
    }
}
