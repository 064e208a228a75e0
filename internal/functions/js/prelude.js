// The prelude runs in every VM before a function's bundle: it installs the
// globals a template expects, our zod and nango modules (which the bundle's
// "zod" and "nango" imports resolve to), and the two entry points the Go
// runtime calls: __pb_describe (what the function declares) and __pb_run.

import { done, HostError, call, callSync } from './host.js';
import './globals.js';
import * as zod from './zod.js';
import { Nango, ActionError, HttpError, createAction, createSync, createOnEvent } from './nango.js';

const z = zod.z || zod.default;

function constant(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: false, configurable: false, enumerable: false });
}

constant('__pb_zod', z);
constant('__pb_nango', Object.freeze({ createAction, createSync, createOnEvent, ActionError }));

function loadDefinition() {
  const mod = globalThis.__pb_module;
  const def = mod && mod.default;
  if (!def || typeof def !== 'object' || typeof def.type !== 'string') {
    throw new Error('the file must `export default` the result of createAction, createSync or createOnEvent');
  }
  return def;
}

function isSchema(s) {
  return s !== null && typeof s === 'object' && typeof s.safeParse === 'function';
}

function jsonSchema(s) {
  return isSchema(s) ? z.toJSONSchema(s) : undefined;
}

function describeDefinition() {
  const def = loadDefinition();
  const out = {
    type: def.type,
    description: typeof def.description === 'string' ? def.description : '',
    version: def.version === undefined ? '' : String(def.version),
    scopes: Array.isArray(def.scopes) ? def.scopes.map(String) : undefined,
  };
  if (def.type === 'action') {
    out.input = jsonSchema(def.input);
    out.output = jsonSchema(def.output);
    out.endpoint = def.endpoint;
  } else if (def.type === 'sync') {
    out.frequency = def.frequency === undefined ? undefined : String(def.frequency);
    out.autoStart = def.autoStart !== false;
    out.syncType = def.syncType;
    out.trackDeletes = def.trackDeletes === true;
    out.endpoints = def.endpoints;
    out.webhookSubscriptions = def.webhookSubscriptions;
    out.hasOnWebhook = typeof def.onWebhook === 'function';
    out.metadata = jsonSchema(def.metadata);
    out.checkpoint = jsonSchema(def.checkpoint);
    out.models = {};
    for (const [name, schema] of Object.entries(def.models || {})) out.models[name] = jsonSchema(schema) || {};
  } else if (def.type === 'on-event') {
    out.event = def.event;
  }
  return out;
}

class Invalid extends Error {
  constructor(type, what, issues) {
    super(`${what}: ${issues.map((i) => (i.path && i.path.length ? `${i.path.join('.')}: ` : '') + i.message).join('; ')}`);
    this.type = type;
    this.issues = issues;
  }
}

// run runs the function. validation (Go's functions.Validation) says
// whether the input is checked and what an invalid output does; exec gets
// the input as sent either way, not zod's parsed copy, which reorders and
// strips keys (Nango's runner passes the raw input too).
async function run(kind, input, info, validation) {
  if (kind === 'test') {
    // A test file (vitest.go): its vitest module, bundled with it, runs
    // the cases with what its mocks are built of.
    const runner = globalThis.__pb_vitest_run;
    if (typeof runner !== 'function') throw new Error('not a test file: it does not import vitest');
    return runner({ Nango, ActionError, call, callSync, input, info });
  }
  const def = loadDefinition();
  const nango = new Nango(info);
  switch (kind) {
    case 'action': {
      if (def.type !== 'action') throw new Error(`${info.name} is a ${def.type}, not an action`);
      const arg = input === null && isSchema(def.input) ? undefined : input;
      // nango.zodValidateInput skips too, as Nango's test mock does.
      if (validation.skipInput) Object.defineProperty(nango, '__skipInputValidation', { value: true, enumerable: false });
      if (isSchema(def.input) && !validation.skipInput) {
        const r = def.input.safeParse(arg);
        if (!r.success) throw new Invalid('invalid_input', 'Invalid action input', r.error.issues);
      }
      const out = await def.exec(nango, arg);
      if (isSchema(def.output) && validation.output !== 'skip') {
        const r = def.output.safeParse(out);
        if (!r.success) {
          const invalid = new Invalid('invalid_output', 'Invalid action output', r.error.issues);
          if (validation.output === 'enforce') throw invalid;
          nango.log(invalid.message, { level: 'warn' });
        }
      }
      return out;
    }
    case 'sync':
      if (def.type !== 'sync') throw new Error(`${info.name} is a ${def.type}, not a sync`);
      Object.defineProperty(nango, '__models', { value: def.models || {}, enumerable: false });
      await def.exec(nango);
      return null;
    case 'webhook':
      if (typeof def.onWebhook !== 'function') throw new Error(`${info.name} has no onWebhook handler`);
      Object.defineProperty(nango, '__models', { value: def.models || {}, enumerable: false });
      return (await def.onWebhook(nango, input)) ?? null;
    case 'on-event':
      if (def.type !== 'on-event') throw new Error(`${info.name} is a ${def.type}, not an event handler`);
      await def.exec(nango);
      return null;
    default:
      throw new Error(`unknown execution kind ${kind}`);
  }
}

function plain(v) {
  try {
    return v === undefined ? undefined : JSON.parse(JSON.stringify(v));
  } catch {
    return String(v);
  }
}

function describeError(e) {
  if (e instanceof ActionError) return { type: 'action_error', message: e.message, payload: plain(e.payload) };
  if (e instanceof HttpError) {
    return { type: 'script_http_error', message: e.message, payload: { status: e.status, data: plain(e.response.data) } };
  }
  if (e instanceof Invalid) return { type: e.type, message: e.message, payload: { issues: plain(e.issues) } };
  if (e instanceof HostError) return { type: 'host_error', message: e.message, payload: { code: e.code, status: e.status } };
  if (e instanceof Error) {
    const memory = e.name === 'InternalError' && /out of memory/i.test(e.message);
    return { type: memory ? 'memory' : 'script_error', message: `${e.name}: ${e.message}`, payload: { name: e.name, stack: e.stack } };
  }
  return { type: 'script_error', message: `Uncaught ${typeof e === 'string' ? e : JSON.stringify(plain(e))}`, payload: { value: plain(e) } };
}

function settleWith(promise) {
  promise.then(
    (v) => {
      let out;
      try {
        out = JSON.stringify(v === undefined ? null : v);
      } catch (e) {
        done(false, JSON.stringify({ type: 'invalid_output', message: `the result is not JSON: ${e.message}`, payload: {} }));
        return;
      }
      done(true, out);
    },
    (e) => {
      let out;
      try {
        out = JSON.stringify(describeError(e));
      } catch {
        out = JSON.stringify({ type: 'script_error', message: 'the function failed with an error that cannot be described', payload: {} });
      }
      done(false, out);
    },
  );
}

constant('__pb_describe', () => JSON.stringify(describeDefinition()));
constant('__pb_run', (kind, input, info, validation) => {
  settleWith(Promise.resolve().then(() => run(kind, JSON.parse(input), JSON.parse(info), validation ? JSON.parse(validation) : {})));
});
