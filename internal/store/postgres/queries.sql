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
-- JSON object of tags that must all be present; $9 a JSON array of
-- integration keys, one of which must match.
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
    AND ($9::jsonb IS NULL OR i.unique_key IN (SELECT jsonb_array_elements_text($9::jsonb)))
    AND ($10::text IS NULL OR c.end_user->'organization'->>'id' = $10::text)
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

-- A function is keyed by integration, type and name (an action and a sync
-- may share a name). A redeploy keeps the row's id and created_at, which
-- RETURNING hands back.
-- name: UpsertDeployment
INSERT INTO deployments (id, environment_id, integration_id, name, type, version, source_hash, bundle,
    definition, source_map, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
ON CONFLICT (integration_id, type, name) DO UPDATE SET version = excluded.version,
    source_hash = excluded.source_hash, bundle = excluded.bundle, definition = excluded.definition,
    source_map = excluded.source_map, updated_at = excluded.updated_at
RETURNING id, created_at;

-- name: GetDeployment
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = $1 AND i.unique_key = $2 AND d.type = $3 AND d.name = $4;

-- $2 is NULL for every integration.
-- name: ListDeployments
SELECT d.id, d.environment_id, i.unique_key, d.name, d.type, d.version, d.source_hash, d.bundle,
    d.definition, d.source_map, d.created_at, d.updated_at
FROM deployments d JOIN integrations i ON i.id = d.integration_id
WHERE i.environment_id = $1 AND ($2::text IS NULL OR i.unique_key = $2::text)
ORDER BY i.unique_key, d.name, d.type;

-- name: DeleteDeployment
DELETE FROM deployments
WHERE integration_id = (SELECT id FROM integrations WHERE environment_id = $1 AND unique_key = $2)
    AND type = $3 AND name = $4;

-- Action runs. Every read returns the columns in InsertActionRun's order.

-- name: DeleteExpiredActionRunByKey
DELETE FROM action_runs WHERE environment_id = $1 AND idempotency_key = $2 AND expires_at <= $3;

-- A live holder of the idempotency key, committed or not, makes this insert
-- nothing: a concurrent insert of the same key waits for the other
-- transaction and then finds the row ActionRunByKey reads.
-- name: InsertActionRun
INSERT INTO action_runs (id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
ON CONFLICT (environment_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING;

-- name: ActionRunByKey
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = $1 AND idempotency_key = $2;

-- name: GetActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = $1 AND id = $2;

-- GetActionRun inside a read-modify-write transaction; the row lock makes
-- concurrent updates apply one after the other.
-- name: LockActionRun
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs WHERE environment_id = $1 AND id = $2
FOR UPDATE;

-- name: UpdateActionRun
UPDATE action_runs SET status = $1, output = $2, error = $3, async = $4, attempts = $5, max_retries = $6,
    updated_at = $7, expires_at = $8, owner = $9, heartbeat_at = $10
WHERE id = $11;

-- Runs whose attempt stopped saying it is alive: running, with a
-- heartbeat before $1 (runs started by a node that did not send
-- heartbeats have none, and are left to the job queue's rescue).
-- name: StaleActionRuns
SELECT id, environment_id, integration_key, connection_id, action_name, idempotency_key,
    request_hash, input, status, output, error, async, attempts, max_retries, created_at, updated_at, expires_at,
    owner, heartbeat_at
FROM action_runs
WHERE status = 'running' AND heartbeat_at < $1
ORDER BY heartbeat_at
LIMIT $2;

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

-- Records. A list parameter (ids, actions) is a Go slice bound as an array:
-- one statement whatever the number of ids. Batch statements
-- (UpsertRecords, DeleteRecords, ResealRecords) take their rows as arrays,
-- one per column, unnested: a batch of any size is one round trip.
--
-- Lookups by id are written so that no plan can scan a scope: the ids are
-- the outer loop, each probing the primary key in a LATERAL subquery (LIMIT 1
-- keeps PostgreSQL from flattening it into a join it may reorder). Without
-- that, a table not yet analysed (a first backfill) gets a scope estimated at
-- one row, and a plan that filters the whole scope by "= ANY(ids)" for every
-- batch. Updates then reach the rows found by their ctid (a Tid Scan). A ctid
-- is stable here because every statement that changes a scope's records
-- holds the scope's row in record_scopes.

-- Takes the scope's row at a transaction's first write to the scope and
-- returns its last cursor. The row lock, held to commit, serialises the
-- scope's writers, so cursors become visible in the order they were given.
-- name: LockRecordScope
INSERT INTO record_scopes (connection_ref, model, variant, environment_id, last_cursor, live)
VALUES ($1, $2, $3, $4, 0, 0)
ON CONFLICT (connection_ref, model, variant) DO UPDATE SET last_cursor = record_scopes.last_cursor
RETURNING id, last_cursor;

-- name: SaveRecordScope
UPDATE record_scopes SET last_cursor = $1, live = live + $2
WHERE connection_ref = $3 AND model = $4 AND variant = $5;

-- name: ExistingRecords
SELECT r.external_id, r.hash, r.deleted_at IS NOT NULL, r.cursor
FROM unnest($4::text[]) AS i (id)
CROSS JOIN LATERAL (SELECT external_id, hash, deleted_at, cursor FROM records
    WHERE connection_ref = $1 AND model = $2 AND variant = $3 AND external_id = i.id LIMIT 1) AS r;

-- $1-$7 are the batch's (environment, scope, now, generation, scope id);
-- $8-$12 the rows' (id, cursor, payload, hash, action). A conflict is an update or an
-- undelete: first_seen_at stays.
-- name: UpsertRecords
INSERT INTO records (environment_id, connection_ref, model, variant, external_id, scope_id, cursor, payload, hash,
    first_seen_at, last_modified_at, last_action, deleted_at, generation, last_seen_at)
SELECT $1::uuid, $2::uuid, $3::text, $4::text, r.id, $7::bigint, r.cursor, r.payload, r.hash, $5::timestamptz,
    $5::timestamptz, r.action, NULL, $6::bigint, $5::timestamptz
FROM unnest($8::text[], $9::bigint[], $10::bytea[], $11::text[], $12::text[]) AS r (id, cursor, payload, hash, action)
ON CONFLICT (connection_ref, model, variant, external_id) DO UPDATE SET cursor = excluded.cursor,
    payload = excluded.payload, hash = excluded.hash, last_modified_at = excluded.last_modified_at,
    last_action = excluded.last_action, deleted_at = NULL, generation = excluded.generation,
    last_seen_at = excluded.last_seen_at;

-- Unchanged records: seen (generation, and last_seen_at $6 for retention),
-- not modified. Neither column is indexed, so this stays a heap-only
-- update.
-- name: TouchRecords
UPDATE records SET generation = $1, last_seen_at = $6
FROM (SELECT r.tid FROM unnest($5::text[]) AS i (id)
      CROSS JOIN LATERAL (SELECT ctid AS tid FROM records
          WHERE connection_ref = $2 AND model = $3 AND variant = $4 AND external_id = i.id LIMIT 1) AS r) AS seen
WHERE records.ctid = seen.tid;

-- Unchanged records saved before digests were keyed: $4-$5 are the rows'
-- (id, keyed digest).
-- name: RehashRecords
UPDATE records SET hash = x.hash
FROM (SELECT r.tid, u.hash FROM unnest($4::text[], $5::text[]) AS u (id, hash)
      CROSS JOIN LATERAL (SELECT ctid AS tid FROM records
          WHERE connection_ref = $1 AND model = $2 AND variant = $3 AND external_id = u.id LIMIT 1) AS r) AS x
WHERE records.ctid = x.tid;

-- name: RecordPayloads
SELECT r.external_id, r.payload
FROM unnest($4::text[]) AS i (id)
CROSS JOIN LATERAL (SELECT external_id, payload, deleted_at FROM records
    WHERE connection_ref = $1 AND model = $2 AND variant = $3 AND external_id = i.id LIMIT 1) AS r
WHERE r.deleted_at IS NULL AND r.payload IS NOT NULL;

-- $1-$5 are the batch's (now, generation, scope); $6-$7 the rows' (id,
-- cursor).
-- name: DeleteRecords
UPDATE records SET last_action = 'DELETED', deleted_at = $1, last_modified_at = $1, last_seen_at = $1, generation = $2, cursor = d.cursor
FROM (SELECT r.tid, u.cursor FROM unnest($6::text[], $7::bigint[]) AS u (id, cursor)
      CROSS JOIN LATERAL (SELECT ctid AS tid FROM records
          WHERE connection_ref = $3 AND model = $4 AND variant = $5 AND external_id = u.id AND deleted_at IS NULL
          LIMIT 1) AS r) AS d
WHERE records.ctid = d.tid;

-- The live records not seen since generation $6 get the cursors after $2,
-- in their current cursor order.
-- name: DeleteUnseenRecords
UPDATE records SET last_action = 'DELETED', deleted_at = $1, last_modified_at = $1, last_seen_at = $1, cursor = $2 + unseen.n
FROM (SELECT ctid AS tid, row_number() OVER (ORDER BY cursor) AS n FROM records
      WHERE connection_ref = $3 AND model = $4 AND variant = $5 AND deleted_at IS NULL AND generation < $6) AS unseen
WHERE records.ctid = unseen.tid;

-- Filters are NULL when unset; ListRecordsByIDs is this query when ids are
-- given.
-- name: ListRecords
SELECT external_id, payload, first_seen_at, last_modified_at, last_action, deleted_at, cursor
FROM records
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = $1 AND model = $2 AND variant = $3)
    AND cursor > $4
    AND ($5::timestamptz IS NULL OR last_modified_at >= $5::timestamptz)
    AND ($6::text[] IS NULL OR last_action = ANY($6::text[]))
ORDER BY cursor
LIMIT $7;

-- The ids ($8, without duplicates) are looked up, not searched for in the
-- scope's pages.
-- name: ListRecordsByIDs
SELECT r.external_id, r.payload, r.first_seen_at, r.last_modified_at, r.last_action, r.deleted_at, r.cursor
FROM unnest($8::text[]) AS i (id)
CROSS JOIN LATERAL (SELECT * FROM records
    WHERE connection_ref = $1 AND model = $2 AND variant = $3 AND external_id = i.id LIMIT 1) AS r
WHERE r.cursor > $4
    AND ($5::timestamptz IS NULL OR r.last_modified_at >= $5::timestamptz)
    AND ($6::text[] IS NULL OR r.last_action = ANY($6::text[]))
ORDER BY r.cursor
LIMIT $7;

-- name: RecordCounts
SELECT model, live FROM record_scopes WHERE connection_ref = $1 AND variant = $2;

-- Takes the rows of the scopes a prune or purge changes (see above); NULL
-- model or variant for all.
-- name: LockRecordScopes
SELECT last_cursor FROM record_scopes
WHERE connection_ref = $1 AND ($2::text IS NULL OR model = $2::text) AND ($3::text IS NULL OR variant = $3::text)
ORDER BY model, variant
FOR UPDATE;

-- name: LockAllRecordScopes
SELECT last_cursor FROM record_scopes ORDER BY connection_ref, model, variant FOR UPDATE;

-- The $5 oldest unpruned records up to cursor $4.
-- name: PruneRecords
-- The hash goes too, so saving the same record again restores its payload.
UPDATE records SET payload = NULL, hash = ''
WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = $1 AND model = $2 AND variant = $3)
    AND cursor IN (SELECT cursor FROM records
        WHERE scope_id = (SELECT id FROM record_scopes WHERE connection_ref = $1 AND model = $2 AND variant = $3)
            AND cursor <= $4 AND payload IS NOT NULL ORDER BY cursor LIMIT $5);

-- Up to $5 records of a connection, narrowed when $2, $3, $4 are set;
-- returns each one's scope and whether it was live, for the scopes' counts.
-- name: PurgeRecords
DELETE FROM records WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM records
    WHERE connection_ref = $1 AND ($2::text IS NULL OR model = $2::text) AND ($3::text IS NULL OR variant = $3::text)
        AND ($4::timestamptz IS NULL OR last_seen_at < $4::timestamptz)
    LIMIT $5))
RETURNING model, variant, deleted_at IS NULL;

-- name: ReleaseRecordLive
UPDATE record_scopes SET live = live - $1 WHERE connection_ref = $2 AND model = $3 AND variant = $4;

-- The connections of environment $1 that are gone but still have scopes.
-- name: OrphanRecordConnections
SELECT DISTINCT connection_ref FROM record_scopes
WHERE environment_id = $1 AND NOT EXISTS (SELECT 1 FROM connections c WHERE c.id = record_scopes.connection_ref);

-- name: ConnectionExists
SELECT EXISTS (SELECT 1 FROM connections WHERE id = $1);

-- name: ListRecordScopes
SELECT model, variant, last_cursor FROM record_scopes
WHERE connection_ref = $1 AND ($2::text IS NULL OR model = $2::text) AND ($3::text IS NULL OR variant = $3::text);

-- Drops an emptied scope of a deleted connection. last_cursor must be the
-- one read: a writer that wrote meanwhile moved it (the row's re-check
-- after the writer's commit sees that), and keeps its scope.
-- name: DeleteRecordScope
DELETE FROM record_scopes
WHERE connection_ref = $1 AND model = $2 AND variant = $3 AND last_cursor = $4
    AND NOT EXISTS (SELECT 1 FROM records r WHERE r.connection_ref = $1 AND r.model = $2 AND r.variant = $3);

-- Key rotation pages through every payload in key order; $5 is true for the
-- first page.
-- name: ListSealedRecords
SELECT connection_ref, model, variant, external_id, payload FROM records
WHERE ($5::boolean OR (connection_ref, model, variant, external_id) > ($1::uuid, $2::text, $3::text, $4::text))
    AND payload IS NOT NULL
ORDER BY connection_ref, model, variant, external_id
LIMIT $6;

-- name: ResealRecords
UPDATE records SET payload = x.payload, hash = x.hash
FROM (SELECT r.tid, u.payload, u.hash
      FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[]) AS u (connection_ref, model, variant, id, payload, hash)
      CROSS JOIN LATERAL (SELECT ctid AS tid FROM records
          WHERE connection_ref = u.connection_ref::uuid AND model = u.model AND variant = u.variant AND external_id = u.id
          LIMIT 1) AS r) AS x
WHERE records.ctid = x.tid;

-- Sync instances. Every read returns the same columns, in this order, joined
-- with the integration for its key and the connection for its id:
-- id, environment_id, integration_id, unique_key, connection_ref,
-- connection_id, sync_name, variant, then the mutable columns in
-- UpdateSyncInstance's order, then created_at, updated_at.

-- name: ConnectionOwner
SELECT environment_id, integration_id FROM connections WHERE id = $1;

-- name: InsertSyncInstance
INSERT INTO sync_instances (id, environment_id, integration_id, connection_ref, sync_name, variant,
    enabled, started, frequency_ms, next_run_at, queue_token, queued_at, run_options, lease_owner, lease_until,
    generation, run_id, run_type, run_started_at, run_result, last_status, last_error, finished_at,
    last_success_at, failures, latest_result, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
    $23, $24, $25, $26, $27, $28)
ON CONFLICT (connection_ref, sync_name, variant) DO NOTHING;

-- name: SyncInstanceByKey
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.connection_ref = $1 AND s.sync_name = $2 AND s.variant = $3;

-- name: GetSyncInstance
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = $1 AND s.id = $2;

-- GetSyncInstance inside a read-modify-write transaction: the row lock
-- makes concurrent updates (a run's heartbeat and a pause) apply one after
-- the other instead of one losing the other's change.
-- name: LockSyncInstance
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = $1 AND s.id = $2
FOR UPDATE OF s;

-- name: SyncInstancesByIDs
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.id = ANY($1::text[]::uuid[]);

-- Filters are NULL when unset.
-- name: ListSyncInstances
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE s.environment_id = $1
    AND ($2::text IS NULL OR i.unique_key = $2::text)
    AND ($3::text IS NULL OR c.connection_id = $3::text)
    AND ($4::text[] IS NULL OR s.sync_name = ANY($4::text[]))
    AND ($5::text IS NULL OR s.variant = $5::text)
ORDER BY i.unique_key, c.connection_id, s.sync_name, s.variant;

-- name: UpdateSyncInstance
UPDATE sync_instances SET enabled = $1, started = $2, frequency_ms = $3, next_run_at = $4, queue_token = $5,
    queued_at = $6, run_options = $7, lease_owner = $8, lease_until = $9, generation = $10, run_id = $11,
    run_type = $12, run_started_at = $13, run_result = $14, last_status = $15, last_error = $16,
    finished_at = $17, last_success_at = $18, failures = $19, latest_result = $20, updated_at = $21
WHERE id = $22;

-- The instances Delete removes, locked: $3, $4 and $5 are NULL for any.
-- name: SyncInstancesToDelete
SELECT id FROM sync_instances
WHERE environment_id = $1 AND integration_id = $2 AND ($3::uuid IS NULL OR connection_ref = $3::uuid)
    AND ($4::text IS NULL OR sync_name = $4::text) AND ($5::text IS NULL OR variant = $5::text)
FOR UPDATE;

-- name: DeleteSyncInstances
DELETE FROM sync_instances WHERE id = ANY($1::text[]::uuid[]);

-- Up to $2 due instances, environments taking turns: each environment's
-- soonest $2 (the lateral subquery keeps one environment's backlog from
-- being sorted whole), ranked within their environment, then ranks first.
-- Rows another node is claiming are skipped, not waited for; one it claimed
-- since this statement's snapshot fails the re-check of enabled and
-- next_run_at on its new version, so no instance is claimed twice.
-- name: DueSyncInstances
SELECT s.id FROM sync_instances s
JOIN (
    SELECT d.id, d.next_run_at, row_number() OVER (PARTITION BY d.environment_id ORDER BY d.next_run_at, d.id) AS turn
    FROM environments e CROSS JOIN LATERAL (
        SELECT x.id, x.environment_id, x.next_run_at FROM sync_instances x
        WHERE x.environment_id = e.id AND x.enabled AND x.queue_token IS NULL AND x.next_run_at IS NOT NULL AND x.next_run_at <= $1
        ORDER BY x.next_run_at, x.id LIMIT $2) AS d
    ORDER BY turn, d.next_run_at, d.id
    LIMIT $2
) AS due ON due.id = s.id
WHERE s.enabled AND s.next_run_at <= $1
ORDER BY due.turn, due.next_run_at, due.id
FOR UPDATE OF s SKIP LOCKED;

-- name: ClaimSyncInstance
UPDATE sync_instances SET queue_token = $1, queued_at = $2, run_options = NULL, next_run_at = NULL, updated_at = $3
WHERE id = $4;

-- A run looks dead when its lease expired before $1, or when it was queued
-- before $2 and no lease ever took it.
-- name: StaleSyncInstances
SELECT s.id, s.environment_id, s.integration_id, i.unique_key, s.connection_ref, c.connection_id, s.sync_name, s.variant,
    s.enabled, s.started, s.frequency_ms, s.next_run_at, s.queue_token, s.queued_at, s.run_options, s.lease_owner,
    s.lease_until, s.generation, s.run_id, s.run_type, s.run_started_at, s.run_result, s.last_status, s.last_error,
    s.finished_at, s.last_success_at, s.failures, s.latest_result, s.created_at, s.updated_at
FROM sync_instances s JOIN integrations i ON i.id = s.integration_id JOIN connections c ON c.id = s.connection_ref
WHERE (s.lease_until IS NOT NULL AND s.lease_until < $1)
    OR (s.queued_at IS NOT NULL AND s.lease_until IS NULL AND s.queued_at < $2)
ORDER BY s.id
LIMIT $3;

-- name: GetSyncCheckpoint
SELECT checkpoint FROM sync_instances WHERE id = $1;

-- name: SetSyncCheckpoint
UPDATE sync_instances SET checkpoint = $1 WHERE id = $2;

-- name: HoldSyncLease
-- Extends the lease if its owner still holds it (one row) and none
-- otherwise; the row lock it takes keeps a takeover from committing
-- before the records transaction it guards ends.
UPDATE sync_instances SET lease_until = $1 WHERE id = $2 AND lease_owner = $3;

-- name: ListSealedSyncInstances
SELECT id, checkpoint FROM sync_instances WHERE checkpoint IS NOT NULL;

-- name: ResealSyncInstance
UPDATE sync_instances SET checkpoint = $1 WHERE id = $2;

-- Sync runs. Reads return the columns in InsertSyncRun's order.

-- name: InsertSyncRun
INSERT INTO sync_runs (id, instance_id, generation, node, started_at, ended_at, status, result, error)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9);

-- name: FinishSyncRun
UPDATE sync_runs SET status = $1, result = $2, error = $3, ended_at = $4 WHERE id = $5;

-- The newest $2, oldest first.
-- name: ListSyncRuns
SELECT id, instance_id, generation, node, started_at, ended_at, status, result, error FROM (
    SELECT * FROM sync_runs WHERE instance_id = $1 ORDER BY started_at DESC, id DESC LIMIT $2) AS newest
ORDER BY started_at, id;

-- name: DeleteSyncRunsBefore
DELETE FROM sync_runs WHERE ended_at < $1;
