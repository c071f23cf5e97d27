-- Nothing to change: on SQLite, the processes on one file announce changes to tenants and
-- applications through the file `intelliauth.db-directory` (store/src/directory_cache.rs).
SELECT 1;
