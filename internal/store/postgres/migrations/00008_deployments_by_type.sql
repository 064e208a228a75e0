-- Functions are keyed by integration, type and name: Nango lets an action
-- and a sync of one integration share a name (google-calendar has both an
-- action and a sync named settings), so (integration_id, name) no longer
-- names one deployment. Every existing row stays as it is; it was unique
-- by name, so it is unique by type and name too.

-- +goose Up
ALTER TABLE deployments DROP CONSTRAINT deployments_integration_id_name_key;
ALTER TABLE deployments ADD CONSTRAINT deployments_integration_id_type_name_key UNIQUE (integration_id, type, name);

-- +goose Down
-- Fails while an action and a sync of one integration share a name:
-- undeploy one of them first.
ALTER TABLE deployments DROP CONSTRAINT deployments_integration_id_type_name_key;
ALTER TABLE deployments ADD CONSTRAINT deployments_integration_id_name_key UNIQUE (integration_id, name);
