// The globals a Nango template expects from its runtime, written for
// QuickJS, which has none of the Web or Node APIs: console, URL,
// URLSearchParams, TextEncoder, TextDecoder, atob, btoa, Buffer, the timers,
// queueMicrotask and crypto. Anything that needs the outside world (logging,
// digests, randomness, waiting) is a host operation (host.js).
//
// This module is evaluated in every VM before every execution, so its top
// level only defines functions and classes: no tables are built, and the
// few regular expressions are compiled into the bytecode.

import { call, callSync } from './host.js';
import { formatLog } from './nango.js';
import './modules.js';
import './botbuilder.js';
import { installIntl } from './intl.js';

// Globals are non-enumerable, writable and configurable, as in browsers.
function defineGlobal(name, value) {
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

// DOMException stands in for the Web's (not exposed as a global): an Error
// whose name says what went wrong.
class DOMException extends Error {
  constructor(message, name, code) {
    super(message);
    this.name = name;
    if (code) this.code = code;
  }
}

// ---------------------------------------------------------------- console

function logger(level, prefix) {
  return (...args) => {
    callSync('log', { level, message: prefix + formatLog(args) });
  };
}

const consoleObject = {
  log: logger('info', ''),
  info: logger('info', ''),
  debug: logger('debug', ''),
  warn: logger('warn', ''),
  error: logger('error', ''),
  trace: logger('debug', 'Trace: '),
  dir: logger('info', ''),
  assert(condition, ...args) {
    if (!condition) callSync('log', { level: 'error', message: 'Assertion failed' + (args.length ? ': ' + formatLog(args) : '') });
  },
};

function reportError(what, e) {
  try {
    consoleObject.error(`Uncaught exception in ${what}:`, e);
  } catch {
    // logging itself failed (the log quota): nothing more to do
  }
}

// ---------------------------------------------------------------- bytes

// usv converts to a string of Unicode scalar values (lone surrogates become
// U+FFFD), as WebIDL's USVString.
const usv = (v) => String(v).toWellFormed();

function isArrayBuffer(v) {
  return v instanceof ArrayBuffer || (typeof SharedArrayBuffer === 'function' && v instanceof SharedArrayBuffer);
}

// bytesOf views an ArrayBuffer, a typed array or a DataView as bytes
// (without copying); anything else gives null.
function bytesOf(v) {
  if (v instanceof Uint8Array) return v;
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  if (isArrayBuffer(v)) return new Uint8Array(v);
  return null;
}

let utf8Read = 0;

// utf8Write encodes s into out[start, end), stopping before a character
// that does not fit; it returns the bytes written and leaves in utf8Read
// the code units consumed.
function utf8Write(s, out, start, end) {
  let p = start;
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (p >= end) break;
      out[p++] = c;
      continue;
    }
    if (c < 0x800) {
      if (p + 2 > end) break;
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const d = c <= 0xdbff && i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if ((d & 0xfc00) === 0xdc00) {
        if (p + 4 > end) break;
        const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        out[p++] = 0xf0 | (cp >> 18);
        out[p++] = 0x80 | ((cp >> 12) & 0x3f);
        out[p++] = 0x80 | ((cp >> 6) & 0x3f);
        out[p++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    if (p + 3 > end) break;
    out[p++] = 0xe0 | (c >> 12);
    out[p++] = 0x80 | ((c >> 6) & 0x3f);
    out[p++] = 0x80 | (c & 0x3f);
  }
  utf8Read = i;
  return p - start;
}

// The interpreter runs a loop at a fraction of native speed, so the UTF-8
// work goes through the native URI functions where it can (captured here:
// a function may replace the globals).
const nativeEncodeURIComponent = encodeURIComponent;
const nativeDecodeURIComponent = decodeURIComponent;
const nativeUnescape = unescape;

// utf8Binary returns the UTF-8 encoding of s as a string of bytes (one
// character per byte).
function utf8Binary(s) {
  return nativeUnescape(nativeEncodeURIComponent(s.toWellFormed()));
}

// binaryBytes copies a string's code units, each taken modulo 256, into a
// new Type (Uint8Array or Buffer).
function binaryBytes(s, Type) {
  const out = new Type(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function utf8Encode(s, Type) {
  return binaryBytes(utf8Binary(s), Type);
}

// Strings are built from chunks of code units: String.fromCharCode takes
// them as arguments, and argument lists must stay short.
const CHUNK = 8192;

function invalidData(encoding) {
  return new TypeError(`The encoded data was not valid for encoding ${encoding}`);
}

// utf8Decode decodes b[start, end) as the Encoding Standard does: each
// maximal invalid subpart becomes one U+FFFD, or throws when fatal. Valid
// UTF-8 is decoded natively, a chunk at a time, as %XX escapes; a chunk
// that is not valid is decoded by utf8DecodeLoop.
function utf8Decode(b, start, end, fatal) {
  let out = '';
  for (let i = start; i < end; ) {
    let j = Math.min(end, i + 4 * CHUNK);
    // cut before a byte that begins a sequence (or after three
    // continuation bytes, which no valid sequence has)
    for (let k = 0; k < 3 && j < end && j > i + 1 && (b[j] & 0xc0) === 0x80; k++) j--;
    try {
      out += nativeDecodeURIComponent(b.subarray(i, j).toHex().replace(/../g, '%$&'));
    } catch {
      out += utf8DecodeLoop(b, i, j, fatal);
    }
    i = j;
  }
  return out;
}

function utf8DecodeLoop(b, start, end, fatal) {
  let out = '';
  const units = new Uint16Array(Math.min(CHUNK + 2, end - start));
  let u = 0;
  let i = start;
  while (i < end) {
    if (u >= CHUNK) {
      out += String.fromCharCode.apply(null, units.subarray(0, u));
      u = 0;
    }
    const c = b[i++];
    if (c < 0x80) {
      units[u++] = c;
      continue;
    }
    let need = 0;
    let cp = 0;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
      need = 1;
      cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
      need = 2;
      cp = c & 0xf;
      if (c === 0xe0) lo = 0xa0;
      else if (c === 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      need = 3;
      cp = c & 0x7;
      if (c === 0xf0) lo = 0x90;
      else if (c === 0xf4) hi = 0x8f;
    }
    let k = 0;
    while (k < need && i < end) {
      const d = b[i];
      if (d < lo || d > hi) break;
      lo = 0x80;
      hi = 0xbf;
      cp = (cp << 6) | (d & 0x3f);
      i++;
      k++;
    }
    if (need === 0 || k < need) {
      if (fatal) throw invalidData('utf-8');
      units[u++] = 0xfffd;
    } else if (cp > 0xffff) {
      cp -= 0x10000;
      units[u++] = 0xd800 | (cp >> 10);
      units[u++] = 0xdc00 | (cp & 0x3ff);
    } else {
      units[u++] = cp;
    }
  }
  return out + String.fromCharCode.apply(null, units.subarray(0, u));
}

// utf8Pending is how many bytes at the end of b[0, end) begin a sequence
// that more bytes could complete (kept back when decoding a stream).
function utf8Pending(b, end) {
  for (let k = 1; k <= 3 && k <= end; k++) {
    const c = b[end - k];
    if (c >= 0x80 && c <= 0xbf) continue;
    const need = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (need <= k) return 0;
    if (k > 1) {
      const d = b[end - k + 1];
      const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
      const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
      if (d < lo || d > hi) return 0;
    }
    return k;
  }
  return 0;
}

function latin1Decode(b, start, end, mask) {
  let out = '';
  for (let i = start; i < end; i += CHUNK) {
    const part = b.subarray(i, Math.min(end, i + CHUNK));
    if (mask !== 0xff) {
      const m = new Uint8Array(part.length);
      for (let j = 0; j < part.length; j++) m[j] = part[j] & mask;
      out += String.fromCharCode.apply(null, m);
    } else {
      out += String.fromCharCode.apply(null, part);
    }
  }
  return out;
}

// utf16Decode reads b[start, end) as UTF-16LE code units, as they are (an
// odd last byte is ignored).
function utf16Decode(b, start, end) {
  let out = '';
  const n = (end - start) >> 1;
  const units = new Uint16Array(Math.min(CHUNK, n));
  for (let i = 0; i < n; i += CHUNK) {
    const m = Math.min(CHUNK, n - i);
    for (let j = 0; j < m; j++) {
      const p = start + 2 * (i + j);
      units[j] = b[p] | (b[p + 1] << 8);
    }
    out += String.fromCharCode.apply(null, units.subarray(0, m));
  }
  return out;
}

const HEX_DIGITS = '0123456789ABCDEF';

// ---------------------------------------------------------------- Buffer

function normalizeEncoding(enc) {
  if (enc === undefined || enc === null) return 'utf8';
  switch (String(enc).toLowerCase()) {
    case 'utf8':
    case 'utf-8':
      return 'utf8';
    case 'hex':
      return 'hex';
    case 'base64':
      return 'base64';
    case 'base64url':
      return 'base64url';
    case 'latin1':
    case 'binary':
      return 'latin1';
    case 'ascii':
      return 'ascii';
    case 'ucs2':
    case 'ucs-2':
    case 'utf16le':
    case 'utf-16le':
      return 'utf16le';
    default:
      throw new TypeError(`Unknown encoding: ${enc}`);
  }
}

function asBuffer(u) {
  return u instanceof Buffer ? u : new Buffer(u.buffer, u.byteOffset, u.length);
}

// base64Bytes decodes base64 or base64url as leniently as Node does:
// characters outside both alphabets are skipped and decoding stops at the
// first '='.
function base64Bytes(s) {
  const eq = s.indexOf('=');
  if (eq >= 0) s = s.slice(0, eq);
  if (/[^A-Za-z0-9+/]/.test(s)) s = s.replace(/[^A-Za-z0-9+/\-_]+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (s.length % 4 === 1) s = s.slice(0, -1);
  return Uint8Array.fromBase64(s);
}

function encodeString(s, encoding) {
  s = String(s);
  switch (normalizeEncoding(encoding)) {
    case 'utf8':
      return utf8Encode(s, Buffer);
    case 'hex':
      try {
        return asBuffer(Uint8Array.fromHex(s));
      } catch {
        // Node stops at the first pair that is not hexadecimal
        return asBuffer(Uint8Array.fromHex(/^(?:[0-9A-Fa-f]{2})*/.exec(s)[0]));
      }
    case 'base64':
    case 'base64url':
      return asBuffer(base64Bytes(s));
    case 'latin1':
    case 'ascii':
      return binaryBytes(s, Buffer);
    case 'utf16le': {
      const out = new Buffer(s.length * 2);
      for (let i = 0; i < s.length; i++) {
        const c = s.charCodeAt(i);
        out[2 * i] = c;
        out[2 * i + 1] = c >> 8;
      }
      return out;
    }
  }
}

function decodeBytes(b, encoding, start, end) {
  switch (normalizeEncoding(encoding)) {
    case 'utf8':
      return utf8Decode(b, start, end, false);
    case 'hex':
      return b.subarray(start, end).toHex();
    case 'base64':
      return b.subarray(start, end).toBase64();
    case 'base64url':
      return b.subarray(start, end).toBase64({ alphabet: 'base64url', omitPadding: true });
    case 'latin1':
      return latin1Decode(b, start, end, 0xff);
    case 'ascii':
      return latin1Decode(b, start, end, 0x7f);
    case 'utf16le':
      return utf16Decode(b, start, end);
  }
}

function checkSize(size) {
  if (typeof size !== 'number') throw new TypeError(`The "size" argument must be of type number. Received ${typeof size}`);
  if (!(size >= 0 && size <= 0x7fffffff)) throw new RangeError(`The value of "size" is out of range. Received ${size}`);
}

function needBytes(v, what) {
  if (!(v instanceof Uint8Array)) throw new TypeError(`The "${what}" argument must be an instance of Buffer or Uint8Array.`);
  return v;
}

function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function clampIndex(v, dflt, len) {
  if (v === undefined) return dflt;
  v = Math.trunc(Number(v)) || 0;
  return v < 0 ? 0 : v > len ? len : v;
}

// Buffer is Node's, the parts templates use, as a Uint8Array subclass.
class Buffer extends Uint8Array {
  // new Buffer(string, encoding) is deprecated in Node but still works;
  // every other form is Uint8Array's (typed array methods call it so).
  constructor(a, b, c) {
    if (typeof a === 'string') {
      const u = encodeString(a, b);
      super(u.buffer, u.byteOffset, u.length);
    } else {
      super(a, b, c);
    }
  }

  static from(value, encodingOrOffset, length) {
    if (typeof value === 'string') return encodeString(value, encodingOrOffset);
    if (isArrayBuffer(value)) return new Buffer(value, encodingOrOffset, length);
    if (value instanceof DataView) return new Buffer(bytesOf(value));
    if (ArrayBuffer.isView(value)) return new Buffer(value);
    if (value !== null && typeof value === 'object') {
      // boxed strings and other wrappers first, then arrays, array-likes
      // and JSON-ed Buffers, then Symbol.toPrimitive, in Node's order
      const inner = typeof value.valueOf === 'function' ? value.valueOf() : value;
      if (inner !== value && inner !== null && inner !== undefined) return Buffer.from(inner, encodingOrOffset, length);
      if (value.type === 'Buffer' && Array.isArray(value.data)) return new Buffer(value.data);
      if (typeof value.length === 'number' || Array.isArray(value)) return new Buffer(value);
      if (typeof value[Symbol.toPrimitive] === 'function') {
        const prim = value[Symbol.toPrimitive]('string');
        if (typeof prim === 'string') return encodeString(prim, encodingOrOffset);
      }
    }
    throw new TypeError(
      'The first argument must be of type string or an instance of Buffer, ArrayBuffer, or Array or an Array-like Object.',
    );
  }

  static alloc(size, fill, encoding) {
    checkSize(size);
    const b = new Buffer(size);
    if (fill !== undefined && fill !== 0 && size > 0) b.fill(fill, 0, size, encoding);
    return b;
  }

  static allocUnsafe(size) {
    return Buffer.alloc(size);
  }

  static allocUnsafeSlow(size) {
    return Buffer.alloc(size);
  }

  static isBuffer(v) {
    return v instanceof Buffer;
  }

  static isEncoding(encoding) {
    try {
      return typeof encoding === 'string' && normalizeEncoding(encoding) !== undefined;
    } catch {
      return false;
    }
  }

  static byteLength(value, encoding) {
    if (typeof value === 'string') {
      switch (normalizeEncoding(encoding)) {
        case 'utf8':
          return utf8Binary(value).length;
        case 'latin1':
        case 'ascii':
          return value.length;
        case 'utf16le':
          return value.length * 2;
        case 'hex':
          return value.length >>> 1;
        default: {
          let n = value.length;
          if (n > 0 && value.charCodeAt(n - 1) === 0x3d) n--;
          if (n > 0 && value.charCodeAt(n - 1) === 0x3d) n--;
          return (n * 3) >>> 2;
        }
      }
    }
    const b = bytesOf(value);
    if (!b) throw new TypeError('The "string" argument must be of type string or an instance of Buffer or ArrayBuffer.');
    return b.byteLength;
  }

  static concat(list, totalLength) {
    if (!Array.isArray(list)) throw new TypeError('The "list" argument must be an instance of Array.');
    if (totalLength === undefined) {
      totalLength = 0;
      for (const item of list) totalLength += needBytes(item, 'list[i]').length;
    }
    const out = Buffer.alloc(Math.max(0, Math.trunc(totalLength) || 0));
    let pos = 0;
    for (const item of list) {
      const b = needBytes(item, 'list[i]');
      if (pos + b.length > out.length) {
        out.set(b.subarray(0, out.length - pos), pos);
        break;
      }
      out.set(b, pos);
      pos += b.length;
    }
    return out;
  }

  static compare(a, b) {
    return compareBytes(needBytes(a, 'buf1'), needBytes(b, 'buf2'));
  }

  toString(encoding, start, end) {
    const s = clampIndex(start, 0, this.length);
    const e = clampIndex(end, this.length, this.length);
    return e <= s ? '' : decodeBytes(this, encoding, s, e);
  }

  toJSON() {
    return { type: 'Buffer', data: Array.from(this) };
  }

  equals(other) {
    return compareBytes(this, needBytes(other, 'otherBuffer')) === 0;
  }

  compare(target) {
    return compareBytes(this, needBytes(target, 'target'));
  }

  // slice shares memory with the buffer, as Node's does (Uint8Array's
  // copies).
  slice(start, end) {
    return this.subarray(start, end);
  }

  copy(target, targetStart, sourceStart, sourceEnd) {
    needBytes(target, 'target');
    const ts = clampIndex(targetStart, 0, target.length);
    const ss = clampIndex(sourceStart, 0, this.length);
    const se = Math.min(clampIndex(sourceEnd, this.length, this.length), ss + target.length - ts);
    if (se <= ss) return 0;
    target.set(this.subarray(ss, se), ts);
    return se - ss;
  }

  fill(value, offset, end, encoding) {
    if (typeof offset === 'string') {
      encoding = offset;
      offset = undefined;
      end = undefined;
    } else if (typeof end === 'string') {
      encoding = end;
      end = undefined;
    }
    const s = clampIndex(offset, 0, this.length);
    const e = clampIndex(end, this.length, this.length);
    const pattern = typeof value === 'string' ? encodeString(value, encoding) : bytesOf(value);
    if (!pattern) return super.fill(Number(value) & 0xff, s, e);
    if (pattern.length === 0) return super.fill(0, s, e);
    for (let i = s, j = 0; i < e; i++) {
      this[i] = pattern[j];
      if (++j === pattern.length) j = 0;
    }
    return this;
  }
}

// ---------------------------------------------------------------- TextEncoder, TextDecoder

class TextEncoder {
  get encoding() {
    return 'utf-8';
  }

  encode(input) {
    return utf8Encode(input === undefined ? '' : String(input), Uint8Array);
  }

  encodeInto(source, destination) {
    if (!(destination instanceof Uint8Array)) throw new TypeError('The "destination" argument must be an instance of Uint8Array.');
    const written = utf8Write(String(source), destination, 0, destination.length);
    return { read: utf8Read, written };
  }

  get [Symbol.toStringTag]() {
    return 'TextEncoder';
  }
}

// The windows-1252 characters of bytes 0x80 to 0x9F (the rest are
// Latin-1), for TextDecoder's "latin1", "ascii", … labels.
const WINDOWS_1252 =
  '\u20ac\x81\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\x8d\u017d\x8f' +
  '\x90\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\x9d\u017e\u0178';

function encodingForLabel(label) {
  switch (String(label).trim().toLowerCase()) {
    case 'utf-8':
    case 'utf8':
    case 'unicode-1-1-utf-8':
    case 'unicode11utf8':
    case 'unicode20utf8':
    case 'x-unicode20utf8':
      return 'utf-8';
    case 'utf-16le':
    case 'utf-16':
    case 'ucs-2':
    case 'unicode':
    case 'csunicode':
    case 'iso-10646-ucs-2':
    case 'unicodefeff':
      return 'utf-16le';
    case 'windows-1252':
    case 'ansi_x3.4-1968':
    case 'ascii':
    case 'cp1252':
    case 'cp819':
    case 'csisolatin1':
    case 'ibm819':
    case 'iso-8859-1':
    case 'iso-ir-100':
    case 'iso8859-1':
    case 'iso88591':
    case 'iso_8859-1':
    case 'iso_8859-1:1987':
    case 'l1':
    case 'latin1':
    case 'us-ascii':
    case 'x-cp1252':
      return 'windows-1252';
    default:
      throw new RangeError(`The "${label}" encoding is not supported`);
  }
}

class TextDecoder {
  #encoding;
  #fatal;
  #ignoreBOM;
  #pending = null;
  #started = false;

  constructor(label = 'utf-8', options = undefined) {
    this.#encoding = encodingForLabel(label);
    this.#fatal = !!(options && options.fatal);
    this.#ignoreBOM = !!(options && options.ignoreBOM);
  }

  get encoding() {
    return this.#encoding;
  }

  get fatal() {
    return this.#fatal;
  }

  get ignoreBOM() {
    return this.#ignoreBOM;
  }

  get [Symbol.toStringTag]() {
    return 'TextDecoder';
  }

  decode(input, options) {
    const stream = !!(options && options.stream);
    let b;
    if (input === undefined) b = new Uint8Array(0);
    else if (!(b = bytesOf(input))) {
      throw new TypeError('The "input" argument must be an instance of ArrayBuffer or ArrayBufferView.');
    }
    if (this.#pending) {
      const joined = new Uint8Array(this.#pending.length + b.length);
      joined.set(this.#pending);
      joined.set(b, this.#pending.length);
      b = joined;
      this.#pending = null;
    }
    let end = b.length;
    if (stream) {
      let keep = 0;
      if (this.#encoding === 'utf-8') keep = utf8Pending(b, end);
      else if (this.#encoding === 'utf-16le') {
        // an odd byte, and a high surrogate waiting for its pair
        keep = end % 2;
        if (end - keep >= 2 && (b[end - keep - 1] & 0xfc) === 0xd8) keep += 2;
      }
      if (keep) {
        this.#pending = b.slice(end - keep);
        end -= keep;
      }
    }
    let start = 0;
    if (end > 0 && !this.#started) {
      this.#started = true;
      if (!this.#ignoreBOM) {
        if (this.#encoding === 'utf-8' && end >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) start = 3;
        else if (this.#encoding === 'utf-16le' && end >= 2 && b[0] === 0xff && b[1] === 0xfe) start = 2;
      }
    }
    let out;
    try {
      if (this.#encoding === 'utf-8') out = utf8Decode(b, start, end, this.#fatal);
      else if (this.#encoding === 'utf-16le') {
        out = utf16Decode(b, start, end);
        const odd = (end - start) % 2 === 1;
        if (odd || !out.isWellFormed()) {
          if (this.#fatal) throw invalidData('utf-16le');
          out = out.toWellFormed() + (odd ? '\ufffd' : '');
        }
      }
      else {
        out = latin1Decode(b, start, end, 0xff);
        if (/[\x80-\x9f]/.test(out)) out = out.replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252[c.charCodeAt(0) - 0x80]);
      }
    } finally {
      if (!stream) {
        this.#pending = null;
        this.#started = false;
      }
    }
    return out;
  }
}

// ---------------------------------------------------------------- atob, btoa

function atob(data) {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required, but only 0 present.");
  let s = String(data).replace(/[\t\n\f\r ]+/g, '');
  if (s.length % 4 === 0) {
    if (s.endsWith('==')) s = s.slice(0, -2);
    else if (s.endsWith('=')) s = s.slice(0, -1);
  }
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
    throw new DOMException('The string to be decoded is not correctly encoded.', 'InvalidCharacterError', 5);
  }
  const b = Uint8Array.fromBase64(s);
  return latin1Decode(b, 0, b.length, 0xff);
}

function btoa(data) {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required, but only 0 present.");
  const s = String(data);
  if (/[^\0-\xff]/.test(s)) {
    throw new DOMException('The string to be encoded contains characters outside of the Latin1 range.', 'InvalidCharacterError', 5);
  }
  return binaryBytes(s, Uint8Array).toBase64();
}

// ---------------------------------------------------------------- percent-encoding

// The percent-encode sets of the URL Standard, as the characters to
// encode (strings are made well-formed before they meet these).
const C0_SET = /[\0-\x1f\x7f-\u{10ffff}]/gu;
const FRAGMENT_SET = /[\0-\x20"<>`\x7f-\u{10ffff}]/gu;
const QUERY_SET = /[\0-\x20"#<>\x7f-\u{10ffff}]/gu;
const SPECIAL_QUERY_SET = /[\0-\x20"#'<>\x7f-\u{10ffff}]/gu;
const PATH_SET = /[\0-\x20"#<>?^`{}\x7f-\u{10ffff}]/gu;
const USERINFO_SET = /[\0-\x20"#/:;<=>?@[\\\]^`{|}\x7f-\u{10ffff}]/gu;
// application/x-www-form-urlencoded keeps only these (and turns the space
// into '+').
const FORM_SET = /[^*\-.0-9A-Z_a-z]/gu;

function escapeChar(c) {
  const code = c.charCodeAt(0);
  if (code >= 0x80) return nativeEncodeURIComponent(c);
  return '%' + HEX_DIGITS[code >> 4] + HEX_DIGITS[code & 15];
}

function escapeFormChar(c) {
  return c === ' ' ? '+' : escapeChar(c);
}

function percentEncode(s, set) {
  return s.replace(set, escapeChar);
}

function formEncode(s) {
  return s.replace(FORM_SET, escapeFormChar);
}

function isHexByte(c) {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function hexValue(c) {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

// percentDecode decodes %XX sequences into bytes and the bytes as UTF-8
// (invalid sequences become U+FFFD; a '%' that is not followed by two hex
// digits stays).
function percentDecode(s) {
  if (s.indexOf('%') < 0) return s;
  try {
    return nativeDecodeURIComponent(s);
  } catch {
    // a stray '%' or bytes that are not UTF-8: decode byte by byte
  }
  const b = utf8Encode(s, Uint8Array);
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x25 && i + 2 < b.length && isHexByte(b[i + 1]) && isHexByte(b[i + 2])) {
      b[n++] = (hexValue(b[i + 1]) << 4) | hexValue(b[i + 2]);
      i += 2;
    } else {
      b[n++] = c;
    }
  }
  return utf8Decode(b, 0, n, false);
}

function formDecode(s) {
  return percentDecode(s.indexOf('+') < 0 ? s : s.replace(/\+/g, ' '));
}

function formParse(s) {
  const list = [];
  if (s === '') return list;
  for (const part of s.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq < 0) list.push([formDecode(part), '']);
    else list.push([formDecode(part.slice(0, eq)), formDecode(part.slice(eq + 1))]);
  }
  return list;
}

function formSerialize(list) {
  let out = '';
  for (let i = 0; i < list.length; i++) {
    if (i > 0) out += '&';
    out += formEncode(list[i][0]) + '=' + formEncode(list[i][1]);
  }
  return out;
}

// ---------------------------------------------------------------- URLSearchParams

let paramsList; // (params) → its list of [name, value]
let paramsReplace; // (params, list) → replaces it (the URL's query changed)
let paramsAttach; // (params, url) → params now mirror url's query
let urlSetQuery; // (url, query|null) → from URLSearchParams to its URL

class URLSearchParams {
  #list = [];
  #url = null;

  static {
    paramsList = (p) => p.#list;
    paramsReplace = (p, list) => {
      p.#list = list;
    };
    paramsAttach = (p, url) => {
      p.#url = url;
    };
  }

  constructor(init = undefined) {
    if (init === undefined || init === null) return;
    if (typeof init === 'object' || typeof init === 'function') {
      if (init instanceof URLSearchParams) {
        this.#list = init.#list.map((pair) => [pair[0], pair[1]]);
        return;
      }
      const iterate = init[Symbol.iterator];
      if (iterate !== undefined) {
        if (typeof iterate !== 'function') throw new TypeError('Query pairs must be iterable');
        for (const pair of init) {
          if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function') || typeof pair[Symbol.iterator] !== 'function') {
            throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          }
          const kv = Array.from(pair);
          if (kv.length !== 2) throw new TypeError('Each query pair must be an iterable [name, value] tuple');
          this.#list.push([usv(kv[0]), usv(kv[1])]);
        }
        return;
      }
      for (const key of Object.keys(init)) this.#list.push([usv(key), usv(init[key])]);
      return;
    }
    let s = usv(init);
    if (s.charCodeAt(0) === 0x3f) s = s.slice(1);
    this.#list = formParse(s);
  }

  #update() {
    if (this.#url) urlSetQuery(this.#url, this.#list.length ? formSerialize(this.#list) : null);
  }

  get size() {
    return this.#list.length;
  }

  append(name, value) {
    this.#list.push([usv(name), usv(value)]);
    this.#update();
  }

  delete(name, value = undefined) {
    name = usv(name);
    const v = value === undefined ? undefined : usv(value);
    this.#list = this.#list.filter((p) => p[0] !== name || (v !== undefined && p[1] !== v));
    this.#update();
  }

  get(name) {
    name = usv(name);
    const p = this.#list.find((q) => q[0] === name);
    return p ? p[1] : null;
  }

  getAll(name) {
    name = usv(name);
    return this.#list.filter((p) => p[0] === name).map((p) => p[1]);
  }

  has(name, value = undefined) {
    name = usv(name);
    const v = value === undefined ? undefined : usv(value);
    return this.#list.some((p) => p[0] === name && (v === undefined || p[1] === v));
  }

  set(name, value) {
    name = usv(name);
    value = usv(value);
    const i = this.#list.findIndex((p) => p[0] === name);
    if (i < 0) this.#list.push([name, value]);
    else {
      this.#list[i] = [name, value];
      this.#list = this.#list.filter((p, j) => j <= i || p[0] !== name);
    }
    this.#update();
  }

  // sort orders by name in code units, keeping the order of equal names.
  sort() {
    this.#list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.#update();
  }

  forEach(callback, thisArg = undefined) {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    for (let i = 0; i < this.#list.length; i++) callback.call(thisArg, this.#list[i][1], this.#list[i][0], this);
  }

  *entries() {
    for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
  }

  *keys() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][0];
  }

  *values() {
    for (let i = 0; i < this.#list.length; i++) yield this.#list[i][1];
  }

  toString() {
    return formSerialize(this.#list);
  }

  get [Symbol.toStringTag]() {
    return 'URLSearchParams';
  }
}

Object.defineProperty(URLSearchParams.prototype, Symbol.iterator, {
  value: URLSearchParams.prototype.entries,
  writable: true,
  configurable: true,
  enumerable: false,
});

// ---------------------------------------------------------------- URL parsing

// A URL record: scheme, username, password, host (null, or serialised:
// domain, IPv4, [IPv6], opaque or ''), port (null or a number), path (an
// array of segments, or a string when opaque), query and fragment (null
// or percent-encoded strings).

function defaultPort(scheme) {
  switch (scheme) {
    case 'http':
    case 'ws':
      return 80;
    case 'https':
    case 'wss':
      return 443;
    case 'ftp':
      return 21;
    case 'file':
      return null;
    default:
      return undefined;
  }
}

const isSpecial = (scheme) => defaultPort(scheme) !== undefined;

function newRecord(scheme) {
  return { scheme, username: '', password: '', host: null, port: null, path: [], opaque: false, query: null, fragment: null };
}

function isSeparator(c, special) {
  return c === '/' || (special && c === '\\');
}

function isAlpha(c) {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

function isDriveLetter(s) {
  return s.length === 2 && isAlpha(s[0]) && (s[1] === ':' || s[1] === '|');
}

function isNormalizedDriveLetter(s) {
  return s.length === 2 && isAlpha(s[0]) && s[1] === ':';
}

function startsWithDriveLetter(s) {
  return s.length >= 2 && isDriveLetter(s.slice(0, 2)) && (s.length === 2 || '/\\?#'.includes(s[2]));
}

function shortenPath(u) {
  if (u.scheme === 'file' && u.path.length === 1 && isNormalizedDriveLetter(u.path[0])) return;
  u.path.pop();
}

function isSingleDot(s) {
  return s === '.' || s.toLowerCase() === '%2e';
}

function isDoubleDot(s) {
  if (s.length !== 2 && s.length !== 4 && s.length !== 6) return false;
  const l = s.toLowerCase();
  return l === '..' || l === '.%2e' || l === '%2e.' || l === '%2e%2e';
}

// parsePath appends the segments of s (a path after its leading slash, or
// a relative path) to u.path, resolving dot segments.
function parsePath(u, s) {
  const special = isSpecial(u.scheme);
  const parts = special ? s.split(/[/\\]/) : s.split('/');
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1;
    const seg = parts[i];
    if (isDoubleDot(seg)) {
      shortenPath(u);
      if (last) u.path.push('');
    } else if (isSingleDot(seg)) {
      if (last) u.path.push('');
    } else {
      let enc = percentEncode(seg, PATH_SET);
      if (u.scheme === 'file' && u.path.length === 0 && isDriveLetter(enc)) enc = enc[0] + ':';
      u.path.push(enc);
    }
  }
}

const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\0-\x20#%/:<>?@[\\\]^|\x7f]/;

function parseIPv4Number(s) {
  if (s === '') return NaN;
  let radix = 10;
  if (s.length >= 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')) {
    s = s.slice(2);
    radix = 16;
  } else if (s.length >= 2 && s[0] === '0') {
    s = s.slice(1);
    radix = 8;
  }
  if (s === '') return 0;
  const ok = radix === 16 ? /^[0-9A-Fa-f]+$/.test(s) : radix === 8 ? /^[0-7]+$/.test(s) : /^[0-9]+$/.test(s);
  return ok ? parseInt(s, radix) : NaN;
}

function endsInNumber(s) {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  return /^[0-9]+$/.test(last) || /^0[xX][0-9A-Fa-f]*$/.test(last);
}

// parseIPv4 returns the dotted serialisation of s, or null.
function parseIPv4(s) {
  const parts = s.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) return null;
  const nums = parts.map(parseIPv4Number);
  if (nums.some(Number.isNaN)) return null;
  for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) return null;
  let v = nums[nums.length - 1];
  if (v >= 256 ** (5 - nums.length)) return null;
  for (let i = 0; i < nums.length - 1; i++) v += nums[i] * 256 ** (3 - i);
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function isDigit(c) {
  return c !== undefined && c >= '0' && c <= '9';
}

function isHexDigit(c) {
  return isDigit(c) || (c !== undefined && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

// parseIPv6 returns the eight pieces of s (between the brackets), or null.
function parseIPv6(s) {
  const a = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0;
  let compress = -1;
  let p = 0;
  const n = s.length;
  if (s[0] === ':') {
    if (s[1] !== ':') return null;
    p = 2;
    piece = 1;
    compress = 1;
  }
  while (p < n) {
    if (piece === 8) return null;
    if (s[p] === ':') {
      if (compress >= 0) return null;
      p++;
      piece++;
      compress = piece;
      continue;
    }
    let value = 0;
    let length = 0;
    while (length < 4 && isHexDigit(s[p])) {
      value = value * 16 + parseInt(s[p], 16);
      p++;
      length++;
    }
    if (s[p] === '.') {
      if (length === 0) return null;
      p -= length;
      if (piece > 6) return null;
      let seen = 0;
      while (p < n) {
        let v4 = -1;
        if (seen > 0) {
          if (s[p] === '.' && seen < 4) p++;
          else return null;
        }
        if (!isDigit(s[p])) return null;
        while (isDigit(s[p])) {
          const d = s.charCodeAt(p) - 48;
          if (v4 === -1) v4 = d;
          else if (v4 === 0) return null;
          else v4 = v4 * 10 + d;
          if (v4 > 255) return null;
          p++;
        }
        a[piece] = a[piece] * 256 + v4;
        seen++;
        if (seen === 2 || seen === 4) piece++;
      }
      if (seen !== 4) return null;
      break;
    } else if (s[p] === ':') {
      p++;
      if (p >= n) return null;
    } else if (p < n) {
      return null;
    }
    a[piece] = value;
    piece++;
  }
  if (compress >= 0) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = a[piece];
      a[piece] = a[compress + swaps - 1];
      a[compress + swaps - 1] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) {
    return null;
  }
  return a;
}

function serializeIPv6(a) {
  // the first longest run of two or more zero pieces becomes '::'
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (a[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && a[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    out += a[i].toString(16);
    if (i < 7) out += ':';
  }
  return out;
}

// punycode encodes one label (RFC 3492).
function punycode(label) {
  const cps = Array.from(label, (c) => c.codePointAt(0));
  const digit = (d) => String.fromCharCode(d + (d < 26 ? 97 : 22));
  let out = '';
  for (const c of cps) if (c < 0x80) out += String.fromCharCode(c);
  const basic = out.length;
  let h = basic;
  if (basic > 0) out += '-';
  let n = 128;
  let delta = 0;
  let bias = 72;
  while (h < cps.length) {
    let m = Infinity;
    for (const c of cps) if (c >= n && c < m) m = c;
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c !== n) continue;
      let q = delta;
      for (let k = 36; ; k += 36) {
        const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
        if (q < t) break;
        out += digit(t + ((q - t) % (36 - t)));
        q = Math.floor((q - t) / (36 - t));
      }
      out += digit(q);
      // bias adaptation
      let d = h === basic ? Math.floor(delta / 700) : delta >> 1;
      d += Math.floor(d / (h + 1));
      let k = 0;
      while (d > 455) {
        d = Math.floor(d / 35);
        k += 36;
      }
      bias = k + Math.floor((36 * d) / (d + 38));
      delta = 0;
      h++;
    }
    delta++;
    n++;
  }
  return out;
}

// domainToASCII is a close approximation of UTS #46 ToASCII: ASCII is
// lower-cased; other domains are NFKC-normalised, lower-cased and their
// non-ASCII labels Punycode-encoded.
function domainToASCII(domain) {
  // eslint-disable-next-line no-control-regex
  if (!/[^\0-\x7f]/.test(domain)) return domain.toLowerCase();
  let s = domain.replace(/[\u00ad\u034f\u180b-\u180d\u200b-\u200d\u2060\ufe00-\ufe0f\ufeff]/g, '');
  s = s.normalize('NFKC').toLowerCase().normalize('NFC');
  s = s.replace(/[\u3002\uff0e\uff61]/g, '.');
  // U+FFFD (bytes that were not UTF-8) and noncharacters are disallowed
  if (/[\ufffd\ufdd0-\ufdef\ufffe\uffff]/.test(s)) return null;
  return s
    .split('.')
    .map((label) => (/[^\0-\x7f]/.test(label) ? 'xn--' + punycode(label) : label))
    .join('.');
}

// parseHost returns the serialised host of s, or null.
function parseHost(s, opaque) {
  if (s[0] === '[') {
    if (s[s.length - 1] !== ']') return null;
    const a = parseIPv6(s.slice(1, -1));
    return a ? '[' + serializeIPv6(a) + ']' : null;
  }
  if (opaque) {
    if (FORBIDDEN_HOST.test(s)) return null;
    return percentEncode(s, C0_SET);
  }
  const ascii = domainToASCII(percentDecode(s));
  if (!ascii || FORBIDDEN_DOMAIN.test(ascii)) return null;
  if (endsInNumber(ascii)) return parseIPv4(ascii);
  return ascii;
}

function parsePort(u, s) {
  if (!/^[0-9]*$/.test(s)) return false;
  if (s === '') return true;
  const port = parseInt(s, 10);
  if (port > 65535) return false;
  u.port = port === defaultPort(u.scheme) ? null : port;
  return true;
}

// parseAuthority reads [userinfo@]host[:port].
function parseAuthority(u, auth) {
  const at = auth.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = auth.slice(0, at);
    const colon = userinfo.indexOf(':');
    u.username = percentEncode(colon < 0 ? userinfo : userinfo.slice(0, colon), USERINFO_SET);
    u.password = colon < 0 ? '' : percentEncode(userinfo.slice(colon + 1), USERINFO_SET);
    auth = auth.slice(at + 1);
    if (auth === '') return false;
  }
  let inside = false;
  let i = 0;
  for (; i < auth.length; i++) {
    const c = auth[i];
    if (c === '[') inside = true;
    else if (c === ']') inside = false;
    else if (c === ':' && !inside) break;
  }
  const hostPart = auth.slice(0, i);
  const special = isSpecial(u.scheme);
  if (hostPart === '' && (special || i < auth.length)) return false;
  const host = parseHost(hostPart, !special);
  if (host === null) return false;
  u.host = host;
  return i < auth.length ? parsePort(u, auth.slice(i + 1)) : true;
}

// parseAuthorityAndPath reads what follows '//'.
function parseAuthorityAndPath(u, s) {
  const special = isSpecial(u.scheme);
  let end = 0;
  while (end < s.length && !isSeparator(s[end], special)) end++;
  if (!parseAuthority(u, s.slice(0, end))) return false;
  if (special || end < s.length) parsePath(u, s.slice(end + 1));
  return true;
}

function copyAuthority(u, base) {
  u.username = base.username;
  u.password = base.password;
  u.host = base.host;
  u.port = base.port;
}

// parseRelative resolves hier (the input without scheme, query and
// fragment) against base, which has u's scheme.
function parseRelative(u, hier, base, hasQuery) {
  const special = isSpecial(u.scheme);
  if (isSeparator(hier[0], special)) {
    if (isSeparator(hier[1], special)) {
      let i = 2;
      if (special) while (isSeparator(hier[i], true)) i++;
      return parseAuthorityAndPath(u, hier.slice(i));
    }
    copyAuthority(u, base);
    parsePath(u, hier.slice(1));
    return true;
  }
  copyAuthority(u, base);
  u.path = base.path.slice();
  if (hier === '') {
    if (!hasQuery) u.query = base.query;
    return true;
  }
  shortenPath(u);
  parsePath(u, hier);
  return true;
}

// parseFile handles file: URLs, with their Windows drive letter quirks.
function parseFile(u, hier, base, hasQuery) {
  u.host = '';
  if (isSeparator(hier[0], true)) {
    if (isSeparator(hier[1], true)) {
      let end = 2;
      while (end < hier.length && !isSeparator(hier[end], true)) end++;
      const hostPart = hier.slice(2, end);
      if (isDriveLetter(hostPart)) {
        parsePath(u, hier.slice(2));
        return true;
      }
      if (hostPart !== '') {
        const host = parseHost(hostPart, false);
        if (host === null) return false;
        u.host = host === 'localhost' ? '' : host;
      }
      parsePath(u, hier.slice(end + 1));
      return true;
    }
    if (base) {
      u.host = base.host;
      if (!startsWithDriveLetter(hier.slice(1)) && base.path.length && isNormalizedDriveLetter(base.path[0])) u.path.push(base.path[0]);
    }
    parsePath(u, hier.slice(1));
    return true;
  }
  if (base) {
    u.host = base.host;
    u.path = base.path.slice();
    if (hier === '') {
      if (!hasQuery) u.query = base.query;
      return true;
    }
    if (startsWithDriveLetter(hier)) u.path = [];
    else shortenPath(u);
  }
  parsePath(u, hier);
  return true;
}

const SCHEME = /^[A-Za-z][A-Za-z0-9+\-.]*:/;

// parseURL is the URL Standard's basic URL parser (without state
// overrides: the setters have their own code); it returns a record or null.
function parseURL(input, base) {
  // eslint-disable-next-line no-control-regex
  input = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '');
  if (/[\t\n\r]/.test(input)) input = input.replace(/[\t\n\r]+/g, '');
  const m = SCHEME.exec(input);
  let rest = m ? input.slice(m[0].length) : input;
  let fragment = null;
  let query = null;
  const h = rest.indexOf('#');
  if (h >= 0) {
    fragment = rest.slice(h + 1);
    rest = rest.slice(0, h);
  }
  const q = rest.indexOf('?');
  if (q >= 0) {
    query = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  const hasQuery = query !== null;
  let u;
  if (m) {
    u = newRecord(m[0].slice(0, -1).toLowerCase());
    const special = isSpecial(u.scheme);
    let ok = true;
    if (u.scheme === 'file') {
      ok = parseFile(u, rest, base && base.scheme === 'file' ? base : null, hasQuery);
    } else if (special) {
      if (base && base.scheme === u.scheme) ok = parseRelative(u, rest, base, hasQuery);
      else {
        let i = 0;
        while (isSeparator(rest[i], true)) i++;
        ok = parseAuthorityAndPath(u, rest.slice(i));
      }
    } else if (rest[0] === '/') {
      if (rest[1] === '/') ok = parseAuthorityAndPath(u, rest.slice(2));
      else parsePath(u, rest.slice(1));
    } else {
      u.opaque = true;
      u.path = percentEncode(rest, C0_SET);
    }
    if (!ok) return null;
  } else {
    if (!base) return null;
    if (base.opaque) {
      if (rest !== '' || hasQuery || fragment === null) return null;
      u = { ...base, fragment: percentEncode(fragment, FRAGMENT_SET) };
      return u;
    }
    u = newRecord(base.scheme);
    const ok = base.scheme === 'file' ? parseFile(u, rest, base, hasQuery) : parseRelative(u, rest, base, hasQuery);
    if (!ok) return null;
  }
  if (hasQuery) u.query = percentEncode(query, isSpecial(u.scheme) ? SPECIAL_QUERY_SET : QUERY_SET);
  if (fragment !== null) u.fragment = percentEncode(fragment, FRAGMENT_SET);
  return u;
}

function serializePath(u) {
  if (u.opaque) return u.path;
  let s = '';
  for (const seg of u.path) s += '/' + seg;
  return s;
}

function serializeURL(u) {
  let s = u.scheme + ':';
  if (u.host !== null) {
    s += '//';
    if (u.username !== '' || u.password !== '') {
      s += u.username;
      if (u.password !== '') s += ':' + u.password;
      s += '@';
    }
    s += u.host;
    if (u.port !== null) s += ':' + u.port;
  } else if (!u.opaque && u.path.length > 1 && u.path[0] === '') {
    s += '/.';
  }
  s += serializePath(u);
  if (u.query !== null) s += '?' + u.query;
  if (u.fragment !== null) s += '#' + u.fragment;
  return s;
}

function serializeOrigin(u) {
  switch (u.scheme) {
    case 'http':
    case 'https':
    case 'ws':
    case 'wss':
    case 'ftp':
      return u.scheme + '://' + u.host + (u.port !== null ? ':' + u.port : '');
    case 'blob': {
      const inner = parseURL(serializePath(u), null);
      return inner && (inner.scheme === 'http' || inner.scheme === 'https') ? serializeOrigin(inner) : 'null';
    }
    default:
      return 'null';
  }
}

function invalidURL(input) {
  const e = new TypeError('Invalid URL');
  e.code = 'ERR_INVALID_URL';
  e.input = input;
  return e;
}

const stripTabs = (s) => (/[\t\n\r]/.test(s) ? s.replace(/[\t\n\r]+/g, '') : s);

const cannotHaveCredentials = (u) => u.host === null || u.host === '' || u.scheme === 'file';

// ---------------------------------------------------------------- URL

class URL {
  #u;
  #params = null;

  static {
    urlSetQuery = (url, query) => {
      url.#u.query = query;
    };
  }

  constructor(url, base = undefined) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required, but only 0 present.");
    const input = usv(url);
    let b = null;
    if (base !== undefined) {
      b = parseURL(usv(base), null);
      if (!b) throw invalidURL(String(base));
    }
    const u = parseURL(input, b);
    if (!u) throw invalidURL(input);
    this.#u = u;
  }

  static canParse(url, base = undefined) {
    let b = null;
    if (base !== undefined && !(b = parseURL(usv(base), null))) return false;
    return parseURL(usv(url), b) !== null;
  }

  static parse(url, base = undefined) {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  #reparams() {
    if (this.#params) paramsReplace(this.#params, formParse(this.#u.query || ''));
  }

  get href() {
    return serializeURL(this.#u);
  }

  set href(value) {
    const input = usv(value);
    const u = parseURL(input, null);
    if (!u) throw invalidURL(input);
    this.#u = u;
    this.#reparams();
  }

  get origin() {
    return serializeOrigin(this.#u);
  }

  get protocol() {
    return this.#u.scheme + ':';
  }

  set protocol(value) {
    const u = this.#u;
    const m = /^[A-Za-z][A-Za-z0-9+\-.]*(?=:)/.exec(stripTabs(usv(value)) + ':');
    if (!m) return;
    const scheme = m[0].toLowerCase();
    if (isSpecial(u.scheme) !== isSpecial(scheme)) return;
    if ((u.username !== '' || u.password !== '' || u.port !== null) && scheme === 'file') return;
    if (u.scheme === 'file' && u.host === '') return;
    u.scheme = scheme;
    if (u.port === defaultPort(scheme)) u.port = null;
  }

  get username() {
    return this.#u.username;
  }

  set username(value) {
    if (cannotHaveCredentials(this.#u)) return;
    this.#u.username = percentEncode(usv(value), USERINFO_SET);
  }

  get password() {
    return this.#u.password;
  }

  set password(value) {
    if (cannotHaveCredentials(this.#u)) return;
    this.#u.password = percentEncode(usv(value), USERINFO_SET);
  }

  get host() {
    const u = this.#u;
    if (u.host === null) return '';
    return u.port === null ? u.host : u.host + ':' + u.port;
  }

  set host(value) {
    this.#setHost(stripTabs(usv(value)), false);
  }

  get hostname() {
    return this.#u.host === null ? '' : this.#u.host;
  }

  set hostname(value) {
    this.#setHost(stripTabs(usv(value)), true);
  }

  // #setHost is the host and hostname states with a state override: a
  // failure leaves the URL as it was (though a bad port after a good host
  // keeps the host, as in the standard).
  #setHost(s, hostnameOnly) {
    const u = this.#u;
    if (u.opaque) return;
    const special = isSpecial(u.scheme);
    let end = 0;
    while (end < s.length && s[end] !== '?' && s[end] !== '#' && !isSeparator(s[end], special)) end++;
    s = s.slice(0, end);
    if (u.scheme === 'file') {
      if (s === '') {
        u.host = '';
        return;
      }
      const host = parseHost(s, false);
      if (host !== null) u.host = host === 'localhost' ? '' : host;
      return;
    }
    let inside = false;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '[') inside = true;
      else if (c === ']') inside = false;
      else if (c === ':' && !inside) break;
    }
    const hostPart = s.slice(0, i);
    if (i < s.length) {
      if (hostPart === '' || hostnameOnly) return;
    } else if (hostPart === '') {
      if (special || u.username !== '' || u.password !== '' || u.port !== null) return;
    }
    const host = parseHost(hostPart, !special);
    if (host === null) return;
    u.host = host;
    if (i < s.length) {
      const digits = /^[0-9]*/.exec(s.slice(i + 1))[0];
      if (digits !== '') parsePort(u, digits);
    }
  }

  get port() {
    return this.#u.port === null ? '' : String(this.#u.port);
  }

  set port(value) {
    const u = this.#u;
    if (cannotHaveCredentials(u)) return;
    const s = stripTabs(usv(value));
    if (s === '') {
      u.port = null;
      return;
    }
    const digits = /^[0-9]*/.exec(s)[0];
    if (digits !== '') parsePort(u, digits);
  }

  get pathname() {
    return serializePath(this.#u);
  }

  set pathname(value) {
    const u = this.#u;
    if (u.opaque) return;
    let s = stripTabs(usv(value));
    const special = isSpecial(u.scheme);
    u.path = [];
    if (special) {
      if (isSeparator(s[0], true)) s = s.slice(1);
    } else if (s === '') {
      if (u.host === null) u.path.push('');
      return;
    } else if (s[0] === '/') {
      s = s.slice(1);
    }
    // '?' and '#' are part of the path here, encoded as the path set says.
    parsePath(u, s);
  }

  get search() {
    const q = this.#u.query;
    return q === null || q === '' ? '' : '?' + q;
  }

  set search(value) {
    const u = this.#u;
    let s = stripTabs(usv(value));
    if (s === '') {
      u.query = null;
      if (this.#params) paramsReplace(this.#params, []);
      return;
    }
    if (s[0] === '?') s = s.slice(1);
    u.query = percentEncode(s, isSpecial(u.scheme) ? SPECIAL_QUERY_SET : QUERY_SET);
    if (this.#params) paramsReplace(this.#params, formParse(s));
  }

  get searchParams() {
    if (!this.#params) {
      const p = new URLSearchParams();
      paramsReplace(p, formParse(this.#u.query || ''));
      paramsAttach(p, this);
      this.#params = p;
    }
    return this.#params;
  }

  get hash() {
    const f = this.#u.fragment;
    return f === null || f === '' ? '' : '#' + f;
  }

  set hash(value) {
    const u = this.#u;
    let s = stripTabs(usv(value));
    if (s === '') {
      u.fragment = null;
      return;
    }
    if (s[0] === '#') s = s.slice(1);
    u.fragment = percentEncode(s, FRAGMENT_SET);
  }

  toString() {
    return serializeURL(this.#u);
  }

  toJSON() {
    return serializeURL(this.#u);
  }

  get [Symbol.toStringTag]() {
    return 'URL';
  }
}

// ---------------------------------------------------------------- timers

// Timers wait in Go (the async `sleep` operation), so a pending timer costs
// the VM nothing. They are kept here in a heap ordered by due time and
// creation; one sleep is in flight for the earliest, and each wake-up runs
// one due timer, so every callback is a task of its own (the microtasks it
// queues run before the next timer).
// clock is the real time, taken before anything can replace Date: a
// test's frozen clock (vi.setSystemTime, vi.spyOn(Date, 'now')) must not
// stop timers from firing.
const clock = Date.now;
let timerSeq = 0;
let timerOrder = 0;
const timers = new Map(); // id → timer, while it may still fire
const heap = [];
const sleeping = []; // the due times of the sleeps in flight

function before(a, b) {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}

function heapPush(t) {
  heap.push(t);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!before(heap[i], heap[parent])) break;
    [heap[i], heap[parent]] = [heap[parent], heap[i]];
    i = parent;
  }
}

function heapPop() {
  const top = heap[0];
  const last = heap.pop();
  if (heap.length > 0) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l], heap[m])) m = l;
      if (r < heap.length && before(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
  return top;
}

function nextTimer() {
  while (heap.length > 0 && heap[0].cleared) heapPop();
  return heap[0];
}

function arm() {
  const t = nextTimer();
  if (!t) return;
  for (const at of sleeping) if (at <= t.at) return;
  const at = t.at;
  sleeping.push(at);
  const woke = () => {
    sleeping.splice(sleeping.indexOf(at), 1);
  };
  call('sleep', { ms: Math.max(0, at - clock()) }).then(
    () => {
      woke();
      fire();
    },
    woke, // the execution is ending
  );
}

function fire() {
  const t = nextTimer();
  if (t && t.at <= clock()) {
    heapPop();
    if (t.interval >= 0) {
      t.at = clock() + t.interval;
      t.order = ++timerOrder;
      heapPush(t);
    } else {
      timers.delete(t.id);
    }
    try {
      t.fn(...t.args);
    } catch (e) {
      reportError('a timer callback', e);
    }
  }
  arm();
}

function schedule(fn, ms, args, repeat) {
  if (typeof fn !== 'function') throw new TypeError('The "callback" argument must be of type function');
  ms = Number(ms);
  if (!(ms > 0) || ms > 0x7fffffff) ms = 0;
  if (repeat && ms < 1) ms = 1;
  const t = { id: ++timerSeq, fn, args, at: clock() + ms, order: ++timerOrder, interval: repeat ? ms : -1, cleared: false };
  timers.set(t.id, t);
  heapPush(t);
  arm();
  return t.id;
}

function clearTimer(id) {
  const t = timers.get(Number(id));
  if (t) {
    t.cleared = true;
    timers.delete(t.id);
  }
}

function setTimeout(fn, ms, ...args) {
  return schedule(fn, ms, args, false);
}

function setInterval(fn, ms, ...args) {
  return schedule(fn, ms, args, true);
}

function setImmediate(fn, ...args) {
  return schedule(fn, 0, args, false);
}

function clearTimeout(id) {
  clearTimer(id);
}

function clearInterval(id) {
  clearTimer(id);
}

function clearImmediate(id) {
  clearTimer(id);
}

function queueMicrotask(callback) {
  if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
  Promise.resolve().then(() => {
    try {
      callback();
    } catch (e) {
      reportError('a microtask', e);
    }
  });
}

// ---------------------------------------------------------------- crypto

function hashAlgorithm(name) {
  const a = String(name).toLowerCase().replace(/-/g, '');
  switch (a) {
    case 'md5':
    case 'sha1':
    case 'sha224':
    case 'sha256':
    case 'sha384':
    case 'sha512':
      return a;
    default:
      throw new Error(`Digest method not supported: ${name} (md5, sha1, sha224, sha256, sha384 and sha512 are)`);
  }
}

function inputBytes(data, encoding, what) {
  if (typeof data === 'string') return encodeString(data, encoding);
  const b = bytesOf(data);
  if (!b) throw new TypeError(`The "${what}" argument must be of type string or an instance of Buffer, TypedArray, or DataView.`);
  return b;
}

// Digest is what createHash and createHmac return (Node's Hash and Hmac).
class Digest {
  #algorithm;
  #key;
  #chunks = [];
  #done = false;

  constructor(algorithm, key) {
    this.#algorithm = hashAlgorithm(algorithm);
    this.#key = key;
  }

  update(data, inputEncoding) {
    if (this.#done) throw new Error('Digest already called');
    // copied: the caller may change its buffer before digest
    this.#chunks.push(new Uint8Array(inputBytes(data, inputEncoding, 'data')));
    return this;
  }

  digest(encoding) {
    if (this.#done) throw new Error('Digest already called');
    this.#done = true;
    const args = { algorithm: this.#algorithm, data: Buffer.concat(this.#chunks).toBase64() };
    if (this.#key) args.key = this.#key.toBase64();
    this.#chunks = [];
    const out = asBuffer(Uint8Array.fromBase64(callSync('digest', args)));
    return encoding === undefined || encoding === 'buffer' ? out : out.toString(encoding);
  }
}

function randomBuffer(n) {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i += 65536) {
    const m = Math.min(65536, n - i);
    out.set(Uint8Array.fromBase64(callSync('randomBytes', { n: m })), i);
  }
  return out;
}

const cryptoObject = {
  randomUUID() {
    return callSync('randomUUID');
  },

  getRandomValues(array) {
    if (!ArrayBuffer.isView(array)) throw new TypeError("Failed to execute 'getRandomValues': parameter 1 is not of type 'ArrayBufferView'.");
    const tag = array instanceof DataView ? 'DataView' : array[Symbol.toStringTag];
    if (tag === 'DataView' || tag.startsWith('Float')) {
      throw new DOMException("Failed to execute 'getRandomValues': The provided ArrayBufferView is of type '" + tag + "', which is not an integer array type.", 'TypeMismatchError', 17);
    }
    if (array.byteLength > 65536) {
      throw new DOMException(
        `Failed to execute 'getRandomValues': The ArrayBufferView's byte length (${array.byteLength}) exceeds the number of bytes of entropy available via this API (65536).`,
        'QuotaExceededError',
        22,
      );
    }
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(randomBuffer(array.byteLength));
    return array;
  },

  // Node's crypto module, the parts templates use.
  createHash(algorithm) {
    return new Digest(algorithm, null);
  },

  createHmac(algorithm, key) {
    return new Digest(algorithm, new Uint8Array(inputBytes(key, 'utf8', 'key')));
  },

  randomBytes(size) {
    checkSize(size);
    return randomBuffer(size);
  },

  timingSafeEqual(a, b) {
    const x = bytesOf(a);
    const y = bytesOf(b);
    if (!x || !y) throw new TypeError('The "buf1" and "buf2" arguments must be instances of Buffer, TypedArray, or DataView.');
    if (x.length !== y.length) throw new RangeError('Input buffers must have the same byte length');
    let d = 0;
    for (let i = 0; i < x.length; i++) d |= x[i] ^ y[i];
    return d === 0;
  },
};

// ---------------------------------------------------------------- Headers

// Headers is fetch's, as Node has it globally: nango.uncontrolledFetch's
// answers carry one, and test files build them. Names are lower case, a
// repeated append joins values with ", ".
class Headers {
  #map = new Map();
  constructor(init) {
    const entries = init instanceof Headers ? [...init] : Array.isArray(init) ? init : Object.entries(init || {});
    for (const [k, v] of entries) this.#map.set(String(k).toLowerCase(), String(v));
  }
  get(k) {
    const v = this.#map.get(String(k).toLowerCase());
    return v === undefined ? null : v;
  }
  has(k) {
    return this.#map.has(String(k).toLowerCase());
  }
  set(k, v) {
    this.#map.set(String(k).toLowerCase(), String(v));
  }
  append(k, v) {
    const key = String(k).toLowerCase();
    this.#map.set(key, this.#map.has(key) ? `${this.#map.get(key)}, ${v}` : String(v));
  }
  delete(k) {
    this.#map.delete(String(k).toLowerCase());
  }
  forEach(cb, thisArg) {
    for (const [k, v] of this.#map) cb.call(thisArg, v, k, this);
  }
  entries() {
    return this.#map.entries();
  }
  keys() {
    return this.#map.keys();
  }
  values() {
    return this.#map.values();
  }
  [Symbol.iterator]() {
    return this.#map.entries();
  }
}

// ---------------------------------------------------------------- install

defineGlobal('console', consoleObject);
defineGlobal('URL', URL);
defineGlobal('URLSearchParams', URLSearchParams);
defineGlobal('TextEncoder', TextEncoder);
defineGlobal('TextDecoder', TextDecoder);
defineGlobal('atob', atob);
defineGlobal('btoa', btoa);
defineGlobal('Buffer', Buffer);
defineGlobal('setTimeout', setTimeout);
defineGlobal('clearTimeout', clearTimeout);
defineGlobal('setInterval', setInterval);
defineGlobal('clearInterval', clearInterval);
defineGlobal('setImmediate', setImmediate);
defineGlobal('clearImmediate', clearImmediate);
defineGlobal('queueMicrotask', queueMicrotask);
defineGlobal('crypto', cryptoObject);
defineGlobal('Headers', Headers);
installIntl(defineGlobal);
