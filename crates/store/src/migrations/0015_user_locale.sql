-- The language a user chose for the hosted pages (a BCP 47 tag the pages speak, or none:
-- then the browser's and the tenant's choice). Read for the pages of a known user.
ALTER TABLE users ADD COLUMN locale TEXT;
