-- Functions; the same semantics as the SQLite migration of the same number:
-- deployed actions and syncs, action invocations, the locks functions take,
-- and environment variables. The BYTEA columns added (environments.variables,
-- action_runs.input, output and error) are vault ciphertexts bound to their row.

-- +goose Up
-- sealed JSON list of {name, value}; NULL when the environment has none
ALTER TABLE environments ADD COLUMN variables BYTEA;

CREATE TABLE deployments (
    id             UUID PRIMARY KEY,
    environment_id UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- The integration's key is read through this join, so a rename of the
    -- integration carries its deployments along.
    integration_id UUID NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    -- action, sync or on-event
    type           TEXT NOT NULL,
    version        TEXT NOT NULL DEFAULT '',
    -- hex SHA-256 of the sources the bundle was built from
    source_hash    TEXT NOT NULL DEFAULT '',
    -- the compiled JavaScript
    bundle         TEXT NOT NULL,
    -- the definition the compiler extracted; the store does not read it
    definition     JSONB,
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    UNIQUE (integration_id, name)
);
CREATE INDEX deployments_environment ON deployments (environment_id);

CREATE TABLE action_runs (
    id              UUID PRIMARY KEY,
    environment_id  UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- Keys, not references: a run outlives a renamed or deleted integration
    -- or connection for as long as its result must stay readable.
    integration_key TEXT NOT NULL,
    connection_id   TEXT NOT NULL,
    action_name     TEXT NOT NULL,
    -- the caller's Idempotency-Key; NULL when none
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL DEFAULT '',
    -- sealed JSON
    input           BYTEA NOT NULL,
    status          TEXT NOT NULL,
    -- sealed JSON; NULL until the action succeeds
    output          BYTEA,
    -- sealed JSON; NULL unless the action failed
    error           BYTEA,
    async           BOOLEAN NOT NULL DEFAULT false,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_retries     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL
);
-- One run per key and environment: what makes a retried request find the
-- first run instead of starting a second.
CREATE UNIQUE INDEX action_runs_idempotency ON action_runs (environment_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX action_runs_expires ON action_runs (expires_at);

CREATE TABLE function_locks (
    scope      TEXT NOT NULL,
    key        TEXT NOT NULL,
    -- the execution holding the lock
    owner      TEXT NOT NULL,
    -- after this, any owner may take the lock
    expires_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (scope, key)
);
-- ReleaseAll, at the end of every execution.
CREATE INDEX function_locks_owner ON function_locks (owner);

-- +goose Down
DROP TABLE function_locks;
DROP TABLE action_runs;
DROP TABLE deployments;
ALTER TABLE environments DROP COLUMN variables;
