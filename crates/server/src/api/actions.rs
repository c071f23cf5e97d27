//! `/v1/tenants/{tenant_id}/actions`: tenant-admin JavaScript on sign-in and registration —
//! versions, order, secrets (write-only), test runs and the execution log.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_core::actions::{Action, ActionVersion, Execution, ExecutionFilter, RunStatus, Trigger};
use intelliauth_core::ids::rfc3339;
use intelliauth_core::management::{ActionPatch, NewAction};
use intelliauth_core::validate::FieldErrors;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::allowed::{ActionsRead, ActionsWrite, Allowed, Item};
use super::item::item_handlers;
use super::reject_invalid;
use super::views::{list, resource, unpaged, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{Fields, JsonObject, Pagination, Patch, Precondition};

#[derive(Serialize, ToSchema)]
pub struct ActionView {
    id: String,
    tenant_id: String,
    name: String,
    /// `post-login`, `pre-user-registration` or `post-user-registration`.
    trigger: String,
    code: String,
    /// The current code version; every change of `code` makes a new one.
    version: i64,
    enabled: bool,
    /// Order within the trigger, lowest first.
    position: i64,
    /// The names of the Action's secrets; values are never returned.
    secrets: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<&Action> for ActionView {
    fn from(action: &Action) -> Self {
        ActionView {
            id: action.id.clone(),
            tenant_id: action.tenant_id.clone(),
            name: action.name.clone(),
            trigger: action.trigger.as_str().into(),
            code: action.code.clone(),
            version: action.code_version,
            enabled: action.enabled,
            position: action.position,
            secrets: action.secret_names.clone(),
            created_at: rfc3339(action.meta.created_at),
            updated_at: rfc3339(action.meta.updated_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct VersionView {
    version: i64,
    code: String,
    created_at: String,
}

impl From<&ActionVersion> for VersionView {
    fn from(version: &ActionVersion) -> Self {
        VersionView { version: version.version, code: version.code.clone(), created_at: rfc3339(version.created_at) }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ExecutionView {
    id: String,
    action_id: String,
    action_name: String,
    action_version: i64,
    trigger: String,
    /// The `X-Request-Id` of the sign-in or registration that ran it.
    request_id: Option<String>,
    user_id: Option<String>,
    /// `success`, `denied`, `timeout` or `error`.
    outcome: String,
    /// A test run: nothing it asked for was applied.
    test: bool,
    /// Wall-clock time of the execution, to the microsecond.
    duration_ms: f64,
    console: Vec<String>,
    /// What the Action gave `api.access.deny`.
    reason: Option<String>,
    error: Option<String>,
    /// The stack trace, with `action.js:<line>:<column>` frames.
    stack: Option<String>,
    created_at: String,
}

impl From<&Execution> for ExecutionView {
    fn from(execution: &Execution) -> Self {
        ExecutionView {
            id: execution.id.clone(),
            action_id: execution.action_id.clone(),
            action_name: execution.action_name.clone(),
            action_version: execution.action_version,
            trigger: execution.trigger.as_str().into(),
            request_id: execution.request_id.clone(),
            user_id: execution.user_id.clone(),
            outcome: execution.outcome.as_str().into(),
            test: execution.test,
            duration_ms: execution.duration_us as f64 / 1000.0,
            console: execution.console.clone(),
            reason: execution.reason.clone(),
            error: execution.error.clone(),
            stack: execution.stack.clone(),
            created_at: rfc3339(execution.created_at),
        }
    }
}

/// Request body of `POST …/actions`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CreateActionRequest {
    name: String,
    trigger: String,
    /// CommonJS: `exports.onExecutePostLogin = async (event, api) => { … }`.
    code: String,
    enabled: Option<bool>,
    /// Secret name → value, readable by the Action as `event.secrets.NAME`.
    secrets: Option<BTreeMap<String, String>>,
}

/// Request body of `PATCH …/actions/{action_id}`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateActionRequest {
    name: Option<String>,
    code: Option<String>,
    enabled: Option<bool>,
    /// Secrets to set; a `null` value removes one.
    secrets: Option<BTreeMap<String, Option<String>>>,
}

/// `secrets` as an object of strings (or, where `nullable`, `null` to remove one).
fn secrets_field(
    fields: &mut Fields,
    errors: &mut FieldErrors,
    nullable: bool,
) -> Option<BTreeMap<String, Option<String>>> {
    let object = fields.nullable_object("secrets").flatten()?;
    let mut secrets = BTreeMap::new();
    for (name, value) in object.as_object().into_iter().flatten() {
        match value {
            Value::String(text) => {
                secrets.insert(name.clone(), Some(text.clone()));
            }
            Value::Null if nullable => {
                secrets.insert(name.clone(), None);
            }
            _ => errors.add(
                &format!("secrets.{name}"),
                if nullable { "must be a string or null" } else { "must be a string" },
            ),
        }
    }
    Some(secrets)
}

fn trigger_param(pagination: &Pagination) -> ApiResult<Option<Trigger>> {
    let Some(name) = pagination.params.get("trigger") else { return Ok(None) };
    match Trigger::parse(name) {
        Some(trigger) => Ok(Some(trigger)),
        None => {
            let mut errors = FieldErrors::new();
            errors.add("trigger", "must be post-login, pre-user-registration or post-user-registration");
            errors.into_result()?;
            Ok(None)
        }
    }
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/actions", tag = "actions", request_body = CreateActionRequest,
    params(("tenant_id" = String, Path)),
    responses((status = 201, body = ActionView), (status = 400, body = ErrorBody)), security(("bearer" = ["actions:write"])))]
pub async fn create(at: Allowed<ActionsWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    at.caller.require_step_up()?;
    let mut errors = FieldErrors::new();
    let secrets = secrets_field(&mut fields, &mut errors, false).unwrap_or_default();
    let input = NewAction {
        name: fields.required_string("name"),
        trigger: fields.required_string("trigger"),
        code: fields.required_string("code"),
        enabled: fields.optional_bool("enabled"),
        secrets: secrets.into_iter().filter_map(|(name, value)| Some((name, value?))).collect(),
    };
    reject_invalid(fields.finish(), errors)?;
    let action = at.state.management.create_action(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &action.meta, ActionView::from(&action)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/actions", tag = "actions",
    params(("tenant_id" = String, Path), ("trigger" = Option<String>, Query)),
    responses((status = 200, body = ListView<ActionView>)), security(("bearer" = ["actions:read"])))]
pub async fn list_all(at: Allowed<ActionsRead>, pagination: Pagination) -> ApiResult<Json<ListView<ActionView>>> {
    let actions = at.state.management.list_actions(at.tenant_id(), trigger_param(&pagination)?).await?;
    Ok(unpaged(&actions))
}

item_handlers!(tag "actions", path "/v1/tenants/{tenant_id}/actions/{action_id}", id "action_id", view ActionView,
    get ActionsRead "actions:read" => action, delete ActionsWrite "actions:write" => delete_action, step_up: true);

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/actions/{action_id}", tag = "actions",
    request_body = UpdateActionRequest,
    params(("tenant_id" = String, Path), ("action_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = ActionView), (status = 412, body = ErrorBody)), security(("bearer" = ["actions:write"])))]
pub async fn update(at: Allowed<ActionsWrite, Item>, Patch { if_match, mut fields }: Patch) -> ApiResult<Response> {
    at.caller.require_step_up()?;
    let mut errors = FieldErrors::new();
    let patch = ActionPatch {
        secrets: secrets_field(&mut fields, &mut errors, true),
        name: fields.optional_string("name"),
        code: fields.optional_string("code"),
        enabled: fields.optional_bool("enabled"),
    };
    reject_invalid(fields.finish(), errors)?;
    let action = at.state.management.update_action(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &action.meta, ActionView::from(&action)))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/actions/{action_id}/versions", tag = "actions",
    params(("tenant_id" = String, Path), ("action_id" = String, Path)),
    responses((status = 200, body = ListView<VersionView>)), security(("bearer" = ["actions:read"])))]
pub async fn versions(at: Allowed<ActionsRead, Item>) -> ApiResult<Json<ListView<VersionView>>> {
    let versions = at.state.management.action_versions(at.tenant_id(), at.id()).await?;
    Ok(unpaged(&versions))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/actions/{action_id}/versions/{version}/restore", tag = "actions",
    params(("tenant_id" = String, Path), ("action_id" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = ActionView), (status = 404, body = ErrorBody)), security(("bearer" = ["actions:write"])))]
pub async fn restore(
    Allowed { state, caller, path: (tenant_id, id, version), .. }: Allowed<ActionsWrite, (String, String, String)>,
) -> ApiResult<Response> {
    caller.require_step_up()?;
    let version = version.parse::<i64>().map_err(|_| intelliauth_core::Error::not_found("version"))?;
    let action = state.management.restore_action_version(&tenant_id, &id, version).await?;
    Ok(resource(StatusCode::OK, &action.meta, ActionView::from(&action)))
}

/// Body: `{"event": {…}}` (optional; a sample event of the Action's trigger otherwise).
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/actions/{action_id}/test", tag = "actions",
    params(("tenant_id" = String, Path), ("action_id" = String, Path)),
    responses((status = 200, body = Object)), security(("bearer" = ["actions:write"])))]
pub async fn test_run(at: Allowed<ActionsWrite, Item>, JsonObject(mut fields): JsonObject) -> ApiResult<Json<Value>> {
    let event = fields.nullable_object("event").flatten();
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let (execution, status) = at.state.management.test_action(at.tenant_id(), at.id(), event).await?;
    // What the Action asked for, as it would have been applied.
    let asked = match status {
        RunStatus::Completed(commands) => json!({
            "deny": commands.deny,
            "id_token_claims": commands.id_token_claims,
            "access_token_claims": commands.access_token_claims,
            "app_metadata": commands.app_metadata,
            "multifactor": commands.multifactor,
        }),
        RunStatus::TimedOut | RunStatus::Failed { .. } => Value::Null,
    };
    Ok(Json(json!({ "execution": ExecutionView::from(&execution), "api_calls": asked })))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/actions/{action_id}/executions", tag = "actions",
    params(("tenant_id" = String, Path), ("action_id" = String, Path), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ExecutionView>)), security(("bearer" = ["actions:read"])))]
pub async fn action_executions(at: Allowed<ActionsRead, Item>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    at.state.management.action(at.tenant_id(), at.id()).await?;
    let filter = ExecutionFilter { action_id: Some(at.id().to_owned()), request_id: None };
    Ok(list::<_, ExecutionView>(at.state.management.executions(at.tenant_id(), filter, pagination.page).await?))
}

/// Every execution of the tenant, newest first; `request_id` finds those of one sign-in.
#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/action-executions", tag = "actions",
    params(("tenant_id" = String, Path), ("request_id" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<ExecutionView>)), security(("bearer" = ["actions:read"])))]
pub async fn executions(at: Allowed<ActionsRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let filter = ExecutionFilter { action_id: None, request_id: pagination.params.get("request_id").cloned() };
    Ok(list::<_, ExecutionView>(at.state.management.executions(at.tenant_id(), filter, pagination.page).await?))
}

/// Every Action of the trigger once, in the order to run.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the body; the handler reads it field by field
pub struct ReorderRequest {
    action_ids: Vec<String>,
}

/// Body: `{"action_ids": [...]}`, every Action of the trigger once, in the order to run.
#[utoipa::path(put, path = "/v1/tenants/{tenant_id}/triggers/{trigger}/order", tag = "actions",
    params(("tenant_id" = String, Path), ("trigger" = String, Path)), request_body = ReorderRequest,
    responses((status = 200, body = ListView<ActionView>), (status = 400, body = ErrorBody)),
    security(("bearer" = ["actions:write"])))]
pub async fn reorder(
    at: Allowed<ActionsWrite, Item>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Json<ListView<ActionView>>> {
    at.caller.require_step_up()?;
    let ids = fields.optional_string_list("action_ids");
    let mut errors = FieldErrors::new();
    if ids.is_none() {
        errors.add("action_ids", "is required");
    }
    reject_invalid(fields.finish(), errors)?;
    let actions = at.state.management.reorder_actions(at.tenant_id(), at.id(), ids.unwrap_or_default()).await?;
    Ok(unpaged(&actions))
}
