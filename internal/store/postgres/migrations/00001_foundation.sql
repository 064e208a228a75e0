-- The core model; the same semantics as the SQLite migration of the same
-- number. Every BYTEA column is a vault ciphertext bound to its row (see
-- internal/vault); nothing else in the schema holds a secret.

-- +goose Up
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE environments (
    id                  UUID PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    secret_key_hash     TEXT NOT NULL UNIQUE,
    secret_key          BYTEA NOT NULL,
    webhook_signing_key BYTEA NOT NULL,
    -- outbound webhook URLs and switches (issue "Webhooks")
    webhook_settings    JSONB NOT NULL DEFAULT '{}',
    -- white-label Connect UI (issue "Auth and Connect")
    connect_ui_settings JSONB NOT NULL DEFAULT '{}',
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE integrations (
    id               UUID PRIMARY KEY,
    environment_id   UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    unique_key       TEXT NOT NULL,
    provider         TEXT NOT NULL,
    display_name     TEXT NOT NULL DEFAULT '',
    credentials_type TEXT NOT NULL DEFAULT '',
    client_id        TEXT NOT NULL DEFAULT '',
    scopes           TEXT NOT NULL DEFAULT '',
    app_id           TEXT NOT NULL DEFAULT '',
    app_link         TEXT NOT NULL DEFAULT '',
    -- sealed JSON: client_secret, webhook_secret, private_key
    secrets          BYTEA,
    -- per-integration overrides (limits, throttles, allowed hosts)
    settings         JSONB NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    UNIQUE (environment_id, unique_key)
);

CREATE TABLE connections (
    id                      UUID PRIMARY KEY,
    environment_id          UUID NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_id          UUID NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    connection_id           TEXT NOT NULL,
    -- sealed JSON: the end user's credentials for the integration's auth mode
    credentials             BYTEA,
    credentials_expires_at  TIMESTAMPTZ,
    connection_config       JSONB NOT NULL DEFAULT '{}',
    metadata                JSONB NOT NULL DEFAULT '{}',
    end_user_id             TEXT,
    end_user                JSONB,
    tags                    JSONB NOT NULL DEFAULT '{}',
    -- health; an empty list when the connection works
    errors                  JSONB NOT NULL DEFAULT '[]',
    last_refresh_success_at TIMESTAMPTZ,
    last_refresh_failure_at TIMESTAMPTZ,
    refresh_attempts        INTEGER NOT NULL DEFAULT 0,
    created_at              TIMESTAMPTZ NOT NULL,
    updated_at              TIMESTAMPTZ NOT NULL,
    UNIQUE (integration_id, connection_id)
);
CREATE INDEX connections_environment_created ON connections (environment_id, created_at);
CREATE INDEX connections_end_user ON connections (environment_id, end_user_id);

-- +goose Down
DROP TABLE connections;
DROP TABLE integrations;
DROP TABLE environments;
DROP TABLE meta;
