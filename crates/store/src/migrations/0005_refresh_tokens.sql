-- Rotating refresh tokens. A family is every token descended from one code exchange;
-- reuse of a rotated token revokes the family.
CREATE TABLE refresh_tokens (
    digest TEXT PRIMARY KEY,
    family_id TEXT NOT NULL,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL,
    grant_data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    family_expires_at BIGINT NOT NULL,
    idle_expires_at BIGINT NOT NULL,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- The refresh family a code's exchange started, so replaying the code can revoke it.
ALTER TABLE authorization_codes ADD COLUMN issued_family TEXT;

-- Where RP-initiated logout may send the browser back to, per application.
ALTER TABLE applications ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';

-- Public keys a confidential client signs its assertions with (private_key_jwt).
ALTER TABLE applications ADD COLUMN jwks TEXT;

-- Client assertion ids already used, kept until the assertion expires (RFC 7523 §3).
CREATE TABLE client_assertion_ids (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
);

-- Per-application overrides of the tenant's token lifetimes (JSON; null: the tenant's).
ALTER TABLE applications ADD COLUMN token_settings TEXT;

-- Consents are also looked up per client (when an admin or the user revokes them).
CREATE INDEX consents_client ON consents (tenant_id, client_id);
