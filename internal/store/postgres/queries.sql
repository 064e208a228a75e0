-- Every statement the PostgreSQL store runs. The SQLite store has the same
-- names in its own file; sqlstore refuses to start if one is missing.

-- name: GetMeta
SELECT value FROM meta WHERE key = $1;

-- name: InsertMeta
INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING;

-- name: ListMeta
SELECT key, value FROM meta;

-- name: UpdateMeta
UPDATE meta SET value = $1 WHERE key = $2;

-- name: InsertEnvironment
INSERT INTO environments (id, name, secret_key_hash, secret_key, webhook_signing_key, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT DO NOTHING;

-- name: EnvironmentByName
SELECT id, name, created_at, updated_at FROM environments WHERE name = $1;

-- name: EnvironmentBySecretKeyHash
SELECT id, name, created_at, updated_at FROM environments WHERE secret_key_hash = $1;

-- name: ListEnvironments
SELECT id, name, created_at, updated_at FROM environments ORDER BY created_at, name;

-- name: EnvironmentSecrets
SELECT id, name, created_at, updated_at, secret_key, webhook_signing_key FROM environments WHERE name = $1;

-- name: UpdateEnvironmentSecretKey
UPDATE environments SET secret_key_hash = $1, secret_key = $2, updated_at = $3 WHERE id = $4;

-- name: ListSealedEnvironments
SELECT id, secret_key, webhook_signing_key FROM environments;

-- name: ResealEnvironment
UPDATE environments SET secret_key = $1, webhook_signing_key = $2 WHERE id = $3;

-- name: InsertIntegration
INSERT INTO integrations (id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);

-- name: GetIntegration
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at
FROM integrations WHERE environment_id = $1 AND unique_key = $2;

-- name: ListIntegrations
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, created_at, updated_at
FROM integrations WHERE environment_id = $1 ORDER BY unique_key;

-- name: UpdateIntegration
UPDATE integrations SET unique_key = $1, provider = $2, display_name = $3, credentials_type = $4,
    client_id = $5, scopes = $6, app_id = $7, app_link = $8, secrets = $9, updated_at = $10
WHERE id = $11;

-- name: DeleteIntegration
DELETE FROM integrations WHERE environment_id = $1 AND unique_key = $2;

-- name: ListSealedIntegrations
SELECT id, secrets FROM integrations WHERE secrets IS NOT NULL;

-- name: ResealIntegration
UPDATE integrations SET secrets = $1 WHERE id = $2;

-- name: ListSealedConnections
SELECT id, credentials FROM connections WHERE credentials IS NOT NULL;

-- name: ResealConnection
UPDATE connections SET credentials = $1 WHERE id = $2;
