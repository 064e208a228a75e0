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
SELECT id, secret_key, webhook_signing_key, variables FROM environments;

-- name: ResealEnvironment
UPDATE environments SET secret_key = ?, webhook_signing_key = ?, variables = ? WHERE id = ?;

-- name: InsertIntegration
INSERT INTO integrations (id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: GetIntegration
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at
FROM integrations WHERE environment_id = ? AND unique_key = ?;

-- name: ListIntegrations
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at
FROM integrations WHERE environment_id = ? ORDER BY unique_key;

-- name: UpdateIntegration
UPDATE integrations SET unique_key = ?, provider = ?, display_name = ?, credentials_type = ?,
    client_id = ?, scopes = ?, app_id = ?, app_link = ?, secrets = ?, settings = ?,
    updated_at = ?
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

-- Connections. Every read returns the same columns, in this order, joined
-- with the integration for its unique key and provider:
-- id, environment_id, integration_id, unique_key, provider, connection_id,
-- credentials, credentials_expires_at, connection_config, metadata, end_user,
-- tags, errors, last_refresh_success_at, last_refresh_failure_at,
-- refresh_attempts, created_at, updated_at.

-- name: IntegrationRef
SELECT id, environment_id, unique_key, provider FROM integrations WHERE id = ?;

-- name: InsertConnection
INSERT INTO connections (id, environment_id, integration_id, connection_id,
    credentials, credentials_expires_at, connection_config, metadata, end_user_id, end_user, tags,
    errors, refresh_disabled, last_refresh_success_at, last_refresh_failure_at, refresh_attempts,
    created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (integration_id, connection_id) DO NOTHING;

-- name: GetConnection
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE i.environment_id = ? AND i.unique_key = ? AND c.connection_id = ?;

-- name: ConnectionByID
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.id = ?;

-- ConnectionByID inside a read-modify-write transaction. SQLite's write
-- transactions are serialised (_txlock=immediate), so no row lock is needed.
-- name: LockConnection
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.id = ?;

-- name: LockConnectionByKey
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.integration_id = ? AND c.connection_id = ?;

-- Filters are NULL when unset. ?5 is a LIKE pattern (escaped with \); ?6 a
-- JSON object of tags that must all be present. LIKE is case-insensitive for
-- ASCII in SQLite.
-- name: ListConnections
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE (?1 IS NULL OR c.environment_id = ?1)
    AND (?2 IS NULL OR i.unique_key = ?2)
    AND (?3 IS NULL OR c.connection_id = ?3)
    AND (?4 IS NULL OR c.end_user_id = ?4)
    AND (?5 IS NULL
        OR c.connection_id LIKE ?5 ESCAPE '\'
        OR json_extract(c.end_user, '$.id') LIKE ?5 ESCAPE '\'
        OR json_extract(c.end_user, '$.email') LIKE ?5 ESCAPE '\'
        OR json_extract(c.end_user, '$.display_name') LIKE ?5 ESCAPE '\')
    AND NOT EXISTS (
        SELECT 1 FROM json_each(?6) AS want
        WHERE NOT EXISTS (
            SELECT 1 FROM json_each(c.tags) AS have
            WHERE have.key = want.key AND have.value = want.value))
ORDER BY c.created_at DESC, c.id DESC
LIMIT ?7 OFFSET ?8;

-- name: UpdateConnection
UPDATE connections SET connection_id = ?,
    credentials = ?, credentials_expires_at = ?, connection_config = ?, metadata = ?, end_user_id = ?,
    end_user = ?, tags = ?, errors = ?, refresh_disabled = ?, last_refresh_success_at = ?,
    last_refresh_failure_at = ?, refresh_attempts = ?, updated_at = ?
WHERE id = ?;

-- name: DeleteConnection
DELETE FROM connections
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = ? AND unique_key = ?)
    AND connection_id = ?;

-- name: ExpiringConnections
SELECT credentials_expires_at, id FROM connections
WHERE credentials_expires_at < ?1 AND NOT refresh_disabled
    AND (credentials_expires_at > ?2 OR (credentials_expires_at = ?2 AND id > ?3))
ORDER BY credentials_expires_at, id
LIMIT ?4;

-- Connect sessions.

-- name: InsertConnectSession
INSERT INTO connect_sessions (id, environment_id, token_hash, end_user, allowed_integrations,
    integrations_config_defaults, tags, reconnect_connection_id, reconnect_integration, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: ConnectSessionByTokenHash
SELECT id, environment_id, token_hash, end_user, allowed_integrations, integrations_config_defaults,
    tags, reconnect_connection_id, reconnect_integration, created_at, expires_at
FROM connect_sessions WHERE token_hash = ?;

-- name: ConnectSessionByID
SELECT id, environment_id, token_hash, end_user, allowed_integrations, integrations_config_defaults,
    tags, reconnect_connection_id, reconnect_integration, created_at, expires_at
FROM connect_sessions WHERE id = ?;

-- name: DeleteConnectSession
DELETE FROM connect_sessions WHERE id = ?;

-- name: DeleteExpiredConnectSessions
DELETE FROM connect_sessions WHERE expires_at < ?;

-- OAuth sessions. Both takes return the same columns:
-- id, environment_id, integration_key, connection_id, connect_session_id,
-- ws_client_id, auth_mode, connection_config, secret, request_token,
-- redirect_uri, created_at, expires_at.

-- name: InsertOAuthSession
INSERT INTO oauth_sessions (id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: TakeOAuthSession
DELETE FROM oauth_sessions WHERE id = ?
RETURNING id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at;

-- name: TakeOAuthSessionByRequestToken
DELETE FROM oauth_sessions
WHERE id = (SELECT id FROM oauth_sessions WHERE request_token = ? LIMIT 1)
RETURNING id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at;

-- name: DeleteExpiredOAuthSessions
DELETE FROM oauth_sessions WHERE expires_at < ?;

-- name: ListSealedOAuthSessions
SELECT id, secret FROM oauth_sessions WHERE secret IS NOT NULL;

-- name: ResealOAuthSession
UPDATE oauth_sessions SET secret = ? WHERE id = ?;

-- Environment settings.

-- name: GetConnectUISettings
SELECT connect_ui_settings FROM environments WHERE id = ?;

-- name: SetConnectUISettings
UPDATE environments SET connect_ui_settings = ?, updated_at = ? WHERE id = ?;

-- name: GetWebhookSettings
SELECT webhook_settings FROM environments WHERE id = ?;

-- name: SetWebhookSettings
UPDATE environments SET webhook_settings = ?, updated_at = ? WHERE id = ?;

-- name: GetEnvironmentVariables
SELECT variables FROM environments WHERE id = ?;

-- name: SetEnvironmentVariables
UPDATE environments SET variables = ?, updated_at = ? WHERE id = ?;

-- Deployments. Reads join the integration for its unique key and return:
-- id, environment_id, unique_key, name, type, version, source_hash, bundle,
-- definition, source_map, created_at, updated_at.

-- name: IntegrationIDByKey
SELECT id FROM integrations WHERE environment_id = ? AND unique_key = ?;

-- A redeploy keeps the row's id and created_at, which RETURNING hands back.
-- name: UpsertDeployment
INSERT INTO deployments (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, source_map, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (integration_id, name) DO UPDATE SET type = excluded.type, version = excluded.version,
    source_hash = excluded.source_hash, bundle = excluded.bundle, definition = excluded.definition,
    source_map = excluded.source_map, updated_at = excluded.updated_at
RETURNING id, created_at;

-- name: GetDeployment
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = ? AND i.unique_key = ? AND d.name = ?;

-- ?2 is NULL for every integration.
-- name: ListDeployments
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = ?1 AND (?2 IS NULL OR i.unique_key = ?2)
ORDER BY i.unique_key, d.name;

-- name: DeleteDeployment
DELETE FROM deployments
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = ? AND unique_key = ?)
    AND name = ?;

-- Action runs. Every read returns the columns in InsertActionRun's order.

-- name: DeleteExpiredActionRunByKey
DELETE FROM action_runs WHERE environment_id = ? AND idempotency_key = ? AND expires_at <= ?;

-- A live holder of the idempotency key makes this insert nothing. Write
-- transactions are serialised (_txlock=immediate), so it is never racing.
-- name: InsertActionRun
INSERT INTO action_runs (id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (environment_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

-- name: ActionRunByKey
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = ? AND idempotency_key = ?;

-- name: GetActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = ? AND id = ?;

-- GetActionRun inside a read-modify-write transaction. SQLite's write
-- transactions are serialised (_txlock=immediate), so no row lock is needed.
-- name: LockActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = ? AND id = ?;

-- name: UpdateActionRun
UPDATE action_runs SET status = ?, output = ?, error = ?, async = ?, attempts = ?, max_retries = ?,
    updated_at = ?, expires_at = ?
WHERE id = ?;

-- name: DeleteExpiredActionRuns
DELETE FROM action_runs WHERE expires_at < ?;

-- name: ListSealedActionRuns
SELECT id, input, output, error FROM action_runs;

-- name: ResealActionRun
UPDATE action_runs SET input = ?, output = ?, error = ? WHERE id = ?;

-- Function locks. TryAcquireFunctionLock takes the lock in one statement:
-- it inserts, or takes over a row the same owner holds or that expired
-- before ?5, and changes no row otherwise.

-- name: TryAcquireFunctionLock
INSERT INTO function_locks (scope, key, owner, expires_at) VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE function_locks.owner = excluded.owner OR function_locks.expires_at < ?5;

-- name: ReleaseFunctionLock
DELETE FROM function_locks WHERE scope = ? AND key = ? AND owner = ?;

-- name: DeleteExpiredFunctionLocks
DELETE FROM function_locks WHERE expires_at < ?;

-- name: ReleaseFunctionLocks
DELETE FROM function_locks WHERE owner = ?;
