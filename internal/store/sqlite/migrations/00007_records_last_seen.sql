-- Retention of records untouched for N days (settings.functions
-- .records_retention_days): records.last_seen_at is when a run last saved
-- the record, changed or not, or deleted it. last_modified_at cannot say
-- it: an unchanged save keeps it (and the cursor), yet such a record is
-- fresh data that retention must keep. Rows saved before get their
-- last_modified_at, the latest save they can prove.
--
-- No index on it: every unchanged save writes it, and an index would turn
-- each of those (a full resync of a million records) into index writes
-- too. Retention reads it scanning one connection's records, which
-- housekeeping does rarely (see syncs.Service.Maintain).

-- +goose Up
-- SQLite adds a NOT NULL column only with a constant default. The UPDATE
-- replaces it in every row and every write sets it; were one ever left,
-- the far-future value keeps the record instead of purging it.
ALTER TABLE records ADD COLUMN last_seen_at TIMESTAMP NOT NULL DEFAULT '9999-12-31 23:59:59+00:00';
UPDATE records SET last_seen_at = last_modified_at;

-- +goose Down
ALTER TABLE records DROP COLUMN last_seen_at;
