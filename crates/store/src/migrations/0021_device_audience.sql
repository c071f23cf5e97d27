-- The API (its identifier) a device authorization asks tokens for, as an authorization
-- request's `audience` / `resource` does.
ALTER TABLE device_codes ADD COLUMN audience TEXT;
