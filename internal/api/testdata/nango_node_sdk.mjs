// Drives @nangohq/node, unchanged, against a running Patchbay: one case per
// SDK method (or form of a method), each asserting on what the method
// returns. TestNangoNodeSDK (sdk_node_test.go) starts the server, creates
// the fixture it describes in PATCHBAY_SDK_FIXTURE, runs this script with
// node and reads one JSON line per case: {"case", "ok", "error"?}.
//
// PATCHBAY_NANGO_NODE is a directory holding node_modules/@nangohq/node
// (npm install --prefix <dir> @nangohq/node@<version>); the SDK is not
// part of this repository.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';

const fx = JSON.parse(process.env.PATCHBAY_SDK_FIXTURE);
const require = createRequire(path.join(process.env.PATCHBAY_NANGO_NODE, 'package.json'));
const { Nango } = require('@nangohq/node');

// The headers of the last answer, to check what Patchbay says it ignored.
let lastHeaders = {};
const nango = new Nango(
    { host: fx.host, apiKey: fx.secretKey },
    {
        interceptors: {
            response: {
                onFulfilled: (res) => {
                    lastHeaders = res.headers;
                    return res;
                },
                onRejected: (err) => {
                    lastHeaders = err?.response?.headers ?? {};
                    return Promise.reject(err);
                }
            }
        }
    }
);

const key = fx.integration;
const conn = fx.connection;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// poll calls fn until it returns a truthy value, for work the server does
// in the background (sync runs, async actions).
async function poll(what, fn) {
    const deadline = Date.now() + 30000;
    for (;;) {
        const v = await fn();
        if (v) {
            return v;
        }
        if (Date.now() > deadline) {
            throw new Error('timed out waiting for ' + what);
        }
        await sleep(100);
    }
}

// status is the one sync instance of the items sync (variant as given).
async function itemsStatus(variant) {
    const res = await nango.syncStatus(key, [variant ? { name: fx.sync, variant } : fx.sync], conn);
    assert.equal(res.syncs.length, 1, JSON.stringify(res));
    return res.syncs[0];
}

function ignored() {
    return lastHeaders['x-patchbay-ignored'];
}

function jwtClaims(token) {
    const parts = token.split('.');
    assert.equal(parts.length, 3, 'a JWT has three parts: ' + token);
    return JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
}

let accessToken;
let issueNumber;

// The table: in order, since later cases build on earlier ones (the
// connection is deleted last).
const cases = [
    ['listProviders', async () => {
        const res = await nango.listProviders({ search: 'github' });
        assert.ok(res.data.length > 0);
        assert.ok(res.data.every((p) => p.name.includes('github') || p.display_name.toLowerCase().includes('github')), JSON.stringify(res.data.map((p) => p.name)));
    }],
    ['getProvider', async () => {
        const res = await nango.getProvider({ provider: 'github' });
        assert.equal(res.data.name, 'github');
        assert.equal(res.data.auth_mode, 'OAUTH2');
    }],
    ['listIntegrations', async () => {
        const res = await nango.listIntegrations();
        assert.deepEqual(res.configs.map((c) => c.unique_key).sort(), [fx.appIntegration, key].sort());
    }],
    ['getIntegration', async () => {
        const res = await nango.getIntegration({ uniqueKey: key }, { include: ['webhook'] });
        assert.equal(res.data.unique_key, key);
        assert.equal(res.data.provider, 'github');
        assert.match(res.data.webhook_url, /\/webhook\/.+\/github$/);
    }],
    ['createIntegration', async () => {
        const res = await nango.createIntegration({
            unique_key: 'sdk-created', provider: 'github', display_name: 'Created by the SDK', forward_webhooks: true,
            credentials: { type: 'OAUTH2', client_id: 'cid', client_secret: 'csecret', scopes: 'repo,user' }
        });
        assert.equal(res.data.unique_key, 'sdk-created');
        assert.equal(res.data.display_name, 'Created by the SDK');
        assert.equal(ignored(), 'forward_webhooks');
    }],
    ['updateIntegration', async () => {
        const res = await nango.updateIntegration({ uniqueKey: 'sdk-created' }, { display_name: 'Renamed' });
        assert.equal(res.data.display_name, 'Renamed');
        assert.equal(ignored(), undefined);
    }],
    ['deleteIntegration', async () => {
        const res = await nango.deleteIntegration('sdk-created');
        assert.equal(res.status, 200);
        assert.deepEqual(res.data, { success: true });
        await assert.rejects(nango.getIntegration({ uniqueKey: 'sdk-created' }), (err) => err.response.status === 404);
    }],
    ['listConnections', async () => {
        const res = await nango.listConnections();
        const mine = res.connections.find((c) => c.connection_id === conn);
        assert.ok(mine, JSON.stringify(res));
        assert.equal(mine.provider_config_key, key);
        assert.equal(mine.provider, 'github');
    }],
    ['listConnections(params)', async () => {
        const res = await nango.listConnections({ connectionId: conn, integrationId: key, limit: 10 });
        assert.deepEqual(res.connections.map((c) => c.connection_id), [conn]);
        const both = await nango.listConnections({ integrationId: [key, fx.appIntegration] });
        assert.deepEqual(both.connections.map((c) => c.connection_id).sort(), [conn, fx.appConnection].sort());
    }],
    ['listConnections(legacy queries)', async () => {
        // The connection has no end user yet, so no organization.
        const res = await nango.listConnections(conn, undefined, { endUserOrganizationId: 'org-1' });
        assert.deepEqual(res.connections, []);
        assert.equal(ignored(), undefined);
    }],
    ['getConnection', async () => {
        const res = await nango.getConnection(key, conn);
        assert.equal(res.connection_id, conn);
        assert.equal(res.provider_config_key, key);
        assert.equal(res.credentials.type, 'OAUTH2');
        assert.equal(typeof res.credentials.access_token, 'string');
        assert.equal(res.credentials.refresh_token, undefined);
        assert.equal(res.credentials.jwtToken, undefined);
        assert.equal(ignored(), undefined);
        accessToken = res.credentials.access_token;
    }],
    ['getConnection(refreshToken)', async () => {
        const res = await nango.getConnection(key, conn, false, true);
        assert.equal(res.credentials.access_token, accessToken);
        assert.equal(typeof res.credentials.refresh_token, 'string');
    }],
    ['getConnection(refreshGithubAppJwtToken)', async () => {
        const res = await nango.getConnection(fx.appIntegration, fx.appConnection, false, false, true);
        assert.equal(res.credentials.type, 'APP');
        assert.equal(res.credentials.access_token, fx.appAccessToken);
        const claims = jwtClaims(res.credentials.jwtToken);
        assert.equal(claims.iss, fx.appId);
        assert.ok(claims.exp > Date.now() / 1000, JSON.stringify(claims));
    }],
    ['getToken', async () => {
        assert.equal(await nango.getToken(key, conn), accessToken);
    }],
    ['getToken(forceRefresh)', async () => {
        const fresh = await nango.getToken(key, conn, true);
        assert.equal(typeof fresh, 'string');
        assert.notEqual(fresh, accessToken);
        accessToken = fresh;
    }],
    ['getToken(app)', async () => {
        const creds = await nango.getToken(fx.appIntegration, fx.appConnection, false, true);
        assert.equal(creds.type, 'APP');
        assert.equal(jwtClaims(creds.jwtToken).iss, fx.appId);
    }],
    ['getRawTokenResponse', async () => {
        const raw = await nango.getRawTokenResponse(key, conn);
        assert.equal(raw.access_token, accessToken);
    }],
    ['setMetadata', async () => {
        const res = await nango.setMetadata(key, conn, { team: 'core', count: 25 });
        assert.deepEqual(res.data.metadata, { team: 'core', count: 25 });
        assert.deepEqual(await nango.getMetadata(key, conn), { team: 'core', count: 25 });
    }],
    ['updateMetadata', async () => {
        const res = await nango.updateMetadata(key, [conn], { region: 'eu' });
        assert.deepEqual(res.data.connection_id, [conn]);
        assert.deepEqual(await nango.getMetadata(key, conn), { team: 'core', count: 25, region: 'eu' });
    }],
    ['getMetadata', async () => {
        assert.equal((await nango.getMetadata(key, conn)).region, 'eu');
    }],
    ['patchConnection', async () => {
        const res = await nango.patchConnection({ connectionId: conn, provider_config_key: key }, { tags: { plan: 'pro' }, webhook_url_override: 'https://example.com/hook' });
        assert.deepEqual(res.tags, { plan: 'pro' });
        assert.equal(ignored(), 'webhook_url_override');
    }],
    ['waitForConnection', async () => {
        await nango.patchConnection({ connectionId: conn, provider_config_key: key }, { end_user: { id: 'user-9', email: 'u9@example.com', organization: { id: 'org-9' } } });
        const found = await nango.waitForConnection(key, 'user-9');
        assert.equal(found.connection_id, conn);
        assert.equal(found.end_user.id, 'user-9');
        const byOrg = await nango.listConnections(undefined, undefined, { endUserOrganizationId: 'org-9' });
        assert.deepEqual(byOrg.connections.map((c) => c.connection_id), [conn]);
    }],
    ['createConnectSession', async () => {
        const res = await nango.createConnectSession({ end_user: { id: 'user-1', email: 'u@example.com' }, allowed_integrations: [key], tags: { plan: 'pro' } });
        assert.match(res.data.token, /^nango_connect_session_[0-9a-f]{64}$/);
        assert.ok(new Date(res.data.expires_at) > new Date());
        assert.match(res.data.connect_link, /connect/);
    }],
    ['createReconnectSession', async () => {
        const res = await nango.createReconnectSession({ connection_id: conn, integration_id: key, end_user: { id: 'user-1' } });
        assert.match(res.data.token, /^nango_connect_session_/);
    }],
    ['get (proxy)', async () => {
        const res = await nango.get({ endpoint: '/user', providerConfigKey: key, connectionId: conn, retries: 2 });
        assert.equal(res.status, 200);
        assert.equal(res.data.login, 'octocat');
    }],
    ['post (proxy)', async () => {
        const res = await nango.post({ endpoint: '/repos/octocat/hello-world/issues', providerConfigKey: key, connectionId: conn, data: { title: 'Filed through the SDK' } });
        assert.equal(res.status, 201);
        assert.equal(res.data.title, 'Filed through the SDK');
        issueNumber = res.data.number;
    }],
    ['patch (proxy)', async () => {
        const res = await nango.patch({ endpoint: `/repos/octocat/hello-world/issues/${issueNumber}`, providerConfigKey: key, connectionId: conn, data: { state: 'closed' } });
        assert.equal(res.status, 200);
        assert.equal(res.data.number, issueNumber);
        assert.equal(res.data.state, 'closed');
    }],
    ['proxy (params)', async () => {
        const res = await nango.proxy({ method: 'GET', endpoint: '/repos/octocat/hello-world/issues', params: { per_page: '2' }, providerConfigKey: key, connectionId: conn });
        assert.equal(res.status, 200);
        assert.equal(res.data.length, 2);
    }],
    ['triggerAction', async () => {
        const out = await nango.triggerAction(key, conn, fx.action, { text: 'hello' });
        assert.deepEqual(out, { echoed: 'hello' });
    }],
    ['triggerActionAsync', async () => {
        const started = await nango.triggerActionAsync(key, conn, fx.action, { text: 'later' });
        assert.match(started.statusUrl, /^\/action\//);
        const out = await poll('the async action', async () => {
            const r = await nango.getAsyncActionResult(started);
            return r && r.echoed ? r : null;
        });
        assert.deepEqual(out, { echoed: 'later' });
    }],
    ['getScriptsConfig', async () => {
        const res = await nango.getScriptsConfig();
        assert.ok(Array.isArray(res));
        const cfg = res.find((c) => c.providerConfigKey === key);
        assert.equal(cfg.provider, 'github');
        assert.deepEqual(cfg.actions.map((a) => a.name), [fx.action]);
        assert.deepEqual(cfg.syncs.map((s) => s.name), [fx.sync]);
    }],
    ['getScriptsConfig(openai)', async () => {
        const res = await nango.getScriptsConfig('openai');
        const byName = Object.fromEntries(res.data.map((f) => [f.name, f]));
        assert.deepEqual(Object.keys(byName).sort(), [fx.action, fx.sync].sort());
        const action = byName[fx.action];
        assert.equal(action.parameters.type, 'object');
        assert.deepEqual(action.parameters.required, ['text']);
        assert.equal(action.parameters.properties.text.type, 'string');
        assert.equal(action.parameters.properties.text.description, 'The text to echo');
        assert.match(action.description, /^Echoes its input/);
        assert.deepEqual(byName[fx.sync].parameters, { type: 'object', properties: {}, required: [] });
    }],
    ['syncStatus', async () => {
        const s = await poll('the first sync run', async () => {
            const st = await itemsStatus();
            return st.status === 'SUCCESS' && st.finishedAt ? st : null;
        });
        assert.equal(s.name, fx.sync);
        assert.equal(s.recordCount[fx.model], 25);
        const all = await nango.syncStatus(key, '*', conn);
        assert.ok(all.syncs.some((x) => x.name === fx.sync));
    }],
    ['listRecords', async () => {
        const first = await nango.listRecords({ providerConfigKey: key, connectionId: conn, model: fx.model, limit: 10 });
        assert.equal(first.records.length, 10);
        assert.ok(first.next_cursor);
        assert.equal(first.records[0]._nango_metadata.last_action, 'ADDED');
        const rest = await nango.listRecords({ providerConfigKey: key, connectionId: conn, model: fx.model, cursor: first.next_cursor, limit: 100 });
        assert.equal(rest.records.length, 15);
        assert.equal(rest.next_cursor, null);
        const some = await nango.listRecords({ providerConfigKey: key, connectionId: conn, model: fx.model, ids: ['item-1', 'item-2'] });
        assert.deepEqual(some.records.map((r) => r.id).sort(), ['item-1', 'item-2']);
    }],
    ['triggerSync', async () => {
        const before = (await itemsStatus()).finishedAt;
        const res = await nango.triggerSync(key, [fx.sync], conn, { reset: false });
        assert.deepEqual(res.data, { success: true });
        await poll('the triggered run', async () => {
            const st = await itemsStatus();
            return st.status === 'SUCCESS' && st.finishedAt !== before;
        });
    }],
    ['triggerSync(legacy syncMode)', async () => {
        const res = await nango.triggerSync(key, [fx.sync], conn, 'incremental');
        assert.deepEqual(res.data, { success: true });
    }],
    ['pauseSync', async () => {
        const res = await nango.pauseSync(key, [fx.sync], conn);
        assert.deepEqual(res.data, { success: true });
        await poll('the paused status', async () => (await itemsStatus()).status === 'PAUSED');
    }],
    ['startSync', async () => {
        const res = await nango.startSync(key, [fx.sync], conn);
        assert.deepEqual(res.data, { success: true });
        assert.notEqual((await itemsStatus()).status, 'PAUSED');
    }],
    ['updateSyncConnectionFrequency', async () => {
        const res = await nango.updateSyncConnectionFrequency(key, fx.sync, conn, 'every 2 hours');
        // Normalised, as Nango normalises it too.
        assert.deepEqual(res, { frequency: 'every 2h' });
        assert.equal((await itemsStatus()).frequency, 'every 2h');
        const reverted = await nango.updateSyncConnectionFrequency(key, fx.sync, conn, null);
        assert.deepEqual(reverted, { frequency: 'every hour' });
    }],
    ['createSyncVariant', async () => {
        const res = await nango.createSyncVariant({ provider_config_key: key, connection_id: conn, name: fx.sync, variant: 'v2' });
        assert.equal(res.name, fx.sync);
        assert.equal(res.variant, 'v2');
        const st = await itemsStatus('v2'); // syncStatus sends it as items::v2
        assert.equal(st.variant, 'v2');
    }],
    ['deleteSyncVariant', async () => {
        const res = await nango.deleteSyncVariant({ provider_config_key: key, connection_id: conn, name: fx.sync, variant: 'v2' });
        assert.deepEqual(res, { success: true });
        const all = await nango.syncStatus(key, '*', conn);
        assert.ok(all.syncs.every((s) => s.variant !== 'v2'), JSON.stringify(all));
    }],
    ['pruneRecords', async () => {
        const page = await nango.listRecords({ providerConfigKey: key, connectionId: conn, model: fx.model, limit: 5 });
        const res = await nango.pruneRecords({ providerConfigKey: key, connectionId: conn, model: fx.model, untilCursor: page.next_cursor });
        assert.equal(res.count, 5);
        assert.equal(res.has_more, false);
    }],
    ['deleteConnection', async () => {
        const res = await nango.deleteConnection(key, conn);
        assert.equal(res.status, 204);
        await assert.rejects(nango.getConnection(key, conn), (err) => err.response.status === 404 && err.response.data.error.code === 'unknown_connection');
    }]
];

for (const [name, run] of cases) {
    let line;
    try {
        await run();
        line = { case: name, ok: true };
    } catch (err) {
        const res = err?.response;
        const answer = res ? ` (answer: ${res.status} ${JSON.stringify(res.data)})` : '';
        line = { case: name, ok: false, error: `${err?.stack ?? err}${answer}` };
    }
    process.stdout.write(JSON.stringify(line) + '\n');
}
