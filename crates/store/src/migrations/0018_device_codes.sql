-- The device authorization grant (RFC 8628): the device polls with its device code (kept
-- as a digest) while a person approves the user code on another screen.
CREATE TABLE device_codes (
    device_digest TEXT PRIMARY KEY,
    user_code TEXT NOT NULL UNIQUE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    interval_s BIGINT NOT NULL,
    polled_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    user_id TEXT,
    grant_data TEXT
);

-- Pushed authorization requests (RFC 9126): an application may require them.
ALTER TABLE applications ADD COLUMN require_par BOOLEAN NOT NULL DEFAULT FALSE;
