-- Sign-in: account protection on users, flows, sessions, single-use tokens, captcha challenges.
ALTER TABLE users ADD COLUMN must_reset_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN failed_attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN failed_window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN locked_until BIGINT NOT NULL DEFAULT 0;

CREATE TABLE flows (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    step TEXT NOT NULL,
    browser BOOLEAN NOT NULL,
    csrf_digest TEXT NOT NULL,
    return_to TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    finished_at BIGINT
);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    token_digest TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE one_time_tokens (
    digest TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE captcha_challenges (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    nonce TEXT NOT NULL,
    difficulty INTEGER NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

-- Failed sign-ins for addresses without an account, keyed by the address's digest. Counting
-- them costs the same write as counting a real account's, so timing reveals nothing.
CREATE TABLE unknown_sign_in_failures (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email_digest TEXT NOT NULL,
    failed_attempts BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, email_digest)
);
