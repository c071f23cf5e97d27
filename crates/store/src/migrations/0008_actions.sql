-- Actions: tenant-admin JavaScript run on sign-in and registration. Every code change is
-- kept in action_versions; action_executions is the admins' log (kept after an Action is
-- deleted, so a past sign-in can still be explained).
CREATE TABLE actions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    code TEXT NOT NULL,
    code_version BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    position BIGINT NOT NULL,
    secrets TEXT,
    secret_names TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX actions_trigger ON actions (tenant_id, trigger_name, position);

CREATE TABLE action_versions (
    action_id TEXT NOT NULL REFERENCES actions (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    code TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (action_id, version)
);

CREATE TABLE action_executions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    action_id TEXT NOT NULL,
    action_name TEXT NOT NULL,
    action_version BIGINT NOT NULL,
    trigger_name TEXT NOT NULL,
    request_id TEXT,
    user_id TEXT,
    outcome TEXT NOT NULL,
    test BOOLEAN NOT NULL,
    duration_us BIGINT NOT NULL,
    console TEXT NOT NULL,
    reason TEXT,
    error TEXT,
    stack TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX action_executions_action ON action_executions (action_id, id);
CREATE INDEX action_executions_request ON action_executions (tenant_id, request_id);
CREATE INDEX action_executions_created ON action_executions (created_at);

-- What Actions store about a user (api.user.setAppMetadata), and the token claims they set
-- at a sign-in, carried by its session.
ALTER TABLE users ADD COLUMN app_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE sessions ADD COLUMN custom_claims TEXT;
