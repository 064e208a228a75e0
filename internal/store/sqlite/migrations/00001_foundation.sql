-- The core model. Later issues add tables and columns in new migrations; the
-- columns here are chosen so they never need rewriting. Every BLOB column is a
-- vault ciphertext bound to its row (see internal/vault); nothing else in the
-- schema holds a secret.

-- +goose Up
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
) STRICT;

CREATE TABLE environments (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    secret_key_hash     TEXT NOT NULL UNIQUE,
    secret_key          BLOB NOT NULL,
    webhook_signing_key BLOB NOT NULL,
    -- JSON: outbound webhook URLs and switches (issue "Webhooks").
    webhook_settings    TEXT NOT NULL DEFAULT '{}',
    -- JSON: white-label Connect UI (issue "Auth and Connect").
    connect_ui_settings TEXT NOT NULL DEFAULT '{}',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL
);

CREATE TABLE integrations (
    id               TEXT PRIMARY KEY,
    environment_id   TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    unique_key       TEXT NOT NULL,
    provider         TEXT NOT NULL,
    display_name     TEXT NOT NULL DEFAULT '',
    credentials_type TEXT NOT NULL DEFAULT '',
    client_id        TEXT NOT NULL DEFAULT '',
    scopes           TEXT NOT NULL DEFAULT '',
    app_id           TEXT NOT NULL DEFAULT '',
    app_link         TEXT NOT NULL DEFAULT '',
    -- sealed JSON: client_secret, webhook_secret, private_key
    secrets          BLOB,
    -- JSON: per-integration overrides (limits, throttles, allowed hosts).
    settings         TEXT NOT NULL DEFAULT '{}',
    created_at       TIMESTAMP NOT NULL,
    updated_at       TIMESTAMP NOT NULL,
    UNIQUE (environment_id, unique_key)
);

CREATE TABLE connections (
    id                      TEXT PRIMARY KEY,
    environment_id          TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id          TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    connection_id           TEXT NOT NULL,
    -- sealed JSON: the end user's credentials for the integration's auth mode
    credentials             BLOB,
    credentials_expires_at  TIMESTAMP,
    connection_config       TEXT NOT NULL DEFAULT '{}',
    metadata                TEXT NOT NULL DEFAULT '{}',
    end_user_id             TEXT,
    end_user                TEXT,
    tags                    TEXT NOT NULL DEFAULT '{}',
    -- JSON list: health; empty when the connection works
    errors                  TEXT NOT NULL DEFAULT '[]',
    last_refresh_success_at TIMESTAMP,
    last_refresh_failure_at TIMESTAMP,
    refresh_attempts        INTEGER NOT NULL DEFAULT 0,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    UNIQUE (integration_id, connection_id)
);
CREATE INDEX connections_environment_created ON connections (environment_id, created_at);
CREATE INDEX connections_end_user ON connections (environment_id, end_user_id);

-- +goose Down
DROP TABLE connections;
DROP TABLE integrations;
DROP TABLE environments;
DROP TABLE meta;
