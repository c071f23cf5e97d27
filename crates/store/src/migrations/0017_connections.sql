-- Upstream identity providers: a tenant's connections (settings as JSON, the client secret
-- sealed with the instance key), the upstream accounts linked to users, and the sign-ins
-- sent upstream (found again by the digest of their state, used once; what came back is
-- kept sealed until the flow ends).
CREATE TABLE connections (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    config TEXT NOT NULL,
    client_secret TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE user_identities (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    subject TEXT NOT NULL,
    claims TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_sign_in_at BIGINT NOT NULL,
    UNIQUE (connection_id, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE upstream_requests (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    flow_id TEXT NOT NULL,
    connection_id TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    state_digest TEXT NOT NULL UNIQUE,
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    app_redirect TEXT,
    link_user_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    outcome TEXT,
    result_digest TEXT
);
CREATE INDEX upstream_requests_flow ON upstream_requests (flow_id, created_at);
