// The bridge to Go. The runtime registers three global functions before
// the prelude runs; this module takes them into its closure and removes them
// from the global object, so a function's code can reach the host only
// through the nango object (and every host operation is checked in Go
// against the execution's own connection anyway).

const start = globalThis.__pb_start;
const sync = globalThis.__pb_sync;
const finish = globalThis.__pb_finish;
delete globalThis.__pb_start;
delete globalThis.__pb_sync;
delete globalThis.__pb_finish;

const pending = new Map();

// HostError is a failure the host reported: code names it, status is the
// HTTP status Patchbay would answer with.
export class HostError extends Error {
  constructor(info) {
    super(info && typeof info.message === 'string' ? info.message : 'host operation failed');
    this.name = 'NangoError';
    this.code = info && info.code;
    if (info && info.status) this.status = info.status;
  }
}

// call starts an asynchronous host operation and returns its promise. Go
// runs the operation in a goroutine and settles the promise from the event
// loop, so the JavaScript thread never blocks on I/O.
// mock, when given, names a test file's Nango mock whose host serves the
// operation (see vitest.go).
export function call(op, args, mock) {
  const json = JSON.stringify(args === undefined ? null : args);
  const id = mock === undefined ? start(op, json) : start(op, json, mock);
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
  });
}

// callSync runs a host operation that needs no I/O (logging, hashing).
export function callSync(op, args) {
  const out = sync(op, JSON.stringify(args === undefined ? null : args));
  return out === '' ? undefined : JSON.parse(out);
}

export function done(ok, payload) {
  finish(ok, payload);
}

Object.defineProperty(globalThis, '__pb_settle', {
  // A response's text body comes beside the result's JSON (hasBody,
  // body), so it is not escaped into it and parsed twice.
  value(id, ok, payload, hasBody, body) {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    let value;
    try {
      value = payload === '' ? undefined : JSON.parse(payload);
    } catch (e) {
      p.reject(e);
      return;
    }
    if (hasBody === true && value !== null && typeof value === 'object') value.body = body;
    if (ok) p.resolve(value);
    else p.reject(new HostError(value));
  },
  writable: false,
  configurable: false,
  enumerable: false,
});
