-- The tenant log, clustered by (tenant, id): one b-tree holds the rows in the order they are
-- listed (ids are UUIDv7, so by time), instead of a rowid table, an index on id and another
-- on (tenant, id). Time filters and pruning read the id's time, so the index on
-- (tenant, occurred_at) goes too. A batch of entries then writes three b-trees, not six.
CREATE TABLE tenant_log_clustered (
    id TEXT NOT NULL,
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
    details TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
INSERT INTO tenant_log_clustered (id, tenant_id, occurred_at, type, code, request_id, user_id, client_id, ip,
    user_agent, actor, details)
SELECT id, tenant_id, occurred_at, type, code, request_id, user_id, client_id, ip, user_agent, actor, details
FROM tenant_log;
DROP TABLE tenant_log;
ALTER TABLE tenant_log_clustered RENAME TO tenant_log;
CREATE INDEX tenant_log_request ON tenant_log (tenant_id, request_id);
CREATE INDEX tenant_log_user ON tenant_log (tenant_id, user_id, id);
