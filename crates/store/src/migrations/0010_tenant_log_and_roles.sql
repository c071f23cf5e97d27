-- The tenant log: every authentication decision and admin change, written in the
-- transaction of the change it records. Read newest first, by request, user, application,
-- type or code; pruned per tenant past its retention.
CREATE TABLE tenant_log (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    occurred_at BIGINT NOT NULL,
    type TEXT NOT NULL,
    code TEXT NOT NULL,
    request_id TEXT,
    user_id TEXT,
    client_id TEXT,
    ip TEXT,
    user_agent TEXT,
    actor TEXT,
    details TEXT NOT NULL
);
CREATE INDEX tenant_log_recent ON tenant_log (tenant_id, id);
CREATE INDEX tenant_log_request ON tenant_log (tenant_id, request_id);
CREATE INDEX tenant_log_user ON tenant_log (tenant_id, user_id, id);
CREATE INDEX tenant_log_time ON tenant_log (tenant_id, occurred_at);

-- Counts per hour, type and code, kept with the entries so charts read a few hundred rows
-- instead of a month of entries. Each hour's count is spread over a few shards so that
-- concurrent sign-ins do not all wait on one row.
CREATE TABLE tenant_log_hours (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    type TEXT NOT NULL,
    code TEXT NOT NULL,
    shard BIGINT NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, hour, type, code, shard)
);

-- A request's trace lists the webhook messages of the events it raised.
CREATE INDEX webhook_messages_event ON webhook_messages (event_id);

-- The bootstrap credential holds every scope, logs:read included on an upgraded instance.
UPDATE management_credentials SET scopes = REPLACE(scopes, '"actions:write"', '"actions:write","logs:read"')
WHERE id = 'cred_bootstrap' AND scopes NOT LIKE '%logs:read%';

-- Tenant admins have a role: owner, admin or viewer. Admins made before roles are admins.
ALTER TABLE users ADD COLUMN role TEXT;
UPDATE users SET role = 'admin' WHERE admin;
