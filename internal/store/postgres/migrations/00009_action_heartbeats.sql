-- An async action's attempt says it is alive: owner names the attempt
-- (its node) while it runs, heartbeat_at is when it last said so. A run
-- whose heartbeat stops (its node died) is failed after the lease instead
-- of waiting for the job queue to rescue its job a day later. Rows of
-- runs before this migration have no heartbeat and keep the old rescue.

-- +goose Up
ALTER TABLE action_runs ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE action_runs ADD COLUMN heartbeat_at TIMESTAMPTZ;
CREATE INDEX action_runs_running ON action_runs (heartbeat_at) WHERE status = 'running';

-- +goose Down
DROP INDEX action_runs_running;
ALTER TABLE action_runs DROP COLUMN heartbeat_at;
ALTER TABLE action_runs DROP COLUMN owner;
