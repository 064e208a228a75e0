-- Syncs and the records cache: the records syncs save, the per-scope cursor
-- counter that orders them, sync instances (schedule, lease, outcome and
-- sealed checkpoint) and the runs checked against the schedule. The BLOB
-- columns (records.payload, sync_instances.checkpoint) are vault ciphertexts:
-- a payload is bound to its record (connection, model, variant, id), a
-- checkpoint to its instance.

-- +goose Up
CREATE TABLE records (
    environment_id   TEXT NOT NULL,
    -- connections.id. No foreign key: the records of a deleted connection
    -- (millions, maybe) are purged in chunks by Records.Purge, so deleting
    -- a connection stays a short transaction.
    connection_ref   TEXT NOT NULL,
    model            TEXT NOT NULL,
    variant          TEXT NOT NULL,
    -- the record's own id, as the sync gave it
    external_id      TEXT NOT NULL,
    -- record_scopes.id of (connection_ref, model, variant): the keys below
    -- are on it, a short integer to compare, not three strings
    scope_id         INTEGER NOT NULL,
    -- given from record_scopes.last_cursor: every change of a record moves
    -- it above every cursor already committed in its scope
    cursor           INTEGER NOT NULL,
    -- sealed JSON; NULL once pruned
    payload          BLOB,
    -- hex SHA-256 of the plaintext payload: how an unchanged record is
    -- recognised without opening the stored one
    hash             TEXT NOT NULL,
    first_seen_at    TIMESTAMP NOT NULL,
    last_modified_at TIMESTAMP NOT NULL,
    -- ADDED, UPDATED or DELETED
    last_action      TEXT NOT NULL,
    deleted_at       TIMESTAMP,
    -- the generation of the run that last saw the record (delete detection)
    generation       INTEGER NOT NULL,
    -- Clustered on the cursor: GET /records' keyset pages are one
    -- sequential range of the table, payloads included, instead of an
    -- index lookup per record. Unique, so no two changes share a cursor.
    PRIMARY KEY (scope_id, cursor)
) WITHOUT ROWID;
-- A record's identity: what saves and deletes look up.
CREATE UNIQUE INDEX records_external_id ON records (scope_id, external_id);

-- One row per scope: its cursor counter and its live (not deleted) record
-- count. A writer takes the row (INSERT … ON CONFLICT DO UPDATE) at its
-- first write to the scope and holds it to commit, which serialises the
-- scope's writers: cursors become visible in the order they were given. A
-- global sequence would not do: its values are not in commit order.
CREATE TABLE record_scopes (
    -- AUTOINCREMENT: never reused, not even the last one's
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_ref TEXT NOT NULL,
    model          TEXT NOT NULL,
    variant        TEXT NOT NULL,
    environment_id TEXT NOT NULL,
    last_cursor    INTEGER NOT NULL,
    live           INTEGER NOT NULL,
    UNIQUE (connection_ref, model, variant)
);
-- Purge's orphan scan and retention, per environment.
CREATE INDEX record_scopes_environment ON record_scopes (environment_id);

CREATE TABLE sync_instances (
    id              TEXT PRIMARY KEY,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id  TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    -- Deleting a connection stops its instances at once; its records are
    -- purged apart (see records).
    connection_ref  TEXT NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    sync_name       TEXT NOT NULL,
    variant         TEXT NOT NULL,
    enabled         INTEGER NOT NULL DEFAULT 0,
    started         INTEGER NOT NULL DEFAULT 0,
    -- overrides the deployment's; 0 keeps it
    frequency_ms    INTEGER NOT NULL DEFAULT 0,
    -- NULL while a run is queued or running, or when disabled
    next_run_at     TIMESTAMP,
    queue_token     TEXT,
    queued_at       TIMESTAMP,
    -- JSON: the queued run's options
    run_options     TEXT,
    lease_owner     TEXT,
    lease_until     TIMESTAMP,
    generation      INTEGER NOT NULL DEFAULT 0,
    run_id          TEXT NOT NULL DEFAULT '',
    run_type        TEXT NOT NULL DEFAULT '',
    run_started_at  TIMESTAMP,
    -- JSON: the current run's counts per model
    run_result      TEXT,
    last_status     TEXT NOT NULL DEFAULT '',
    -- JSON {type, message, payload}; NULL after a success
    last_error      TEXT,
    finished_at     TIMESTAMP,
    last_success_at TIMESTAMP,
    failures        INTEGER NOT NULL DEFAULT 0,
    -- JSON: the last finished run's counts per model
    latest_result   TEXT,
    -- sealed JSON; NULL when none
    checkpoint      BLOB,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    UNIQUE (connection_ref, sync_name, variant)
);
-- List, by environment; Delete, by integration.
CREATE INDEX sync_instances_environment ON sync_instances (environment_id);
CREATE INDEX sync_instances_integration ON sync_instances (integration_id, sync_name);
-- ClaimDue: each environment's due instances not queued already, soonest
-- first.
CREATE INDEX sync_instances_due ON sync_instances (environment_id, next_run_at)
    WHERE enabled AND queue_token IS NULL AND next_run_at IS NOT NULL;
-- Stale: expired leases, and queued runs no lease took.
CREATE INDEX sync_instances_lease ON sync_instances (lease_until) WHERE lease_until IS NOT NULL;
CREATE INDEX sync_instances_queued ON sync_instances (queued_at)
    WHERE queued_at IS NOT NULL AND lease_until IS NULL;

CREATE TABLE sync_runs (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL REFERENCES sync_instances (id) ON DELETE CASCADE,
    generation  INTEGER NOT NULL,
    node        TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMP NOT NULL,
    ended_at    TIMESTAMP,
    -- running, SUCCESS or ERROR; a run whose node died stays running
    status      TEXT NOT NULL,
    -- JSON: counts per model
    result      TEXT,
    -- JSON {type, message, payload}
    error       TEXT
);
CREATE INDEX sync_runs_instance ON sync_runs (instance_id, started_at);
-- DeleteRunsBefore.
CREATE INDEX sync_runs_ended ON sync_runs (ended_at) WHERE ended_at IS NOT NULL;

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE sync_instances;
DROP TABLE record_scopes;
DROP TABLE records;
