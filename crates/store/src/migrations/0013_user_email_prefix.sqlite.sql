-- SQLite compares text bytewise (BINARY), so the unique (tenant_id, email) index already
-- serves email-prefix ranges; nothing to add.
SELECT 1;
