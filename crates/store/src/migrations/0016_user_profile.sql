-- A user's profile claims beyond `name` (given_name, family_name, nickname, picture) as one
-- JSON object, what applications keep about them that they may see (user_metadata), and
-- their id in the system they were imported from, which an import can match on.
ALTER TABLE users ADD COLUMN profile TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN user_metadata TEXT NOT NULL DEFAULT '{}';
ALTER TABLE users ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX users_tenant_external_id ON users (tenant_id, external_id) WHERE external_id IS NOT NULL;
