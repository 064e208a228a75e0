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
-- JSON object of tags that must all be present; ?9 a JSON array of
-- integration keys, one of which must match. LIKE is case-insensitive for
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
    AND (?9 IS NULL OR i.unique_key IN (SELECT value FROM json_each(?9)))
    AND (?10 IS NULL OR json_extract(c.end_user, '$.organization.id') = ?10)
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

-- A function is keyed by integration, type and name (an action and a sync
-- may share a name). A redeploy keeps the row's id and created_at, which
-- RETURNING hands back.
-- name: UpsertDeployment
INSERT INTO deployments (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, source_map, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (integration_id, type, name) DO UPDATE SET version = excluded.version,
    source_hash = excluded.source_hash, bundle = excluded.bundle, definition = excluded.definition,
    source_map = excluded.source_map, updated_at = excluded.updated_at
RETURNING id, created_at;

-- name: GetDeployment
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = ? AND i.unique_key = ? AND d.type = ? AND d.name = ?;

-- ?2 is NULL for every integration.
-- name: ListDeployments
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = ?1 AND (?2 IS NULL OR i.unique_key = ?2)
ORDER BY i.unique_key, d.name, d.type;

-- name: DeleteDeployment
DELETE FROM deployments
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = ? AND unique_key = ?)
    AND type = ? AND name = ?;

-- Action runs. Every read returns the columns in InsertActionRun's order.

-- name: DeleteExpiredActionRunByKey
DELETE FROM action_runs WHERE environment_id = ? AND idempotency_key = ? AND expires_at <= ?;

-- A live holder of the idempotency key makes this insert nothing. Write
-- transactions are serialised (_txlock=immediate), so it is never racing.
-- name: InsertActionRun
INSERT INTO action_runs (id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (environment_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

-- name: ActionRunByKey
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = ? AND idempotency_key = ?;

-- name: GetActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = ? AND id = ?;

-- GetActionRun inside a read-modify-write transaction. SQLite's write
-- transactions are serialised (_txlock=immediate), so no row lock is needed.
-- name: LockActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = ? AND id = ?;

-- name: UpdateActionRun
UPDATE action_runs SET status = ?, output = ?, error = ?, async = ?, attempts = ?, max_retries = ?,
    updated_at = ?, expires_at = ?, owner = ?, heartbeat_at = ?
WHERE id = ?;

-- Runs whose attempt stopped saying it is alive: running, with a
-- heartbeat before ?1 (runs started by a node that did not send
-- heartbeats have none, and are left to the job queue's rescue).
-- name: StaleActionRuns
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs INDEXED BY action_runs_running
WHERE status = 'running' AND heartbeat_at < ?1
ORDER BY heartbeat_at
LIMIT ?2;

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

-- Records. Their keys are on scope_id: the statements find it from the
-- scope's (connection_ref, model, variant), once per statement. A list
-- parameter (ids, actions) is a JSON array, unpacked with
-- json_each: one statement whatever the number of ids, and no limit on
-- bound variables. Batch statements (UpsertRecords, DeleteRecords,
-- ResealRecords) take one row's values: sqlstore runs them once per row of
-- the batch, prepared once, inside the write transaction; in-process, that
-- costs no round trip.

-- Takes the scope's row at a transaction's first write to the scope and
-- returns its last cursor. SQLite's write transactions are serialised
-- (_txlock=immediate), which is what orders the scope's writers here.
-- name: LockRecordScope
INSERT INTO record_scopes (connection_ref, model, variant, environment_id, last_cursor, live)
VALUES (?, ?, ?, ?, 0, 0)
ON CONFLICT (connection_ref, model, variant) DO UPDATE SET last_cursor = record_scopes.last_cursor
RETURNING id, last_cursor;

-- name: SaveRecordScope
UPDATE record_scopes SET last_cursor = ?, live = live + ?
WHERE connection_ref = ? AND model = ? AND variant = ?;

-- Lookups by id name their index: SQLite cannot tell how many ids json_each
-- holds, and would otherwise scan the whole scope for a handful of them.
-- name: ExistingRecords
SELECT external_id, hash, deleted_at IS NOT NULL, cursor FROM records INDEXED BY records_external_id
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND external_id IN (SELECT value FROM json_each(?4));

-- ?1-?7 are the batch's (environment, scope, now, generation, scope id);
-- ?8-?12 the row's (id, cursor, payload, hash, action). A conflict is an update or an
-- undelete: first_seen_at stays.
-- name: UpsertRecords
INSERT INTO records (environment_id, connection_ref, model, variant, external_id, scope_id, cursor, payload, hash,
    first_seen_at, last_modified_at, last_action, deleted_at, generation, last_seen_at)
VALUES (?1, ?2, ?3, ?4, ?8, ?7, ?9, ?10, ?11, ?5, ?5, ?12, NULL, ?6, ?5)
ON CONFLICT (scope_id, external_id) DO UPDATE SET cursor = excluded.cursor,
    payload = excluded.payload, hash = excluded.hash, last_modified_at = excluded.last_modified_at,
    last_action = excluded.last_action, deleted_at = NULL, generation = excluded.generation,
    last_seen_at = excluded.last_seen_at;

-- Unchanged records: seen (generation, and last_seen_at ?6 for retention),
-- not modified.
-- name: TouchRecords
UPDATE records INDEXED BY records_external_id SET generation = ?1, last_seen_at = ?6
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?2 AND model = ?3 AND variant = ?4) AND external_id IN (SELECT value FROM json_each(?5));

-- Unchanged records saved before digests were keyed: ?4-?5 are the row's
-- (id, keyed digest).
-- name: RehashRecords
UPDATE records SET hash = ?5
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND external_id = ?4;

-- name: RecordPayloads
SELECT external_id, payload FROM records INDEXED BY records_external_id
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND external_id IN (SELECT value FROM json_each(?4))
    AND deleted_at IS NULL AND payload IS NOT NULL;

-- ?1-?5 are the batch's (now, generation, scope); ?6-?7 the row's (id,
-- cursor).
-- name: DeleteRecords
UPDATE records SET last_action = 'DELETED', deleted_at = ?1, last_modified_at = ?1, last_seen_at = ?1, generation = ?2, cursor = ?7
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?3 AND model = ?4 AND variant = ?5) AND external_id = ?6 AND deleted_at IS NULL;

-- The live records not seen since generation ?6 get the cursors after ?2,
-- in their current cursor order.
-- name: DeleteUnseenRecords
UPDATE records SET last_action = 'DELETED', deleted_at = ?1, last_modified_at = ?1, last_seen_at = ?1, cursor = ?2 + unseen.n
FROM (SELECT scope_id, external_id, row_number() OVER (ORDER BY cursor) AS n FROM records
      WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?3 AND model = ?4 AND variant = ?5) AND deleted_at IS NULL AND generation < ?6) AS unseen
WHERE records.scope_id = unseen.scope_id AND records.external_id = unseen.external_id;

-- Filters are NULL when unset; ?6 is a JSON array. ListRecordsByIDs is this
-- query when ids are given. Timestamps are selected as text, which sqlstore
-- parses faster than the driver (see dbTime).
-- name: ListRecords
SELECT external_id, payload, CAST(first_seen_at AS TEXT), CAST(last_modified_at AS TEXT), last_action,
    CAST(deleted_at AS TEXT), cursor
FROM records
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND cursor > ?4
    AND (?5 IS NULL OR last_modified_at >= ?5)
    AND (?6 IS NULL OR last_action IN (SELECT value FROM json_each(?6)))
ORDER BY cursor
LIMIT ?7;

-- The ids (?8, a JSON array) are looked up, not searched for in the scope's
-- pages.
-- name: ListRecordsByIDs
SELECT external_id, payload, CAST(first_seen_at AS TEXT), CAST(last_modified_at AS TEXT), last_action,
    CAST(deleted_at AS TEXT), cursor
FROM records INDEXED BY records_external_id
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND external_id IN (SELECT value FROM json_each(?8))
    AND cursor > ?4
    AND (?5 IS NULL OR last_modified_at >= ?5)
    AND (?6 IS NULL OR last_action IN (SELECT value FROM json_each(?6)))
ORDER BY cursor
LIMIT ?7;

-- name: RecordCounts
SELECT model, live FROM record_scopes WHERE connection_ref = ? AND variant = ?;

-- The scopes a prune or purge changes, which PostgreSQL locks; SQLite's
-- write transactions are serialised, so this only reads them.
-- name: LockRecordScopes
SELECT last_cursor FROM record_scopes
WHERE connection_ref = ?1 AND (?2 IS NULL OR model = ?2) AND (?3 IS NULL OR variant = ?3);

-- name: LockAllRecordScopes
SELECT last_cursor FROM record_scopes;

-- The ?5 oldest unpruned records up to cursor ?4.
-- name: PruneRecords
-- The hash goes too, so saving the same record again restores its payload.
UPDATE records SET payload = NULL, hash = ''
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3)
    AND cursor IN (SELECT cursor FROM records
        WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3)
            AND cursor <= ?4 AND payload IS NOT NULL ORDER BY cursor LIMIT ?5);

-- Up to ?5 records of a connection, narrowed when ?2, ?3, ?4 are set;
-- returns each one's scope and whether it was live, for the scopes' counts.
-- name: PurgeRecords
DELETE FROM records WHERE (scope_id, cursor) IN (
    SELECT scope_id, cursor FROM records
    WHERE scope_id IN (SELECT id FROM record_scopes
            WHERE connection_ref = ?1 AND (?2 IS NULL OR model = ?2) AND (?3 IS NULL OR variant = ?3))
        AND (?4 IS NULL OR last_seen_at < ?4)
    LIMIT ?5)
RETURNING model, variant, deleted_at IS NULL;

-- name: ReleaseRecordLive
UPDATE record_scopes SET live = live - ? WHERE connection_ref = ? AND model = ? AND variant = ?;

-- The connections of environment ?1 that are gone but still have scopes.
-- name: OrphanRecordConnections
SELECT DISTINCT connection_ref FROM record_scopes
WHERE environment_id = ?1 AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.id = record_scopes.connection_ref);

-- name: ConnectionExists
SELECT EXISTS (SELECT 1 FROM connections WHERE id = ?);

-- name: ListRecordScopes
SELECT model, variant, last_cursor FROM record_scopes
WHERE connection_ref = ?1 AND (?2 IS NULL OR model = ?2) AND (?3 IS NULL OR variant = ?3);

-- Drops an emptied scope of a deleted connection. last_cursor must be the
-- one read: a writer that wrote meanwhile moved it, and keeps its scope.
-- name: DeleteRecordScope
DELETE FROM record_scopes
WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3 AND last_cursor = ?4
    AND NOT EXISTS (SELECT 1 FROM records r WHERE r.scope_id = record_scopes.id);

-- Key rotation pages through every payload in key order; ?5 is true for the
-- first page.
-- name: ListSealedRecords
SELECT connection_ref, model, variant, external_id, payload FROM records
WHERE (?5 OR (scope_id, external_id) > ((SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3), ?4)) AND payload IS NOT NULL
ORDER BY scope_id, external_id
LIMIT ?6;

-- name: ResealRecords
UPDATE records SET payload = ?5, hash = ?6 WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = ?1 AND model = ?2 AND variant = ?3) AND external_id = ?4;

-- Sync instances. Every read returns the same columns, in this order, joined
-- with the integration for its key and the connection for its id:
-- id, environment_id, integration_id, unique_key, connection_ref,
-- connection_id, sync_name, variant, then the mutable columns in
-- UpdateSyncInstance's order, then created_at, updated_at.

-- name: ConnectionOwner
SELECT environment_id, integration_id FROM connections WHERE id = ?;

-- name: InsertSyncInstance
INSERT INTO sync_instances (id, environment_id, integration_id, connection_ref, sync_name, variant,
    enabled, started, frequency_ms, next_run_at, queue_token, queued_at, run_options, lease_owner, lease_until,
    generation, run_id, run_type, run_started_at, run_result, last_status, last_error, finished_at,
    last_success_at, failures, latest_result, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (connection_ref, sync_name, variant) DO NOTHING;

-- name: SyncInstanceByKey
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.connection_ref = ? AND s.sync_name = ? AND s.variant = ?;

-- name: GetSyncInstance
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = ? AND s.id = ?;

-- GetSyncInstance inside a read-modify-write transaction. SQLite's write
-- transactions are serialised (_txlock=immediate), so no row lock is needed.
-- name: LockSyncInstance
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = ? AND s.id = ?;

-- ?1 is a JSON array of ids.
-- name: SyncInstancesByIDs
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.id IN (SELECT value FROM json_each(?1));

-- Filters are NULL when unset; ?4 is a JSON array of sync names.
-- name: ListSyncInstances
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = ?1
    AND (?2 IS NULL OR i.unique_key = ?2)
    AND (?3 IS NULL OR c.connection_id = ?3)
    AND (?4 IS NULL OR s.sync_name IN (SELECT value FROM json_each(?4)))
    AND (?5 IS NULL OR s.variant = ?5)
ORDER BY i.unique_key, c.connection_id, s.sync_name, s.variant;

-- name: UpdateSyncInstance
UPDATE sync_instances SET enabled = ?, started = ?, frequency_ms = ?, next_run_at = ?, queue_token = ?,
    queued_at = ?, run_options = ?, lease_owner = ?, lease_until = ?, generation = ?, run_id = ?, run_type = ?,
    run_started_at = ?, run_result = ?, last_status = ?, last_error = ?, finished_at = ?, last_success_at = ?,
    failures = ?, latest_result = ?, updated_at = ?
WHERE id = ?;

-- The instances Delete removes: ?3, ?4 and ?5 are NULL for any.
-- name: SyncInstancesToDelete
SELECT id FROM sync_instances
WHERE environment_id = ?1 AND integration_id = ?2 AND (?3 IS NULL OR connection_ref = ?3)
    AND (?4 IS NULL OR sync_name = ?4) AND (?5 IS NULL OR variant = ?5);

-- ?1 is a JSON array of ids.
-- name: DeleteSyncInstances
DELETE FROM sync_instances WHERE id IN (SELECT value FROM json_each(?1));

-- Up to ?2 due instances, environments taking turns: each environment's
-- soonest ?2 (the per-environment subquery keeps one environment's
-- backlog from being sorted whole), ranked within their environment, then
-- ranks first. Write transactions are serialised, so no two claims race.
-- name: DueSyncInstances
SELECT id FROM (
    SELECT d.id, d.next_run_at, row_number() OVER (PARTITION BY d.environment_id ORDER BY d.next_run_at, d.id) AS turn
    FROM environments e JOIN sync_instances d ON d.id IN (
        SELECT x.id FROM sync_instances x
        WHERE x.environment_id = e.id AND x.enabled AND x.queue_token IS NULL AND x.next_run_at IS NOT NULL AND x.next_run_at <= ?1
        ORDER BY x.next_run_at, x.id LIMIT ?2)
)
ORDER BY turn, next_run_at, id
LIMIT ?2;

-- name: ClaimSyncInstance
UPDATE sync_instances SET queue_token = ?, queued_at = ?, run_options = NULL, next_run_at = NULL, updated_at = ?
WHERE id = ?;

-- A run looks dead when its lease expired before ?1, or when it was queued
-- before ?2 and no lease ever took it.
-- name: StaleSyncInstances
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE (s.lease_until IS NOT NULL AND s.lease_until < ?1)
    OR (s.queued_at IS NOT NULL AND s.lease_until IS NULL AND s.queued_at < ?2)
ORDER BY s.id
LIMIT ?3;

-- name: GetSyncCheckpoint
SELECT checkpoint FROM sync_instances WHERE id = ?;

-- name: SetSyncCheckpoint
UPDATE sync_instances SET checkpoint = ? WHERE id = ?;

-- name: HoldSyncLease
-- Extends the lease if its owner still holds it (one row) and none
-- otherwise. SQLite has one writer: the transaction this runs in excludes
-- every other until it commits.
UPDATE sync_instances SET lease_until = ? WHERE id = ? AND lease_owner = ?;

-- name: ListSealedSyncInstances
SELECT id, checkpoint FROM sync_instances WHERE checkpoint IS NOT NULL;

-- name: ResealSyncInstance
UPDATE sync_instances SET checkpoint = ? WHERE id = ?;

-- Sync runs. Reads return the columns in InsertSyncRun's order.

-- name: InsertSyncRun
INSERT INTO sync_runs (id, instance_id, generation, node, started_at, ended_at, status, result, error)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: FinishSyncRun
UPDATE sync_runs SET status = ?, result = ?, error = ?, ended_at = ? WHERE id = ?;

-- The newest ?2, oldest first.
-- name: ListSyncRuns
SELECT id, instance_id, generation, node, started_at, ended_at, status, result, error FROM (
    SELECT * FROM sync_runs WHERE instance_id = ?1 ORDER BY started_at DESC, id DESC LIMIT ?2)
ORDER BY started_at, id;

-- name: DeleteSyncRunsBefore
DELETE FROM sync_runs WHERE ended_at < ?;
