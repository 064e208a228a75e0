// Our `nango` module: the definition helpers a function file calls at its
// top level, and the object its exec receives. Every method that touches
// the outside world is a host operation (host.js); this file only shapes
// arguments and results the way Nango's templates expect them.

import { call, callSync, HostError } from './host.js';

// ActionError is what a function throws to fail with a payload of its
// choosing; the caller receives the payload as is.
export class ActionError extends Error {
  constructor(payload) {
    const message = payload && typeof payload.message === 'string' ? payload.message : 'The action failed';
    super(message);
    this.name = 'ActionError';
    this.type = 'action_error';
    this.payload = payload === undefined ? {} : payload;
  }
}

// HttpError is thrown by the request methods for a provider answer with a
// status of 400 or more, shaped like the axios error templates inspect
// (error.response.status, error.response.data, error.status).
export class HttpError extends Error {
  constructor(response, config) {
    super(`Request failed with status code ${response.status}`);
    this.name = 'AxiosError';
    this.code = response.status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST';
    this.status = response.status;
    this.response = response;
    this.config = config;
  }
}

function define(type, what) {
  return (definition) => {
    if (definition === null || typeof definition !== 'object') {
      throw new TypeError(`${what} expects an object`);
    }
    const handler = type === 'sync' || type === 'on-event' ? definition.exec : definition.exec;
    if (typeof handler !== 'function') {
      throw new TypeError(`${what}: exec must be a function`);
    }
    return { ...definition, type };
  };
}

export const createAction = define('action', 'createAction');
export const createSync = define('sync', 'createSync');
export const createOnEvent = define('on-event', 'createOnEvent');

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

function stringMap(obj, what) {
  if (obj === undefined || obj === null) return undefined;
  if (typeof obj === 'string') {
    // params given as a query string: "a=1&b=2"
    const out = {};
    for (const [k, v] of new URLSearchParams(obj)) out[k] = v;
    return out;
  }
  if (typeof obj !== 'object') throw new TypeError(`${what} must be an object`);
  const out = {};
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === undefined || v === null) continue;
    out[key] = Array.isArray(v) ? v.map(String).join(',') : String(v);
  }
  return out;
}

// requestArgs turns a ProxyConfiguration into the host's request shape.
function requestArgs(config, method) {
  if (config === null || typeof config !== 'object') throw new TypeError('the request configuration must be an object');
  const m = String(method || config.method || 'GET').toUpperCase();
  if (!METHODS.includes(m)) throw new TypeError(`unsupported method ${m}`);
  if (typeof config.endpoint !== 'string' || config.endpoint === '') throw new TypeError('endpoint is required');
  const args = {
    method: m,
    endpoint: config.endpoint,
    headers: stringMap(config.headers, 'headers'),
    params: stringMap(config.params, 'params'),
    retries: typeof config.retries === 'number' ? config.retries : undefined,
    retryOn: Array.isArray(config.retryOn) ? config.retryOn.map(Number) : undefined,
    baseUrlOverride: typeof config.baseUrlOverride === 'string' ? config.baseUrlOverride : undefined,
    decompress: config.decompress === true || undefined,
    responseType: typeof config.responseType === 'string' ? config.responseType : undefined,
    providerConfigKey: config.providerConfigKey,
    connectionId: config.connectionId,
  };
  const data = config.data;
  if (data !== undefined && data !== null) {
    if (typeof data === 'string') {
      args.body = data;
    } else if (data instanceof Uint8Array) {
      args.bodyBase64 = Buffer.from(data).toString('base64');
    } else if (data instanceof ArrayBuffer) {
      args.bodyBase64 = Buffer.from(new Uint8Array(data)).toString('base64');
    } else if (typeof URLSearchParams === 'function' && data instanceof URLSearchParams) {
      args.body = data.toString();
      args.headers = { 'Content-Type': 'application/x-www-form-urlencoded', ...(args.headers || {}) };
    } else {
      args.json = data;
    }
  }
  return args;
}

function responseFrom(raw, config) {
  let data = raw.body;
  if (raw.bodyBase64 !== undefined) {
    data = Buffer.from(raw.bodyBase64, 'base64');
  } else if (raw.json) {
    try {
      data = raw.body === '' ? '' : JSON.parse(raw.body);
    } catch {
      // a provider that labels text as JSON: keep the text
    }
  }
  return { status: raw.status, statusText: raw.statusText || '', headers: raw.headers || {}, data, config };
}

// FetchResponse is the part of fetch's Response that code reading an
// uncontrolledFetch answer uses (QuickJS has no fetch); its headers are
// the global Headers.
class FetchResponse {
  #raw;
  constructor(raw, url) {
    this.#raw = raw;
    this.status = raw.status;
    this.statusText = raw.statusText || '';
    this.ok = raw.status >= 200 && raw.status < 300;
    this.headers = new Headers(raw.headers);
    this.url = url;
    this.redirected = false;
    this.type = 'basic';
    this.bodyUsed = false;
  }
  #consume() {
    if (this.bodyUsed) throw new TypeError('Body is unusable: Body has already been read');
    this.bodyUsed = true;
    const raw = this.#raw;
    return raw.bodyBase64 !== undefined ? Buffer.from(raw.bodyBase64, 'base64') : Buffer.from(raw.body || '', 'utf8');
  }
  async text() {
    const raw = this.#raw;
    if (raw.bodyBase64 === undefined) {
      this.#consume();
      return raw.body || '';
    }
    return new TextDecoder().decode(this.#consume());
  }
  async json() {
    return JSON.parse(await this.text());
  }
  async arrayBuffer() {
    const b = this.#consume();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }
  async bytes() {
    return new Uint8Array(await this.arrayBuffer());
  }
  clone() {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    return new FetchResponse(this.#raw, this.url);
  }
}

function formatLog(args) {
  return args
    .map((a) => {
      if (typeof a === 'string') return a;
      if (a instanceof Error) return a.stack ? `${a.name}: ${a.message}` : String(a);
      try {
        return JSON.stringify(a);
      } catch {
        return String(a);
      }
    })
    .join(' ');
}

const LEVELS = ['debug', 'info', 'warn', 'error'];

// Nango is the object a function's exec receives.
export class Nango {
  // #call reaches the host: the execution's, or a test mock's (vitest.js
  // passes one that names the mock).
  #call;

  constructor(info, transport) {
    this.#call = transport || call;
    this.connectionId = info.connectionId;
    this.providerConfigKey = info.providerConfigKey;
    this.provider = info.provider;
    this.environmentName = info.environmentName;
    this.syncId = info.syncId;
    this.variant = info.variant || 'base';
    this.lastSyncDate = info.lastSyncDate ? new Date(info.lastSyncDate) : undefined;
    this.ActionError = ActionError;
  }

  async proxy(config) {
    const raw = await this.#call('proxy', requestArgs(config));
    const response = responseFrom(raw, config);
    // A fixture's recorded error is handed over, as Nango's test mocks do.
    if (response.status >= 400 && !raw.recorded) throw new HttpError(response, config);
    return response;
  }

  get(config) {
    return this.proxy({ ...config, method: 'GET' });
  }

  post(config) {
    return this.proxy({ ...config, method: 'POST' });
  }

  put(config) {
    return this.proxy({ ...config, method: 'PUT' });
  }

  patch(config) {
    return this.proxy({ ...config, method: 'PATCH' });
  }

  delete(config) {
    return this.proxy({ ...config, method: 'DELETE' });
  }

  // paginate yields the records of each page; the pagination itself (the
  // provider's proxy.paginate merged under config.paginate) runs in Go.
  // config.paginate.on_page, a function, cannot go there: it is called
  // here after each page, as Nango's runtime does, with the provider's
  // answer, which Go sends only then. A refused page is thrown as
  // nango.proxy throws it.
  async *paginate(config) {
    const args = requestArgs(config);
    args.paginate = config.paginate || undefined;
    const onPage = config.paginate && typeof config.paginate.on_page === 'function' ? config.paginate.on_page : undefined;
    const { handle } = await this.#call('paginate.start', args);
    const next = onPage ? { handle, response: true } : { handle };
    try {
      for (;;) {
        const page = await this.#call('paginate.next', next);
        if (page.done) return;
        if (page.refused) throw new HttpError(responseFrom({ ...page.response, body: page.body }, config), config);
        yield page.data;
        if (onPage && page.onPage) {
          await onPage({ nextPageParam: page.next, response: responseFrom({ ...page.response, body: page.body }, config) });
        }
      }
    } finally {
      // However the loop ends (the last page, a break, a throw), the
      // pagination's slot is freed: a function may run many in turn.
      await this.#call('paginate.close', { handle });
    }
  }

  getConnection(providerConfigKey, connectionId) {
    return this.#call('getConnection', { providerConfigKey, connectionId });
  }

  getToken() {
    return this.#call('getToken', {});
  }

  getMetadata() {
    return this.#call('getMetadata', {});
  }

  setMetadata(metadata) {
    return this.#call('setMetadata', { metadata });
  }

  updateMetadata(metadata) {
    return this.#call('updateMetadata', { metadata });
  }

  getCheckpoint() {
    return this.#call('getCheckpoint', {});
  }

  saveCheckpoint(checkpoint) {
    return this.#call('saveCheckpoint', { checkpoint });
  }

  clearCheckpoint() {
    return this.#call('clearCheckpoint', {});
  }

  getEnvironmentVariables() {
    return this.#call('getEnvironmentVariables', {});
  }

  // uncontrolledFetch({url, method, headers, body}) is a plain request to
  // any URL, without the connection's credentials or retries, answered
  // with a fetch Response. The host checks the URL and every redirect
  // against the outbound address policy.
  async uncontrolledFetch(options) {
    if (options === null || typeof options !== 'object') throw new TypeError('uncontrolledFetch expects {url, method?, headers?, body?}');
    const url = options.url instanceof URL ? options.url.href : String(options.url);
    let body = options.body;
    if (typeof URLSearchParams === 'function' && body instanceof URLSearchParams) body = body.toString();
    if (body !== undefined && body !== null && typeof body !== 'string') throw new TypeError('uncontrolledFetch: body must be a string');
    const headers = {};
    for (const [k, v] of Object.entries(options.headers || {})) if (v !== undefined && v !== null) headers[k] = String(v);
    const raw = await this.#call('uncontrolledFetch', { url, method: String(options.method || 'GET'), headers, body: body ?? undefined });
    return new FetchResponse(raw, url);
  }

  // zodValidateInput({zodSchema, input}) is Nango's runner-sdk method: the
  // safeParse result when input fits, else each issue logged at error
  // level and an ActionError {message: 'Invalid input provided'} thrown.
  // Under `patchbay test` (input validation skipped, as Nango's test
  // mock does) it hands the input back unparsed, so a request built from
  // it keeps the caller's keys and their order.
  async zodValidateInput({ zodSchema, input } = {}) {
    if (this.__skipInputValidation === true) return { success: true, data: input };
    if (zodSchema === null || typeof zodSchema !== 'object' || typeof zodSchema.safeParse !== 'function') {
      throw new TypeError('zodValidateInput: zodSchema must be a zod schema');
    }
    const parsed = zodSchema.safeParse(input);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        this.log(`Invalid input provided: ${issue.message} at path ${(issue.path || []).join('.')}`, { level: 'error' });
      }
      throw new ActionError({ message: 'Invalid input provided' });
    }
    return parsed;
  }

  // tryAcquireLock({key, ttlMs}) or tryAcquireLock(key, ttlMs).
  tryAcquireLock(keyOrOptions, ttlMs) {
    const o = typeof keyOrOptions === 'object' && keyOrOptions !== null ? keyOrOptions : { key: keyOrOptions, ttlMs };
    return this.#call('tryAcquireLock', { key: String(o.key), ttlMs: Number(o.ttlMs ?? o.ttl ?? 60000) });
  }

  releaseLock(keyOrOptions) {
    const o = typeof keyOrOptions === 'object' && keyOrOptions !== null ? keyOrOptions : { key: keyOrOptions };
    return this.#call('releaseLock', { key: String(o.key) });
  }

  releaseAllLocks() {
    return this.#call('releaseAllLocks', {});
  }

  // log(message…, {level}) — the last argument is options when it is a
  // plain object with only a level.
  log(...args) {
    let level = 'info';
    const last = args[args.length - 1];
    if (args.length > 1 && last && typeof last === 'object' && !Array.isArray(last) && Object.keys(last).length === 1 && typeof last.level === 'string') {
      args.pop();
      level = LEVELS.includes(last.level) ? last.level : 'info';
    }
    callSync('log', { level, message: formatLog(args) });
  }

  // The record methods of syncs. Outside a sync run the host refuses them
  // (or, in dryrun and tests, captures them). A record without an id is
  // skipped and logged here; the server's host checks the rest against
  // the model's JSON Schema (as Nango does), skipping and logging the
  // records it refuses. The run goes on either way.
  batchSave(records, model) {
    const { valid, invalid } = checkRecords(this, records, model, 'batchSave');
    return this.#call('batchSave', { model, records: valid, invalid }).then(() => true);
  }

  batchUpdate(records, model) {
    const { valid, invalid } = checkRecords(this, records, model, 'batchUpdate');
    return this.#call('batchUpdate', { model, records: valid, invalid }).then(() => true);
  }

  batchDelete(records, model) {
    const { valid, invalid } = checkRecords(this, records, model, 'batchDelete');
    return this.#call('batchDelete', { model, records: valid, invalid }).then(() => true);
  }

  // getRecordsByIds resolves to a Map from id to the stored record, for
  // the ids that are stored and not deleted.
  async getRecordsByIds(ids, model) {
    checkModel(this, model, 'getRecordsByIds');
    const list = Array.isArray(ids) ? ids.map(String) : [];
    const found = await this.#call('getRecordsByIds', { model, ids: list });
    const out = new Map();
    for (const r of found || []) out.set(String(r.id), r);
    return out;
  }

  // listRecords yields the model's stored records (as GET /records shows
  // them), a page at a time from options.cursor, as Nango's runner does.
  async *listRecords(model, options) {
    checkModel(this, model, 'listRecords');
    let cursor = options && options.cursor ? String(options.cursor) : undefined;
    do {
      const page = await this.#call('listRecords', { model, cursor });
      for (const r of page.records) yield r;
      cursor = page.nextCursor;
    } while (cursor);
  }

  // setMergingStrategy: with "ignore_if_modified_after_cursor" the run's
  // later saves of the model leave alone the records another writer (a
  // webhook) changed since the run last wrote; "override" (the default)
  // replaces them.
  async setMergingStrategy(merging, model) {
    checkModel(this, model, 'setMergingStrategy');
    const strategy = merging && merging.strategy;
    if (strategy !== 'override' && strategy !== 'ignore_if_modified_after_cursor') {
      throw new TypeError(`setMergingStrategy: unknown strategy ${strategy}`);
    }
    await this.#call('setMergingStrategy', { model, records: [strategy] });
  }

  trackDeletesStart(model) {
    checkModel(this, model, 'trackDeletesStart');
    return this.#call('trackDeletesStart', { model });
  }

  trackDeletesEnd(model) {
    checkModel(this, model, 'trackDeletesEnd');
    return this.#call('trackDeletesEnd', { model });
  }

  deleteRecordsFromPreviousExecutions(model) {
    checkModel(this, model, 'deleteRecordsFromPreviousExecutions');
    return this.#call('deleteRecordsFromPreviousExecutions', { model });
  }
}

// checkModel refuses a model the sync does not declare (when it declares
// any), as the run would otherwise store records nobody can list.
function checkModel(nango, model, method) {
  if (typeof model !== 'string' || model === '') throw new TypeError(`${method}: the model name is required`);
  const models = nango.__models;
  if (models && Object.keys(models).length > 0 && !Object.prototype.hasOwnProperty.call(models, model)) {
    throw new TypeError(`${method}: unknown model ${model}; the sync declares ${Object.keys(models).join(', ')}`);
  }
}

function checkRecords(nango, records, model, method) {
  checkModel(nango, model, method);
  if (records !== undefined && records !== null && !Array.isArray(records)) throw new TypeError(`${method}: records must be an array`);
  const valid = [];
  let invalid = 0;
  for (const r of records || []) {
    const id = r !== null && typeof r === 'object' && !Array.isArray(r) ? r.id : undefined;
    if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
      invalid++;
      nango.log(`${method}: skipped a ${model} record without an id`, { level: 'warn' });
      continue;
    }
    valid.push(r);
  }
  return { valid, invalid };
}

export { HostError, formatLog };
