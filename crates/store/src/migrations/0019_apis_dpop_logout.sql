-- APIs (resource servers) with their permissions, client grants (an application's access
-- to an API, for itself or its users), roles (permissions over APIs, as JSON) and the roles
-- assigned to users.
CREATE TABLE apis (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    identifier TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (tenant_id, identifier)
);

CREATE TABLE client_grants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    api_id TEXT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    subject_type TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (client_id, api_id, subject_type)
);
CREATE INDEX client_grants_api ON client_grants (api_id);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    permissions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE user_roles (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX user_roles_role ON user_roles (role_id);

-- DPoP (RFC 9449): an application whose access tokens must be bound to a key (§5.2).
ALTER TABLE applications ADD COLUMN dpop_bound_access_tokens BOOLEAN NOT NULL DEFAULT FALSE;

-- OpenID Connect Back-Channel Logout 1.0: where an application takes logout tokens, which
-- applications each session signed in to, and the logout tokens owed (queued by the
-- statement that ends the session, in its transaction; sent and retried by a worker).
ALTER TABLE applications ADD COLUMN backchannel_logout_uri TEXT;

CREATE TABLE session_clients (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, client_id)
);

CREATE TABLE logout_deliveries (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT,
    last_outcome TEXT,
    lease_owner TEXT,
    lease_until BIGINT,
    finished_at BIGINT
);
CREATE INDEX logout_deliveries_due ON logout_deliveries (status, next_attempt_at);
