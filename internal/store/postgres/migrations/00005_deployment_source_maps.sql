-- Source maps: each deployment keeps its bundle's source map (version 3
-- JSON, without the sources' content), so a deployed function's errors
-- point at its TypeScript files. NULL for deployments made before.

-- +goose Up
ALTER TABLE deployments ADD COLUMN source_map TEXT;

-- +goose Down
ALTER TABLE deployments DROP COLUMN source_map;
