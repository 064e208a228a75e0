-- Retention of records untouched for N days (settings.functions
-- .records_retention_days): records.last_seen_at is when a run last saved
-- the record, changed or not, or deleted it. last_modified_at cannot say
-- it: an unchanged save keeps it (and the cursor), yet such a record is
-- fresh data that retention must keep. Rows saved before get their
-- last_modified_at, the latest save they can prove.
--
-- No index on it: every unchanged save writes it, which stays a heap-only
-- update (see the table's fillfactor) only while no index covers the
-- column; with one, a full resync of a million records would write a
-- million index entries. Retention reads it scanning one connection's
-- records through the primary key, which housekeeping does rarely (see
-- syncs.Service.Maintain).

-- +goose Up
ALTER TABLE records ADD COLUMN last_seen_at TIMESTAMPTZ;
UPDATE records SET last_seen_at = last_modified_at;
ALTER TABLE records ALTER COLUMN last_seen_at SET NOT NULL;

-- +goose Down
ALTER TABLE records DROP COLUMN last_seen_at;
