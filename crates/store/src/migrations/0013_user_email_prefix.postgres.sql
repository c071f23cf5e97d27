-- Email-prefix search over millions of users: a byte-ordered index that the pattern
-- operators (~>=~, ~<~) use whatever the database's collation, where the unique
-- (tenant_id, email) index follows the collation and cannot serve a prefix range.
CREATE INDEX users_tenant_email_pattern ON users (tenant_id, email text_pattern_ops);
