-- Addresses without an account lock like accounts do, so a lock does not tell which exist.
ALTER TABLE unknown_sign_in_failures ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;

-- Revoked access tokens (by `jti`) and revoked grants (by refresh family id, which access
-- tokens carry as `grant_id`), kept until every token they cover has expired. Checked by
-- introspection, userinfo and the refresh grant, so a revocation holds on every node.
CREATE TABLE revoked_tokens (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

-- Webhook delivery workers' heartbeats: leases of a worker that stopped beating count as
-- expired, so a killed node's leases do not hold its subscriptions' in-flight slots.
CREATE TABLE webhook_nodes (
    node TEXT PRIMARY KEY,
    seen_at BIGINT NOT NULL
);
