-- Domain events (the outbox) and webhook delivery: subscriptions, one message per event
-- and subscription, and every attempt made for a message.
CREATE TABLE events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    type TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX events_tenant_time ON events (tenant_id, occurred_at);

CREATE TABLE webhook_subscriptions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- '*' or ',type.a,type.b,' (delimited so LIKE matches whole names).
    event_types TEXT NOT NULL,
    description TEXT,
    enabled BOOLEAN NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_expires_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX webhook_subscriptions_tenant ON webhook_subscriptions (tenant_id, id);

CREATE TABLE webhook_messages (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    subscription_id TEXT NOT NULL REFERENCES webhook_subscriptions (id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    -- pending | delivered | dead
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    cycle_attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    lease_owner TEXT,
    lease_until BIGINT,
    last_outcome TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX webhook_messages_due ON webhook_messages (status, next_attempt_at);
-- Leases in force: few rows, counted at every claim.
CREATE INDEX webhook_messages_leases ON webhook_messages (lease_until);
CREATE INDEX webhook_messages_feed ON webhook_messages (subscription_id, id);
CREATE INDEX webhook_messages_tenant ON webhook_messages (tenant_id, status, finished_at);

CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES webhook_messages (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    started_at BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    http_status BIGINT,
    response_excerpt TEXT,
    error TEXT,
    node TEXT NOT NULL
);
CREATE INDEX webhook_attempts_message ON webhook_attempts (message_id, number);
