-- Second factors: TOTP authenticators (seed sealed with the instance key) and backup
-- codes (SHA-256 digests, single use).
CREATE TABLE mfa_factors (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT,
    secret TEXT,
    last_used_step BIGINT,
    confirmed_at BIGINT,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id, created_at);

CREATE TABLE mfa_backup_codes (
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, digest)
);

-- The user who passed a login flow's password step, and the methods used so far.
ALTER TABLE flows ADD COLUMN user_id TEXT;
ALTER TABLE flows ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';

-- How a session was authenticated (RFC 8176 method names), for acr/amr in tokens.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
