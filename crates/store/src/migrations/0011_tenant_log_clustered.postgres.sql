-- The tenant log keyed by (tenant, id): the key is the order entries are listed in (ids are
-- UUIDv7, so by time), which makes the index on (tenant, id) redundant; time filters and
-- pruning read the id's time, so the index on (tenant, occurred_at) goes too. A batch of
-- entries then updates three indexes, not five.
ALTER TABLE tenant_log DROP CONSTRAINT tenant_log_pkey;
ALTER TABLE tenant_log ADD PRIMARY KEY (tenant_id, id);
DROP INDEX tenant_log_recent;
DROP INDEX tenant_log_time;
