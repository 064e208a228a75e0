-- Throttles: PostgreSQL's migration of the same number adds the
-- throttle_buckets table that nodes share. SQLite needs no table: one process
-- owns the database, so its buckets live in that process
-- (sqlstore.ProcessThrottles). This migration keeps the numbering aligned.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
