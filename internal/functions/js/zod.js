// Patchbay's zod: a from-scratch implementation of the part of the zod v4 API
// that integration functions use (Nango-style templates import `zod`). It
// runs inside QuickJS, so it relies on nothing but ES2023: no Intl, no URL,
// no Node APIs.
//
// Design in brief:
//   - Every schema is an instance of a ZodType subclass holding an immutable
//     `def` object. Methods never mutate a schema; they return a new one.
//   - Parsing walks the schema with a ParseContext that carries the current
//     path and collects every issue (objects and arrays report all failures,
//     not just the first). Issues are plain JSON-serialisable objects in zod
//     v4's shape: { code, ...details, path, message }.
//   - Refinements, length/format checks and in-place rewrites (trim…) are
//     "checks" stored on the schema and run after the type itself parsed. Like
//     zod, a check is skipped once a fatal issue (wrong type, missing key) was
//     reported for the value, so `.refine` never sees garbage.
//   - toJSONSchema asks each schema class for its JSON Schema (draft 2020-12,
//     zod v4's default "output" view) through a small writer that merges
//     metadata, extracts `meta({id})` schemas into $defs and breaks cycles.

// ─── Small helpers ──────────────────────────────────────────────────────────

const hasOwn = (o, k) => Object.prototype.hasOwnProperty.call(o, k);

const isThenable = (v) =>
  v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';

// What z.object accepts: any non-null, non-array object (class instances too).
const isObjectInput = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

function isPlainObject(v) {
  if (!isObjectInput(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// Assigns without tripping the inherited `__proto__` setter.
function defineKey(obj, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

// The "received …" word of invalid_type messages, matching zod's wording.
function typeName(v) {
  switch (typeof v) {
    case 'number':
      if (Number.isNaN(v)) return 'NaN';
      return Number.isFinite(v) ? 'number' : v > 0 ? 'Infinity' : '-Infinity';
    case 'object': {
      if (v === null) return 'null';
      if (Array.isArray(v)) return 'array';
      const proto = Object.getPrototypeOf(v);
      if (proto && proto !== Object.prototype && proto.constructor && proto.constructor.name) {
        return proto.constructor.name;
      }
      return 'object';
    }
    default:
      return typeof v;
  }
}

const quote = (v) => (typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : String(v));

// "items[1].price" style paths for human-readable messages.
function formatPath(path) {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

// Escapes only syntax characters, so the result is also valid in the
// Unicode-mode regexes JSON Schema validators compile patterns with.
const escapeRegExp = (s) => s.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');

// Default values are copied per parse so callers cannot mutate the shared one.
function freshValue(v) {
  if (typeof v === 'function') return v();
  if (Array.isArray(v)) return v.slice();
  if (isPlainObject(v)) return Object.assign({}, v);
  return v;
}

function asyncParseError() {
  return new Error('Encountered Promise during synchronous parse. Use .parseAsync() instead.');
}

// ─── Messages ───────────────────────────────────────────────────────────────

const SIZE_UNITS = { string: 'characters', array: 'items', set: 'items', file: 'bytes' };
const FORMAT_NOUNS = {
  email: 'email address',
  url: 'URL',
  uuid: 'UUID',
  guid: 'GUID',
  e164: 'E.164 number',
  datetime: 'ISO datetime',
  date: 'ISO date',
  time: 'ISO time',
};

// zod v4's English messages, keyed off the issue itself.
function defaultMessage(iss, input) {
  switch (iss.code) {
    case 'invalid_type':
      return `Invalid input: expected ${iss.expected}, received ${typeName(input)}`;
    case 'invalid_value':
      return iss.values.length === 1
        ? `Invalid input: expected ${quote(iss.values[0])}`
        : `Invalid option: expected one of ${iss.values.map(quote).join('|')}`;
    case 'too_small':
    case 'too_big': {
      const small = iss.code === 'too_small';
      const op = (small ? '>' : '<') + (iss.inclusive ? '=' : '');
      const bound = small ? iss.minimum : iss.maximum;
      const head = `${small ? 'Too small' : 'Too big'}: expected ${iss.origin || 'value'} to`;
      const unit = SIZE_UNITS[iss.origin];
      if (!unit) return `${head} be ${op}${bound}`;
      return iss.exact ? `${head} have exactly ${bound} ${unit}` : `${head} have ${op}${bound} ${unit}`;
    }
    case 'invalid_format':
      switch (iss.format) {
        case 'starts_with':
          return `Invalid string: must start with "${iss.prefix}"`;
        case 'ends_with':
          return `Invalid string: must end with "${iss.suffix}"`;
        case 'includes':
          return `Invalid string: must include "${iss.includes}"`;
        case 'regex':
          return `Invalid string: must match pattern ${iss.pattern}`;
        default:
          return `Invalid ${FORMAT_NOUNS[iss.format] || iss.format}`;
      }
    case 'not_multiple_of':
      return `Invalid number: must be a multiple of ${iss.divisor}`;
    case 'unrecognized_keys':
      return `Unrecognized key${iss.keys.length > 1 ? 's' : ''}: ${iss.keys.map(quote).join(', ')}`;
    case 'invalid_key':
      return `Invalid key in ${iss.origin}`;
    case 'invalid_union':
      if (iss.options) return `Invalid discriminator value. Expected ${iss.options.map((o) => `'${o}'`).join(' | ')}`;
      return 'Invalid input';
    default: // custom
      return 'Invalid input';
  }
}

// Error parameters as zod accepts them: "message", { message }, { error:
// string | (issue) => string }, plus zod 3's required_error and
// invalid_type_error, which templates written against v3 still pass.
function normParams(p) {
  if (typeof p === 'string' || typeof p === 'function') return { error: p };
  return p !== null && typeof p === 'object' ? p : undefined;
}

function customMessage(spec, issue, input) {
  if (!spec) return undefined;
  const e = spec.error;
  if (typeof e === 'string') return e;
  if (typeof e === 'function') {
    const r = e(Object.assign({}, issue, { input }));
    if (typeof r === 'string') return r;
    if (r && typeof r.message === 'string') return r.message;
  }
  if (typeof spec.message === 'string') return spec.message;
  if (issue.code === 'invalid_type') {
    if (input === undefined && typeof spec.required_error === 'string') return spec.required_error;
    if (typeof spec.invalid_type_error === 'string') return spec.invalid_type_error;
  }
  return undefined;
}

// ─── Parse context ──────────────────────────────────────────────────────────

class ParseContext {
  constructor(isAsync, pending) {
    this.async = isAsync;
    this.pending = pending || []; // promises to settle before an async parse returns
    this.issues = [];
    this.fatal = []; // parallel to issues: true when the issue stops later checks
    this.path = [];
    this.fallback = undefined; // error params of the schema whose checks are running
  }

  // A context with its own issue list and a path relative to here; unions and
  // .catch use it to try a schema without committing its issues.
  fork() { return new ParseContext(this.async, this.pending); }

  report(props, input, spec, fatal, extraPath) {
    const issue = Object.assign({}, props);
    issue.path = extraPath && extraPath.length ? this.path.concat(extraPath) : this.path.slice();
    let msg = customMessage(spec, issue, input);
    if (msg === undefined) msg = customMessage(this.fallback, issue, input);
    issue.message = msg !== undefined ? msg : defaultMessage(issue, input);
    this.issues.push(issue);
    this.fatal.push(fatal !== false);
  }

  abortedSince(start) {
    for (let i = start; i < this.fatal.length; i++) if (this.fatal[i]) return true;
    return false;
  }

  truncate(n) {
    this.issues.length = n;
    this.fatal.length = n;
  }

  // Takes over a fork's issues, re-rooting their paths here.
  adopt(sub) {
    for (let i = 0; i < sub.issues.length; i++) {
      const iss = sub.issues[i];
      iss.path = this.path.concat(iss.path);
      this.issues.push(iss);
      this.fatal.push(sub.fatal[i]);
    }
  }

  // Runs fn with the path temporarily set to `path` (for async callbacks that
  // fire after the synchronous walk has moved on).
  at(path, fn) {
    const saved = this.path;
    this.path = path.slice();
    try {
      return fn();
    } finally {
      this.path = saved;
    }
  }
}

// Stores a parsed value; in async mode a promise (async transform) is
// replaced by its result once settled.
function setOut(ctx, out, key, value) {
  defineKey(out, key, value);
  if (ctx.async && isThenable(value)) {
    ctx.pending.push(value.then((v) => defineKey(out, key, v)));
  }
}

// Issues raised by user code (superRefine ctx.addIssue, transform ctx.addIssue).
function reportUserIssue(ctx, path, iss, input) {
  if (typeof iss === 'string') iss = { message: iss };
  const props = Object.assign({ code: 'custom' }, iss);
  const extraPath = props.path;
  const fatal = props.fatal === true || props.continue === false;
  const message = props.message;
  for (const k of ['path', 'continue', 'message', 'input', 'inst']) delete props[k];
  ctx.at(path, () =>
    ctx.report(props, 'input' in iss ? iss.input : input, message !== undefined ? { error: message } : undefined, fatal, extraPath),
  );
}

// ─── ZodError ───────────────────────────────────────────────────────────────

class ZodError extends Error {
  constructor(issues) {
    super();
    Object.defineProperty(this, 'name', { value: 'ZodError', writable: true, configurable: true });
    this.issues = issues || [];
  }

  // zod v4 puts raw JSON here; we give the readable form of z.prettifyError
  // so logs and thrown errors make sense without post-processing.
  get message() { return prettifyError(this); }

  get errors() { return this.issues; } // zod 3 name

  get isEmpty() { return this.issues.length === 0; }

  addIssue(issue) { this.issues.push(issue); }

  addIssues(issues) { for (const i of issues) this.issues.push(i); }

  flatten(mapper = (i) => i.message) {
    const formErrors = [];
    const fieldErrors = {};
    for (const iss of this.issues) {
      if (iss.path.length === 0) formErrors.push(mapper(iss));
      else (fieldErrors[iss.path[0]] ||= []).push(mapper(iss));
    }
    return { formErrors, fieldErrors };
  }

  // zod 3's nested { _errors, field: { _errors } } shape.
  format(mapper = (i) => i.message) {
    const root = { _errors: [] };
    for (const iss of this.issues) {
      let node = root;
      for (const seg of iss.path) node = node[seg] ||= { _errors: [] };
      node._errors.push(mapper(iss));
    }
    return root;
  }
}

function prettifyError(error) {
  return error.issues
    .map((i) => `✖ ${i.message}${i.path && i.path.length ? `\n  → at ${formatPath(i.path)}` : ''}`)
    .join('\n');
}

const flattenError = (error, mapper) => error.flatten(mapper);

// ─── Checks ─────────────────────────────────────────────────────────────────
//
// A check is { kind, run(value, ctx) → value, json?(agg) }. `run` reports
// issues and returns the value (rewritten for trim & co). `json` folds the
// constraint into an aggregate that toJSONSchema reads: the tightest bound
// wins, patterns and divisors accumulate.

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function narrowMin(agg, key, v) {
  if (agg[key] === undefined || v > agg[key]) agg[key] = v;
}
function narrowMax(agg, key, v) {
  if (agg[key] === undefined || v < agg[key]) agg[key] = v;
}

function aggregate(schema) {
  const agg = { patterns: [], multipleOf: [] };
  for (const ch of schema.def.checks || []) if (ch.json) ch.json(agg);
  return agg;
}

const aborts = (spec) => Boolean(spec && spec.abort);

// min/max/length on strings and arrays.
function sizeCheck(origin, kind, n, params) {
  const spec = normParams(params);
  return {
    kind: `${kind}_length`,
    value: n,
    run(v, ctx) {
      const len = v.length;
      const exact = kind === 'length' ? { exact: true } : {};
      if (kind !== 'max' && len < n) {
        ctx.report(Object.assign({ code: 'too_small', origin, minimum: n, inclusive: true }, exact), v, spec, aborts(spec));
      } else if (kind !== 'min' && len > n) {
        ctx.report(Object.assign({ code: 'too_big', origin, maximum: n, inclusive: true }, exact), v, spec, aborts(spec));
      }
      return v;
    },
    json(agg) {
      if (kind !== 'max') narrowMin(agg, 'minimum', n);
      if (kind !== 'min') narrowMax(agg, 'maximum', n);
    },
  };
}

// gt/gte/lt/lte on numbers, bigints and dates.
function boundCheck(origin, side, value, inclusive, params) {
  const spec = normParams(params);
  // Dates compare (and are reported, like zod does) as epoch milliseconds.
  const bound = value instanceof Date ? value.getTime() : value;
  return {
    kind: side === 'min' ? 'greater_than' : 'less_than',
    value: bound,
    inclusive,
    run(v, ctx) {
      const a = v instanceof Date ? v.getTime() : v;
      const ok = side === 'min' ? (inclusive ? a >= bound : a > bound) : inclusive ? a <= bound : a < bound;
      if (!ok) {
        const props =
          side === 'min'
            ? { code: 'too_small', origin, minimum: bound, inclusive }
            : { code: 'too_big', origin, maximum: bound, inclusive };
        ctx.report(props, v, spec, aborts(spec));
      }
      return v;
    },
    json(agg) {
      if (typeof bound !== 'number' || origin === 'date') return;
      if (side === 'min') narrowMin(agg, inclusive ? 'minimum' : 'exclusiveMinimum', bound);
      else narrowMax(agg, inclusive ? 'maximum' : 'exclusiveMaximum', bound);
    },
  };
}

function intCheck(params) {
  const spec = normParams(params);
  return {
    kind: 'int',
    run(v, ctx) {
      if (!Number.isInteger(v)) {
        // zod reports a non-integer as a type error ("expected int").
        ctx.report({ code: 'invalid_type', expected: 'int', format: 'safeint' }, v, spec, true);
      } else if (!Number.isSafeInteger(v)) {
        const note = 'Integers must be within the safe integer range.';
        const props =
          v > 0
            ? { code: 'too_big', origin: 'int', maximum: MAX_SAFE, inclusive: true, note }
            : { code: 'too_small', origin: 'int', minimum: -MAX_SAFE, inclusive: true, note };
        ctx.report(props, v, spec, true);
      }
      return v;
    },
    json(agg) {
      // zod emits the safe-integer range along with type "integer".
      agg.isInt = true;
      narrowMin(agg, 'minimum', -MAX_SAFE);
      narrowMax(agg, 'maximum', MAX_SAFE);
    },
  };
}

// Decimal places of a number, including exponent notation (1e-7).
function decimals(x) {
  const s = String(x);
  const e = s.indexOf('e-');
  if (e >= 0) {
    const mant = s.slice(0, e);
    const dot = mant.indexOf('.');
    return (dot >= 0 ? mant.length - dot - 1 : 0) + Number(s.slice(e + 2));
  }
  const dot = s.indexOf('.');
  return dot >= 0 ? s.length - dot - 1 : 0;
}

function multipleOfCheck(step, params) {
  const spec = normParams(params);
  return {
    kind: 'multiple_of',
    value: step,
    run(v, ctx) {
      let ok;
      if (typeof v === 'bigint') ok = v % BigInt(step) === 0n;
      else {
        // Scale both to integers first so 0.3 is a multiple of 0.1.
        const scale = 10 ** Math.max(decimals(v), decimals(step));
        ok = Math.round(v * scale) % Math.round(step * scale) === 0;
      }
      if (!ok) ctx.report({ code: 'not_multiple_of', origin: typeof v, divisor: step }, v, spec, aborts(spec));
      return v;
    },
    json(agg) {
      if (typeof step === 'number' && Number.isFinite(step) && step !== 0) agg.multipleOf.push(Math.abs(step));
    },
  };
}

// A string format (email, url, regex, starts_with …). `test` returns true,
// or false / an object of details for the issue, which also gets `extra`.
// `pattern` (a regex source) and `jsonFormat` feed toJSONSchema.
function formatCheck(format, test, params, extra, pattern, jsonFormat) {
  const spec = normParams(params);
  return {
    kind: 'string_format',
    format,
    run(v, ctx) {
      const ok = test(v);
      if (ok !== true) {
        const head = format === 'url' ? { code: 'invalid_format' } : { code: 'invalid_format', origin: 'string' };
        ctx.report(Object.assign(head, { format }, extra, ok || undefined), v, spec, aborts(spec));
      }
      return v;
    },
    json(agg) {
      if (jsonFormat !== undefined) agg.format = jsonFormat;
      if (pattern !== undefined) agg.patterns.push(pattern);
    },
  };
}

// trim, toLowerCase & co rewrite the value in place, in chain order.
const overwrite = (fn) => ({ kind: 'overwrite', run: (v) => fn(v) });

function refineCheck(fn, params) {
  const spec = normParams(params);
  const extraPath = spec && spec.path;
  const details = spec && spec.params !== undefined ? { params: spec.params } : {};
  const fail = (ctx, v) =>
    ctx.report(Object.assign({ code: 'custom' }, details), v, spec, aborts(spec), extraPath);
  return {
    kind: 'custom',
    run(v, ctx) {
      const ok = fn(v);
      if (isThenable(ok)) {
        if (!ctx.async) throw asyncParseError();
        const path = ctx.path.slice();
        ctx.pending.push(ok.then((r) => r || ctx.at(path, () => fail(ctx, v))));
      } else if (!ok) {
        fail(ctx, v);
      }
      return v;
    },
  };
}

function superRefineCheck(fn) {
  return {
    kind: 'custom',
    run(v, ctx) {
      const path = ctx.path.slice();
      const rctx = { value: v, path, addIssue: (iss) => reportUserIssue(ctx, path, iss, v) };
      const r = fn(v, rctx);
      if (isThenable(r)) {
        if (!ctx.async) throw asyncParseError();
        ctx.pending.push(r);
      }
      return v;
    },
  };
}

// A zod 4 check function: it gets {value, issues} and pushes onto issues.
function pushCheck(fn) {
  return {
    kind: 'custom',
    run(v, ctx) {
      const path = ctx.path.slice();
      const payload = { value: v, issues: [] };
      const report = () => {
        for (const iss of payload.issues) reportUserIssue(ctx, path, iss, v);
      };
      const r = fn(payload);
      if (isThenable(r)) {
        if (!ctx.async) throw asyncParseError();
        ctx.pending.push(r.then(report));
      } else {
        report();
      }
      return v;
    },
  };
}

// ─── String formats (our own validators) ────────────────────────────────────

// RFC 5322 dot-atom local part, dotted domain ending in a 2+ letter TLD.
const EMAIL_RE =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}$/;
// E.164 phone numbers: '+', then 7 to 15 digits (zod's own pattern, which
// toJSONSchema emits beside the format, as zod does).
const E164_RE = /^\+(?:[0-9]){6,14}[0-9]$/;
// Any 8-4-4-4-12 hex string.
const GUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// RFC 9562 UUID: version digit 1-8 (or the one asked for) and variant 10xx;
// without a version, the nil and max UUIDs too.
function uuidRegExp(version) {
  const v = version ? String(version).replace(/^v/, '') : '1-8';
  const special = version ? '' : '|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}';
  return new RegExp(`^(?:[0-9a-f]{8}-[0-9a-f]{4}-[${v}][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}${special})$`, 'i');
}

function validDay(y, m, d) {
  if (m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

const DATE_RE = /^(\d{4})-(\d\d)-(\d\d)$/;
const TIME_RE = /^(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?$/;
const DATETIME_RE = /^(\d{4})-(\d\d)-(\d\d)T([\d:.]+)(Z|[+-]\d\d:\d\d)?$/;

const isoDate = (s) => {
  const m = DATE_RE.exec(s);
  return m !== null && validDay(+m[1], +m[2], +m[3]);
};

// precision: undefined → seconds optional unless needSeconds, any fraction;
// -1 → minutes only; 0 → whole seconds; n → exactly n fraction digits.
function isoTime(s, precision, needSeconds) {
  const m = TIME_RE.exec(s);
  if (!m || +m[1] > 23 || +m[2] > 59 || (m[3] !== undefined && +m[3] > 59)) return false;
  if (typeof precision !== 'number') return !needSeconds || m[3] !== undefined;
  if (precision === -1) return m[3] === undefined;
  return m[3] !== undefined && (m[4] || '').length === precision;
}

// As in zod: a zoned datetime needs seconds and ends in "Z" (or "±HH:MM"
// with {offset: true}); {local: true} also allows no zone, where seconds
// are optional.
function isoDateTime(s, opts) {
  const m = DATETIME_RE.exec(s);
  if (!m || !validDay(+m[1], +m[2], +m[3])) return false;
  const zone = m[5];
  if (zone === undefined) return Boolean(opts.local) && isoTime(m[4], opts.precision, false);
  if (!isoTime(m[4], opts.precision, true)) return false;
  return zone === 'Z' || (Boolean(opts.offset) && +zone.slice(1, 3) <= 23 && +zone.slice(4) <= 59);
}

// No WHATWG URL in QuickJS, so an approximation of what `new URL()` accepts:
// a scheme, and for the network schemes a non-empty host (slashes after the
// colon are optional there, as browsers allow). Returns { protocol,
// hostname } or null.
const NETWORK_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp']);
function parseURL(raw) {
  const m = /^([A-Za-z][A-Za-z\d+.-]*):([^]*)$/.exec(raw.trim());
  if (!m) return null;
  const protocol = m[1].toLowerCase();
  let rest = m[2];
  if (NETWORK_SCHEMES.has(protocol)) rest = rest.replace(/^[/\\]*/, '//');
  else if (!rest.startsWith('//')) return { protocol, hostname: '' };
  const end = rest.slice(2).search(/[/\\?#]/);
  const authority = end < 0 ? rest.slice(2) : rest.slice(2, 2 + end);
  let host = authority.slice(authority.lastIndexOf('@') + 1);
  host = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d*$/, '');
  if (host === '') return NETWORK_SCHEMES.has(protocol) ? null : { protocol, hostname: '' };
  if (!/^(?:\[[\dA-Fa-f:.]+\]|[^\s:@[\]<>^|%]+)$/.test(host)) return null;
  return { protocol, hostname: host.toLowerCase() };
}

function urlTest(spec) {
  const protocol = spec && spec.protocol;
  const hostname = spec && spec.hostname;
  return (s) => {
    const u = parseURL(s);
    if (!u) return false;
    if (protocol) {
      protocol.lastIndex = 0;
      if (!protocol.test(u.protocol)) return { note: 'Invalid protocol', pattern: protocol.source };
    }
    if (hostname) {
      hostname.lastIndex = 0;
      if (!hostname.test(u.hostname)) return { note: 'Invalid hostname', pattern: hostname.source };
    }
    return true;
  };
}

// ─── Base schema ────────────────────────────────────────────────────────────

class ZodType {
  constructor(def) {
    this.def = def; // { type, checks?, error?, ...per-type fields }
    this._meta = undefined; // describe()/meta() data, emitted into JSON Schema
  }

  get _def() { return this.def; }
  get type() { return this.def.type; }
  get description() { return this._meta ? this._meta.description : undefined; }

  // ── hooks for subclasses ──
  _parse(input) { return input; }
  _toJSON() { return {}; }
  // Whether a missing key is acceptable on input (optional, default) and
  // may be absent on output (optional). Drives object parsing and `required`.
  _optIn() { return false; }
  _optOut() { return false; }
  // The finite set of values this schema accepts (literals, enums), or null.
  // Used to index discriminated unions and to make enum-keyed records exhaustive.
  _discValues() { return null; }

  _run(input, ctx) {
    const start = ctx.issues.length;
    let value = this._parse(input, ctx);
    const checks = this.def.checks;
    if (checks && checks.length && !ctx.abortedSince(start)) {
      // z.string({ error }) also words the issues of its checks.
      const saved = ctx.fallback;
      ctx.fallback = this.def.error;
      try {
        for (const ch of checks) {
          const before = ctx.issues.length;
          value = ch.run(value, ctx);
          if (ctx.abortedSince(before)) break;
        }
      } finally {
        ctx.fallback = saved;
      }
    }
    return value;
  }

  _typeIssue(ctx, input, expected, extra) {
    ctx.report(Object.assign({ code: 'invalid_type', expected }, extra), input, this.def.error, true);
    return input;
  }

  _clone(patch, keepMeta = true) {
    const copy = new this.constructor(Object.assign({}, this.def, patch));
    if (keepMeta) copy._meta = this._meta;
    return copy;
  }

  _with(check) { return this._clone({ checks: (this.def.checks || []).concat(check) }); }

  // ── parsing ──
  safeParse(data) {
    const ctx = new ParseContext(false);
    const value = this._run(data, ctx);
    return ctx.issues.length ? { success: false, error: new ZodError(ctx.issues) } : { success: true, data: value };
  }

  parse(data) {
    const r = this.safeParse(data);
    if (!r.success) throw r.error;
    return r.data;
  }

  async safeParseAsync(data) {
    const ctx = new ParseContext(true);
    let value = this._run(data, ctx);
    // Async refinements and transforms register promises as they go; keep
    // draining until nothing new appears.
    for (;;) {
      if (isThenable(value)) value = await value;
      else if (ctx.pending.length) await Promise.all(ctx.pending.splice(0));
      else break;
    }
    return ctx.issues.length ? { success: false, error: new ZodError(ctx.issues) } : { success: true, data: value };
  }

  async parseAsync(data) {
    const r = await this.safeParseAsync(data);
    if (!r.success) throw r.error;
    return r.data;
  }

  spa(data) { return this.safeParseAsync(data); }

  // ── wrappers ──
  optional() { return new ZodOptional({ type: 'optional', innerType: this }); }
  nullable() { return new ZodNullable({ type: 'nullable', innerType: this }); }
  nullish() { return this.nullable().optional(); }
  default(value) { return new ZodDefault({ type: 'default', innerType: this, defaultValue: value }); }
  // Like default, but the value is parsed by this schema (zod 3's .default).
  prefault(value) {
    return new ZodDefault({ type: 'prefault', innerType: this, defaultValue: value, prefault: true });
  }
  catch(value) { return new ZodCatch({ type: 'catch', innerType: this, catchValue: value }); }
  readonly() { return new ZodReadonly({ type: 'readonly', innerType: this }); }
  array() { return array(this); }
  or(other) { return union([this, other]); }
  and(other) { return intersection(this, other); }
  transform(fn) { return this.pipe(new ZodTransform({ type: 'transform', fn })); }
  pipe(target) { return new ZodPipe({ type: 'pipe', in: this, out: target }); }
  brand() { return this; } // type-level only
  clone() { return this._clone({}); }

  // ── refinements ──
  refine(fn, params) { return this._with(refineCheck(fn, params)); }
  superRefine(fn) { return this._with(superRefineCheck(fn)); }
  // check(...checks), zod 4's way to add checks: z.describe()/z.meta()
  // (metadata), z.refine()/z.superRefine() (our check objects), or a
  // function given {value, issues} that pushes issues.
  check(...checks) {
    let out = this;
    for (const ch of checks) {
      if (typeof ch === 'function') out = out._with(pushCheck(ch));
      else if (ch && ch.kind === 'meta') out = out.meta(ch.meta);
      else if (ch && typeof ch.run === 'function') out = out._with(ch);
      else throw new TypeError('check() expects z.describe(), z.meta(), z.refine(), z.superRefine() or a function');
    }
    return out;
  }

  // ── metadata ──
  describe(description) {
    const copy = this._clone({});
    copy._meta = Object.assign({}, this._meta, { description });
    return copy;
  }
  meta(data) {
    if (data === undefined) return this._meta;
    const copy = this._clone({});
    copy._meta = Object.assign({}, this._meta, data);
    return copy;
  }

  isOptional() { return this.safeParse(undefined).success; }
  isNullable() { return this.safeParse(null).success; }

  toJSONSchema(params) { return toJSONSchema(this, params); }

  // Standard Schema v1, for libraries that accept any validator.
  get '~standard'() {
    return {
      version: 1,
      vendor: 'zod',
      validate: (value) => {
        const r = this.safeParse(value);
        return r.success ? { value: r.data } : { issues: r.error.issues };
      },
    };
  }
}

// ─── Primitives ─────────────────────────────────────────────────────────────

// Maps our format names to JSON Schema's `format` keyword.
const JSON_FORMATS = { email: 'email', url: 'uri', uuid: 'uuid', guid: 'uuid', e164: 'e164', datetime: 'date-time', date: 'date' };

class ZodString extends ZodType {
  _parse(input, ctx) {
    if (this.def.coerce) {
      try {
        input = String(input);
      } catch (_) {
        // Symbols and exotic objects stay as they are and fail below.
      }
    }
    return typeof input === 'string' ? input : this._typeIssue(ctx, input, 'string');
  }

  min(n, params) { return this._with(sizeCheck('string', 'min', n, params)); }
  max(n, params) { return this._with(sizeCheck('string', 'max', n, params)); }
  length(n, params) { return this._with(sizeCheck('string', 'length', n, params)); }
  nonempty(params) { return this.min(1, params); }

  regex(re, params) {
    const test = (s) => {
      re.lastIndex = 0; // a /g or /y regex keeps state between calls
      return re.test(s);
    };
    return this._with(formatCheck('regex', test, params, { pattern: re.toString() }, re.source));
  }
  startsWith(prefix, params) {
    const test = (s) => s.startsWith(prefix);
    return this._with(formatCheck('starts_with', test, params, { prefix }, `^${escapeRegExp(prefix)}.*`));
  }
  endsWith(suffix, params) {
    const test = (s) => s.endsWith(suffix);
    return this._with(formatCheck('ends_with', test, params, { suffix }, `.*${escapeRegExp(suffix)}$`));
  }
  includes(needle, params) {
    const position = params && typeof params === 'object' ? params.position : undefined;
    const test = (s) => s.includes(needle, position);
    return this._with(formatCheck('includes', test, params, { includes: needle }, escapeRegExp(needle)));
  }
  lowercase(params) {
    const test = (s) => s === s.toLowerCase();
    return this._with(formatCheck('lowercase', test, params, { pattern: '/^[^A-Z]*$/' }, '^[^A-Z]*$'));
  }
  uppercase(params) {
    const test = (s) => s === s.toUpperCase();
    return this._with(formatCheck('uppercase', test, params, { pattern: '/^[^a-z]*$/' }, '^[^a-z]*$'));
  }

  // Built-in formats. JSON Schema gets `format` only, never our regexes.
  email(params) {
    const spec = normParams(params);
    const re = spec && spec.pattern instanceof RegExp ? spec.pattern : EMAIL_RE;
    return this._with(formatCheck('email', (s) => re.test(s), params, { pattern: re.toString() }, undefined, 'email'));
  }
  url(params) {
    return this._with(formatCheck('url', urlTest(normParams(params)), params, {}, undefined, 'url'));
  }
  uuid(params) {
    const spec = normParams(params);
    const re = uuidRegExp(spec && spec.version);
    return this._with(formatCheck('uuid', (s) => re.test(s), params, { pattern: re.toString() }, undefined, 'uuid'));
  }
  uuidv4(params) { return this.uuid(Object.assign({}, normParams(params), { version: 'v4' })); }
  uuidv6(params) { return this.uuid(Object.assign({}, normParams(params), { version: 'v6' })); }
  uuidv7(params) { return this.uuid(Object.assign({}, normParams(params), { version: 'v7' })); }
  e164(params) {
    return this._with(formatCheck('e164', (s) => E164_RE.test(s), params, { pattern: E164_RE.toString() }, E164_RE.source, 'e164'));
  }
  guid(params) {
    return this._with(formatCheck('guid', (s) => GUID_RE.test(s), params, { pattern: GUID_RE.toString() }, undefined, 'guid'));
  }
  datetime(params) {
    const opts = normParams(params) || {};
    const check = formatCheck('datetime', (s) => isoDateTime(s, opts), params, {}, undefined, 'datetime');
    // A local or minute-precision datetime accepts what "date-time" forbids,
    // so (like zod) no format keyword is emitted for those.
    if (opts.local || opts.precision === -1) check.json = () => {};
    return this._with(check);
  }
  date(params) { return this._with(formatCheck('date', isoDate, params, {}, undefined, 'date')); }
  time(params) {
    const opts = normParams(params) || {};
    return this._with(formatCheck('time', (s) => isoTime(s, opts.precision, false), params, {}, undefined, 'time'));
  }

  trim() { return this._with(overwrite((s) => s.trim())); }
  toLowerCase() { return this._with(overwrite((s) => s.toLowerCase())); }
  toUpperCase() { return this._with(overwrite((s) => s.toUpperCase())); }
  normalize(form) { return this._with(overwrite((s) => s.normalize(form))); }

  get minLength() {
    const v = aggregate(this).minimum;
    return v === undefined ? null : v;
  }
  get maxLength() {
    const v = aggregate(this).maximum;
    return v === undefined ? null : v;
  }

  _toJSON() {
    const agg = aggregate(this);
    const js = { type: 'string' };
    if (agg.minimum !== undefined) js.minLength = agg.minimum;
    if (agg.maximum !== undefined) js.maxLength = agg.maximum;
    if (agg.format && JSON_FORMATS[agg.format]) js.format = JSON_FORMATS[agg.format];
    if (agg.patterns.length === 1) js.pattern = agg.patterns[0];
    else if (agg.patterns.length > 1) js.allOf = agg.patterns.map((pattern) => ({ pattern }));
    return js;
  }
}

// Shared by number and bigint: comparison methods producing bound checks.
const numericMethods = {
  gt(v, p) {
    return this._with(boundCheck(this._origin, 'min', v, false, p));
  },
  gte(v, p) {
    return this._with(boundCheck(this._origin, 'min', v, true, p));
  },
  lt(v, p) {
    return this._with(boundCheck(this._origin, 'max', v, false, p));
  },
  lte(v, p) {
    return this._with(boundCheck(this._origin, 'max', v, true, p));
  },
  min(v, p) {
    return this.gte(v, p);
  },
  max(v, p) {
    return this.lte(v, p);
  },
  positive(p) {
    return this.gt(this._zero, p);
  },
  nonnegative(p) {
    return this.gte(this._zero, p);
  },
  negative(p) {
    return this.lt(this._zero, p);
  },
  nonpositive(p) {
    return this.lte(this._zero, p);
  },
  multipleOf(v, p) {
    return this._with(multipleOfCheck(v, p));
  },
  step(v, p) {
    return this.multipleOf(v, p);
  },
};

class ZodNumber extends ZodType {
  get _origin() { return 'number'; }
  get _zero() { return 0; }
  _parse(input, ctx) {
    if (this.def.coerce) {
      try {
        input = Number(input);
      } catch (_) {
        // e.g. Symbol: fails below
      }
    }
    if (typeof input === 'number' && Number.isFinite(input)) return input;
    // NaN and ±Infinity are numbers to JS but not to zod v4, which says so.
    const odd = typeof input === 'number' ? { received: typeName(input) } : undefined;
    return this._typeIssue(ctx, input, 'number', odd);
  }
  int(params) { return this._with(intCheck(params)); }
  safe(params) { return this.int(params); }
  finite() {
    return this; // non-finite numbers are already rejected
  }
  get isInt() { return Boolean(aggregate(this).isInt); }
  get minValue() {
    const a = aggregate(this);
    const v = a.minimum !== undefined ? a.minimum : a.exclusiveMinimum;
    return v === undefined ? null : v;
  }
  get maxValue() {
    const a = aggregate(this);
    const v = a.maximum !== undefined ? a.maximum : a.exclusiveMaximum;
    return v === undefined ? null : v;
  }
  _toJSON() {
    const agg = aggregate(this);
    const js = { type: agg.isInt ? 'integer' : 'number' };
    // With both an inclusive and an exclusive bound, keep the stricter one.
    const exMin = agg.exclusiveMinimum !== undefined && (agg.minimum === undefined || agg.exclusiveMinimum >= agg.minimum);
    if (exMin) js.exclusiveMinimum = agg.exclusiveMinimum;
    else if (agg.minimum !== undefined) js.minimum = agg.minimum;
    const exMax = agg.exclusiveMaximum !== undefined && (agg.maximum === undefined || agg.exclusiveMaximum <= agg.maximum);
    if (exMax) js.exclusiveMaximum = agg.exclusiveMaximum;
    else if (agg.maximum !== undefined) js.maximum = agg.maximum;
    const divisors = [...new Set(agg.multipleOf)];
    if (divisors.length) js.multipleOf = divisors[0];
    if (divisors.length > 1) js.allOf = divisors.slice(1).map((multipleOf) => ({ multipleOf }));
    return js;
  }
}
Object.assign(ZodNumber.prototype, numericMethods);

class ZodBigInt extends ZodType {
  get _origin() { return 'bigint'; }
  get _zero() { return 0n; }
  _parse(input, ctx) {
    if (this.def.coerce) {
      try {
        input = BigInt(input);
      } catch (_) {
        // "abc", 1.5 … stay as they are and fail below
      }
    }
    return typeof input === 'bigint' ? input : this._typeIssue(ctx, input, 'bigint');
  }
  // BigInt is not representable in JSON; we describe it as a 64-bit integer
  // (zod throws unless told to emit {}), so templates never crash here.
  _toJSON() { return { type: 'integer', format: 'int64' }; }
}
Object.assign(ZodBigInt.prototype, numericMethods);

class ZodBoolean extends ZodType {
  _parse(input, ctx) {
    if (this.def.coerce) input = Boolean(input);
    return typeof input === 'boolean' ? input : this._typeIssue(ctx, input, 'boolean');
  }
  _toJSON() { return { type: 'boolean' }; }
}

class ZodDate extends ZodType {
  _parse(input, ctx) {
    if (this.def.coerce) {
      try {
        input = new Date(input);
      } catch (_) {
        // e.g. Symbol: fails below
      }
    }
    const isDate = input instanceof Date;
    if (isDate && !Number.isNaN(input.getTime())) return input;
    return this._typeIssue(ctx, input, 'date', isDate ? { received: 'Invalid Date' } : undefined);
  }
  min(d, p) { return this._with(boundCheck('date', 'min', d, true, p)); }
  max(d, p) { return this._with(boundCheck('date', 'max', d, true, p)); }
  // Dates are not JSON values (zod refuses them). A Date serialises to an
  // ISO 8601 string through JSON.stringify, so that is what we describe.
  _toJSON() { return { type: 'string', format: 'date-time' }; }
}

class ZodNull extends ZodType {
  _parse(input, ctx) { return input === null ? null : this._typeIssue(ctx, input, 'null'); }
  _toJSON() { return { type: 'null' }; }
  _discValues() { return [null]; }
}

class ZodUndefined extends ZodType {
  _parse(input, ctx) { return input === undefined ? undefined : this._typeIssue(ctx, input, 'undefined'); }
  _discValues() { return [undefined]; }
  // Not representable; emitted as {} rather than throwing.
}

class ZodVoid extends ZodType {
  _parse(input, ctx) { return input === undefined ? undefined : this._typeIssue(ctx, input, 'void'); }
}

class ZodAny extends ZodType {}
class ZodUnknown extends ZodType {}

class ZodNever extends ZodType {
  _parse(input, ctx) { return this._typeIssue(ctx, input, 'never'); }
  _toJSON() { return { not: {} }; }
}

// ─── Literals and enums ─────────────────────────────────────────────────────

class ZodLiteral extends ZodType {
  get value() { return this.def.values[0]; }
  get values() { return new Set(this.def.values); }
  _discValues() { return this.def.values; }
  _parse(input, ctx) {
    if (this.def.values.includes(input)) return input;
    ctx.report({ code: 'invalid_value', values: this.def.values.slice() }, input, this.def.error, true);
    return input;
  }
  _toJSON() {
    // undefined cannot appear in JSON; bigints are written as numbers.
    const vals = this.def.values.filter((v) => v !== undefined).map((v) => (typeof v === 'bigint' ? Number(v) : v));
    if (vals.length === 0) return {};
    const typeOf = (v) => (v === null ? 'null' : typeof v);
    if (vals.length === 1) return { type: typeOf(vals[0]), const: vals[0] };
    const js = {};
    const first = typeOf(vals[0]);
    if (vals.every((v) => typeOf(v) === first)) js.type = first;
    js.enum = vals;
    return js;
  }
}

// Values of a TS-enum-like object, without the reverse mappings TypeScript
// adds for numeric members ({ A: 0, 0: 'A' } → [0]).
function enumValues(entries) {
  const numeric = new Set(Object.values(entries).filter((v) => typeof v === 'number'));
  const isReverseKey = (k) => String(Number(k)) === k && numeric.has(Number(k));
  return Object.keys(entries)
    .filter((k) => !isReverseKey(k))
    .map((k) => entries[k]);
}

class ZodEnum extends ZodType {
  get options() { return this.def.values.slice(); }
  get enum() { return this.def.entries; }
  get Enum() { return this.def.entries; } // zod 3 name
  get Values() { return this.def.entries; } // zod 3 name
  _discValues() { return this.def.values; }
  _parse(input, ctx) {
    if (this.def.values.includes(input)) return input;
    ctx.report({ code: 'invalid_value', values: this.def.values.slice() }, input, this.def.error, true);
    return input;
  }
  extract(values, params) { return makeEnum(this.def.values.filter((v) => values.includes(v)), params); }
  exclude(values, params) { return makeEnum(this.def.values.filter((v) => !values.includes(v)), params); }
  _toJSON() {
    const values = this.def.values;
    if (values.length === 0) return { not: {} };
    const js = {};
    if (values.every((v) => typeof v === 'string')) js.type = 'string';
    else if (values.every((v) => typeof v === 'number')) js.type = 'number';
    js.enum = values.slice();
    return js;
  }
}

function makeEnum(values, params) {
  const entries = {};
  for (const v of values) entries[v] = v;
  return make(ZodEnum, { type: 'enum', entries, values }, params);
}

// ─── Containers ─────────────────────────────────────────────────────────────

class ZodArray extends ZodType {
  get element() { return this.def.element; }
  unwrap() { return this.def.element; }
  _parse(input, ctx) {
    if (!Array.isArray(input)) return this._typeIssue(ctx, input, 'array');
    const element = this.def.element;
    const out = new Array(input.length);
    for (let i = 0; i < input.length; i++) {
      ctx.path.push(i);
      setOut(ctx, out, i, element._run(input[i], ctx));
      ctx.path.pop();
    }
    return out;
  }
  min(n, params) { return this._with(sizeCheck('array', 'min', n, params)); }
  max(n, params) { return this._with(sizeCheck('array', 'max', n, params)); }
  length(n, params) { return this._with(sizeCheck('array', 'length', n, params)); }
  nonempty(params) { return this.min(1, params); }
  _toJSON(w) {
    const agg = aggregate(this);
    const js = { type: 'array', items: w.emit(this.def.element) };
    if (agg.minimum !== undefined) js.minItems = agg.minimum;
    if (agg.maximum !== undefined) js.maxItems = agg.maximum;
    return js;
  }
}

// Copies shape entries (optionally mapping them) while keeping getter entries
// lazy, so recursive shapes (`get children() { return z.array(Node) }`) work.
function copyShape(target, source, keys, map) {
  for (const key of keys) {
    const d = Object.getOwnPropertyDescriptor(source, key);
    if (!d) continue;
    if (d.get) {
      const get = () => d.get.call(source);
      Object.defineProperty(target, key, {
        enumerable: true,
        configurable: true,
        get: map ? () => map(get(), key) : get,
      });
    } else {
      Object.defineProperty(target, key, {
        enumerable: true,
        configurable: true,
        writable: true,
        value: map ? map(d.value, key) : d.value,
      });
    }
  }
  return target;
}

// Unknown keys: mode is 'strip' (default: dropped), 'passthrough' (kept),
// 'strict' (unrecognized_keys issue) or 'catchall' (parsed by def.catchall).
class ZodObject extends ZodType {
  get shape() { return this.def.shape; }

  _parse(input, ctx) {
    if (!isObjectInput(input)) return this._typeIssue(ctx, input, 'object');
    const { shape, mode } = this.def;
    // Plain data: only own keys count (so a missing "constructor" key is
    // missing); class instances may expose fields through their prototype.
    const plain = isPlainObject(input);
    const out = {};
    for (const key of Object.keys(shape)) {
      const field = shape[key];
      const present = plain ? hasOwn(input, key) : key in input;
      const start = ctx.issues.length;
      ctx.path.push(key);
      const value = field._run(present ? input[key] : undefined, ctx);
      ctx.path.pop();
      if (!present) {
        const failed = ctx.issues.length > start;
        // An absent optional key stays absent, whatever its schema said.
        if (failed && field._optOut()) {
          ctx.truncate(start);
          continue;
        }
        // any(), unknown(), undefined()… accept undefined, yet (as in zod)
        // the key itself must be there unless the field is optional.
        if (!failed && !field._optIn()) {
          ctx.path.push(key);
          ctx.report({ code: 'invalid_type', expected: 'nonoptional' }, undefined, undefined, true);
          ctx.path.pop();
          continue;
        }
        if (value === undefined) continue;
      }
      setOut(ctx, out, key, value);
    }
    if (mode !== 'strip') {
      const unrecognized = [];
      for (const key of Object.keys(input)) {
        if (hasOwn(shape, key)) continue;
        if (mode === 'passthrough') setOut(ctx, out, key, input[key]);
        else if (mode === 'strict') unrecognized.push(key);
        else {
          ctx.path.push(key);
          setOut(ctx, out, key, this.def.catchall._run(input[key], ctx));
          ctx.path.pop();
        }
      }
      if (unrecognized.length) {
        ctx.report({ code: 'unrecognized_keys', keys: unrecognized }, input, this.def.error, false);
      }
    }
    return out;
  }

  // For discriminated unions: the values the given key can take, or null.
  _propValues(key) {
    const field = hasOwn(this.def.shape, key) ? this.def.shape[key] : undefined;
    return field ? field._discValues() : null;
  }

  // Shape-changing methods build a fresh object: refinements written against
  // the old shape are dropped (zod refuses to extend/pick refined objects).
  _reshape(shape, patch) { return new ZodObject(Object.assign({}, this.def, { shape, checks: [] }, patch)); }

  extend(extra) {
    const shape = copyShape({}, this.def.shape, Object.keys(this.def.shape));
    return this._reshape(copyShape(shape, extra, Object.keys(extra)));
  }
  safeExtend(extra) { return this.extend(extra); }
  merge(other) {
    const shape = copyShape({}, this.def.shape, Object.keys(this.def.shape));
    copyShape(shape, other.def.shape, Object.keys(other.def.shape));
    return this._reshape(shape, { mode: other.def.mode, catchall: other.def.catchall });
  }
  pick(mask) { return this._reshape(copyShape({}, this.def.shape, Object.keys(mask).filter((k) => mask[k]))); }
  omit(mask) {
    return this._reshape(copyShape({}, this.def.shape, Object.keys(this.def.shape).filter((k) => !mask[k])));
  }
  partial(mask) {
    const keys = Object.keys(this.def.shape);
    const wrap = (s, k) => (mask && !mask[k]) || s instanceof ZodOptional ? s : s.optional();
    return this._reshape(copyShape({}, this.def.shape, keys, wrap));
  }
  // zod wraps fields in a "nonoptional" schema; unwrapping .optional() gives
  // the same acceptance with the inner type's own messages.
  required(mask) {
    const keys = Object.keys(this.def.shape);
    const unwrap = (s, k) => (mask && !mask[k]) || !(s instanceof ZodOptional) ? s : s.def.innerType;
    return this._reshape(copyShape({}, this.def.shape, keys, unwrap));
  }
  keyof() { return makeEnum(Object.keys(this.def.shape)); }

  strip() { return this._clone({ mode: 'strip', catchall: undefined }); }
  passthrough() { return this._clone({ mode: 'passthrough', catchall: undefined }); }
  loose() { return this.passthrough(); }
  strict() { return this._clone({ mode: 'strict', catchall: undefined }); }
  catchall(schema) {
    if (schema instanceof ZodNever) return this.strict(); // zod's spelling of strict
    return this._clone({ mode: 'catchall', catchall: schema });
  }

  _toJSON(w) {
    const { shape, mode } = this.def;
    const js = { type: 'object', properties: {} };
    const required = [];
    for (const key of Object.keys(shape)) {
      const field = shape[key];
      defineKey(js.properties, key, w.emit(field));
      if (!(w.io === 'input' ? field._optIn() : field._optOut())) required.push(key);
    }
    if (required.length) js.required = required;
    // zod's output view closes plain (stripping) objects: the parsed value
    // never has extra keys. The input view leaves them open.
    if (mode === 'strict' || (mode === 'strip' && w.io === 'output')) js.additionalProperties = false;
    else if (mode === 'passthrough') js.additionalProperties = {};
    else if (mode === 'catchall') js.additionalProperties = w.emit(this.def.catchall);
    return js;
  }
}

class ZodUnion extends ZodType {
  get options() { return this.def.options; }

  _parse(input, ctx) {
    const attempts = [];
    for (const option of this.def.options) {
      const sub = ctx.fork();
      const value = option._run(input, sub);
      if (sub.issues.length === 0) return value; // first match wins
      attempts.push({ sub, value });
    }
    // If exactly one option got past its type check (it failed only a
    // refinement or length check), its issues are the useful ones.
    const live = attempts.filter((a) => !a.sub.abortedSince(0));
    if (live.length === 1) {
      ctx.adopt(live[0].sub);
      return live[0].value;
    }
    ctx.report({ code: 'invalid_union', errors: attempts.map((a) => a.sub.issues) }, input, this.def.error, true);
    return input;
  }

  _discValues() {
    const all = [];
    for (const o of this.def.options) {
      const vals = o._discValues();
      if (!vals) return null;
      all.push(...vals);
    }
    return all;
  }

  _toJSON(w) { return { anyOf: this.def.options.map((o) => w.emit(o)) }; }
}

class ZodDiscriminatedUnion extends ZodUnion {
  get discriminator() { return this.def.discriminator; }

  // discriminator value → option, built on first use (options may be lazy
  // getters). null when some option's discriminator values are unknowable;
  // we then fall back to trying every option in turn.
  _lookup() {
    if (this._map !== undefined) return this._map;
    const key = this.def.discriminator;
    let map = key === undefined ? null : new Map();
    for (const option of this.def.options) {
      const vals = map && option._propValues ? option._propValues(key) : null;
      if (!vals) {
        map = null;
        break;
      }
      for (const v of vals) if (!map.has(v)) map.set(v, option);
    }
    this._map = map;
    return map;
  }

  _propValues(key) {
    if (key !== this.def.discriminator) return null;
    const map = this._lookup();
    return map ? [...map.keys()] : null;
  }

  _parse(input, ctx) {
    const map = this._lookup();
    if (!map) return super._parse(input, ctx);
    if (!isObjectInput(input)) return this._typeIssue(ctx, input, 'object');
    const key = this.def.discriminator;
    const option = map.get(input[key]);
    if (option) return option._run(input, ctx);
    ctx.path.push(key);
    const options = [...map.keys()];
    ctx.report(
      { code: 'invalid_union', errors: [], note: 'No matching discriminator', discriminator: key, options },
      input,
      this.def.error,
      true,
    );
    ctx.path.pop();
    return input;
  }

  // Options are mutually exclusive, so (like current zod) oneOf, not anyOf.
  _toJSON(w) { return { oneOf: this.def.options.map((o) => w.emit(o)) }; }
}

// Merges the outputs of both sides of an intersection.
function mergeValues(a, b) {
  if (a === b) return { ok: true, value: a };
  if (a instanceof Date && b instanceof Date && +a === +b) return { ok: true, value: a };
  if (isPlainObject(a) && isPlainObject(b)) {
    const out = Object.assign({}, a);
    for (const k of Object.keys(b)) {
      if (!hasOwn(a, k)) {
        defineKey(out, k, b[k]);
        continue;
      }
      const m = mergeValues(a[k], b[k]);
      if (!m.ok) return m;
      defineKey(out, k, m.value);
    }
    return { ok: true, value: out };
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    const out = [];
    for (let i = 0; i < a.length; i++) {
      const m = mergeValues(a[i], b[i]);
      if (!m.ok) return m;
      out.push(m.value);
    }
    return { ok: true, value: out };
  }
  return { ok: false };
}

class ZodIntersection extends ZodType {
  _parse(input, ctx) {
    const start = ctx.issues.length;
    const left = this.def.left._run(input, ctx);
    const right = this.def.right._run(input, ctx);
    if (ctx.issues.length > start) return input;
    const merged = mergeValues(left, right);
    if (merged.ok) return merged.value;
    // zod throws here; a reportable issue is friendlier in a sandbox.
    ctx.report({ code: 'custom' }, input, { error: 'Unmergable intersection' }, true);
    return input;
  }
  _toJSON(w) { return { allOf: [w.emit(this.def.left), w.emit(this.def.right)] }; }
}

const NUMERIC_KEY = /^-?\d+(?:\.\d+)?$/;

class ZodRecord extends ZodType {
  get keySchema() { return this.def.keyType; }
  get valueSchema() { return this.def.valueType; }

  _parse(input, ctx) {
    if (!isPlainObject(input)) return this._typeIssue(ctx, input, 'record');
    const { keyType, valueType } = this.def;
    const out = {};
    // Enum/literal keys: only those keys are allowed, and all of them are
    // required unless this is a z.partialRecord.
    const finite = keyType._discValues();
    if (finite) {
      const keys = finite.filter((k) => typeof k === 'string' || typeof k === 'number').map(String);
      for (const key of keys) {
        const present = hasOwn(input, key);
        if (!present && this.def.partial) continue;
        ctx.path.push(key);
        const value = valueType._run(present ? input[key] : undefined, ctx);
        ctx.path.pop();
        if (present || value !== undefined) setOut(ctx, out, key, value);
      }
      const extra = Object.keys(input).filter((k) => !keys.includes(k));
      if (extra.length) ctx.report({ code: 'unrecognized_keys', keys: extra }, input, this.def.error, false);
      return out;
    }
    for (const key of Object.keys(input)) {
      // JSON keys are strings; numeric key schemas see them as numbers.
      const keyInput = keyType instanceof ZodNumber && NUMERIC_KEY.test(key) ? Number(key) : key;
      const sub = ctx.fork();
      const outKey = keyType._run(keyInput, sub);
      ctx.path.push(key);
      if (sub.issues.length) {
        ctx.report({ code: 'invalid_key', origin: 'record', issues: sub.issues }, key, undefined, true);
      } else {
        setOut(ctx, out, typeof outKey === 'number' ? String(outKey) : outKey, valueType._run(input[key], ctx));
      }
      ctx.path.pop();
    }
    return out;
  }

  _toJSON(w) {
    const js = {
      type: 'object',
      propertyNames: w.emit(this.def.keyType),
      additionalProperties: w.emit(this.def.valueType),
    };
    const finite = this.def.partial ? null : this.def.keyType._discValues();
    if (finite) {
      const keys = finite.filter((k) => typeof k === 'string' || typeof k === 'number').map(String);
      if (keys.length) js.required = keys;
    }
    return js;
  }
}

class ZodTuple extends ZodType {
  get items() { return this.def.items; }
  rest(schema) { return this._clone({ rest: schema }); }

  // Trailing optional items may be left out.
  _requiredCount() {
    const items = this.def.items;
    let n = items.length;
    while (n > 0 && items[n - 1]._optOut()) n--;
    return n;
  }

  _parse(input, ctx) {
    if (!Array.isArray(input)) return this._typeIssue(ctx, input, 'tuple');
    const { items, rest } = this.def;
    const need = this._requiredCount();
    if (!rest && input.length > items.length) {
      ctx.report({ code: 'too_big', origin: 'array', maximum: items.length, inclusive: true }, input, this.def.error, true);
      return input;
    }
    if (input.length < need) {
      ctx.report({ code: 'too_small', origin: 'array', minimum: need, inclusive: true }, input, this.def.error, true);
      return input;
    }
    const out = [];
    for (let i = 0; i < items.length && i < Math.max(input.length, need); i++) {
      ctx.path.push(i);
      setOut(ctx, out, i, items[i]._run(input[i], ctx));
      ctx.path.pop();
    }
    for (let i = items.length; i < input.length; i++) {
      ctx.path.push(i);
      setOut(ctx, out, i, rest._run(input[i], ctx));
      ctx.path.pop();
    }
    return out;
  }

  _toJSON(w) {
    const { items, rest } = this.def;
    const js = { type: 'array', prefixItems: items.map((s) => w.emit(s)) };
    js.items = rest ? w.emit(rest) : false;
    const need = this._requiredCount();
    if (need > 0) js.minItems = need;
    if (!rest) js.maxItems = items.length;
    return js;
  }
}

// ─── Wrappers ───────────────────────────────────────────────────────────────

class ZodOptional extends ZodType {
  unwrap() { return this.def.innerType; }
  _parse(input, ctx) {
    const inner = this.def.innerType;
    // optional(default(x)) still applies the default.
    if (input === undefined && !inner._optIn()) return undefined;
    return inner._run(input, ctx);
  }
  _optIn() { return true; }
  _optOut() { return true; }
  _discValues() {
    const vals = this.def.innerType._discValues();
    return vals && vals.concat([undefined]);
  }
  // Optionality only shows in the parent's `required` list.
  _toJSON(w) { return w.emit(this.def.innerType); }
}

class ZodNullable extends ZodType {
  unwrap() { return this.def.innerType; }
  _parse(input, ctx) { return input === null ? null : this.def.innerType._run(input, ctx); }
  _optIn() { return this.def.innerType._optIn(); }
  _optOut() { return this.def.innerType._optOut(); }
  _discValues() {
    const vals = this.def.innerType._discValues();
    return vals && vals.concat([null]);
  }
  _toJSON(w) { return { anyOf: [w.emit(this.def.innerType), { type: 'null' }] }; }
}

// JSON-safe copy of a default/catch value, or undefined when it has none.
function jsonValue(v) {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? undefined : JSON.parse(s);
  } catch (_) {
    return undefined; // bigint, cycles…
  }
}

// .default(v) short-circuits: undefined becomes v, unparsed (zod v4).
// .prefault(v) feeds v through the inner schema instead.
class ZodDefault extends ZodType {
  unwrap() { return this.def.innerType; }
  removeDefault() { return this.def.innerType; }
  _parse(input, ctx) {
    if (input === undefined) {
      const value = freshValue(this.def.defaultValue);
      if (!this.def.prefault) return value;
      input = value;
    }
    return this.def.innerType._run(input, ctx);
  }
  _optIn() { return true; }
  _discValues() { return this.def.innerType._discValues(); }
  _toJSON(w) {
    const js = w.emit(this.def.innerType);
    if (this.def.prefault && w.io === 'output') return js;
    let value;
    try {
      value = jsonValue(freshValue(this.def.defaultValue));
    } catch (_) {
      // a throwing default factory just means no "default" keyword
    }
    if (value !== undefined) js.default = value;
    return js;
  }
}

class ZodCatch extends ZodType {
  unwrap() { return this.def.innerType; }
  removeCatch() { return this.def.innerType; }
  _parse(input, ctx) {
    const sub = ctx.fork();
    const value = this.def.innerType._run(input, sub);
    if (sub.issues.length === 0) return value;
    const fallback = this.def.catchValue;
    if (typeof fallback !== 'function') return fallback;
    return fallback({ error: new ZodError(sub.issues), issues: sub.issues, input, value: input });
  }
  _optIn() { return true; } // a missing key gets the catch value
  _optOut() { return this.def.innerType._optOut(); }
  _discValues() { return this.def.innerType._discValues(); }
  _toJSON(w) {
    const js = w.emit(this.def.innerType);
    const fallback = this.def.catchValue;
    let value;
    try {
      value = jsonValue(typeof fallback === 'function' ? fallback({ error: new ZodError([]), input: undefined }) : fallback);
    } catch (_) {
      // dynamic catch values that need real input: no default
    }
    if (value !== undefined) js.default = value;
    return js;
  }
}

class ZodReadonly extends ZodType {
  unwrap() { return this.def.innerType; }
  _parse(input, ctx) {
    const value = this.def.innerType._run(input, ctx);
    return value !== null && typeof value === 'object' ? Object.freeze(value) : value;
  }
  _optIn() { return this.def.innerType._optIn(); }
  _optOut() { return this.def.innerType._optOut(); }
  _toJSON(w) { return Object.assign(w.emit(this.def.innerType), { readOnly: true }); }
}

// A function applied to an already-valid value (the right side of a pipe).
class ZodTransform extends ZodType {
  _parse(input, ctx) {
    const path = ctx.path.slice();
    const tctx = {
      value: input,
      path,
      addIssue: (iss) => reportUserIssue(ctx, path, iss, input),
    };
    const out = this.def.fn(input, tctx);
    if (isThenable(out) && !ctx.async) throw asyncParseError();
    return out;
  }
}

// in → out: `out` only runs when `in` produced no issues.
class ZodPipe extends ZodType {
  get in() { return this.def.in; }
  get out() { return this.def.out; }
  _parse(input, ctx) {
    const start = ctx.issues.length;
    const mid = this.def.in._run(input, ctx);
    if (ctx.issues.length > start) return mid;
    if (ctx.async && isThenable(mid)) {
      const path = ctx.path.slice();
      return mid.then((v) => ctx.at(path, () => this.def.out._run(v, ctx)));
    }
    return this.def.out._run(mid, ctx);
  }
  _optIn() {
    // preprocess() sees a missing key as undefined and may supply a value.
    return this.def.in instanceof ZodTransform || this.def.in._optIn();
  }
  _optOut() { return this.def.out._optOut(); }
  // A discriminated union picks the branch from the input side.
  _propValues(key) { return this.def.in._propValues ? this.def.in._propValues(key) : null; }
  // The output of a transform is unknowable, so where zod would throw we
  // describe the schema on the other side of it: a .transform() emits its
  // input schema, a preprocess() its target.
  _toJSON(w) {
    const { in: a, out: b } = this.def;
    if (w.io === 'input') return w.emit(a instanceof ZodTransform ? b : a);
    return w.emit(b instanceof ZodTransform ? a : b);
  }
}

class ZodLazy extends ZodType {
  get schema() {
    if (!this._inner) this._inner = this.def.getter();
    return this._inner;
  }
  unwrap() { return this.schema; }
  _parse(input, ctx) { return this.schema._run(input, ctx); }
  _optIn() { return this.schema._optIn(); }
  _optOut() { return this.schema._optOut(); }
  _discValues() { return this.schema._discValues(); }
  _propValues(key) { return this.schema._propValues ? this.schema._propValues(key) : null; }
  _toJSON(w) { return w.emit(this.schema); }
}

// z.custom(fn) / z.instanceof(Class): an opaque predicate. JSON Schema: {}.
class ZodCustom extends ZodType {
  _parse(input, ctx) {
    const fn = this.def.fn;
    if (!fn || fn(input)) return input;
    if (this.def.expected) return this._typeIssue(ctx, input, this.def.expected);
    ctx.report({ code: 'custom' }, input, this.def.error, true);
    return input;
  }
}

// z.function({ input?, output? }): accepts a function; with input or
// output declared, parsing returns it wrapped so that its arguments and
// result are parsed on each call (zod 4.1's function schemas). JSON
// Schema cannot describe a function: {}.
class ZodFunction extends ZodType {
  _parse(input, ctx) {
    if (typeof input !== 'function') return this._typeIssue(ctx, input, 'function');
    return this.def.input || this.def.output ? this.implement(input) : input;
  }
  input(...items) {
    const args = items.length === 1 && Array.isArray(items[0]) ? tuple(items[0]) : items.length === 1 && isSchema(items[0]) ? items[0] : tuple(items);
    return this._clone({ input: args });
  }
  output(schema) { return this._clone({ output: schema }); }
  implement(fn) {
    if (typeof fn !== 'function') throw new TypeError('implement() expects a function');
    const { input, output } = this.def;
    return function (...args) {
      const parsedArgs = input ? input.parse(args) : args;
      const out = fn.apply(this, parsedArgs);
      return output ? output.parse(out) : out;
    };
  }
  implementAsync(fn) {
    if (typeof fn !== 'function') throw new TypeError('implementAsync() expects a function');
    const { input, output } = this.def;
    return async function (...args) {
      const parsedArgs = input ? await input.parseAsync(args) : args;
      const out = await fn.apply(this, parsedArgs);
      return output ? output.parseAsync(out) : out;
    };
  }
}

// ─── JSON Schema ────────────────────────────────────────────────────────────

const DRAFT_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

class JSONSchemaWriter {
  constructor(root, params) {
    this.root = root;
    this.io = params.io === 'input' ? 'input' : 'output';
    this.override = typeof params.override === 'function' ? params.override : null;
    this.defs = {};
    this.active = new Map(); // schemas being emitted → { id } (cycle detection)
    this.counter = 0;
  }

  emit(schema) {
    const meta = schema._meta;
    const id = meta && typeof meta.id === 'string' && schema !== this.root ? meta.id : undefined;
    const frame = this.active.get(schema);
    if (frame) {
      // Re-entered a schema we are still writing: a cycle. Point at the root
      // or at a $defs entry that the outer emit will fill in.
      if (schema === this.root) return { $ref: '#' };
      frame.id ||= `__schema${this.counter++}`;
      return { $ref: `#/$defs/${frame.id}` };
    }
    if (id !== undefined && hasOwn(this.defs, id)) return { $ref: `#/$defs/${id}` };

    const own = { id };
    this.active.set(schema, own);
    let js;
    try {
      js = schema._toJSON(this);
    } finally {
      this.active.delete(schema);
    }
    // Wrappers return their inner schema's JSON; their own metadata wins.
    if (meta) for (const k of Object.keys(meta)) if (k !== 'id' && meta[k] !== undefined) js[k] = meta[k];
    if (this.override) this.override({ zodSchema: schema, jsonSchema: js });
    if (own.id !== undefined) {
      this.defs[own.id] = js;
      return { $ref: `#/$defs/${own.id}` };
    }
    return js;
  }
}

// z.toJSONSchema(schema, { io?: 'output' | 'input', override? }): JSON Schema
// draft 2020-12. Never throws for unrepresentable types; they become {} (or
// see ZodDate/ZodBigInt/ZodPipe for the choices made there).
function toJSONSchema(schema, params) {
  if (!(schema instanceof ZodType)) throw new TypeError('z.toJSONSchema expects a zod schema');
  const w = new JSONSchemaWriter(schema, params || {});
  const out = Object.assign({ $schema: DRAFT_2020_12 }, w.emit(schema));
  if (Object.keys(w.defs).length) out.$defs = w.defs;
  const copy = jsonValue(out); // plain JSON, no shared sub-objects
  return copy === undefined ? out : copy;
}

// ─── Builders ───────────────────────────────────────────────────────────────

function make(Cls, def, params) {
  const spec = normParams(params);
  if (spec) def.error = spec;
  const schema = new Cls(def);
  if (spec && typeof spec.description === 'string') schema._meta = { description: spec.description };
  return schema;
}

const isSchema = (v) => v instanceof ZodType;

const string = (params) => make(ZodString, { type: 'string', checks: [] }, params);
const number = (params) => make(ZodNumber, { type: 'number', checks: [] }, params);
const int = (params) => number(params).int(params);
const boolean = (params) => make(ZodBoolean, { type: 'boolean' }, params);
const bigint = (params) => make(ZodBigInt, { type: 'bigint', checks: [] }, params);
const date = (params) => make(ZodDate, { type: 'date', checks: [] }, params);
const _null = (params) => make(ZodNull, { type: 'null' }, params);
const _undefined = (params) => make(ZodUndefined, { type: 'undefined' }, params);
const _void = (params) => make(ZodVoid, { type: 'void' }, params);
const any = () => new ZodAny({ type: 'any' });
const unknown = () => new ZodUnknown({ type: 'unknown' });
const never = (params) => make(ZodNever, { type: 'never' }, params);

const email = (params) => string().email(params);
const url = (params) => string().url(params);
const httpUrl = (params) => string().url(Object.assign({ protocol: /^https?$/ }, normParams(params)));
const uuid = (params) => string().uuid(params);
const uuidv4 = (params) => string().uuidv4(params);
const uuidv6 = (params) => string().uuidv6(params);
const uuidv7 = (params) => string().uuidv7(params);
const e164 = (params) => string().e164(params);
const guid = (params) => string().guid(params);
const iso = {
  datetime: (params) => string().datetime(params),
  date: (params) => string().date(params),
  time: (params) => string().time(params),
};

function literal(value, params) {
  const values = Array.isArray(value) ? value.slice() : [value];
  return make(ZodLiteral, { type: 'literal', values }, params);
}

// z.enum(['a', 'b']) or z.enum(SomeTsEnum).
function _enum(values, params) {
  if (Array.isArray(values)) return makeEnum(values, params);
  return make(ZodEnum, { type: 'enum', entries: values, values: enumValues(values) }, params);
}

const array = (element, params) => make(ZodArray, { type: 'array', element, checks: [] }, params);

const object = (shape, params) => make(ZodObject, { type: 'object', shape: shape || {}, mode: 'strip', checks: [] }, params);
const strictObject = (shape, params) => object(shape, params).strict();
const looseObject = (shape, params) => object(shape, params).passthrough();

const union = (options, params) => make(ZodUnion, { type: 'union', options }, params);

// z.discriminatedUnion('type', [...]); zod 4 also allows leaving the key out.
function discriminatedUnion(discriminator, options, params) {
  if (Array.isArray(discriminator)) return discriminatedUnion(undefined, discriminator, options);
  return make(ZodDiscriminatedUnion, { type: 'union', discriminator, options }, params);
}

const intersection = (left, right) => new ZodIntersection({ type: 'intersection', left, right });

// z.record(keys, values); the one-argument zod 3 form means string keys.
function record(keyType, valueType, params) {
  if (!isSchema(valueType)) return make(ZodRecord, { type: 'record', keyType: string(), valueType: keyType }, valueType);
  return make(ZodRecord, { type: 'record', keyType, valueType }, params);
}
function partialRecord(keyType, valueType, params) {
  return make(ZodRecord, { type: 'record', keyType, valueType, partial: true }, params);
}

// z.tuple(items, rest?, params?)
function tuple(items, rest, params) {
  if (!isSchema(rest)) return make(ZodTuple, { type: 'tuple', items, rest: undefined }, rest);
  return make(ZodTuple, { type: 'tuple', items, rest }, params);
}

const optional = (schema) => schema.optional();
const nullable = (schema) => schema.nullable();
const nullish = (schema) => schema.nullish();
const lazy = (getter) => new ZodLazy({ type: 'lazy', getter });
const custom = (fn, params) => make(ZodCustom, { type: 'custom', fn }, params);

function _instanceof(Cls, params) {
  return make(ZodCustom, { type: 'custom', fn: (v) => v instanceof Cls, expected: Cls.name }, params);
}

const transform = (fn) => new ZodTransform({ type: 'transform', fn });

function _function(params) {
  const p = params || {};
  let schema = new ZodFunction({ type: 'function' });
  if (p.input !== undefined) schema = Array.isArray(p.input) ? schema.input(p.input) : schema.input(p.input);
  if (p.output !== undefined) schema = schema.output(p.output);
  return schema;
}

// zod 4's check builders, for schema.check(…).
const describe = (description) => ({ kind: 'meta', meta: { description } });
const meta = (data) => ({ kind: 'meta', meta: data });
const refine = (fn, params) => refineCheck(fn, params);
const superRefine = (fn) => superRefineCheck(fn);

// zod 4's top-level parse functions: z.parse(schema, data) & co.
const parse = (schema, data) => schema.parse(data);
const safeParse = (schema, data) => schema.safeParse(data);
const parseAsync = (schema, data) => schema.parseAsync(data);
const safeParseAsync = (schema, data) => schema.safeParseAsync(data);
const pipe = (a, b) => a.pipe(b);
const preprocess = (fn, schema) => transform(fn).pipe(schema);

function withCoerce(schema) {
  schema.def.coerce = true;
  return schema;
}
const coerce = {
  string: (params) => withCoerce(string(params)),
  number: (params) => withCoerce(number(params)),
  boolean: (params) => withCoerce(boolean(params)),
  bigint: (params) => withCoerce(bigint(params)),
  date: (params) => withCoerce(date(params)),
};

// Returned from a transform after ctx.addIssue to signal "no value".
const NEVER = Object.freeze({ status: 'aborted' });

// zod 3's issue-code enum, still referenced by superRefine code.
const ZodIssueCode = Object.freeze({
  invalid_type: 'invalid_type',
  too_big: 'too_big',
  too_small: 'too_small',
  invalid_format: 'invalid_format',
  not_multiple_of: 'not_multiple_of',
  unrecognized_keys: 'unrecognized_keys',
  invalid_union: 'invalid_union',
  invalid_key: 'invalid_key',
  invalid_element: 'invalid_element',
  invalid_value: 'invalid_value',
  custom: 'custom',
});

// Locales and error maps are not supported; accepted so setup code runs.
const config = () => ({});

const z = {
  string, number, int, boolean, bigint, date, null: _null, undefined: _undefined, void: _void,
  any, unknown, never, email, url, httpUrl, uuid, uuidv4, uuidv6, uuidv7, e164, guid, iso, literal, enum: _enum, nativeEnum: _enum,
  function: _function, describe, meta, refine, superRefine, parse, safeParse, parseAsync, safeParseAsync,
  array, object, strictObject, looseObject, union, discriminatedUnion, intersection, record,
  partialRecord, tuple, optional, nullable, nullish, lazy, custom, instanceof: _instanceof,
  transform, pipe, preprocess, coerce, toJSONSchema, prettifyError, flattenError, config, NEVER,
  ZodIssueCode, ZodError, ZodType, ZodSchema: ZodType, ZodString, ZodNumber, ZodBigInt, ZodBoolean,
  ZodDate, ZodNull, ZodUndefined, ZodVoid, ZodAny, ZodUnknown, ZodNever, ZodLiteral, ZodEnum,
  ZodArray, ZodObject, ZodUnion, ZodDiscriminatedUnion, ZodIntersection, ZodRecord, ZodTuple,
  ZodOptional, ZodNullable, ZodDefault, ZodCatch, ZodReadonly, ZodTransform, ZodPipe, ZodLazy,
  ZodCustom, ZodFunction,
};

export {
  z, z as default,
  string, number, int, boolean, bigint, date, _null as null, _undefined as undefined, _void as void,
  any, unknown, never, email, url, httpUrl, uuid, uuidv4, uuidv6, uuidv7, e164, guid, iso, literal, _enum as enum, _enum as nativeEnum,
  _function as function, describe, meta, refine, superRefine, parse, safeParse, parseAsync, safeParseAsync,
  array, object, strictObject, looseObject, union, discriminatedUnion, intersection, record,
  partialRecord, tuple, optional, nullable, nullish, lazy, custom, _instanceof as instanceof,
  transform, pipe, preprocess, coerce, toJSONSchema, prettifyError, flattenError, config, NEVER,
  ZodIssueCode, ZodError, ZodType, ZodType as ZodSchema, ZodString, ZodNumber, ZodBigInt, ZodBoolean,
  ZodDate, ZodNull, ZodUndefined, ZodVoid, ZodAny, ZodUnknown, ZodNever, ZodLiteral, ZodEnum,
  ZodArray, ZodObject, ZodUnion, ZodDiscriminatedUnion, ZodIntersection, ZodRecord, ZodTuple,
  ZodOptional, ZodNullable, ZodDefault, ZodCatch, ZodReadonly, ZodTransform, ZodPipe, ZodLazy,
  ZodCustom, ZodFunction,
};
