-- Every change to tenants or applications, whoever makes it (IntelliAuth on any node, or
-- an operator's SQL), is announced at commit on `intelliauth_directory`, so each node's
-- copy of those rows is forgotten at once (store/src/directory_relay.rs).
CREATE FUNCTION intelliauth_directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('intelliauth_directory', TG_TABLE_NAME);
  RETURN NULL;
END
$$;

CREATE TRIGGER tenants_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenants
  FOR EACH STATEMENT EXECUTE FUNCTION intelliauth_directory_changed();
CREATE TRIGGER applications_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON applications
  FOR EACH STATEMENT EXECUTE FUNCTION intelliauth_directory_changed();
