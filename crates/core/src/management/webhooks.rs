//! Webhook use cases: subscriptions (with their signing secrets), the delivery feed, the
//! dead-letter queue, replays and test events.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;
use serde_json::json;

use super::{versioned, Management};
use crate::events::{Event, EventType};
use crate::model::{IfMatch, Meta};
use crate::page::{Page, PageRequest};
use crate::validate::FieldErrors;
use crate::webhooks::{Attempt, Message, MessageFilter, QueueStats, Subscription, ALL_EVENTS};
use crate::{ids, Error, Result};

/// Prefix of a signing secret, as the Standard Webhooks specification names it.
pub const SECRET_PREFIX: &str = "whsec_";
/// How long the delivery feed keeps finished messages and their events.
pub const WEBHOOK_RETENTION_DAYS: i64 = 30;
/// How long the previous secret keeps signing after a rotation, unless the caller says.
pub const DEFAULT_ROTATION_OVERLAP_S: u64 = 24 * 3600;

#[derive(Debug, Clone, Default)]
pub struct NewSubscription {
    pub url: String,
    pub event_types: Vec<String>,
    pub description: Option<String>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub event_types: Option<Vec<String>>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

/// A new signing secret: 32 random bytes, standard base64, after `whsec_`.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
}

fn check_event_types(errors: &mut FieldErrors, types: &[String]) {
    if types.is_empty() {
        errors.add("event_types", "must name at least one event type, or \"*\" for all");
    }
    for name in types {
        // Every listed type can be named, `webhook.test` included (a subscription's test
        // events reach it whatever it subscribes to; naming it documents the receiver's intent).
        let known = name == ALL_EVENTS || EventType::parse(name).is_some();
        if !known {
            errors.add("event_types", format!("{name:?} is not an event type; GET /v1/webhook-event-types lists them"));
        }
    }
}

/// What the log keeps of a subscription: never its secret.
fn subscription_facts(subscription: &Subscription) -> serde_json::Value {
    json!({ "subscription_id": subscription.id, "url": subscription.url, "event_types": subscription.event_types,
            "enabled": subscription.enabled })
}

fn check_description(errors: &mut FieldErrors, description: Option<&str>) {
    if description.is_some_and(|text| text.chars().count() > 500) {
        errors.add("description", "must be at most 500 characters");
    }
}

impl Management {
    async fn check_receiver_url(&self, errors: &mut FieldErrors, url: &str) {
        if let Err(reason) = self.webhooks.policy.check_url(url).await {
            errors.add("url", reason);
        }
    }

    fn seal_secret(&self, subscription_id: &str, secret: &str) -> String {
        self.webhooks.key.seal(secret.as_bytes(), subscription_id)
    }

    /// Creates a subscription; the secret is returned here and never again.
    pub async fn create_subscription(&self, tenant_id: &str, input: NewSubscription) -> Result<(Subscription, String)> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        self.check_receiver_url(&mut errors, &input.url).await;
        check_event_types(&mut errors, &input.event_types);
        check_description(&mut errors, input.description.as_deref());
        errors.into_result()?;
        let id = ids::new_id("sub");
        let secret = new_secret();
        let subscription = Subscription {
            secret_sealed: self.seal_secret(&id, &secret),
            id,
            tenant_id: tenant_id.to_owned(),
            url: input.url,
            event_types: input.event_types,
            description: input.description,
            enabled: input.enabled.unwrap_or(true),
            previous_secret_sealed: None,
            previous_secret_expires_at: None,
            meta: Meta::new(ids::now_ms()),
        };
        self.webhooks.store.insert_subscription(&subscription).await?;
        self.record_change(tenant_id, "admin.webhook_subscription.created", subscription_facts(&subscription)).await;
        Ok((subscription, secret))
    }

    pub async fn subscription(&self, tenant_id: &str, id: &str) -> Result<Subscription> {
        match self.webhooks.store.get_subscription(tenant_id, id).await? {
            Some(subscription) => Ok(subscription),
            None => Err(self.missing_in_tenant(tenant_id, "subscription").await),
        }
    }

    pub async fn list_subscriptions(&self, tenant_id: &str, page: PageRequest) -> Result<Page<Subscription>> {
        self.tenant(tenant_id).await?;
        let rows = self.webhooks.store.list_subscriptions(tenant_id, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |subscription| &subscription.id))
    }

    pub async fn update_subscription(
        &self,
        tenant_id: &str,
        id: &str,
        patch: SubscriptionPatch,
        if_match: Option<&IfMatch>,
    ) -> Result<Subscription> {
        self.tenant(tenant_id).await?;
        let mut errors = FieldErrors::new();
        if let Some(url) = &patch.url {
            self.check_receiver_url(&mut errors, url).await;
        }
        if let Some(types) = &patch.event_types {
            check_event_types(&mut errors, types);
        }
        check_description(&mut errors, patch.description.as_ref().and_then(|d| d.as_deref()));
        errors.into_result()?;
        let updated = versioned::update(
            "subscription",
            if_match,
            || async { Ok(self.webhooks.store.get_subscription(tenant_id, id).await?) },
            |subscription: &mut Subscription| {
                if let Some(url) = &patch.url {
                    subscription.url = url.clone();
                }
                if let Some(types) = &patch.event_types {
                    subscription.event_types = types.clone();
                }
                if let Some(description) = &patch.description {
                    subscription.description = description.clone();
                }
                if let Some(enabled) = patch.enabled {
                    subscription.enabled = enabled;
                }
                Ok(())
            },
            |subscription, version| async move {
                Ok(self.webhooks.store.update_subscription(&subscription, version).await?.then_some(subscription))
            },
        )
        .await?;
        self.record_change(tenant_id, "admin.webhook_subscription.updated", subscription_facts(&updated)).await;
        Ok(updated)
    }

    pub async fn delete_subscription(&self, tenant_id: &str, id: &str, if_match: Option<&IfMatch>) -> Result<()> {
        versioned::delete(
            "subscription",
            if_match,
            || async { Ok(self.webhooks.store.get_subscription(tenant_id, id).await?) },
            |version| async move { Ok(self.webhooks.store.delete_subscription(tenant_id, id, version).await?) },
        )
        .await?;
        self.record_change(tenant_id, "admin.webhook_subscription.deleted", json!({ "subscription_id": id })).await;
        Ok(())
    }

    /// A new signing secret. The previous one keeps signing (deliveries carry both
    /// signatures) for `overlap_s`, so receivers can switch without dropping a message.
    pub async fn rotate_subscription_secret(
        &self,
        tenant_id: &str,
        id: &str,
        overlap_s: Option<u64>,
    ) -> Result<(Subscription, String)> {
        let overlap_s = overlap_s.unwrap_or(DEFAULT_ROTATION_OVERLAP_S);
        if overlap_s > 7 * 24 * 3600 {
            let mut errors = FieldErrors::new();
            errors.add("overlap_s", "must be at most 604800 (seven days)");
            return Err(Error::validation(errors));
        }
        let secret = new_secret();
        let sealed = self.seal_secret(id, &secret);
        let subscription = versioned::update(
            "subscription",
            None,
            || async { Ok(self.webhooks.store.get_subscription(tenant_id, id).await?) },
            |subscription: &mut Subscription| {
                subscription.previous_secret_sealed = Some(subscription.secret_sealed.clone());
                subscription.previous_secret_expires_at = Some(ids::now_ms() + overlap_s as i64 * 1000);
                subscription.secret_sealed = sealed.clone();
                Ok(())
            },
            |subscription, version| async move {
                Ok(self.webhooks.store.update_subscription(&subscription, version).await?.then_some(subscription))
            },
        )
        .await?;
        let details = json!({ "subscription_id": id, "previous_secret_valid_s": overlap_s });
        self.record_change(tenant_id, "admin.webhook_subscription.secret_rotated", details).await;
        Ok((subscription, secret))
    }

    /// The subscription's messages, newest first, filtered by status and event type.
    pub async fn subscription_messages(
        &self,
        tenant_id: &str,
        subscription_id: Option<&str>,
        filter: MessageFilter,
        page: PageRequest,
    ) -> Result<Page<Message>> {
        match subscription_id {
            Some(id) => {
                self.subscription(tenant_id, id).await?;
            }
            None => {
                self.tenant(tenant_id).await?;
            }
        }
        let rows =
            self.webhooks.store.list_messages(tenant_id, subscription_id, &filter, &page.with_lookahead()).await?;
        Ok(Page::from_rows(rows, page.limit, |message| &message.id))
    }

    async fn message(&self, tenant_id: &str, message_id: &str) -> Result<Message> {
        match self.webhooks.store.get_message(tenant_id, message_id).await? {
            Some(message) => Ok(message),
            None => Err(self.missing_in_tenant(tenant_id, "message").await),
        }
    }

    pub async fn message_with_attempts(&self, tenant_id: &str, message_id: &str) -> Result<(Message, Vec<Attempt>)> {
        let message = self.message(tenant_id, message_id).await?;
        let attempts = self.webhooks.store.message_attempts(&message.id).await?;
        Ok((message, attempts))
    }

    /// Queues a delivered or dead message again, with a fresh retry schedule.
    pub async fn replay_message(&self, tenant_id: &str, message_id: &str) -> Result<Message> {
        let message = self.message(tenant_id, message_id).await?;
        if !self.webhooks.store.replay_message(tenant_id, &message.id, ids::now_ms()).await? {
            return Err(Error::new(intelliauth_catalogue::Code::Conflict)
                .with_message("That message is already waiting for delivery.")
                .with_detail("status", message.status.as_str()));
        }
        self.message(tenant_id, message_id).await
    }

    /// Queues every dead-lettered message of the tenant that died at or after `since`.
    pub async fn replay_dead_letters(&self, tenant_id: &str, since: i64) -> Result<u64> {
        self.tenant(tenant_id).await?;
        Ok(self.webhooks.store.replay_dead_messages(tenant_id, since, ids::now_ms()).await?)
    }

    /// Queues a `webhook.test` event for this subscription only.
    pub async fn send_test_event(&self, tenant_id: &str, subscription_id: &str) -> Result<(Event, String)> {
        let subscription = self.subscription(tenant_id, subscription_id).await?;
        let event = Event::new(
            tenant_id,
            EventType::WebhookTest,
            json!({ "subscription_id": subscription.id, "message": "This is a test event from IntelliAuth." }),
        );
        let message_id = self.webhooks.store.insert_targeted_event(&event, &subscription.id).await?;
        Ok((event, message_id))
    }

    /// Forgets delivered and dead messages, and their events, after the retention period.
    pub async fn prune_webhook_history(&self) -> Result<u64> {
        let before = ids::now_ms() - WEBHOOK_RETENTION_DAYS * 24 * 3600 * 1000;
        Ok(self.webhooks.store.prune_finished(before).await?)
    }

    pub async fn webhook_queue_stats(&self) -> Result<QueueStats> {
        Ok(self.webhooks.store.queue_stats().await?)
    }
}
