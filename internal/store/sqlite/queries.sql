-- Every statement the SQLite store runs. The PostgreSQL store has the same
-- names in its own file; sqlstore refuses to start if one is missing.

-- name: GetMeta
SELECT value FROM meta WHERE key = ?;

-- name: InsertMeta
INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING;

-- name: ListMeta
SELECT key, value FROM meta;

-- name: UpdateMeta
UPDATE meta SET value = ? WHERE key = ?;

-- name: InsertEnvironment
INSERT INTO environments (id, name, secret_key_hash, secret_key, webhook_signing_key, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: EnvironmentByName
SELECT id, name, created_at, updated_at FROM environments WHERE name = ?;

-- name: EnvironmentBySecretKeyHash
SELECT id, name, created_at, updated_at FROM environments WHERE secret_key_hash = ?;

-- name: ListEnvironments
SELECT id, name, created_at, updated_at FROM environments ORDER BY created_at, name;

-- name: EnvironmentSecrets
SELECT id, name, created_at, updated_at, secret_key, webhook_signing_key FROM environments WHERE name = ?;

-- name: UpdateEnvironmentSecretKey
UPDATE environments SET secret_key_hash = ?, secret_key = ?, updated_at = ? WHERE id = ?;

-- name: ListSealedEnvironments
SELECT id, secret_key, webhook_signing_key FROM environments;

-- name: ResealEnvironment
UPDATE environments SET secret_key = ?, webhook_signing_key = ? WHERE id = ?;

-- name: InsertIntegration
INSERT INTO integrations (id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetIntegration
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at
FROM integrations WHERE environment_id = ? AND unique_key = ?;

-- name: ListIntegrations
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at
FROM integrations WHERE environment_id = ? ORDER BY unique_key;

-- name: UpdateIntegration
UPDATE integrations SET unique_key = ?, provider = ?, display_name = ?, credentials_type = ?,
    client_id = ?, scopes = ?, app_id = ?, app_link = ?, secrets = ?, updated_at = ?
WHERE id = ?;

-- name: DeleteIntegration
DELETE FROM integrations WHERE environment_id = ? AND unique_key = ?;

-- name: ListSealedIntegrations
SELECT id, secrets FROM integrations WHERE secrets IS NOT NULL;

-- name: ResealIntegration
UPDATE integrations SET secrets = ? WHERE id = ?;

-- name: ListSealedConnections
SELECT id, credentials FROM connections WHERE credentials IS NOT NULL;

-- name: ResealConnection
UPDATE connections SET credentials = ? WHERE id = ?;
