-- When a node took a message's lease: the start of an attempt that a stopped node never
-- recorded, written to the feed as `attempt_interrupted` when the lease is released.
ALTER TABLE webhook_messages ADD COLUMN leased_at BIGINT;
