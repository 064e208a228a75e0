-- Functions: deployed actions and syncs, action invocations, the locks
-- functions take, and environment variables. The BLOB columns added
-- (environments.variables, action_runs.input, output and error) are vault
-- ciphertexts bound to their row like every other.

-- +goose Up
-- sealed JSON list of {name, value}; NULL when the environment has none
ALTER TABLE environments ADD COLUMN variables BLOB;

CREATE TABLE deployments (
    id             TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- The integration's key is read through this join, so a rename of the
    -- integration carries its deployments along.
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    -- action, sync or on-event
    type           TEXT NOT NULL,
    version        TEXT NOT NULL DEFAULT '',
    -- hex SHA-256 of the sources the bundle was built from
    source_hash    TEXT NOT NULL DEFAULT '',
    -- the compiled JavaScript
    bundle         TEXT NOT NULL,
    -- JSON: the definition the compiler extracted; the store does not read it
    definition     TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    UNIQUE (integration_id, name)
);
CREATE INDEX deployments_environment ON deployments (environment_id);

CREATE TABLE action_runs (
    id              TEXT PRIMARY KEY,
    environment_id  TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- Keys, not references: a run outlives a renamed or deleted integration
    -- or connection for as long as its result must stay readable.
    integration_key TEXT NOT NULL,
    connection_id   TEXT NOT NULL,
    action_name     TEXT NOT NULL,
    -- the caller's Idempotency-Key; NULL when none
    idempotency_key TEXT,
    request_hash    TEXT NOT NULL DEFAULT '',
    -- sealed JSON
    input           BLOB NOT NULL,
    status          TEXT NOT NULL,
    -- sealed JSON; NULL until the action succeeds
    output          BLOB,
    -- sealed JSON; NULL unless the action failed
    error           BLOB,
    async           INTEGER NOT NULL DEFAULT 0,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_retries     INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
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
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (scope, key)
);
-- ReleaseAll, at the end of every execution.
CREATE INDEX function_locks_owner ON function_locks (owner);

-- +goose Down
DROP TABLE function_locks;
DROP TABLE action_runs;
DROP TABLE deployments;
ALTER TABLE environments DROP COLUMN variables;
