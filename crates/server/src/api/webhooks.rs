//! `/v1/tenants/{tenant_id}/webhooks`: subscriptions, the delivery feed, the dead-letter
//! queue, replays and test events; `/v1/webhook-event-types` lists what can be subscribed to.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use intelliauth_catalogue::{Code, Family};
use intelliauth_core::events::EventType;
use intelliauth_core::ids::rfc3339;
use intelliauth_core::management::{NewSubscription, SubscriptionPatch};
use intelliauth_core::validate::FieldErrors;
use intelliauth_core::webhooks::{Attempt, Message, MessageFilter, MessageStatus, Subscription};
use intelliauth_core::Error;
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

use super::allowed::{Allowed, Item, WebhooksRead, WebhooksWrite};
use super::item::item_handlers;
use super::reject_invalid;
use super::views::{list, resource, ErrorBody, ListView};
use crate::error::ApiResult;
use crate::extract::{JsonObject, Pagination, Patch, Precondition};

#[derive(Serialize, ToSchema)]
pub struct SubscriptionView {
    id: String,
    tenant_id: String,
    url: String,
    event_types: Vec<String>,
    description: Option<String>,
    enabled: bool,
    /// The signing secret (`whsec_…`): only in the response that created or rotated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
    /// Until when the secret before the last rotation still signs deliveries.
    previous_secret_expires_at: Option<String>,
    created_at: String,
    updated_at: String,
}

impl SubscriptionView {
    fn new(subscription: &Subscription, secret: Option<String>) -> Self {
        SubscriptionView {
            id: subscription.id.clone(),
            tenant_id: subscription.tenant_id.clone(),
            url: subscription.url.clone(),
            event_types: subscription.event_types.clone(),
            description: subscription.description.clone(),
            enabled: subscription.enabled,
            secret,
            previous_secret_expires_at: subscription.previous_secret_expires_at.map(rfc3339),
            created_at: rfc3339(subscription.meta.created_at),
            updated_at: rfc3339(subscription.meta.updated_at),
        }
    }
}

impl From<&Subscription> for SubscriptionView {
    fn from(subscription: &Subscription) -> Self {
        SubscriptionView::new(subscription, None)
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageView {
    id: String,
    subscription_id: String,
    /// Also the `webhook-id` header of every delivery of this message.
    event_id: String,
    event_type: String,
    /// `pending`, `delivered` or `dead` (in the dead-letter queue).
    status: String,
    attempts: i64,
    /// The last attempt's observation (`receiver_5xx`, …), or `dlq_max_attempts`.
    #[schema(value_type = Option<String>)]
    last_outcome: Option<Code>,
    next_attempt_at: Option<String>,
    created_at: String,
    finished_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt_log: Option<Vec<AttemptView>>,
}

impl MessageView {
    /// The message with its attempt log, oldest attempt first.
    pub fn with_attempts(message: &Message, attempts: &[Attempt]) -> Self {
        MessageView {
            attempt_log: Some(attempts.iter().map(AttemptView::from).collect()),
            ..MessageView::from(message)
        }
    }
}

impl From<&Message> for MessageView {
    fn from(message: &Message) -> Self {
        MessageView {
            id: message.id.clone(),
            subscription_id: message.subscription_id.clone(),
            event_id: message.event_id.clone(),
            event_type: message.event_type.clone(),
            status: message.status.as_str().to_owned(),
            attempts: message.attempts,
            last_outcome: message.last_outcome,
            next_attempt_at: message.next_attempt_at.filter(|_| message.status == MessageStatus::Pending).map(rfc3339),
            created_at: rfc3339(message.created_at),
            finished_at: message.finished_at.map(rfc3339),
            attempt_log: None,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttemptView {
    number: i64,
    started_at: String,
    latency_ms: i64,
    /// `delivered` or an observation code such as `receiver_timeout`.
    #[schema(value_type = String)]
    outcome: Code,
    http_status: Option<i64>,
    /// The first kilobyte of the receiver's answer to a failed attempt.
    response_excerpt: Option<String>,
    /// What failed below HTTP: the TLS or connection error.
    error: Option<String>,
    /// The server process that made the attempt.
    node: String,
}

impl From<&Attempt> for AttemptView {
    fn from(attempt: &Attempt) -> Self {
        AttemptView {
            number: attempt.number,
            started_at: rfc3339(attempt.started_at),
            latency_ms: attempt.latency_ms,
            outcome: attempt.outcome,
            http_status: attempt.http_status,
            response_excerpt: attempt.response_excerpt.clone(),
            error: attempt.error.clone(),
            node: attempt.node.clone(),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)] // documents the body that `JsonObject` reads field by field
pub struct CreateSubscriptionRequest {
    /// https; http only to loopback when the instance allows loopback receivers.
    url: String,
    /// Event type names from `/v1/webhook-event-types`, or `["*"]`.
    event_types: Vec<String>,
    description: Option<String>,
    /// Default true.
    enabled: Option<bool>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UpdateSubscriptionRequest {
    url: Option<String>,
    event_types: Option<Vec<String>>,
    /// `null` clears it.
    description: Option<String>,
    enabled: Option<bool>,
}

#[utoipa::path(get, path = "/v1/webhook-event-types", tag = "webhooks", responses((status = 200, body = Object)))]
pub async fn event_types() -> Json<Value> {
    let types: Vec<Value> =
        EventType::ALL.iter().map(|kind| json!({ "type": kind.as_str(), "description": kind.description() })).collect();
    Json(json!({ "data": types }))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions", tag = "webhooks",
    request_body = CreateSubscriptionRequest, params(("tenant_id" = String, Path)),
    responses((status = 201, body = SubscriptionView), (status = 400, body = ErrorBody)),
    security(("bearer" = ["webhooks:write"])))]
pub async fn create(at: Allowed<WebhooksWrite>, JsonObject(mut fields): JsonObject) -> ApiResult<Response> {
    let input = NewSubscription {
        url: fields.required_string("url"),
        event_types: fields.optional_string_list("event_types").unwrap_or_default(),
        description: fields.optional_string("description"),
        enabled: fields.optional_bool("enabled"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let (subscription, secret) = at.state.management.create_subscription(at.tenant_id(), input).await?;
    Ok(resource(StatusCode::CREATED, &subscription.meta, SubscriptionView::new(&subscription, Some(secret))))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions", tag = "webhooks",
    params(("tenant_id" = String, Path), ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<SubscriptionView>)), security(("bearer" = ["webhooks:read"])))]
pub async fn list_all(at: Allowed<WebhooksRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    Ok(list::<_, SubscriptionView>(at.state.management.list_subscriptions(at.tenant_id(), pagination.page).await?))
}

item_handlers!(tag "webhooks", path "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}",
    id "subscription_id", view SubscriptionView, get WebhooksRead "webhooks:read" => subscription,
    delete WebhooksWrite "webhooks:write" => delete_subscription, step_up: false);

#[utoipa::path(patch, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}", tag = "webhooks",
    request_body = UpdateSubscriptionRequest,
    params(("tenant_id" = String, Path), ("subscription_id" = String, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, body = SubscriptionView), (status = 412, body = ErrorBody)),
    security(("bearer" = ["webhooks:write"])))]
pub async fn update(at: Allowed<WebhooksWrite, Item>, Patch { if_match, mut fields }: Patch) -> ApiResult<Response> {
    let patch = SubscriptionPatch {
        url: fields.optional_string("url"),
        event_types: fields.optional_string_list("event_types"),
        description: fields.nullable_string("description"),
        enabled: fields.optional_bool("enabled"),
    };
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let subscription =
        at.state.management.update_subscription(at.tenant_id(), at.id(), patch, if_match.as_ref()).await?;
    Ok(resource(StatusCode::OK, &subscription.meta, SubscriptionView::from(&subscription)))
}

/// Body: `{"overlap_s": 86400}` (optional): how long the old secret keeps signing.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/rotate-secret", tag = "webhooks",
    params(("tenant_id" = String, Path), ("subscription_id" = String, Path)),
    responses((status = 200, body = SubscriptionView)), security(("bearer" = ["webhooks:write"])))]
pub async fn rotate_secret(
    at: Allowed<WebhooksWrite, Item>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<Response> {
    at.caller.require_step_up()?;
    let overlap_s = fields.optional_u64("overlap_s");
    reject_invalid(fields.finish(), FieldErrors::new())?;
    let (subscription, secret) =
        at.state.management.rotate_subscription_secret(at.tenant_id(), at.id(), overlap_s).await?;
    Ok(resource(StatusCode::OK, &subscription.meta, SubscriptionView::new(&subscription, Some(secret))))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/test", tag = "webhooks",
    params(("tenant_id" = String, Path), ("subscription_id" = String, Path)),
    responses((status = 202, body = Object)), security(("bearer" = ["webhooks:write"])))]
pub async fn send_test(at: Allowed<WebhooksWrite, Item>) -> ApiResult<impl IntoResponse> {
    let (event, message_id) = at.state.management.send_test_event(at.tenant_id(), at.id()).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "event_id": event.id, "message_id": message_id }))))
}

/// `status`, `event_type` and `outcome` query filters.
fn message_filter(params: &std::collections::HashMap<String, String>) -> ApiResult<MessageFilter> {
    let mut errors = FieldErrors::new();
    let status = params.get("status").and_then(|status| {
        let parsed = MessageStatus::parse(status);
        if parsed.is_none() {
            errors.add("status", "must be pending, delivered or dead");
        }
        parsed
    });
    let outcome = params.get("outcome").and_then(|outcome| {
        let parsed = Family::Webhook.parse(outcome);
        if parsed.is_none() {
            errors.add("outcome", "must be a webhook observation code, such as delivered or receiver_5xx");
        }
        parsed
    });
    errors.into_result()?;
    Ok(MessageFilter { status, event_type: params.get("event_type").cloned(), event_id: None, outcome })
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/subscriptions/{subscription_id}/messages", tag = "webhooks",
    params(("tenant_id" = String, Path), ("subscription_id" = String, Path), ("status" = Option<String>, Query),
        ("event_type" = Option<String>, Query),
        ("outcome" = Option<String>, Query, description = "The observation of the latest attempt: `receiver_5xx`, `delivered`, …"),
        ("limit" = Option<u32>, Query), ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<MessageView>)), security(("bearer" = ["webhooks:read"])))]
pub async fn messages(at: Allowed<WebhooksRead, Item>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let filter = message_filter(&pagination.params)?;
    let page =
        at.state.management.subscription_messages(at.tenant_id(), Some(at.id()), filter, pagination.page).await?;
    Ok(list::<_, MessageView>(page))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/messages/{message_id}", tag = "webhooks",
    params(("tenant_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 200, body = MessageView)), security(("bearer" = ["webhooks:read"])))]
pub async fn message(at: Allowed<WebhooksRead, Item>) -> ApiResult<Json<MessageView>> {
    let (message, attempts) = at.state.management.message_with_attempts(at.tenant_id(), at.id()).await?;
    Ok(Json(MessageView::with_attempts(&message, &attempts)))
}

#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/messages/{message_id}/replay", tag = "webhooks",
    params(("tenant_id" = String, Path), ("message_id" = String, Path)),
    responses((status = 202, body = MessageView), (status = 409, body = ErrorBody)), security(("bearer" = ["webhooks:write"])))]
pub async fn replay(at: Allowed<WebhooksWrite, Item>) -> ApiResult<impl IntoResponse> {
    let message = at.state.management.replay_message(at.tenant_id(), at.id()).await?;
    Ok((StatusCode::ACCEPTED, Json(MessageView::from(&message))))
}

#[utoipa::path(get, path = "/v1/tenants/{tenant_id}/webhooks/dead-letters", tag = "webhooks",
    params(("tenant_id" = String, Path), ("event_type" = Option<String>, Query), ("limit" = Option<u32>, Query),
        ("cursor" = Option<String>, Query)),
    responses((status = 200, body = ListView<MessageView>)), security(("bearer" = ["webhooks:read"])))]
pub async fn dead_letters(at: Allowed<WebhooksRead>, pagination: Pagination) -> ApiResult<impl IntoResponse> {
    let filter = MessageFilter {
        status: Some(MessageStatus::Dead),
        event_type: pagination.params.get("event_type").cloned(),
        event_id: None,
        outcome: None,
    };
    let page = at.state.management.subscription_messages(at.tenant_id(), None, filter, pagination.page).await?;
    Ok(list::<_, MessageView>(page))
}

/// Replays every message that died at or after `since`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the body; the handler reads it field by field
pub struct ReplayDeadLettersRequest {
    /// An RFC 3339 time such as 2026-11-26T00:00:00Z.
    #[schema(format = DateTime)]
    since: String,
}

/// Body: `{"since": "2026-11-26T00:00:00Z"}` — replays every message that died at or after then.
#[utoipa::path(post, path = "/v1/tenants/{tenant_id}/webhooks/dead-letters/replay", tag = "webhooks",
    params(("tenant_id" = String, Path)), request_body = ReplayDeadLettersRequest,
    responses((status = 202, body = Object)), security(("bearer" = ["webhooks:write"])))]
pub async fn replay_dead_letters(
    at: Allowed<WebhooksWrite>,
    JsonObject(mut fields): JsonObject,
) -> ApiResult<impl IntoResponse> {
    let since = fields.required_string("since");
    let mut errors = fields.finish();
    let since_ms = match time::OffsetDateTime::parse(&since, &time::format_description::well_known::Rfc3339) {
        Ok(at) => (at.unix_timestamp_nanos() / 1_000_000) as i64,
        Err(_) => {
            if !errors.has("since") {
                errors.add("since", "must be an RFC 3339 time such as 2026-11-26T00:00:00Z");
            }
            0
        }
    };
    if !errors.is_empty() {
        return Err(Error::validation(errors).into());
    }
    let replayed = at.state.management.replay_dead_letters(at.tenant_id(), since_ms).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "replayed": replayed }))))
}
