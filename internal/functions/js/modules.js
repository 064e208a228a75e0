// Stand-ins for the npm packages Nango lets functions import (its CLI's
// allowedPackages) whose work needs the host: each is installed as a
// hidden global that the bundle's import of the package resolves to (the
// shims in compile.go), as zod and nango are.

import { call, callSync } from './host.js';

// unzipper: Open.buffer(buffer) reads a zip archive from memory with Go's
// archive/zip (the host's "unzip"); each file's buffer() resolves to its
// inflated contents. Reading from files, URLs or S3, streams and
// encrypted archives are not supported.
class UnzipperFile {
  #data;
  constructor(e) {
    this.path = e.path;
    this.type = e.type;
    this.compressedSize = e.compressedSize;
    this.uncompressedSize = e.uncompressedSize;
    this.lastModifiedDateTime = new Date(e.lastModifiedDateTime);
    this.#data = e.data || '';
  }

  async buffer(password) {
    if (password !== undefined) throw new Error('unzipper: encrypted archives are not supported');
    return Buffer.from(this.#data, 'base64');
  }

  stream() {
    throw new Error('unzipper: stream() is not supported here; use buffer()');
  }
}

function notSupported(what) {
  return async () => {
    throw new Error(`unzipper: Open.${what} is not supported here (there is no file system or network); use Open.buffer`);
  };
}

const unzipper = {
  Open: {
    async buffer(data) {
      if (!(data instanceof Uint8Array)) throw new TypeError('unzipper: Open.buffer expects a Buffer');
      const entries = callSync('unzip', { data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') });
      return { files: entries.map((e) => new UnzipperFile(e)) };
    },
    file: notSupported('file'),
    url: notSupported('url'),
    s3: notSupported('s3'),
    s3_v3: notSupported('s3_v3'),
    custom: notSupported('custom'),
  },
};

// Not frozen: a test replaces its methods (vi.spyOn(unzipper.Open, 'buffer')),
// as it would on the npm package's module object.
Object.defineProperty(globalThis, '__pb_unzipper', { value: unzipper, writable: false, configurable: false, enumerable: false });

// soap: node-soap's client as Workday's templates use it (soap.go in Go
// does the work). createClientAsync(wsdlUrl) reads the service's WSDL
// on the server (through the outbound address policy, cached); the
// client has a method per operation, op(args, cb) and opAsync(args)
// resolving to [result, rawResponse, soapHeader, rawRequest], with
// node-soap's shape of XML (attributes, $value, arrays for elements the
// schema lets repeat). Requests to the provider's base URL go through
// the proxy like nango.proxy's; others as uncontrolledFetch's. In
// `patchbay test` there is no WSDL: tests replace createClientAsync
// (vi.spyOn(soap, 'createClientAsync'), as Nango's do).
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const TOKEN_PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const BASE64_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

function xmlEscape(v) {
  if (typeof v !== 'string') return v;
  if (v.startsWith('<![CDATA[') && v.endsWith(']]>')) return v;
  return v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
    .replace(/\t/g, '&#x9;').replace(/\r/g, '&#xD;').replace(/\n/g, '&#xA;');
}

function wsDate(d) {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// WSSecurity is a UsernameToken header: PasswordText (the default) or
// PasswordDigest, with a Timestamp and Created unless turned off.
class WSSecurity {
  #password;
  constructor(username, password, options) {
    const o = typeof options === 'string' ? { passwordType: options } : options || {};
    this.username = username;
    this.#password = password;
    this.options = o;
    this.passwordType = o.passwordType === 'PasswordDigest' ? 'PasswordDigest' : 'PasswordText';
    this.hasTimeStamp = o.hasTimeStamp === undefined ? true : !!o.hasTimeStamp;
    this.hasNonce = !!o.hasNonce;
    this.hasTokenCreated = o.hasTokenCreated === undefined ? true : !!o.hasTokenCreated;
  }

  // password is readable as node-soap's is, by tests that check it.
  get password() {
    return this.#password;
  }

  toXML() {
    const now = new Date();
    const created = wsDate(now);
    let ts = '';
    if (this.hasTimeStamp) {
      ts = `<wsu:Timestamp wsu:Id="Timestamp-${created}"><wsu:Created>${created}</wsu:Created><wsu:Expires>${wsDate(new Date(now.getTime() + 600000))}</wsu:Expires></wsu:Timestamp>`;
    }
    let nonce;
    if (this.hasNonce || this.passwordType !== 'PasswordText') nonce = Buffer.from(globalThis.crypto.getRandomValues(new Uint8Array(16))).toString('base64');
    let pw;
    if (this.passwordType === 'PasswordText') {
      pw = `<wsse:Password Type="${TOKEN_PROFILE}#PasswordText">${xmlEscape(String(this.#password))}</wsse:Password>`;
      if (nonce) pw += `<wsse:Nonce EncodingType="${BASE64_ENCODING}">${nonce}</wsse:Nonce>`;
    } else {
      const data = Buffer.concat([Buffer.from(nonce, 'base64'), Buffer.from(created + String(this.#password), 'utf8')]);
      const digest = callSync('digest', { algorithm: 'sha1', data: data.toString('base64') });
      pw = `<wsse:Password Type="${TOKEN_PROFILE}#PasswordDigest">${digest}</wsse:Password><wsse:Nonce EncodingType="${BASE64_ENCODING}">${nonce}</wsse:Nonce>`;
    }
    return `<wsse:Security xmlns:wsse="${WSSE}" xmlns:wsu="${WSU}">${ts}<wsse:UsernameToken xmlns:wsu="${WSU}" wsu:Id="SecurityToken-${created}"><wsse:Username>${xmlEscape(String(this.username))}</wsse:Username>${pw}${this.hasTokenCreated ? `<wsu:Created>${created}</wsu:Created>` : ''}</wsse:UsernameToken></wsse:Security>`;
  }
}

class BasicAuthSecurity {
  #password;
  constructor(username, password, defaults) {
    this.username = username;
    this.#password = password;
    this.defaults = defaults || {};
  }

  addHeaders(headers) {
    headers.Authorization = 'Basic ' + Buffer.from(this.username + ':' + this.#password).toString('base64');
  }

  toXML() {
    return '';
  }
}

class BearerSecurity {
  #token;
  constructor(token, defaults) {
    this.#token = token;
    this.defaults = defaults || {};
  }

  addHeaders(headers) {
    headers.Authorization = 'Bearer ' + this.#token;
  }

  toXML() {
    return '';
  }
}

// revive turns the markers Go writes for values JSON cannot carry back
// into a Date or a number.
function revive(v) {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Object.prototype.hasOwnProperty.call(v, ' pb')) return v[' pb'] === 'd' ? new Date(v.v) : Number(v.v);
  for (const k of Object.keys(v)) v[k] = revive(v[k]);
  return v;
}

function soapError(message, raw) {
  const err = new Error(message);
  err.response = { status: raw.status, statusText: '', headers: raw.headers || {}, data: raw.body };
  err.body = raw.body;
  return err;
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

// Client is node-soap's client, made by createClientAsync.
class Client {
  #wsdl;
  #security = null;
  #httpHeaders = {};
  #soapHeaders = [];
  #endpoint;
  #soapAction = null;

  constructor(wsdlUrl, info, endpoint) {
    this.#wsdl = wsdlUrl;
    this.#endpoint = endpoint || info.endpoint || '';
    this.lastRequest = undefined;
    this.lastResponse = undefined;
    this.lastEndpoint = undefined;
    for (const name of info.operations || []) {
      const method = (args, callback, options, extraHeaders) => {
        if (typeof args === 'function') {
          callback = args;
          args = {};
        } else if (typeof options === 'function') {
          [callback, options] = [options, callback];
        }
        this.#invoke(name, args, options, extraHeaders).then(
          (r) => callback(null, ...r),
          (e) => callback(e),
        );
      };
      this[name] = method;
      if (IDENT.test(name)) this[name + 'Async'] = (args, options, extraHeaders) => this.#invoke(name, args, options, extraHeaders);
    }
  }

  setSecurity(security) {
    this.#security = security;
  }

  setEndpoint(endpoint) {
    this.#endpoint = endpoint;
  }

  setSOAPAction(action) {
    this.#soapAction = action;
  }

  addHttpHeader(name, value) {
    this.#httpHeaders[name] = value;
  }

  getHttpHeaders() {
    return this.#httpHeaders;
  }

  clearHttpHeaders() {
    this.#httpHeaders = {};
  }

  // addSoapHeader takes XML text; node-soap's object form needs the
  // header's schema and is not supported.
  addSoapHeader(header) {
    if (typeof header !== 'string') throw new Error('soap: addSoapHeader takes XML text here (objects are not supported)');
    return this.#soapHeaders.push(header) - 1;
  }

  getSoapHeaders() {
    return this.#soapHeaders;
  }

  clearSoapHeaders() {
    this.#soapHeaders = [];
  }

  async #invoke(operation, args, options, extraHeaders) {
    const built = callSync('soap.message', { wsdl: this.#wsdl, operation, args: args === undefined ? {} : args });
    const action = this.#soapAction ?? built.soapAction;
    const headers = { 'Content-Type': 'text/xml; charset=utf-8', SOAPAction: `"${action}"` };
    const sec = this.#security;
    if (sec && typeof sec.addHeaders === 'function') sec.addHeaders(headers);
    const secXML = sec && typeof sec.toXML === 'function' ? sec.toXML() : '';
    const soapHeaders = this.#soapHeaders.join(' ');
    const header = soapHeaders || secXML ? `<soap:Header>${soapHeaders}${secXML || ''}</soap:Header>` : '';
    const xml = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"${built.xmlns}>${header}<soap:Body>${built.message}</soap:Body></soap:Envelope>`;
    Object.assign(headers, this.#httpHeaders, extraHeaders || {});
    for (const k of Object.keys(headers)) headers[k] = String(headers[k]);
    this.lastRequest = xml;
    this.lastEndpoint = this.#endpoint;
    if (!this.#endpoint) throw new Error('soap: the client has no endpoint (the WSDL names none); call setEndpoint');
    const raw = await call('soap.call', { wsdl: this.#wsdl, operation, url: this.#endpoint, headers, body: xml });
    this.lastResponse = raw.body;
    this.lastResponseHeaders = raw.headers;
    if (raw.parseError !== undefined) {
      const err = soapError(raw.status >= 400 ? `Request failed with status code ${raw.status}` : `soap: ${raw.parseError}`, raw);
      throw err;
    }
    const d = raw.decoded;
    if (d.fault !== undefined) {
      const err = soapError(d.fault, raw);
      err.root = d.revive ? revive(d.root) : d.root;
      throw err;
    }
    if (raw.status >= 400) throw soapError(`Request failed with status code ${raw.status}`, raw);
    const result = d.revive ? revive(d.result) : d.result;
    const soapHeader = d.revive ? revive(d.header) : d.header;
    return [result, raw.body, soapHeader ?? undefined, xml];
  }
}

const security = { WSSecurity, BasicAuthSecurity, BearerSecurity };
const soap = {
  async createClientAsync(url, options, endpoint) {
    if (typeof url !== 'string') throw new TypeError('soap: createClientAsync expects the WSDL\'s URL');
    const info = await call('soap.client', { url });
    return new Client(url, info, endpoint || (options && options.endpoint));
  },
  createClient(url, options, callback, endpoint) {
    if (typeof options === 'function') {
      endpoint = callback;
      callback = options;
      options = {};
    }
    soap.createClientAsync(url, options, endpoint).then(
      (c) => callback(null, c),
      (e) => callback(e),
    );
  },
  Client,
  WSSecurity,
  BasicAuthSecurity,
  BearerSecurity,
  security,
};
soap.default = soap;

Object.defineProperty(globalThis, '__pb_soap', { value: soap, writable: false, configurable: false, enumerable: false });
