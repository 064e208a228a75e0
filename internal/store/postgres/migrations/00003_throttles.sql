-- Throttles: one token bucket per key (the proxy keys them by connection),
-- shared by every node. SQLite's migration of the same number adds nothing,
-- because there one process owns the database and keeps its buckets in
-- memory.

-- +goose Up
-- UNLOGGED: every proxied request writes here, and a bucket is worth no WAL.
-- A crash empties the table, which only means every bucket starts full.
CREATE UNLOGGED TABLE throttle_buckets (
    key        TEXT PRIMARY KEY,
    -- below zero: reservations queued for tokens not yet refilled
    tokens     DOUBLE PRECISION NOT NULL,
    -- the time tokens was computed for
    updated_at TIMESTAMPTZ NOT NULL,
    -- when the refill brings the bucket back to capacity; from then on the
    -- row means the same as no row, and the sweep deletes it
    full_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX throttle_buckets_full ON throttle_buckets (full_at);

-- +goose Down
DROP TABLE throttle_buckets;
