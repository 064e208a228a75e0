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
SELECT id, secret_key, webhook_signing_key, variables FROM environments;

-- name: ResealEnvironment
UPDATE environments SET secret_key = $1, webhook_signing_key = $2, variables = $3 WHERE id = $4;

-- name: InsertIntegration
INSERT INTO integrations (id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14);

-- name: GetIntegration
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at
FROM integrations WHERE environment_id = $1 AND unique_key = $2;

-- name: ListIntegrations
SELECT id, environment_id, unique_key, provider, display_name, credentials_type,
    client_id, scopes, app_id, app_link, secrets, settings, created_at, updated_at
FROM integrations WHERE environment_id = $1 ORDER BY unique_key;

-- name: UpdateIntegration
UPDATE integrations SET unique_key = $1, provider = $2, display_name = $3, credentials_type = $4,
    client_id = $5, scopes = $6, app_id = $7, app_link = $8, secrets = $9, settings = $10,
    updated_at = $11
WHERE id = $12;

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

-- Connections. Every read returns the same columns, in this order, joined
-- with the integration for its unique key and provider:
-- id, environment_id, integration_id, unique_key, provider, connection_id,
-- credentials, credentials_expires_at, connection_config, metadata, end_user,
-- tags, errors, last_refresh_success_at, last_refresh_failure_at,
-- refresh_attempts, created_at, updated_at.

-- name: IntegrationRef
SELECT id, environment_id, unique_key, provider FROM integrations WHERE id = $1;

-- name: InsertConnection
INSERT INTO connections (id, environment_id, integration_id, connection_id,
    credentials, credentials_expires_at, connection_config, metadata, end_user_id, end_user, tags,
    errors, refresh_disabled, last_refresh_success_at, last_refresh_failure_at, refresh_attempts,
    created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
ON CONFLICT (integration_id, connection_id) DO NOTHING;

-- name: GetConnection
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE i.environment_id = $1 AND i.unique_key = $2 AND c.connection_id = $3;

-- name: ConnectionByID
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.id = $1;

-- ConnectionByID inside a read-modify-write transaction: the row lock makes
-- concurrent updates (a refresh and a metadata change) apply one after the
-- other instead of one losing the other's change.
-- name: LockConnection
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.id = $1
FOR UPDATE OF c;

-- name: LockConnectionByKey
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE c.integration_id = $1 AND c.connection_id = $2
FOR UPDATE OF c;

-- Filters are NULL when unset. $5 is an ILIKE pattern (escaped with \); $6 a
-- JSON object of tags that must all be present.
-- name: ListConnections
SELECT c.id, c.environment_id, c.integration_id, i.unique_key, i.provider, c.connection_id,
    c.credentials, c.credentials_expires_at, c.connection_config, c.metadata, c.end_user,
    c.tags, c.errors, c.last_refresh_success_at, c.last_refresh_failure_at,
    c.refresh_attempts, c.created_at, c.updated_at
FROM connections c JOIN integrations i ON i.id = c.integration_id
WHERE ($1::uuid IS NULL OR c.environment_id = $1::uuid)
    AND ($2::text IS NULL OR i.unique_key = $2::text)
    AND ($3::text IS NULL OR c.connection_id = $3::text)
    AND ($4::text IS NULL OR c.end_user_id = $4::text)
    AND ($5::text IS NULL
        OR c.connection_id ILIKE $5::text ESCAPE '\'
        OR c.end_user->>'id' ILIKE $5::text ESCAPE '\'
        OR c.end_user->>'email' ILIKE $5::text ESCAPE '\'
        OR c.end_user->>'display_name' ILIKE $5::text ESCAPE '\')
    AND c.tags @> $6::jsonb
ORDER BY c.created_at DESC, c.id DESC
LIMIT $7 OFFSET $8;

-- name: UpdateConnection
UPDATE connections SET connection_id = $1,
    credentials = $2, credentials_expires_at = $3, connection_config = $4, metadata = $5, end_user_id = $6,
    end_user = $7, tags = $8, errors = $9, refresh_disabled = $10, last_refresh_success_at = $11,
    last_refresh_failure_at = $12, refresh_attempts = $13, updated_at = $14
WHERE id = $15;

-- name: DeleteConnection
DELETE FROM connections
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = $1 AND unique_key = $2)
    AND connection_id = $3;

-- name: ExpiringConnections
SELECT credentials_expires_at, id FROM connections
WHERE credentials_expires_at < $1 AND NOT refresh_disabled
    AND (credentials_expires_at > $2 OR (credentials_expires_at = $2 AND id > NULLIF($3, '')::uuid))
ORDER BY credentials_expires_at, id
LIMIT $4;

-- Connect sessions.

-- name: InsertConnectSession
INSERT INTO connect_sessions (id, environment_id, token_hash, end_user, allowed_integrations,
    integrations_config_defaults, tags, reconnect_connection_id, reconnect_integration, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11);

-- name: ConnectSessionByTokenHash
SELECT id, environment_id, token_hash, end_user, allowed_integrations, integrations_config_defaults,
    tags, reconnect_connection_id, reconnect_integration, created_at, expires_at
FROM connect_sessions WHERE token_hash = $1;

-- name: ConnectSessionByID
SELECT id, environment_id, token_hash, end_user, allowed_integrations, integrations_config_defaults,
    tags, reconnect_connection_id, reconnect_integration, created_at, expires_at
FROM connect_sessions WHERE id = $1;

-- name: DeleteConnectSession
DELETE FROM connect_sessions WHERE id = $1;

-- name: DeleteExpiredConnectSessions
DELETE FROM connect_sessions WHERE expires_at < $1;

-- OAuth sessions. Both takes return the same columns:
-- id, environment_id, integration_key, connection_id, connect_session_id,
-- ws_client_id, auth_mode, connection_config, secret, request_token,
-- redirect_uri, created_at, expires_at.

-- name: InsertOAuthSession
INSERT INTO oauth_sessions (id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13);

-- name: TakeOAuthSession
DELETE FROM oauth_sessions WHERE id = $1
RETURNING id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at;

-- A concurrent take of the same row makes this DELETE wait, then find the
-- row gone and return nothing, so only one caller gets the session.
-- name: TakeOAuthSessionByRequestToken
DELETE FROM oauth_sessions
WHERE id = (SELECT id FROM oauth_sessions WHERE request_token = $1 LIMIT 1)
RETURNING id, environment_id, integration_key, connection_id, connect_session_id,
    ws_client_id, auth_mode, connection_config, secret, request_token, redirect_uri, created_at, expires_at;

-- name: DeleteExpiredOAuthSessions
DELETE FROM oauth_sessions WHERE expires_at < $1;

-- name: ListSealedOAuthSessions
SELECT id, secret FROM oauth_sessions WHERE secret IS NOT NULL;

-- name: ResealOAuthSession
UPDATE oauth_sessions SET secret = $1 WHERE id = $2;

-- Environment settings.

-- name: GetConnectUISettings
SELECT connect_ui_settings FROM environments WHERE id = $1;

-- name: SetConnectUISettings
UPDATE environments SET connect_ui_settings = $1, updated_at = $2 WHERE id = $3;

-- name: GetWebhookSettings
SELECT webhook_settings FROM environments WHERE id = $1;

-- name: SetWebhookSettings
UPDATE environments SET webhook_settings = $1, updated_at = $2 WHERE id = $3;

-- name: GetEnvironmentVariables
SELECT variables FROM environments WHERE id = $1;

-- name: SetEnvironmentVariables
UPDATE environments SET variables = $1, updated_at = $2 WHERE id = $3;

-- Deployments. Reads join the integration for its unique key and return:
-- id, environment_id, unique_key, name, type, version, source_hash, bundle,
-- definition, source_map, created_at, updated_at.

-- name: IntegrationIDByKey
SELECT id FROM integrations WHERE environment_id = $1 AND unique_key = $2;

-- A redeploy keeps the row's id and created_at, which RETURNING hands back.
-- name: UpsertDeployment
INSERT INTO deployments (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, source_map, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (integration_id, name) DO UPDATE SET type = excluded.type, version = excluded.version,
    source_hash = excluded.source_hash, bundle = excluded.bundle, definition = excluded.definition,
    source_map = excluded.source_map, updated_at = excluded.updated_at
RETURNING id, created_at;

-- name: GetDeployment
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = $1 AND i.unique_key = $2 AND d.name = $3;

-- $2 is NULL for every integration.
-- name: ListDeployments
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = $1 AND ($2::text IS NULL OR i.unique_key = $2::text)
ORDER BY i.unique_key, d.name;

-- name: DeleteDeployment
DELETE FROM deployments
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = $1 AND unique_key = $2)
    AND name = $3;

-- Action runs. Every read returns the columns in InsertActionRun's order.

-- name: DeleteExpiredActionRunByKey
DELETE FROM action_runs WHERE environment_id = $1 AND idempotency_key = $2 AND expires_at <= $3;

-- A live holder of the idempotency key, committed or not, makes this insert
-- nothing: a concurrent insert of the same key waits for the other
-- transaction and then finds the row ActionRunByKey reads.
-- name: InsertActionRun
INSERT INTO action_runs (id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
ON CONFLICT (environment_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

-- name: ActionRunByKey
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = $1 AND idempotency_key = $2;

-- name: GetActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = $1 AND id = $2;

-- GetActionRun inside a read-modify-write transaction; the row lock makes
-- concurrent updates apply one after the other.
-- name: LockActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at
FROM action_runs WHERE environment_id = $1 AND id = $2
FOR UPDATE;

-- name: UpdateActionRun
UPDATE action_runs SET status = $1, output = $2, error = $3, async = $4, attempts = $5, max_retries = $6,
    updated_at = $7, expires_at = $8
WHERE id = $9;

-- name: DeleteExpiredActionRuns
DELETE FROM action_runs WHERE expires_at < $1;

-- name: ListSealedActionRuns
SELECT id, input, output, error FROM action_runs;

-- name: ResealActionRun
UPDATE action_runs SET input = $1, output = $2, error = $3 WHERE id = $4;

-- Function locks. TryAcquireFunctionLock takes the lock in one statement:
-- it inserts, or takes over a row the same owner holds or that expired
-- before $5, and affects no row otherwise.

-- name: TryAcquireFunctionLock
INSERT INTO function_locks (scope, key, owner, expires_at) VALUES ($1, $2, $3, $4)
ON CONFLICT (scope, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
WHERE function_locks.owner = excluded.owner OR function_locks.expires_at < $5;

-- name: ReleaseFunctionLock
DELETE FROM function_locks WHERE scope = $1 AND key = $2 AND owner = $3;

-- name: DeleteExpiredFunctionLocks
DELETE FROM function_locks WHERE expires_at < $1;

-- name: ReleaseFunctionLocks
DELETE FROM function_locks WHERE owner = $1;

-- The Locker's session-level advisory locks (PostgreSQL only; not in
-- sqlstore's list of required queries).

-- name: AdvisoryLock
SELECT pg_advisory_lock($1);

-- name: AdvisoryUnlock
SELECT pg_advisory_unlock($1);

-- Throttles' token buckets (PostgreSQL only; SQLite keeps them in memory).
-- ReserveThrottle takes $5 tokens from bucket $1 at time $2 in one atomic
-- statement: it refills the bucket by the time elapsed since its last use
-- at $4 tokens per second, capped at the capacity $3, and subtracts. A new
-- bucket starts full. Below zero is the queue of reservations waiting for
-- their tokens. A caller whose clock is behind the bucket's refills
-- nothing, and the bucket's time never goes back.

-- name: ReserveThrottle
INSERT INTO throttle_buckets AS b (key, tokens, updated_at, full_at)
VALUES ($1::text, $3::float8 - $5::float8, $2::timestamptz, $2 + make_interval(secs => $5 / $4))
ON CONFLICT (key) DO UPDATE SET
    tokens = LEAST($3, b.tokens + $4 * GREATEST(0, EXTRACT(EPOCH FROM $2 - b.updated_at)::float8)) - $5,
    updated_at = GREATEST(b.updated_at, $2),
    full_at = GREATEST(b.updated_at, $2) + make_interval(secs =>
        ($5 + GREATEST(0, $3 - b.tokens - $4 * GREATEST(0, EXTRACT(EPOCH FROM $2 - b.updated_at)::float8))) / $4)
RETURNING tokens, updated_at;

-- name: SweepThrottles
DELETE FROM throttle_buckets WHERE full_at <= $1;

-- name: CountThrottles
SELECT count(*) FROM throttle_buckets;
