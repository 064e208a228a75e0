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

Object.defineProperty(globalThis, '__pb_unzipper', { value: Object.freeze(unzipper), writable: false, configurable: false, enumerable: false });
