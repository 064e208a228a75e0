// Our vitest: the part of vitest's API that Nango's template tests use,
// bundled with a test file in place of the npm package (vitest.go). The
// file's top level registers suites, cases, hooks and module mocks; the
// prelude then calls __pb_vitest_run with what the mocks are built of
// (the nango object's class, the host bridge), which collects the suites
// (runs the describe bodies), runs each case with its hooks, and reports
// each result to the host as it ends.
//
// Not a copy of vitest: cases run one at a time in file order, and there
// are no snapshots, no concurrent or retried cases.

const RealDate = Date;
const realNow = Date.now;
// The runtime's timers, for the runner's own (a case's time limit) and
// for useRealTimers to put back.
const realTimers = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
  setImmediate: globalThis.setImmediate,
  clearImmediate: globalThis.clearImmediate,
};

// ------------------------------------------------------------ formatting

const MAX_SHOWN = 160;

function show(v, depth = 0, seen = []) {
  const s = showRaw(v, depth, seen);
  return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN - 1) + '…' : s;
}

function showRaw(v, depth, seen) {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'symbol') return v.toString();
  if (typeof v === 'function') return isMock(v) ? `[MockFunction ${v.getMockName()}]` : `[Function ${v.name || 'anonymous'}]`;
  if (isAsymmetric(v)) return v.toString();
  if (v instanceof RealDate) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (v instanceof Error) return `[${v.name}: ${v.message}]`;
  if (seen.includes(v)) return '[Circular]';
  if (depth > 4) return Array.isArray(v) ? '[Array]' : '[Object]';
  const next = seen.concat([v]);
  if (Array.isArray(v)) return `[${v.map((x) => showRaw(x, depth + 1, next)).join(', ')}]`;
  if (v instanceof Map) return `Map {${[...v].map(([k, x]) => `${showRaw(k, depth + 1, next)} => ${showRaw(x, depth + 1, next)}`).join(', ')}}`;
  if (v instanceof Set) return `Set {${[...v].map((x) => showRaw(x, depth + 1, next)).join(', ')}}`;
  if (ArrayBuffer.isView(v)) return `${v.constructor.name} [${Array.from(v).join(', ')}]`;
  const keys = Object.keys(v);
  const body = keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${showRaw(v[k], depth + 1, next)}`).join(', ');
  return `{${body}}`;
}

function errorText(e) {
  if (e instanceof AssertionError) return e.message;
  if (e instanceof Error) {
    const stack = typeof e.stack === 'string' ? e.stack.split('\n').filter((l) => l.trim().startsWith('at ')).slice(0, 6) : [];
    return [`${e.name}: ${e.message}`, ...stack.map((l) => '  ' + l.trim())].join('\n');
  }
  return `thrown: ${show(e)}`;
}

class AssertionError extends Error {
  constructor(message) {
    super(message);
    this.name = 'AssertionError';
  }
}

// ------------------------------------------------------------ equality

const ASYMMETRIC = Symbol('asymmetric');

function isAsymmetric(v) {
  return v !== null && typeof v === 'object' && v[ASYMMETRIC] === true;
}

function typeOf(v) {
  return Object.prototype.toString.call(v);
}

function keyPath(path, k) {
  return typeof k === 'number' ? `${path}[${k}]` : /^[A-Za-z_$][\w$]*$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`;
}

// Differences collects where two values differ, at most a few.
class Differences {
  constructor(limit = 8) {
    this.list = [];
    this.more = 0;
    this.limit = limit;
  }
  add(path, expected, received, note) {
    if (this.list.length >= this.limit) {
      this.more++;
      return;
    }
    this.list.push({ path: path || '(value)', expected, received, note });
  }
  get empty() {
    return this.list.length === 0;
  }
  text() {
    const lines = this.list.map((d) => (d.note ? `  ${d.path}: ${d.note}` : `  ${d.path}: expected ${show(d.expected)}, received ${show(d.received)}`));
    if (this.more > 0) lines.push(`  … and ${this.more} more differences`);
    return lines.join('\n');
  }
}

// compare is vitest's equals: toEqual's (strict false: undefined
// properties ignored, classes not compared) or toStrictEqual's. mode
// "subset" is toMatchObject's: expected objects may hold fewer keys.
function compare(expected, received, mode, d, path = '', seen = []) {
  if (isAsymmetric(expected)) {
    if (!expected.asymmetricMatch(received)) d.add(path, expected, received);
    return;
  }
  if (isAsymmetric(received)) {
    if (!received.asymmetricMatch(expected)) d.add(path, expected, received);
    return;
  }
  if (Object.is(expected, received)) return;
  if (expected === null || received === null || typeof expected !== 'object' || typeof received !== 'object') {
    d.add(path, expected, received);
    return;
  }
  const te = typeOf(expected);
  // toMatchObject compares a plain object's keys with any object's (an
  // Error's members, say).
  const plainSubset = mode === 'subset' && te === '[object Object]' && [Object.prototype, null].includes(Object.getPrototypeOf(expected));
  if (te !== typeOf(received) && !plainSubset) {
    d.add(path, expected, received);
    return;
  }
  if (mode === 'strict' && !Array.isArray(expected) && Object.getPrototypeOf(expected) !== Object.getPrototypeOf(received)) {
    d.add(path, expected, received, `expected an instance of ${ctorName(expected)}, received ${ctorName(received)}`);
    return;
  }
  if (expected instanceof RealDate) {
    if (!Object.is(expected.getTime(), received.getTime())) d.add(path, expected, received);
    return;
  }
  if (expected instanceof RegExp) {
    if (String(expected) !== String(received)) d.add(path, expected, received);
    return;
  }
  if (expected instanceof Error && received instanceof Error) {
    if (expected.message !== received.message || expected.name !== received.name) d.add(path, expected, received);
    return;
  }
  if (typeof expected.valueOf === 'function' && (te === '[object Number]' || te === '[object String]' || te === '[object Boolean]')) {
    if (!Object.is(expected.valueOf(), received.valueOf())) d.add(path, expected, received);
    return;
  }
  for (const [a, b] of seen) if (a === expected && b === received) return;
  const next = seen.concat([[expected, received]]);
  if (ArrayBuffer.isView(expected)) {
    if (expected.length !== received.length || Array.from(expected).some((x, i) => !Object.is(x, received[i]))) d.add(path, expected, received);
    return;
  }
  if (expected instanceof Map) {
    if (expected.size !== received.size) {
      d.add(path, expected, received);
      return;
    }
    for (const [k, v] of expected) {
      if (!received.has(k)) d.add(keyPath(path, String(k)), v, undefined, 'missing');
      else compare(v, received.get(k), mode, d, keyPath(path, String(k)), next);
    }
    return;
  }
  if (expected instanceof Set) {
    const rest = [...received];
    if (expected.size !== received.size || ![...expected].every((x) => rest.some((y) => equals(x, y, mode)))) d.add(path, expected, received);
    return;
  }
  if (Array.isArray(expected)) {
    if (expected.length !== received.length && mode !== 'subset-loose') {
      d.add(path, expected, received, `expected ${expected.length} items, received ${received.length}`);
    }
    const n = Math.min(expected.length, received.length);
    for (let i = 0; i < n; i++) {
      if (mode === 'strict' && (i in expected) !== (i in received)) d.add(keyPath(path, i), expected[i], received[i], 'sparse array differs');
      else compare(expected[i], received[i], mode, d, keyPath(path, i), next);
    }
    return;
  }
  const keys = new Set();
  for (const k of Object.keys(expected)) if (mode === 'strict' || mode === 'subset' || expected[k] !== undefined) keys.add(k);
  if (mode !== 'subset') for (const k of Object.keys(received)) if (mode === 'strict' || received[k] !== undefined) keys.add(k);
  for (const k of keys) {
    const inE = Object.prototype.hasOwnProperty.call(expected, k);
    const inR = Object.prototype.hasOwnProperty.call(received, k) || (mode === 'subset' && k in received);
    const p = keyPath(path, k);
    if (mode === 'strict' && inE !== inR) {
      d.add(p, expected[k], received[k], inE ? `missing, expected ${show(expected[k])}` : `unexpected ${show(received[k])}`);
    } else if (!inR && mode === 'subset') {
      d.add(p, expected[k], undefined, `missing, expected ${show(expected[k])}`);
    } else if (!inE && expected[k] === undefined && received[k] !== undefined) {
      d.add(p, undefined, received[k], `unexpected ${show(received[k])}`);
    } else if (!inR && received[k] === undefined && expected[k] !== undefined) {
      d.add(p, expected[k], undefined, `missing, expected ${show(expected[k])}`);
    } else {
      compare(expected[k], received[k], mode, d, p, next);
    }
  }
}

function ctorName(v) {
  const p = Object.getPrototypeOf(v);
  return p === null ? 'null-prototype object' : (p.constructor && p.constructor.name) || 'Object';
}

function equals(expected, received, mode = 'loose') {
  const d = new Differences(1);
  compare(expected, received, mode, d);
  return d.empty;
}

// ------------------------------------------------------------ asymmetric matchers

function asymmetric(name, match, shown) {
  return { [ASYMMETRIC]: true, asymmetricMatch: match, toString: () => shown || name };
}

function any(ctor) {
  return asymmetric(
    'Any',
    (v) => {
      if (ctor === String) return typeof v === 'string' || v instanceof String;
      if (ctor === Number) return typeof v === 'number' || v instanceof Number;
      if (ctor === Boolean) return typeof v === 'boolean' || v instanceof Boolean;
      if (ctor === Function) return typeof v === 'function';
      if (ctor === Object) return v !== null && typeof v === 'object';
      if (ctor === BigInt) return typeof v === 'bigint';
      if (ctor === Symbol) return typeof v === 'symbol';
      return v instanceof ctor;
    },
    `Any<${ctor && ctor.name}>`,
  );
}

const expectStatics = {
  any,
  anything: () => asymmetric('Anything', (v) => v !== null && v !== undefined),
  objectContaining: (obj) => asymmetric('ObjectContaining', (v) => v !== null && typeof v === 'object' && equals(obj, v, 'subset'), `ObjectContaining ${show(obj)}`),
  arrayContaining: (arr) => asymmetric('ArrayContaining', (v) => Array.isArray(v) && arr.every((x) => v.some((y) => equals(x, y))), `ArrayContaining ${show(arr)}`),
  stringContaining: (s) => asymmetric('StringContaining', (v) => typeof v === 'string' && v.includes(s), `StringContaining ${show(s)}`),
  stringMatching: (re) => asymmetric('StringMatching', (v) => typeof v === 'string' && (re instanceof RegExp ? re.test(v) : v.includes(re)), `StringMatching ${show(re)}`),
  closeTo: (n, digits = 2) => asymmetric('CloseTo', (v) => typeof v === 'number' && Math.abs(v - n) < 10 ** -digits / 2, `CloseTo ${n}`),
  fail(message) {
    throw new AssertionError(message || 'expect.fail()');
  },
  assertions() {},
  hasAssertions() {},
};
expectStatics.not = {
  objectContaining: (obj) => asymmetric('NotObjectContaining', (v) => !expectStatics.objectContaining(obj).asymmetricMatch(v)),
  arrayContaining: (arr) => asymmetric('NotArrayContaining', (v) => !expectStatics.arrayContaining(arr).asymmetricMatch(v)),
  stringContaining: (s) => asymmetric('NotStringContaining', (v) => !expectStatics.stringContaining(s).asymmetricMatch(v)),
  stringMatching: (re) => asymmetric('NotStringMatching', (v) => !expectStatics.stringMatching(re).asymmetricMatch(v)),
};

// ------------------------------------------------------------ matchers

function mockOf(received, name) {
  if (!isMock(received)) throw new AssertionError(`${name}: ${show(received)} is not a mock or spy function`);
  return received;
}

function callsText(m) {
  const calls = m.mock.calls;
  if (calls.length === 0) return '  (it was not called)';
  return calls
    .slice(0, 5)
    .map((c, i) => `  call ${i + 1}: ${show(c)}`)
    .concat(calls.length > 5 ? [`  … and ${calls.length - 5} more calls`] : [])
    .join('\n');
}

function thrownMatches(thrown, expected) {
  if (expected === undefined) return true;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (typeof expected === 'string') return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'function') return thrown instanceof expected;
  if (isAsymmetric(expected)) return expected.asymmetricMatch(thrown);
  if (expected instanceof Error) return message === expected.message;
  if (expected !== null && typeof expected === 'object') return equals(expected, thrown, 'subset');
  return false;
}

function getPath(obj, path) {
  const parts = Array.isArray(path) ? path : String(path).replace(/\[(\w+)\]/g, '.$1').split('.').filter((p) => p !== '');
  let v = obj;
  for (const p of parts) {
    if (v === null || v === undefined || !(Object(v) instanceof Object) || !(p in Object(v))) return { found: false };
    v = v[p];
  }
  return { found: true, value: v };
}

// Each matcher returns [pass, message] where message says what failed
// when the assertion (not negated or negated) does not hold.
const matchers = {
  toBe(r, e) {
    return [Object.is(r, e), (not) => (not ? `expected ${show(r)} not to be ${show(e)}` : `expected ${show(r)} to be ${show(e)}` + (equals(e, r) ? ' (they are equal but not the same; use toEqual)' : ''))];
  },
  toEqual(r, e) {
    const d = new Differences();
    compare(e, r, 'loose', d);
    return [d.empty, (not) => (not ? `expected ${show(r)} not to deeply equal ${show(e)}` : `expected ${show(r)} to deeply equal ${show(e)}\n${d.text()}`)];
  },
  toStrictEqual(r, e) {
    const d = new Differences();
    compare(e, r, 'strict', d);
    return [d.empty, (not) => (not ? `expected ${show(r)} not to strictly equal ${show(e)}` : `expected ${show(r)} to strictly equal ${show(e)}\n${d.text()}`)];
  },
  toMatchObject(r, e) {
    const d = new Differences();
    if (r === null || typeof r !== 'object') d.add('', e, r);
    else compare(e, r, 'subset', d);
    return [d.empty, (not) => (not ? `expected ${show(r)} not to match object ${show(e)}` : `expected ${show(r)} to match object ${show(e)}\n${d.text()}`)];
  },
  toBeDefined: (r) => [r !== undefined, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be defined`],
  toBeUndefined: (r) => [r === undefined, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be undefined`],
  toBeNull: (r) => [r === null, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be null`],
  toBeNaN: (r) => [Number.isNaN(r), (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be NaN`],
  toBeTruthy: (r) => [!!r, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be truthy`],
  toBeFalsy: (r) => [!r, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be falsy`],
  toBeGreaterThan: (r, n) => [r > n, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be greater than ${show(n)}`],
  toBeGreaterThanOrEqual: (r, n) => [r >= n, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be greater than or equal to ${show(n)}`],
  toBeLessThan: (r, n) => [r < n, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be less than ${show(n)}`],
  toBeLessThanOrEqual: (r, n) => [r <= n, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be less than or equal to ${show(n)}`],
  toBeCloseTo: (r, n, digits = 2) => [Math.abs(r - n) < 10 ** -digits / 2, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be close to ${show(n)}`],
  toBeInstanceOf: (r, c) => [r instanceof c, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be an instance of ${c && c.name}`],
  toBeTypeOf: (r, t) => [typeof r === t, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to be of type ${t}`],
  toHaveLength(r, n) {
    const len = r === null || r === undefined ? undefined : r.length;
    return [len === n, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to have length ${n}` + (not ? '' : `, it has ${show(len)}`)];
  },
  toContain(r, item) {
    const pass = typeof r === 'string' ? r.includes(item) : r !== null && r !== undefined && Array.from(r).includes(item);
    return [pass, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to contain ${show(item)}`];
  },
  toContainEqual(r, item) {
    const pass = r !== null && r !== undefined && Array.from(r).some((x) => equals(item, x));
    return [pass, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to contain an item equal to ${show(item)}`];
  },
  toMatch(r, p) {
    const pass = typeof r === 'string' && (p instanceof RegExp ? p.test(r) : r.includes(p));
    return [pass, (not) => `expected ${show(r)} ${not ? 'not ' : ''}to match ${show(p)}`];
  },
  toHaveProperty(r, path, ...value) {
    const got = getPath(r, path);
    const pass = got.found && (value.length === 0 || equals(value[0], got.value));
    return [
      pass,
      (not) =>
        `expected ${show(r)} ${not ? 'not ' : ''}to have property ${show(path)}` +
        (value.length ? ` equal to ${show(value[0])}` : '') +
        (got.found && !not ? `, it is ${show(got.value)}` : ''),
    ];
  },
  toThrow(r, expected) {
    if (typeof r !== 'function') throw new AssertionError(`toThrow: ${show(r)} is not a function`);
    let threw = false;
    let thrown;
    try {
      r();
    } catch (e) {
      threw = true;
      thrown = e;
    }
    return throwResult(threw, thrown, expected);
  },
  toHaveBeenCalled(r) {
    const m = mockOf(r, 'toHaveBeenCalled');
    return [m.mock.calls.length > 0, (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have been called` + (not ? `\n${callsText(m)}` : '')];
  },
  toHaveBeenCalledOnce(r) {
    const m = mockOf(r, 'toHaveBeenCalledOnce');
    return [m.mock.calls.length === 1, (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have been called once, it was called ${m.mock.calls.length} times`];
  },
  toHaveBeenCalledTimes(r, n) {
    const m = mockOf(r, 'toHaveBeenCalledTimes');
    return [m.mock.calls.length === n, (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have been called ${n} times, it was called ${m.mock.calls.length} times`];
  },
  toHaveBeenCalledWith(r, ...args) {
    const m = mockOf(r, 'toHaveBeenCalledWith');
    const pass = m.mock.calls.some((c) => equals(args, c));
    return [pass, (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have been called with ${show(args)}\n${callsText(m)}` + (not ? '' : closestCall(m, args))];
  },
  toHaveBeenLastCalledWith(r, ...args) {
    const m = mockOf(r, 'toHaveBeenLastCalledWith');
    const last = m.mock.calls[m.mock.calls.length - 1];
    return [last !== undefined && equals(args, last), (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have been last called with ${show(args)}\n${callsText(m)}`];
  },
  toHaveBeenNthCalledWith(r, n, ...args) {
    const m = mockOf(r, 'toHaveBeenNthCalledWith');
    const call = m.mock.calls[n - 1];
    const d = new Differences();
    if (call !== undefined) compare(args, call, 'loose', d);
    return [
      call !== undefined && d.empty,
      (not) => `expected call ${n} of ${m.getMockName()} ${not ? 'not ' : ''}to have been with ${show(args)}` + (call === undefined ? `, it was called ${m.mock.calls.length} times` : not ? '' : `\n${d.text()}`),
    ];
  },
  toHaveReturned(r) {
    const m = mockOf(r, 'toHaveReturned');
    return [m.mock.results.some((x) => x.type === 'return'), (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have returned`];
  },
  toHaveReturnedWith(r, v) {
    const m = mockOf(r, 'toHaveReturnedWith');
    return [m.mock.results.some((x) => x.type === 'return' && equals(v, x.value)), (not) => `expected ${m.getMockName()} ${not ? 'not ' : ''}to have returned ${show(v)}`];
  },
};
matchers.toThrowError = matchers.toThrow;
matchers.toBeCalled = matchers.toHaveBeenCalled;
matchers.toBeCalledTimes = matchers.toHaveBeenCalledTimes;
matchers.toBeCalledWith = matchers.toHaveBeenCalledWith;

function closestCall(m, args) {
  if (m.mock.calls.length === 0) return '';
  const d = new Differences();
  compare(args, m.mock.calls[m.mock.calls.length - 1], 'loose', d);
  return `\n  the last call differs:\n${d.text()}`;
}

function throwResult(threw, thrown, expected) {
  const pass = threw && thrownMatches(thrown, expected);
  const what = expected === undefined ? 'to throw' : `to throw ${typeof expected === 'function' ? expected.name : show(expected)}`;
  return [pass, (not) => `expected ${not ? 'not ' : ''}${what}` + (threw ? `, it threw ${show(thrown)}` : ', it did not throw')];
}

function assertion(received, not, mode) {
  const out = {};
  for (const [name, fn] of Object.entries(matchers)) {
    out[name] = (...args) => {
      if (mode === 'rejects' || mode === 'resolves') {
        return Promise.resolve(typeof received === 'function' ? received() : received).then(
          (v) => {
            if (mode === 'rejects') throw new AssertionError(`expected the promise to reject, it resolved to ${show(v)}`);
            check(fn, v, args, not);
          },
          (e) => {
            if (mode === 'resolves') throw new AssertionError(`expected the promise to resolve, it rejected with ${show(e)}`);
            if (name === 'toThrow' || name === 'toThrowError') {
              const [pass, message] = throwResult(true, e, args[0]);
              if (pass === not) throw new AssertionError(message(not));
              return;
            }
            check(fn, e, args, not);
          },
        );
      }
      check(fn, received, args, not);
      return undefined;
    };
  }
  return out;
}

function check(fn, received, args, not) {
  const [pass, message] = fn(received, ...args);
  if (pass === not) throw new AssertionError(message(not));
}

export function expect(received, message) {
  const a = assertion(received, false);
  a.not = assertion(received, true);
  a.resolves = assertion(received, false, 'resolves');
  a.resolves.not = assertion(received, true, 'resolves');
  a.rejects = assertion(received, false, 'rejects');
  a.rejects.not = assertion(received, true, 'rejects');
  if (message !== undefined) {
    for (const obj of [a, a.not]) {
      for (const k of Object.keys(matchers)) {
        const f = obj[k];
        obj[k] = (...args) => {
          try {
            return f(...args);
          } catch (e) {
            if (e instanceof AssertionError) e.message = `${message}: ${e.message}`;
            throw e;
          }
        };
      }
    }
  }
  return a;
}
Object.assign(expect, expectStatics);
expect.extend = (more) => {
  for (const [name, fn] of Object.entries(more)) {
    matchers[name] = (r, ...args) => {
      const res = fn.call({ equals, isNot: false }, r, ...args);
      return [res.pass, () => (typeof res.message === 'function' ? res.message() : String(res.message || name))];
    };
  }
};

// ------------------------------------------------------------ mock functions

const MOCK = Symbol('mock');
const allMocks = new Set();
const spies = []; // {restore} for restoreAllMocks, in creation order
let callOrder = 0;

function isMock(f) {
  return typeof f === 'function' && f[MOCK] === true;
}

function newState() {
  return { calls: [], results: [], instances: [], contexts: [], invocationCallOrder: [], settledResults: [] };
}

// fn is vi.fn: a function that records its calls and runs, in order of
// preference, a once-implementation, the implementation set with
// mockImplementation (or its sugar), or the one it was created with.
function fn(original) {
  let state = newState();
  const once = [];
  let impl;
  let name = 'vi.fn()';
  const mock = function (...args) {
    state.calls.push(args);
    state.contexts.push(this);
    state.invocationCallOrder.push(++callOrder);
    const result = { type: 'incomplete', value: undefined };
    state.results.push(result);
    const f = once.length > 0 ? once.shift() : impl || original;
    try {
      let value;
      if (new.target) {
        state.instances.push(this);
        if (f) {
          try {
            value = Reflect.construct(f, args, new.target);
          } catch (e) {
            if (!(e instanceof TypeError) || !/constructor/.test(e.message)) throw e;
            value = f.apply(this, args);
          }
        }
        if (value === null || (typeof value !== 'object' && typeof value !== 'function')) value = this;
      } else {
        value = f ? f.apply(this, args) : undefined;
      }
      result.type = 'return';
      result.value = value;
      return value;
    } catch (e) {
      result.type = 'throw';
      result.value = e;
      throw e;
    }
  };
  Object.defineProperty(mock, MOCK, { value: true });
  Object.defineProperty(mock, 'mock', {
    get() {
      return {
        calls: state.calls,
        results: state.results,
        instances: state.instances,
        contexts: state.contexts,
        invocationCallOrder: state.invocationCallOrder,
        settledResults: state.settledResults,
        get lastCall() {
          return state.calls[state.calls.length - 1];
        },
      };
    },
  });
  const self = (f) => {
    f();
    return mock;
  };
  Object.assign(mock, {
    getMockName: () => name,
    mockName: (n) => self(() => (name = String(n))),
    getMockImplementation: () => impl || original,
    mockImplementation: (f) => self(() => (impl = f)),
    mockImplementationOnce: (f) => self(() => once.push(f)),
    mockReturnValue: (v) => self(() => (impl = () => v)),
    mockReturnValueOnce: (v) => self(() => once.push(() => v)),
    mockResolvedValue: (v) => self(() => (impl = () => Promise.resolve(v))),
    mockResolvedValueOnce: (v) => self(() => once.push(() => Promise.resolve(v))),
    mockRejectedValue: (v) => self(() => (impl = () => Promise.reject(v))),
    mockRejectedValueOnce: (v) => self(() => once.push(() => Promise.reject(v))),
    mockReturnThis: () =>
      self(
        () =>
          (impl = function () {
            return this;
          }),
      ),
    mockClear: () => self(() => (state = newState())),
    // As vitest 3: the implementation goes back to the one the mock was
    // created with.
    mockReset: () =>
      self(() => {
        state = newState();
        once.length = 0;
        impl = undefined;
      }),
    mockRestore: () =>
      self(() => {
        state = newState();
        once.length = 0;
        impl = undefined;
        if (mock.__restore) mock.__restore();
      }),
    withImplementation(f, cb) {
      const saved = impl;
      impl = f;
      const r = cb();
      if (r && typeof r.then === 'function') return r.finally(() => (impl = saved));
      impl = saved;
      return undefined;
    },
  });
  allMocks.add(mock);
  return mock;
}

// spyOn replaces obj[key] with a mock that calls the original; a method
// that is a mock already is returned as it is.
function spyOn(obj, key, access) {
  if (obj === null || (typeof obj !== 'object' && typeof obj !== 'function')) throw new TypeError(`vi.spyOn: cannot spy on ${show(obj)}`);
  let owner = obj;
  let desc;
  while (owner && !(desc = Object.getOwnPropertyDescriptor(owner, key))) owner = Object.getPrototypeOf(owner);
  if (!desc) throw new TypeError(`vi.spyOn: ${String(key)} does not exist`);
  if (access === 'get' || access === 'set') {
    const original = desc[access];
    const m = fn(original);
    Object.defineProperty(obj, key, { ...desc, [access]: m, configurable: true });
    const restore = () => (owner === obj ? Object.defineProperty(obj, key, desc) : delete obj[key]);
    m.__restore = restore;
    spies.push(m);
    return m;
  }
  // A method that is a mock already (every method of Nango's mocks) is
  // wrapped too: the new spy's calls start empty, as vitest's do.
  const current = obj[key];
  if (typeof current !== 'function') throw new TypeError(`vi.spyOn: ${String(key)} is not a function, it is ${show(current)}`);
  const m = fn(current);
  m.mockName(String(key));
  for (const k of Object.keys(current)) if (!(k in m)) m[k] = current[k];
  if (current.prototype) m.prototype = current.prototype;
  Object.defineProperty(obj, key, { value: m, writable: true, configurable: true, enumerable: desc.enumerable });
  m.__restore = () => {
    if (owner === obj) Object.defineProperty(obj, key, desc);
    else delete obj[key];
  };
  spies.push(m);
  return m;
}

// ------------------------------------------------------------ the clock

let fakeNow = null;
let fakeTimers = false;

function now() {
  return fakeNow === null ? realNow() : fakeNow;
}

function FakeDate(...args) {
  if (!new.target) return new RealDate(now()).toString();
  return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
}
Object.setPrototypeOf(FakeDate, RealDate);
FakeDate.prototype = RealDate.prototype;
FakeDate.now = () => now();

function freeze(at) {
  fakeNow = at instanceof RealDate ? at.getTime() : typeof at === 'number' ? at : at === undefined ? realNow() : new RealDate(at).getTime();
  globalThis.Date = FakeDate;
}

function thaw() {
  fakeNow = null;
  fakeTimers = false;
  globalThis.Date = RealDate;
  pending.clear();
  Object.assign(globalThis, realTimers);
}

// Fake timers, as vitest's (@sinonjs/fake-timers): with useFakeTimers,
// setTimeout, setInterval and setImmediate only queue their callbacks,
// and time stands still until the test moves it (advanceTimersByTime,
// runAllTimers, …), which runs the callbacks due on the way in time
// order, with Date.now() at each one's time.
const pending = new Map(); // id → {id, at, fn, args, interval}
let fakeTimerSeq = 0;
const maxTimerLoops = 10_000; // vitest's loopLimit

function fakeSchedule(fn, ms, args, interval) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  ms = Number(ms);
  if (!(ms > 0) || ms > 0x7fffffff) ms = 0;
  if (interval && ms < 1) ms = 1;
  const t = { id: ++fakeTimerSeq, at: now() + ms, fn, args, interval: interval ? ms : -1 };
  pending.set(t.id, t);
  return t.id;
}

const fakeClear = (id) => {
  pending.delete(Number(id));
};

const fakeTimerGlobals = {
  setTimeout: (fn, ms, ...args) => fakeSchedule(fn, ms, args, false),
  setInterval: (fn, ms, ...args) => fakeSchedule(fn, ms, args, true),
  setImmediate: (fn, ...args) => fakeSchedule(fn, 0, args, false),
  clearTimeout: fakeClear,
  clearInterval: fakeClear,
  clearImmediate: fakeClear,
};

// nextDue is the pending timer to run first among those due by limit:
// the earliest, then the first created.
function nextDue(limit) {
  let first;
  for (const t of pending.values()) {
    if (t.at <= limit && (!first || t.at < first.at || (t.at === first.at && t.id < first.id))) first = t;
  }
  return first;
}

// runTimer moves the clock to t's time and runs it; an interval is
// queued again first, as the runtime does.
function runTimer(t) {
  fakeNow = Math.max(fakeNow, t.at);
  if (t.interval >= 0) t.at = fakeNow + t.interval;
  else pending.delete(t.id);
  t.fn(...t.args);
}

// runTimers runs the timers due by limit one after the other, those the
// callbacks queue included; with async, the promises they settled run on
// before the next. It stops at vitest's loop limit, which only timers
// queuing timers forever reach.
function runTimers(limit, async) {
  const next = (n) => {
    if (n >= maxTimerLoops) throw new Error(`Aborting after running ${maxTimerLoops} timers, assuming an infinite loop!`);
    return nextDue(limit);
  };
  if (!async) {
    for (let n = 0, t; (t = next(n)); n++) runTimer(t);
    return undefined;
  }
  return (async () => {
    for (let n = 0; ; n++) {
      await settle();
      const t = next(n);
      if (!t) return;
      runTimer(t);
    }
  })();
}

// settle lets promises run on: a turn of the runtime's event loop.
const settle = () => new Promise((resolve) => realTimers.setTimeout(resolve, 0));

function checkFake(what) {
  if (!fakeTimers) throw new Error(`vi.${what}: timers are not mocked; call vi.useFakeTimers() first`);
}

// ------------------------------------------------------------ module mocks

// Modules a test may replace with vi.mock, by the name its import uses:
// the stand-ins the prelude installed (js/modules.js, js/botbuilder.js),
// which the bundle's imports of them hand out.
const mockable = {
  soap: () => globalThis.__pb_soap,
  unzipper: () => globalThis.__pb_unzipper,
  botbuilder: () => globalThis.__pb_botbuilder,
};
const moduleMocks = [];
const moduleRestores = [];

function mockedModule(target) {
  for (const [name, get] of Object.entries(mockable)) {
    const m = get();
    if (target === name || (target && (target === m || target.default === m))) return { name, module: m };
  }
  return undefined;
}

async function applyModuleMock({ path, factory }) {
  const target = path && typeof path.then === 'function' ? await path : path;
  const found = mockedModule(target);
  if (!found) throw new Error(`vi.mock(${show(typeof target === 'string' ? target : '…')}): only ${Object.keys(mockable).join(', ')} can be mocked here`);
  if (typeof factory !== 'function') return; // automocking: nothing to replace with
  const m = found.module;
  const original = { ...m, default: m };
  const result = await factory(async () => original);
  if (result === null || typeof result !== 'object') throw new Error(`vi.mock(${found.name}): the factory must return the module's exports`);
  const replace = (members) => {
    for (const [k, v] of Object.entries(members)) {
      if (k === 'default' || v === m) continue;
      const had = Object.getOwnPropertyDescriptor(m, k);
      moduleRestores.push(() => (had ? Object.defineProperty(m, k, had) : delete m[k]));
      m[k] = v;
    }
  };
  // The named exports first: the default export's members win, as the
  // templates' code calls soap.createClientAsync on the default import.
  replace(result);
  if (result.default && typeof result.default === 'object') replace(result.default);
}

// ------------------------------------------------------------ suites

function newSuite(name, parent, body) {
  return { name, parent, body, children: [], beforeAll: [], afterAll: [], beforeEach: [], afterEach: [], skip: false };
}

const root = newSuite('', null, null);
let current = root;
let collecting = false;

function names(s) {
  const out = [];
  for (let p = s; p && p.parent; p = p.parent) out.unshift(p.name);
  return out;
}

function register(kind) {
  return (name, fnOrOptions, maybeFn) => {
    const body = typeof fnOrOptions === 'function' ? fnOrOptions : maybeFn;
    const title = typeof name === 'function' ? name.name : String(name);
    if (kind === 'describe') {
      const s = newSuite(title, current, body);
      current.children.push({ suite: s });
      // Inside a describe body being collected, nested ones are
      // collected when their parent is (collect walks the tree).
    } else {
      current.children.push({ test: { name: title, fn: body, suite: current } });
    }
  };
}

function variants(kind) {
  const f = register(kind);
  const skipped = (name, a, b) => {
    const before = current.children.length;
    f(name, a, b);
    const c = current.children[before];
    if (c.suite) c.suite.skip = true;
    else c.test.skip = true;
  };
  f.skip = skipped;
  f.todo = (name) => skipped(name, () => {});
  f.only = f; // every case runs; only is as if it were alone
  f.skipIf = (cond) => (cond ? skipped : f);
  f.runIf = (cond) => (cond ? f : skipped);
  f.concurrent = f;
  f.sequential = f;
  f.each = (table) => (name, body) => {
    table.forEach((row, i) => {
      const args = Array.isArray(row) ? row : [row];
      let title = String(name).replace(/%[sdifjo#%]/g, (m) => (m === '%%' ? '%' : m === '%#' ? String(i) : args.length ? show(args.shift === undefined ? args : args[0]) : m));
      title = title.replace(/\$([A-Za-z_]\w*)/g, (m, k) => (row && typeof row === 'object' && k in row ? String(row[k]) : m));
      f(title, () => body(...(Array.isArray(row) ? row : [row])));
    });
  };
  return f;
}

export const describe = variants('describe');
export const it = variants('it');
export const test = it;
export const suite = describe;

function hook(kind) {
  return (f) => {
    current[kind].push(f);
  };
}

export const beforeAll = hook('beforeAll');
export const afterAll = hook('afterAll');
export const beforeEach = hook('beforeEach');
export const afterEach = hook('afterEach');

export const vi = {
  fn,
  spyOn,
  isMockFunction: isMock,
  mocked: (x) => x,
  clearAllMocks() {
    for (const m of allMocks) m.mockClear();
    return vi;
  },
  resetAllMocks() {
    for (const m of allMocks) m.mockReset();
    return vi;
  },
  restoreAllMocks() {
    for (const m of spies.splice(0).reverse()) m.mockRestore();
    return vi;
  },
  mock(path, factory) {
    if (collecting) throw new Error('vi.mock must be called at the top level of the test file');
    moduleMocks.push({ path, factory });
  },
  doMock(path, factory) {
    moduleMocks.push({ path, factory });
  },
  unmock() {},
  hoisted: (f) => f(),
  importActual: async (p) => {
    const found = mockedModule(p);
    if (!found) throw new Error(`vi.importActual(${show(p)}): not available here`);
    return { ...found.module, default: found.module };
  },
  useFakeTimers(options) {
    fakeTimers = true;
    freeze(options && options.now !== undefined ? options.now : fakeNow === null ? undefined : fakeNow);
    const only = options && Array.isArray(options.toFake) ? options.toFake : Object.keys(fakeTimerGlobals);
    for (const name of Object.keys(fakeTimerGlobals)) {
      globalThis[name] = only.includes(name) ? fakeTimerGlobals[name] : realTimers[name];
    }
    return vi;
  },
  useRealTimers() {
    thaw();
    return vi;
  },
  isFakeTimers: () => fakeTimers,
  setSystemTime(t) {
    // Pending fake timers keep the time they have left, as vitest's.
    const before = now();
    freeze(t);
    for (const timer of pending.values()) timer.at += fakeNow - before;
    return vi;
  },
  getMockedSystemTime: () => (fakeNow === null ? null : new RealDate(fakeNow)),
  getRealSystemTime: () => realNow(),
  advanceTimersByTime(ms) {
    checkFake('advanceTimersByTime');
    const to = now() + (Number(ms) || 0);
    runTimers(to, false);
    fakeNow = to;
    return vi;
  },
  async advanceTimersByTimeAsync(ms) {
    checkFake('advanceTimersByTimeAsync');
    const to = now() + (Number(ms) || 0);
    await runTimers(to, true);
    fakeNow = to;
    return vi;
  },
  advanceTimersToNextTimer(steps = 1) {
    checkFake('advanceTimersToNextTimer');
    for (let i = 0; i < steps; i++) {
      const t = nextDue(Infinity);
      if (!t) break;
      runTimer(t);
    }
    return vi;
  },
  async advanceTimersToNextTimerAsync(steps = 1) {
    checkFake('advanceTimersToNextTimerAsync');
    for (let i = 0; i < steps; i++) {
      await settle();
      const t = nextDue(Infinity);
      if (!t) break;
      runTimer(t);
    }
    return vi;
  },
  runAllTimers() {
    checkFake('runAllTimers');
    runTimers(Infinity, false);
    return vi;
  },
  async runAllTimersAsync() {
    checkFake('runAllTimersAsync');
    await runTimers(Infinity, true);
    return vi;
  },
  // The timers pending now, and those they queue that are due before the
  // last of them.
  runOnlyPendingTimers() {
    checkFake('runOnlyPendingTimers');
    const last = Math.max(now(), ...[...pending.values()].map((t) => t.at));
    runTimers(last, false);
    return vi;
  },
  async runOnlyPendingTimersAsync() {
    checkFake('runOnlyPendingTimersAsync');
    const last = Math.max(now(), ...[...pending.values()].map((t) => t.at));
    await runTimers(last, true);
    return vi;
  },
  clearAllTimers() {
    pending.clear();
    return vi;
  },
  getTimerCount: () => pending.size,
};

// ------------------------------------------------------------ Nango's mocks

// NangoActionMock and NangoSyncMock are nango objects over the mock's
// own host (its fixture), with every method a vi.fn calling the real one,
// so a test can spy on or replace any. As Nango's mocks:
// zodValidateInput hands the input back, getWebhookURL answers a fixed
// URL, a sync mock's lastSyncDate is null, proxyData answers {data,
// headers, status}, and the fixture's values are handed out by getInput,
// getOutput, getBatchSaveData and getBatchDeleteData. The classes exist
// from the file's first import on, as Nango's setup file installs them
// (a few templates patch their prototype when loaded); they are usable
// once the run has handed over the harness (harness below).
let harness;

class NangoActionMock {
  #id = 0;
  #openError;
  #nango;

  constructor(options = {}, kind = 'action') {
    const h = harness;
    if (!h) throw new Error('NangoActionMock: construct mocks inside describe or it');
    const { dirname, name, Model } = options;
    try {
      this.#id = h.callSync('mock.open', { dirname: String(dirname ?? h.input.dirname), name: String(name ?? ''), kind }).id;
    } catch (e) {
      this.#openError = e instanceof Error ? e : new Error(String(e));
    }
    const id = this.#id;
    const openError = this.#openError;
    const transport = openError ? () => Promise.reject(openError) : (op, args) => h.call(op, args, id);
    const nango = new h.Nango({ providerConfigKey: h.info.providerConfigKey }, transport);
    this.#nango = nango;
    this.dirname = dirname;
    this.name = name;
    this.Model = Model;
    this.providerConfigKey = h.info.providerConfigKey;
    this.ActionError = h.ActionError;
    const proto = Object.getPrototypeOf(this);
    for (const k of Object.getOwnPropertyNames(h.Nango.prototype)) {
      if (k === 'constructor' || typeof h.Nango.prototype[k] !== 'function') continue;
      // A method a test file put on the mock's prototype stays visible.
      if (typeof proto[k] === 'function') continue;
      this[k] = fn(h.Nango.prototype[k].bind(nango));
    }
    this.zodValidateInput = fn(({ input } = {}) => ({ success: true, data: input }));
    this.getWebhookURL = fn(() => 'https://example.com/webhook');
  }

  #fixture(...path) {
    if (this.#openError) throw this.#openError;
    return harness.callSync('mock.fixture', { id: this.#id, path });
  }

  async proxyData(config) {
    const r = await this.#nango.proxy(config);
    return { data: r.data, headers: r.headers, status: r.status };
  }

  async getBatchSaveData(model) {
    return this.#fixture('nango', 'batchSave', String(model));
  }

  async getBatchDeleteData(model) {
    return this.#fixture('nango', 'batchDelete', String(model));
  }

  async getInput() {
    return this.#fixture('input');
  }

  async getOutput() {
    const out = this.#fixture('output');
    if (out === undefined) throw new Error('Missing mock data for output');
    return out;
  }
}

class NangoSyncMock extends NangoActionMock {
  constructor(options = {}) {
    super(options, 'sync');
    this.lastSyncDate = null;
  }
}

globalThis.global = globalThis;
globalThis.vitest = { NangoActionMock, NangoSyncMock };

// ------------------------------------------------------------ running

// perCaseTimeout stops a case that never settles (vitest's testTimeout,
// generous for an interpreter); the execution's own limit bounds the file.
const perCaseTimeout = 60_000;

function withTimeout(p, what) {
  if (!p || typeof p.then !== 'function') return p;
  let timer;
  const limit = new Promise((_, reject) => {
    timer = realTimers.setTimeout(() => reject(new Error(`${what} timed out after ${perCaseTimeout / 1000} s`)), perCaseTimeout);
  });
  return Promise.race([p, limit]).finally(() => realTimers.clearTimeout(timer));
}

async function collect(s) {
  for (const c of s.children) {
    if (!c.suite) continue;
    const prev = current;
    current = c.suite;
    try {
      if (typeof c.suite.body === 'function') await c.suite.body();
    } finally {
      current = prev;
    }
    await collect(c.suite);
  }
}

async function runHooks(list, what) {
  for (const f of list) await withTimeout(f(), what);
}

async function runSuite(s, chain, report, skipped) {
  const skip = skipped || s.skip;
  const here = s === root ? chain : chain.concat([s]);
  let setupError;
  if (!skip) {
    try {
      await runHooks(s.beforeAll, 'beforeAll');
    } catch (e) {
      setupError = e;
    }
  }
  for (const c of s.children) {
    if (c.suite) await runSuite(c.suite, here, report, skip || setupError !== undefined);
    else await runCase(c.test, here, report, skip, setupError);
  }
  if (!skip) {
    try {
      await runHooks(s.afterAll, 'afterAll');
    } catch (e) {
      report({ name: [...names(s), '(afterAll)'].join(' > '), ok: false, message: errorText(e), ms: 0 });
    }
  }
}

async function runCase(t, chain, report, skipped, setupError) {
  const name = [...names(t.suite), t.name].join(' > ');
  if (skipped || t.skip || typeof t.fn !== 'function') {
    report({ name, ok: true, skipped: true, ms: 0 });
    return;
  }
  const start = realNow();
  let error = setupError;
  const suites = [root, ...chain];
  const cleanups = [];
  if (error === undefined) {
    try {
      for (const s of suites) {
        for (const f of s.beforeEach) {
          const r = await withTimeout(f(), 'beforeEach');
          if (typeof r === 'function') cleanups.unshift(r);
        }
      }
      await withTimeout(t.fn(), 'the test');
    } catch (e) {
      error = e;
    }
  }
  for (const f of cleanups) {
    try {
      await f();
    } catch (e) {
      if (error === undefined) error = e;
    }
  }
  for (const s of suites.slice().reverse()) {
    for (const f of s.afterEach.slice().reverse()) {
      try {
        await withTimeout(f(), 'afterEach');
      } catch (e) {
        if (error === undefined) error = e;
      }
    }
  }
  report({ name, ok: error === undefined, message: error === undefined ? undefined : errorText(error), ms: realNow() - start });
}

Object.defineProperty(globalThis, '__pb_vitest_run', {
  value: async (h) => {
    harness = h;
    globalThis.__dirname = h.input.dirname;
    globalThis.__filename = h.input.file;
    globalThis.__pb_vitest_readFile = (p, enc) => {
      const text = h.callSync('test.readFile', { path: p });
      return enc === undefined || enc === null ? Buffer.from(text, 'utf8') : text;
    };
    let passed = 0;
    let failed = 0;
    const report = (r) => {
      if (r.ok) passed++;
      else failed++;
      h.callSync('test.result', r);
    };
    try {
      for (const m of moduleMocks) await applyModuleMock(m);
      collecting = true;
      await collect(root);
      collecting = false;
      await runSuite(root, [], report, false);
    } finally {
      thaw();
      for (const restore of moduleRestores.splice(0).reverse()) restore();
    }
    return { passed, failed };
  },
  writable: false,
  configurable: false,
  enumerable: false,
});

export default { describe, it, test, suite, expect, vi, beforeAll, afterAll, beforeEach, afterEach };
