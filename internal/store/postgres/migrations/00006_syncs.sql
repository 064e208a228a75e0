-- Syncs and the records cache; the same semantics as the SQLite migration of
-- the same number: the records syncs save, the per-scope cursor counter that
-- orders them, sync instances (schedule, lease, outcome and sealed
-- checkpoint) and the runs checked against the schedule. The BYTEA columns
-- (records.payload, sync_instances.checkpoint) are vault ciphertexts: a
-- payload is bound to its record (connection, model, variant, id), a
-- checkpoint to its instance.

-- +goose Up
CREATE TABLE records (
    environment_id   UUID NOT NULL,
    -- connections.id. No foreign key: the records of a deleted connection
    -- (millions, maybe) are purged in chunks by Records.Purge, so deleting
    -- a connection stays a short transaction.
    connection_ref   UUID NOT NULL,
    model            TEXT NOT NULL,
    variant          TEXT NOT NULL,
    -- the record's own id, as the sync gave it
    external_id      TEXT NOT NULL,
    -- record_scopes.id of (connection_ref, model, variant)
    scope_id         BIGINT NOT NULL,
    -- given from record_scopes.last_cursor: every change of a record moves
    -- it above every cursor already committed in its scope
    cursor           BIGINT NOT NULL,
    -- sealed JSON; NULL once pruned
    payload          BYTEA,
    -- hex SHA-256 of the plaintext payload: how an unchanged record is
    -- recognised without opening the stored one
    hash             TEXT NOT NULL,
    first_seen_at    TIMESTAMPTZ NOT NULL,
    last_modified_at TIMESTAMPTZ NOT NULL,
    -- ADDED, UPDATED or DELETED
    last_action      TEXT NOT NULL,
    deleted_at       TIMESTAMPTZ,
    -- the generation of the run that last saw the record (delete detection)
    generation       BIGINT NOT NULL,
    PRIMARY KEY (connection_ref, model, variant, external_id)
)
-- Room on each page for a row's next version: a resync marks every unchanged
-- record seen (generation, not indexed), which then stays a heap-only update
-- instead of writing both indexes.
WITH (fillfactor = 85);
-- GET /records' keyset pages; unique, so no two changes share a cursor. On
-- scope_id, not the primary key's columns: a lookup by id then cannot match
-- this index at all, where a table not yet analysed (a first backfill) would
-- otherwise have its planner walk the scope here, filtering by id, instead
-- of probing the primary key.
CREATE UNIQUE INDEX records_cursor ON records (scope_id, cursor);

-- One row per scope: its cursor counter and its live (not deleted) record
-- count. A writer takes the row (INSERT … ON CONFLICT DO UPDATE) at its
-- first write to the scope and holds it to commit, which serialises the
-- scope's writers: cursors become visible in the order they were given. A
-- global sequence would not do: its values are not in commit order.
CREATE TABLE record_scopes (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    connection_ref UUID NOT NULL,
    model          TEXT NOT NULL,
    variant        TEXT NOT NULL,
    environment_id UUID NOT NULL,
    last_cursor    BIGINT NOT NULL,
    live           BIGINT NOT NULL,
    UNIQUE (connection_ref, model, variant)
);
-- Purge's orphan scan and retention, per environment.
CREATE INDEX record_scopes_environment ON record_scopes (environment_id);

CREATE TABLE sync_instances (
    id              UUID PRIMARY KEY,
    environment_id  UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id  UUID NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    -- Deleting a connection stops its instances at once; its records are
    -- purged apart (see records).
    connection_ref  UUID NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    sync_name       TEXT NOT NULL,
    variant         TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL DEFAULT false,
    started         BOOLEAN NOT NULL DEFAULT false,
    -- overrides the deployment's; 0 keeps it
    frequency_ms    BIGINT NOT NULL DEFAULT 0,
    -- NULL while a run is queued or running, or when disabled
    next_run_at     TIMESTAMPTZ,
    queue_token     TEXT,
    queued_at       TIMESTAMPTZ,
    -- JSON: the queued run's options
    run_options     JSONB,
    lease_owner     TEXT,
    lease_until     TIMESTAMPTZ,
    generation      BIGINT NOT NULL DEFAULT 0,
    run_id          TEXT NOT NULL DEFAULT '',
    run_type        TEXT NOT NULL DEFAULT '',
    run_started_at  TIMESTAMPTZ,
    -- JSON: the current run's counts per model
    run_result      JSONB,
    last_status     TEXT NOT NULL DEFAULT '',
    -- JSON {type, message, payload}; NULL after a success
    last_error      JSONB,
    finished_at     TIMESTAMPTZ,
    last_success_at TIMESTAMPTZ,
    failures        INTEGER NOT NULL DEFAULT 0,
    -- JSON: the last finished run's counts per model
    latest_result   JSONB,
    -- sealed JSON; NULL when none
    checkpoint      BYTEA,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
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
    id          UUID PRIMARY KEY,
    instance_id UUID NOT NULL REFERENCES sync_instances (id) ON DELETE CASCADE,
    generation  BIGINT NOT NULL,
    node        TEXT NOT NULL DEFAULT '',
    started_at  TIMESTAMPTZ NOT NULL,
    ended_at    TIMESTAMPTZ,
    -- running, SUCCESS or ERROR; a run whose node died stays running
    status      TEXT NOT NULL,
    -- JSON: counts per model
    result      JSONB,
    -- JSON {type, message, payload}
    error       JSONB
);
CREATE INDEX sync_runs_instance ON sync_runs (instance_id, started_at);
-- DeleteRunsBefore.
CREATE INDEX sync_runs_ended ON sync_runs (ended_at) WHERE ended_at IS NOT NULL;

-- +goose Down
DROP TABLE sync_runs;
DROP TABLE sync_instances;
DROP TABLE record_scopes;
DROP TABLE records;
