//! The delivery worker pool: leases due messages, sends them, records each attempt, and
//! schedules the next one or dead-letters the message.
//!
//! Work is shared through the database, not through this process: every node claims with
//! a lease, so several nodes on one PostgreSQL never send the same attempt at once, and a
//! node killed mid-attempt only delays its messages until their leases run out.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use intelliauth_catalogue::Code;
use intelliauth_core::ids;
use intelliauth_core::sealed::InstanceKey;
use intelliauth_core::webhooks::address::AddressPolicy;
use intelliauth_core::webhooks::{Attempt, Claimed, MadeAttempt, NextStep, WebhookStore};
use rand::Rng;
use tokio::sync::{mpsc, Notify, OwnedSemaphorePermit, Semaphore};

use crate::sender::Sender;
use crate::signing::sign;

/// How often a delivering node says it is alive; three missed beats and its leases lapse.
const HEARTBEAT_MS: i64 = 500;

/// The longest `Retry-After` a receiver is obeyed for; a longer one waits this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// The documented retry schedule: the delays after the first, second, … failed attempt.
/// Eight attempts in all over about 28 hours.
pub const DEFAULT_SCHEDULE_S: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

#[derive(Debug, Clone)]
pub struct DispatcherSettings {
    /// Attempts in flight at once in this process.
    pub concurrency: usize,
    /// Attempts in flight at once per subscription, across all nodes.
    pub per_subscription: usize,
    /// A receiver must answer within this (the catalogue's "within 10s").
    pub timeout: Duration,
    pub schedule: Vec<Duration>,
    /// How often to look for due messages when nothing woke the worker.
    pub poll_interval: Duration,
    pub policy: AddressPolicy,
}

impl Default for DispatcherSettings {
    fn default() -> Self {
        DispatcherSettings {
            concurrency: 32,
            per_subscription: 16,
            timeout: Duration::from_secs(10),
            schedule: DEFAULT_SCHEDULE_S.iter().map(|s| Duration::from_secs(*s)).collect(),
            poll_interval: Duration::from_millis(500),
            policy: AddressPolicy::default(),
        }
    }
}

/// Called with each attempt's observation code, and `dlq_max_attempts` when a message dies.
pub type OutcomeHook = Arc<dyn Fn(Code) + Send + Sync>;

pub struct Dispatcher {
    store: Arc<dyn WebhookStore>,
    sender: Sender,
    key: InstanceKey,
    settings: DispatcherSettings,
    /// Woken by the store when messages are committed (here or, on PostgreSQL, by any node).
    wake: Arc<Notify>,
    /// Woken by the recorder when it has freed slots.
    recorded: Notify,
    /// Slots the recorder freed since the last claim.
    freed: AtomicUsize,
    on_outcome: OutcomeHook,
    node: String,
    claims: AtomicU64,
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn WebhookStore>,
        key: InstanceKey,
        settings: DispatcherSettings,
        wake: Arc<Notify>,
        on_outcome: OutcomeHook,
    ) -> Result<Dispatcher, String> {
        // At least one slot, and one in flight per subscription, so nothing below divides by
        // or waits on zero.
        let settings = DispatcherSettings {
            concurrency: settings.concurrency.max(1),
            per_subscription: settings.per_subscription.max(1),
            ..settings
        };
        let sender = Sender::new(settings.policy, settings.timeout)?;
        let node = format!("node_{}_{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Ok(Dispatcher {
            store,
            sender,
            key,
            settings,
            wake,
            recorded: Notify::new(),
            freed: AtomicUsize::new(0),
            on_outcome,
            node,
            claims: AtomicU64::new(0),
        })
    }

    /// A lease outlives the longest attempt with room for recording it.
    fn lease(&self) -> Duration {
        self.settings.timeout + self.settings.timeout.max(Duration::from_secs(5))
    }

    /// Delivers until [`Delivery::stop`].
    pub fn spawn(self) -> Delivery {
        let dispatcher = Arc::new(self);
        let slots = Arc::new(Semaphore::new(dispatcher.settings.concurrency));
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (made, to_record) = mpsc::unbounded_channel();
        tokio::spawn(dispatcher.clone().record(to_record));
        let task = tokio::spawn(dispatcher.clone().run(slots.clone(), stopped, made));
        Delivery { dispatcher, slots, stop, task }
    }

    /// Writes finished attempts, as many as are waiting (up to [`RECORD_BATCH`]) in one
    /// transaction, then frees their slots: the database's commits, not the receivers,
    /// bound the rate otherwise.
    async fn record(self: Arc<Self>, mut to_record: mpsc::UnboundedReceiver<Made>) {
        let mut batch = Vec::with_capacity(RECORD_BATCH);
        while to_record.recv_many(&mut batch, RECORD_BATCH).await > 0 {
            let made: Vec<MadeAttempt<'_>> = batch
                .iter()
                .map(|made: &Made| MadeAttempt { lease_owner: &made.owner, attempt: &made.attempt, next: made.next })
                .collect();
            // A failed write leaves the leases to lapse, and the attempts are made again:
            // at least once, never lost.
            match self.store.record_attempts(&made).await {
                Ok(held) => {
                    for (made, held) in batch.iter().zip(held) {
                        if !held {
                            tracing::warn!(message = %made.attempt.message_id, "webhook lease lost before the attempt was recorded");
                        }
                    }
                }
                Err(error) => tracing::warn!(attempts = batch.len(), %error, "recording webhook attempts failed"),
            }
            self.freed.fetch_add(batch.len(), Ordering::Relaxed);
            batch.clear();
            self.recorded.notify_one();
        }
    }

    async fn run(
        self: Arc<Self>,
        slots: Arc<Semaphore>,
        mut stopped: tokio::sync::watch::Receiver<bool>,
        made: mpsc::UnboundedSender<Made>,
    ) {
        let total = self.settings.concurrency;
        tracing::info!(node = %self.node, "webhook delivery started");
        let mut last_beat = 0;
        // Whether new messages were announced since the last claim.
        let mut new_work = true;
        while !*stopped.borrow() {
            let now = ids::now_ms();
            if now - last_beat >= HEARTBEAT_MS {
                // A failed beat is tried again at the next beat, not at once: with the
                // database down, this loop must not spin.
                last_beat = now;
                if let Err(error) = self.store.heartbeat(&self.node, now).await {
                    tracing::warn!(%error, "webhook heartbeat failed; trying again at the next beat");
                }
                self.release_lapsed(now).await;
            }
            // Claims are batched and bounded. A claim is a query over the due messages whose
            // cost grows with how many it may take, so it asks for at most one subscription's
            // cap (asking for every free slot made a drain to one subscription on PostgreSQL
            // four times slower: 526/s against 2,004/s), and with attempts in flight it
            // claims again when new messages are announced, when a quarter of its slots came
            // back since the last claim, or at the heartbeat — not per finished attempt.
            let free = slots.available_permits();
            let beat = last_beat == now;
            let returned = self.freed.load(Ordering::Relaxed) >= (total / 4).max(1);
            let mut full_batch = false;
            if free > 0 && (new_work || free == total || returned || beat) {
                new_work = false;
                self.freed.store(0, Ordering::Relaxed);
                let limit = free.min(self.settings.per_subscription);
                // One owner per claim, so this claim's rows are told apart from the
                // node's earlier claims still in flight.
                let owner = format!("{}:{}", self.node, self.claims.fetch_add(1, Ordering::Relaxed));
                let now = ids::now_ms();
                let lease_until = now + self.lease().as_millis() as i64;
                let claimed = self
                    .store
                    .claim_messages(&owner, now, lease_until, limit as i64, self.settings.per_subscription as i64)
                    .await;
                match claimed {
                    Ok(batch) => {
                        // As many as asked for: there may be more to take at once.
                        full_batch = batch.len() == limit;
                        for message in batch {
                            let Ok(slot) = slots.clone().acquire_owned().await else { return };
                            let dispatcher = self.clone();
                            let (owner, made) = (owner.clone(), made.clone());
                            tokio::spawn(async move {
                                let (attempt, next) = dispatcher.attempt(message).await;
                                // The slot is freed once the attempt is recorded.
                                let _ = made.send(Made { owner, attempt, next, _slot: slot });
                            });
                        }
                    }
                    Err(error) => tracing::warn!(%error, "claiming webhook messages failed; retrying"),
                }
            }
            if full_batch {
                continue;
            }
            let until_beat = Duration::from_millis((HEARTBEAT_MS - (ids::now_ms() - last_beat)).max(1) as u64);
            tokio::select! {
                _ = self.wake.notified() => new_work = true,
                _ = self.recorded.notified() => {}
                _ = stopped.changed() => {}
                _ = tokio::time::sleep(self.settings.poll_interval.min(until_beat)) => {}
            }
        }
    }

    /// Before claiming: attempts whose node stopped beating, or whose lease ran out before
    /// their outcome was written, are recorded as `attempt_interrupted` and released, so the
    /// feed shows every attempt a receiver may have seen.
    async fn release_lapsed(&self, now: i64) {
        match self.store.release_lapsed_leases(&self.node, now).await {
            Ok(0) => {}
            Ok(released) => {
                tracing::warn!(released, "webhook attempts interrupted on a stopped node are sent again");
                (0..released).for_each(|_| (self.on_outcome)(Code::AttemptInterrupted));
            }
            Err(error) => tracing::warn!(%error, "releasing lapsed webhook leases failed; trying again"),
        }
    }

    /// The signatures to send: the current secret's, and the previous one's during a rotation's overlap.
    fn signatures(&self, claimed: &Claimed, message_id: &str, timestamp_s: i64, body: &str) -> String {
        let subscription_id = &claimed.message.subscription_id;
        let mut secrets = vec![&claimed.secret_sealed];
        if let (Some(previous), Some(until)) = (&claimed.previous_secret_sealed, claimed.previous_secret_expires_at) {
            if until > ids::now_ms() {
                secrets.push(previous);
            }
        }
        secrets
            .into_iter()
            .filter_map(|sealed| {
                let secret = self.key.open(sealed, subscription_id).ok()?;
                sign(std::str::from_utf8(&secret).ok()?, message_id, timestamp_s, body)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Sends one attempt; what it observed and where its message goes next.
    async fn attempt(&self, claimed: Claimed) -> (Attempt, NextStep) {
        let message = &claimed.message;
        let body = claimed.event.payload().to_string();
        let started_at = ids::now_ms();
        let timestamp_s = started_at / 1000;
        let webhook_id = claimed.event.id.clone();
        let headers = [
            ("webhook-id", webhook_id.clone()),
            ("webhook-timestamp", timestamp_s.to_string()),
            ("webhook-signature", self.signatures(&claimed, &webhook_id, timestamp_s, &body)),
        ];
        let report = self.sender.send(&claimed.url, &headers, body).await;
        let cycle = message.cycle_attempts + 1;
        let next = match report.observation {
            Code::Delivered => NextStep::Delivered,
            _ => match self.settings.schedule.get((cycle - 1) as usize) {
                // A receiver that said when to come back (429/503 with Retry-After) is
                // tried then, within bounds, instead of on the schedule.
                Some(delay) => {
                    let delay = report.retry_after.map_or_else(|| jittered(*delay), |asked| asked.min(MAX_RETRY_AFTER));
                    NextStep::RetryAt(ids::now_ms() + delay.as_millis() as i64)
                }
                None => NextStep::Dead,
            },
        };
        let attempt = Attempt {
            id: ids::new_id("att"),
            message_id: message.id.clone(),
            number: message.attempts + 1,
            started_at,
            latency_ms: report.latency.as_millis() as i64,
            outcome: report.observation,
            http_status: report.http_status.map(i64::from),
            response_excerpt: report.excerpt,
            error: report.error,
            node: self.node.clone(),
        };
        (self.on_outcome)(report.observation);
        if next == NextStep::Dead {
            (self.on_outcome)(Code::DlqMaxAttempts);
        }
        tracing::info!(
            message = %message.id,
            subscription = %message.subscription_id,
            attempt = attempt.number,
            outcome = %attempt.outcome,
            status = ?attempt.http_status,
            latency_ms = attempt.latency_ms,
            "webhook attempt"
        );
        (attempt, next)
    }
}

/// The most attempts written in one transaction.
const RECORD_BATCH: usize = 64;

/// An attempt made, waiting to be recorded; its slot is held until then.
struct Made {
    owner: String,
    attempt: Attempt,
    next: NextStep,
    _slot: OwnedSemaphorePermit,
}

/// The running delivery worker of this node.
pub struct Delivery {
    dispatcher: Arc<Dispatcher>,
    slots: Arc<Semaphore>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Delivery {
    /// Stops claiming, then waits for the attempts in flight to be sent and recorded (their
    /// timeout and a second to write them), so a graceful stop leaves nothing to send twice.
    /// Whatever is still in flight then is recorded as interrupted by the next node to claim.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let settings = &self.dispatcher.settings;
        let all = u32::try_from(settings.concurrency).unwrap_or(u32::MAX);
        let within = settings.timeout + Duration::from_secs(1);
        match tokio::time::timeout(within, self.slots.acquire_many(all)).await {
            Ok(_) => tracing::info!("webhook delivery stopped; every attempt in flight was recorded"),
            Err(_) => tracing::warn!(
                in_flight = all as usize - self.slots.available_permits(),
                "webhook attempts still in flight at shutdown; another node sends them again"
            ),
        }
    }
}

/// `delay` ± 10%, so receivers recovering from an outage are not hit by every retry at once.
pub(crate) fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(rand::thread_rng().gen_range(0.9..1.1))
}
