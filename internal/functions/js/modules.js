// Stand-ins for the npm packages Nango lets functions import (its CLI's
// allowedPackages) whose work needs the host: each is installed as a
// hidden global that the bundle's import of the package resolves to (the
// shims in compile.go), as zod and nango are.

import { callSync } from './host.js';

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

// soap: the module's shape, so Workday's templates compile and a test can
// replace createClientAsync (vi.spyOn(soap, 'createClientAsync'), as their
// tests do) and the security classes. A real client needs the service's
// WSDL (node-soap reads it to build requests and to know which elements
// are lists), which the sandbox cannot fetch: an unreplaced
// createClientAsync rejects, saying so.
class WSSecurity {
  constructor(username, password, options) {
    this.username = username;
    this.password = password;
    this.options = typeof options === 'string' ? { passwordType: options } : options || {};
  }
}

class BasicAuthSecurity {
  constructor(username, password, defaults) {
    this.username = username;
    this.password = password;
    this.defaults = defaults || {};
  }
}

class BearerSecurity {
  constructor(token, defaults) {
    this.token = token;
    this.defaults = defaults || {};
  }
}

function noWSDL() {
  return new Error('soap: SOAP clients are not supported in Patchbay yet (node-soap builds them from the WSDL, which the sandbox cannot fetch); send the envelope with nango.post instead');
}

const security = { WSSecurity, BasicAuthSecurity, BearerSecurity };
const soap = {
  async createClientAsync() {
    throw noWSDL();
  },
  createClient(url, options, callback) {
    const cb = typeof options === 'function' ? options : callback;
    if (typeof cb === 'function') queueMicrotask(() => cb(noWSDL()));
  },
  WSSecurity,
  BasicAuthSecurity,
  BearerSecurity,
  security,
};
soap.default = soap;

Object.defineProperty(globalThis, '__pb_soap', { value: soap, writable: false, configurable: false, enumerable: false });
