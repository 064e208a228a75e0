// Globals a template expects (a placeholder until the full set lands).
import { callSync } from './host.js';
import { formatLog } from './nango.js';

const log = (level) => (...args) => callSync('log', { level, message: formatLog(args) });
globalThis.console = { log: log('info'), info: log('info'), debug: log('debug'), warn: log('warn'), error: log('error') };
