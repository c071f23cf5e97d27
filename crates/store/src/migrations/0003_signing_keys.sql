-- Token-signing keys per tenant; the private half is sealed with the instance key.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    alg TEXT NOT NULL,
    status TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    retire_after BIGINT
);
-- At most one active and one next key per tenant and algorithm, whichever node writes.
CREATE UNIQUE INDEX signing_keys_one_per_status ON signing_keys (tenant_id, alg, status) WHERE status <> 'retired';
