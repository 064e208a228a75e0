-- Auth and Connect: what the connect flow needs beside the connections table
-- of 00001. The only BLOB column added, oauth_sessions.secret, is a vault
-- ciphertext bound to its row like every other.

-- +goose Up
-- Set while the connection has an "auth" error, so the refresher skips it
-- without reading the errors JSON. Kept in sync with errors by the store.
ALTER TABLE connections ADD COLUMN refresh_disabled INTEGER NOT NULL DEFAULT 0;
-- The refresher's scan: only connections it may refresh, soonest first.
CREATE INDEX connections_expiring ON connections (credentials_expires_at)
    WHERE credentials_expires_at IS NOT NULL AND NOT refresh_disabled;

CREATE TABLE connect_sessions (
    id                           TEXT PRIMARY KEY,
    environment_id               TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash                   TEXT NOT NULL UNIQUE,
    -- JSON
    end_user                     TEXT,
    -- JSON list of integration keys; empty allows all
    allowed_integrations         TEXT NOT NULL DEFAULT '[]',
    -- JSON: per integration key, Nango's integrations_config_defaults
    integrations_config_defaults TEXT NOT NULL DEFAULT '{}',
    -- tags given to the connections the session creates
    tags                         TEXT NOT NULL DEFAULT '{}',
    reconnect_connection_id      TEXT NOT NULL DEFAULT '',
    reconnect_integration        TEXT NOT NULL DEFAULT '',
    created_at                   TIMESTAMP NOT NULL,
    expires_at                   TIMESTAMP NOT NULL
);
CREATE INDEX connect_sessions_expires ON connect_sessions (expires_at);

CREATE TABLE oauth_sessions (
    -- the state parameter
    id                 TEXT PRIMARY KEY,
    environment_id     TEXT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    integration_key    TEXT NOT NULL,
    connection_id      TEXT NOT NULL,
    connect_session_id TEXT NOT NULL DEFAULT '',
    ws_client_id       TEXT NOT NULL DEFAULT '',
    auth_mode          TEXT NOT NULL DEFAULT '',
    -- JSON
    connection_config  TEXT NOT NULL DEFAULT '{}',
    -- sealed: the PKCE code verifier or OAuth 1.0a's request token secret
    secret             BLOB,
    -- OAuth 1.0a's temporary token; NULL for other flows
    request_token      TEXT,
    redirect_uri       TEXT NOT NULL DEFAULT '',
    created_at         TIMESTAMP NOT NULL,
    expires_at         TIMESTAMP NOT NULL
);
CREATE INDEX oauth_sessions_request_token ON oauth_sessions (request_token) WHERE request_token IS NOT NULL;
CREATE INDEX oauth_sessions_expires ON oauth_sessions (expires_at);

-- +goose Down
DROP TABLE oauth_sessions;
DROP TABLE connect_sessions;
DROP INDEX connections_expiring;
ALTER TABLE connections DROP COLUMN refresh_disabled;
