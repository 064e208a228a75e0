-- Functions are keyed by integration, type and name: Nango lets an action
-- and a sync of one integration share a name (google-calendar has both an
-- action and a sync named settings), so (integration_id, name) no longer
-- names one deployment. Every existing row keeps its id, type and data;
-- it was unique by name, so it is unique by type and name too.
--
-- SQLite cannot change a table's UNIQUE constraint: the table is rebuilt
-- and its rows copied. No table references deployments.

-- +goose Up
CREATE TABLE deployments_by_type (
    id             TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    version        TEXT NOT NULL DEFAULT '',
    source_hash    TEXT NOT NULL DEFAULT '',
    bundle         TEXT NOT NULL,
    definition     TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    source_map     TEXT,
    UNIQUE (integration_id, type, name)
);
INSERT INTO deployments_by_type (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, created_at, updated_at, source_map)
SELECT id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, created_at, updated_at, source_map
FROM deployments;
DROP TABLE deployments;
ALTER TABLE deployments_by_type RENAME TO deployments;
CREATE INDEX deployments_environment ON deployments (environment_id);

-- +goose Down
-- Fails while an action and a sync of one integration share a name:
-- undeploy one of them first.
CREATE TABLE deployments_by_name (
    id             TEXT PRIMARY KEY,
    environment_id TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    type           TEXT NOT NULL,
    version        TEXT NOT NULL DEFAULT '',
    source_hash    TEXT NOT NULL DEFAULT '',
    bundle         TEXT NOT NULL,
    definition     TEXT,
    created_at     TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL,
    source_map     TEXT,
    UNIQUE (integration_id, name)
);
INSERT INTO deployments_by_name (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, created_at, updated_at, source_map)
SELECT id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, created_at, updated_at, source_map
FROM deployments;
DROP TABLE deployments;
ALTER TABLE deployments_by_name RENAME TO deployments;
CREATE INDEX deployments_environment ON deployments (environment_id);
