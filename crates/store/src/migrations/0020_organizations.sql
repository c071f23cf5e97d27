-- Organizations: a tenant's customers (settings as JSON), their members with the tenant
-- roles each has in them (role ids as JSON), and whether an application signs users in to
-- organizations.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);

CREATE TABLE organization_members (
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    role_ids TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_members_user ON organization_members (user_id);

ALTER TABLE applications ADD COLUMN organization_usage TEXT NOT NULL DEFAULT 'deny';

-- Invitations to join an organization, mailed as a link whose token is kept as a digest and
-- taken once.
CREATE TABLE organization_invitations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role_ids TEXT NOT NULL,
    inviter TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    accepted_by TEXT
);
CREATE INDEX organization_invitations_organization ON organization_invitations (organization_id);

-- OpenID Connect Front-Channel Logout 1.0: where an application is told in the browser that
-- its session ended (an iframe on the end-session page).
ALTER TABLE applications ADD COLUMN frontchannel_logout_uri TEXT;
