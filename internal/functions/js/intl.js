// Intl, which QuickJS lacks, in the subset templates use: DateTimeFormat
// and NumberFormat formatting as en-US does (every locale is formatted
// as en-US), IANA time zones through the host (Go's time zone database),
// and the toLocale*String methods of Date and Number taking locales and
// options through them.

import { callSync } from './host.js';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function zoneAt(zone, ms) {
  if (zone === 'UTC' || zone === 'Etc/UTC' || zone === 'GMT') return { offset: 0, name: 'UTC' };
  try {
    return callSync('timeZone', { zone, ms });
  } catch {
    throw new RangeError(`Invalid time zone specified: ${zone}`);
  }
}

const pad2 = (n) => String(n).padStart(2, '0');

// The fields of an instant in a zone, read off a Date shifted by the
// zone's offset and read in UTC.
function fieldsOf(ms, zone) {
  const z = zoneAt(zone, ms);
  const d = new Date(ms + z.offset * 60000);
  return {
    year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), weekday: d.getUTCDay(),
    hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), ms: d.getUTCMilliseconds(), zone: z,
  };
}

const DATE_KEYS = ['weekday', 'era', 'year', 'month', 'day'];
const TIME_KEYS = ['hour', 'minute', 'second', 'fractionalSecondDigits'];

class DateTimeFormat {
  #o;
  constructor(locales, options) {
    const o = Object.assign({}, options);
    const has = (keys) => keys.some((k) => o[k] !== undefined);
    if (o.dateStyle === undefined && o.timeStyle === undefined && !has(DATE_KEYS) && !has(TIME_KEYS) && o.timeZoneName === undefined) {
      o.year = o.month = o.day = 'numeric';
    }
    switch (o.dateStyle) {
      case 'full': Object.assign(o, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }); break;
      case 'long': Object.assign(o, { year: 'numeric', month: 'long', day: 'numeric' }); break;
      case 'medium': Object.assign(o, { year: 'numeric', month: 'short', day: 'numeric' }); break;
      case 'short': Object.assign(o, { year: '2-digit', month: 'numeric', day: 'numeric' }); break;
    }
    switch (o.timeStyle) {
      case 'full':
      case 'long': Object.assign(o, { hour: 'numeric', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }); break;
      case 'medium': Object.assign(o, { hour: 'numeric', minute: '2-digit', second: '2-digit' }); break;
      case 'short': Object.assign(o, { hour: 'numeric', minute: '2-digit' }); break;
    }
    o.timeZone = o.timeZone === undefined ? 'UTC' : String(o.timeZone);
    zoneAt(o.timeZone, 0); // an unknown zone is refused here, as Intl does
    const h12 = o.hourCycle ? o.hourCycle === 'h12' || o.hourCycle === 'h11' : o.hour12 !== false;
    o.hour12 = h12;
    o.locale = 'en-US';
    this.#o = o;
  }

  formatToParts(date) {
    const ms = date === undefined ? Date.now() : typeof date === 'number' ? date : new Date(date).getTime();
    if (!Number.isFinite(ms)) throw new RangeError('Invalid time value');
    const o = this.#o;
    const f = fieldsOf(ms, o.timeZone);
    const parts = [];
    const lit = (value) => parts.push({ type: 'literal', value });
    const part = (type, value) => parts.push({ type, value: String(value) });
    const textMonth = o.month === 'long' || o.month === 'short' || o.month === 'narrow';
    const monthText = o.month === 'long' ? MONTHS[f.month] : o.month === 'short' ? MONTHS[f.month].slice(0, 3) : MONTHS[f.month][0];
    const num = (style, v) => (style === '2-digit' ? pad2(v % 100) : String(v));
    const hasDate = o.year !== undefined || o.month !== undefined || o.day !== undefined || o.weekday !== undefined;
    if (o.weekday !== undefined) {
      part('weekday', o.weekday === 'long' ? DAYS[f.weekday] : o.weekday === 'short' ? DAYS[f.weekday].slice(0, 3) : DAYS[f.weekday][0]);
      if (o.year !== undefined || o.month !== undefined || o.day !== undefined) lit(', ');
    }
    if (textMonth) {
      if (o.month !== undefined) part('month', monthText);
      if (o.day !== undefined) {
        if (o.month !== undefined) lit(' ');
        part('day', num(o.day, f.day));
      }
      if (o.year !== undefined) {
        lit(o.day !== undefined ? ', ' : ' ');
        part('year', num(o.year, f.year));
      }
    } else {
      const fields = [];
      if (o.month !== undefined) fields.push(['month', num(o.month, f.month + 1)]);
      if (o.day !== undefined) fields.push(['day', num(o.day, f.day)]);
      if (o.year !== undefined) fields.push(['year', num(o.year, f.year)]);
      fields.forEach(([t, v], i) => {
        if (i > 0) lit('/');
        part(t, v);
      });
    }
    const hasTime = o.hour !== undefined || o.minute !== undefined || o.second !== undefined;
    if (hasTime) {
      if (hasDate) lit(', ');
      const fields = [];
      if (o.hour !== undefined) {
        let h = f.hour;
        if (o.hour12) h = h % 12 === 0 ? 12 : h % 12;
        fields.push(['hour', o.hour === '2-digit' ? pad2(h) : String(h)]);
      }
      if (o.minute !== undefined) fields.push(['minute', o.hour !== undefined || o.minute === '2-digit' ? pad2(f.minute) : String(f.minute)]);
      if (o.second !== undefined) fields.push(['second', o.minute !== undefined || o.second === '2-digit' ? pad2(f.second) : String(f.second)]);
      fields.forEach(([t, v], i) => {
        if (i > 0) lit(':');
        part(t, v);
      });
      if (o.hour !== undefined && o.hour12) {
        lit(' ');
        part('dayPeriod', f.hour < 12 ? 'AM' : 'PM');
      }
    }
    if (o.timeZoneName !== undefined) {
      lit(' ');
      const off = f.zone.offset;
      const name = off === 0 ? 'UTC' : /^[A-Z]{3,5}$/.test(f.zone.name) ? f.zone.name : `GMT${off < 0 ? '-' : '+'}${Math.floor(Math.abs(off) / 60)}${Math.abs(off) % 60 ? ':' + pad2(Math.abs(off) % 60) : ''}`;
      part('timeZoneName', name);
    }
    return parts;
  }

  format(date) {
    return this.formatToParts(date).map((p) => p.value).join('');
  }

  resolvedOptions() {
    const { hour12, ...rest } = this.#o;
    const out = { calendar: 'gregory', numberingSystem: 'latn', ...rest };
    if (rest.hour !== undefined) out.hour12 = hour12;
    return out;
  }

  static supportedLocalesOf(locales) {
    return [].concat(locales || []).filter((l) => /^en(-US)?$/i.test(l));
  }
}

const CURRENCY_SYMBOLS = { USD: '$', EUR: '€', GBP: '£', JPY: '¥', CAD: 'CA$', AUD: 'A$', INR: '₹', CNY: 'CN¥' };

function groupDigits(s) {
  return s.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

class NumberFormat {
  #o;
  constructor(locales, options) {
    const o = Object.assign({ style: 'decimal', useGrouping: true }, options);
    if (o.style === 'currency') {
      if (typeof o.currency !== 'string') throw new TypeError('Currency code is required with currency style.');
      o.currency = o.currency.toUpperCase();
    }
    const currencyDigits = o.style === 'currency' ? (o.currency === 'JPY' ? 0 : 2) : 0;
    if (o.minimumFractionDigits === undefined) o.minimumFractionDigits = o.style === 'currency' ? currencyDigits : 0;
    if (o.maximumFractionDigits === undefined) o.maximumFractionDigits = Math.max(o.minimumFractionDigits, o.style === 'currency' ? currencyDigits : o.style === 'percent' ? 0 : 3);
    if (o.maximumFractionDigits < o.minimumFractionDigits) throw new RangeError('maximumFractionDigits value is out of range.');
    o.locale = 'en-US';
    this.#o = o;
  }

  format(value) {
    const o = this.#o;
    let n = Number(value);
    if (Number.isNaN(n)) return 'NaN';
    if (o.style === 'percent') n *= 100;
    const neg = n < 0 || Object.is(n, -0);
    if (!Number.isFinite(n)) return (neg ? '-' : '') + '∞';
    let s = Math.abs(n).toFixed(o.maximumFractionDigits);
    if (s.includes('.')) {
      let [int, frac] = s.split('.');
      while (frac.length > o.minimumFractionDigits && frac.endsWith('0')) frac = frac.slice(0, -1);
      s = frac ? `${int}.${frac}` : int;
    }
    if (o.minimumIntegerDigits) {
      const [int, frac] = s.split('.');
      s = int.padStart(o.minimumIntegerDigits, '0') + (frac ? '.' + frac : '');
    }
    if (o.useGrouping !== false) {
      const [int, frac] = s.split('.');
      s = groupDigits(int) + (frac ? '.' + frac : '');
    }
    const sign = neg && Number(s.replace(/,/g, '')) !== 0 ? '-' : '';
    if (o.style === 'percent') return `${sign}${s}%`;
    if (o.style === 'currency') {
      const sym = CURRENCY_SYMBOLS[o.currency];
      return sym ? `${sign}${sym}${s}` : `${sign}${o.currency}\u00a0${s}`;
    }
    return sign + s;
  }

  resolvedOptions() {
    return { numberingSystem: 'latn', ...this.#o };
  }

  static supportedLocalesOf(locales) {
    return DateTimeFormat.supportedLocalesOf(locales);
  }
}

function localeFormat(defaults) {
  return function (locales, options) {
    if (!Number.isFinite(this.getTime())) return 'Invalid Date';
    const o = Object.assign({}, options);
    const has = (keys) => keys.some((k) => o[k] !== undefined);
    const needDate = defaults !== 'time' && !has(DATE_KEYS) && !has(TIME_KEYS) && o.dateStyle === undefined && o.timeStyle === undefined;
    const needTime = defaults !== 'date' && !has(DATE_KEYS) && !has(TIME_KEYS) && o.dateStyle === undefined && o.timeStyle === undefined;
    if (needDate) Object.assign(o, { year: 'numeric', month: 'numeric', day: 'numeric' });
    if (needTime) Object.assign(o, { hour: 'numeric', minute: '2-digit', second: '2-digit' });
    return new DateTimeFormat(locales, o).format(this);
  };
}

export const Intl = {
  DateTimeFormat,
  NumberFormat,
  getCanonicalLocales: (l) => [].concat(l || []),
};

// installIntl sets the global and the toLocale*String methods; they were
// QuickJS's, which ignore locales and options.
export function installIntl(defineGlobal) {
  defineGlobal('Intl', Intl);
  const methods = [
    [Date.prototype, 'toLocaleString', localeFormat('both')],
    [Date.prototype, 'toLocaleDateString', localeFormat('date')],
    [Date.prototype, 'toLocaleTimeString', localeFormat('time')],
    [Number.prototype, 'toLocaleString', function (locales, options) {
      return new NumberFormat(locales, options).format(Number(this));
    }],
  ];
  for (const [proto, name, fn] of methods) {
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
