-- Second factors: TOTP authenticators (seed sealed with the instance key) and backup
-- codes (SHA-256 digests, single use).
CREATE TABLE mfa_factors (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT,
    secret TEXT,
    phone TEXT,
    credential_id TEXT,
    credential TEXT,
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

-- Texted codes: digests, single use, short-lived; also the record the send limits count.
CREATE TABLE mfa_sms_codes (
    id TEXT PRIMARY KEY,
    factor_id TEXT NOT NULL REFERENCES mfa_factors (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone TEXT NOT NULL,
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX mfa_sms_codes_user ON mfa_sms_codes (user_id, created_at);
CREATE INDEX mfa_sms_codes_phone ON mfa_sms_codes (phone, created_at);
CREATE INDEX mfa_sms_codes_factor ON mfa_sms_codes (factor_id, digest);

-- WebAuthn ceremonies waiting for the browser: single use, short-lived.
CREATE TABLE webauthn_ceremonies (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- The user who passed a login flow's password step, and the methods used so far.
ALTER TABLE flows ADD COLUMN user_id TEXT;
ALTER TABLE flows ADD COLUMN amr TEXT NOT NULL DEFAULT '[]';

-- MFA an application asks for on top of its tenant's policy (null: the tenant's alone).
ALTER TABLE applications ADD COLUMN mfa TEXT;

-- Tenant admins: users whose access tokens the management API accepts for their tenant.
ALTER TABLE users ADD COLUMN admin BOOLEAN NOT NULL DEFAULT FALSE;

-- How a session was authenticated (RFC 8176 method names), for acr/amr in tokens.
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '["pwd"]';
