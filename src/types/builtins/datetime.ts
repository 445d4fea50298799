/**
 * date, timestamp and timestamptz, computed with integer arithmetic in UTC so
 * that the process time zone never changes a value.
 *
 * date is an Int32 count of days from 2000-01-01; timestamp and timestamptz
 * are an Int64 count of microseconds from 2000-01-01 00:00:00 UTC. The most
 * negative and most positive values stand for -infinity and infinity.
 */
import type { Codec } from '../codec.js';
import type { TimestampMode } from '../options.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { PreciseDate } from './precise-date.js';

const TWO_32 = 4294967296;
/** Days from 1970-01-01 (the JS epoch) to 2000-01-01 (PostgreSQL's). */
const EPOCH_DAYS = 10957;
const MS_PER_DAY = 86400000;
/** Seconds and milliseconds from 1970-01-01 to 2000-01-01. */
const EPOCH_S = EPOCH_DAYS * 86400;
const EPOCH_MS = EPOCH_S * 1000;
const DATE_NOBEGIN = -0x80000000;
const DATE_NOEND = 0x7fffffff;
/** PostgreSQL's date range in days from 2000-01-01: 4714-11-24 BC (Julian day 0) to 5874897-12-31. */
const DATE_MIN = -2451545;
const DATE_MAX = 2145031948;
/** PostgreSQL's timestamp range in ms from 1970 (4714-11-24 00:00 BC UTC to before 294277-01-01). */
const TIMESTAMP_MIN_MS = -210866803200000;
/** JS Date's own limit, 8.64e15 ms either side of 1970 (275760 AD), is below PostgreSQL's end. */
const JS_DATE_LIMIT_MS = 8.64e15;

const DATE_STRING = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;

// --- days <-> calendar dates (proleptic Gregorian; year 0 is 1 BC) ----------
// The algorithm is Howard Hinnant's days_from_civil/civil_from_days, exact
// for any integer day count.

/** Days from 1970-01-01 to the given astronomical year, month (1-12) and day. */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Days from 1970-01-01 as 'YYYY-MM-DD', the way the server prints a date in
 * ISO style, and whether the year is BC (the caller appends ' BC' where the
 * server puts it: after the time and offset of a timestamp).
 */
function formatCivil(days: number): { ymd: string; bc: boolean } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const md = `-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
  // There is no year 0: astronomical year 0 is 1 BC, -1 is 2 BC.
  return year > 0 ? { ymd: String(year).padStart(4, '0') + md, bc: false } : { ymd: String(1 - year).padStart(4, '0') + md, bc: true };
}

/** Format days from 1970-01-01 as PostgreSQL's ISO date output does. */
function formatDays(days: number): string {
  const { ymd, bc } = formatCivil(days);
  return bc ? ymd + ' BC' : ymd;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Two digits, zero-padded. */
function two(n: number): string {
  return n < 10 ? '0' + String(n) : String(n);
}

/**
 * 'HH:MM:SS' then '.ffffff' without trailing zeros (nothing when the
 * fraction is zero), as the server's time output: `us` is microseconds since
 * midnight and may reach 24:00:00.
 */
export function formatTimeOfDay(us: number): string {
  const s = Math.floor(us / 1e6);
  const frac = us - s * 1e6;
  let out = `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
  if (frac !== 0) {
    let digits = String(frac + 1e6).slice(1);
    let end = 6;
    while (digits.charCodeAt(end - 1) === 48) end--;
    digits = digits.slice(0, end);
    out += '.' + digits;
  }
  return out;
}

// --- date -------------------------------------------------------------------

const DATE_EXPECTED = "a date string 'YYYY-MM-DD' (or 'YYYY-MM-DD BC', 'infinity', '-infinity') or a Date (its UTC date)";

/** Days from 2000-01-01 for a date parameter. */
function dateParameter(value: unknown): number {
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'infinity' || lower === '+infinity') return DATE_NOEND;
    if (lower === '-infinity') return DATE_NOBEGIN;
    const m = DATE_STRING.exec(value);
    if (m !== null) {
      const bc = m[4] !== undefined;
      const y = Number(m[1]);
      const month = Number(m[2]);
      const day = Number(m[3]);
      if (y >= 1 && month >= 1 && month <= 12) {
        const year = bc ? 1 - y : y;
        if (day >= 1 && day <= daysInMonth(year, month)) return inDateRange(daysFromCivil(year, month, day) - EPOCH_DAYS, value);
      }
      throw encodeError('date', 'a valid calendar date', value);
    }
  } else if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isNaN(ms)) return inDateRange(Math.floor(ms / MS_PER_DAY) - EPOCH_DAYS, value);
  } else if (value === Infinity) {
    return DATE_NOEND;
  } else if (value === -Infinity) {
    return DATE_NOBEGIN;
  }
  throw encodeError('date', DATE_EXPECTED, value);
}

function inDateRange(days: number, value: unknown): number {
  if (days >= DATE_MIN && days <= DATE_MAX) return days;
  throw encodeError('date', 'a date from 4714-11-24 BC to 5874897-12-31', value);
}

/**
 * date <-> string 'YYYY-MM-DD', exactly as the server prints it in ISO
 * style: 'YYYY-MM-DD BC' before year 1, 'infinity' and '-infinity'. Never a
 * Date at local midnight, which would shift with the process time zone.
 */
export const date: Codec<string> = {
  oid: Oid.date,
  name: 'date',
  format: 1,
  encode(value: unknown, w: Writer): void {
    w.int32(dateParameter(value));
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 4) throw sizeError('date', '4', end - start);
    const days = readInt32(buf, start);
    if (days === DATE_NOEND) return 'infinity';
    if (days === DATE_NOBEGIN) return '-infinity';
    return formatDays(days + EPOCH_DAYS);
  },
};

// --- timestamp, timestamptz -------------------------------------------------

const TIMESTAMP_EXPECTED = 'a valid Date (or PreciseDate), or Infinity or -Infinity (a string is sent as text by the connection)';

/** Write a Date, a PreciseDate (with its microseconds) or ±Infinity as microseconds from 2000-01-01 UTC. */
function encodeTimestamp(name: string, value: unknown, w: Writer): void {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw encodeError(name, TIMESTAMP_EXPECTED, value);
    if (ms < TIMESTAMP_MIN_MS) throw encodeError(name, 'a time no earlier than 4714-11-24 00:00:00 BC UTC', value);
    const sub = value instanceof PreciseDate ? value.microseconds : 0;
    const us = (ms - EPOCH_MS) * 1000 + sub;
    if (Number.isSafeInteger(us)) {
      // About 285 years either side of 2000: exact as a double, no bigint needed.
      const hi = Math.floor(us / TWO_32);
      w.int32(hi);
      w.uint32(us - hi * TWO_32);
    } else {
      w.int64(BigInt(ms - EPOCH_MS) * 1000n + BigInt(sub));
    }
  } else if (value === Infinity) {
    w.int32(0x7fffffff);
    w.uint32(0xffffffff);
  } else if (value === -Infinity) {
    w.int32(-0x80000000);
    w.uint32(0);
  } else {
    throw encodeError(name, TIMESTAMP_EXPECTED, value);
  }
}

/**
 * Read microseconds from 2000-01-01 as a Date, a PreciseDate when there are
 * digits below the millisecond, or ±Infinity.
 */
function decodeTimestampDate(name: string, buf: Uint8Array, start: number, end: number): Date | number {
  if (end - start !== 8) throw sizeError(name, '8', end - start);
  const hi = readInt32(buf, start);
  const lo = readInt32(buf, start + 4) >>> 0;
  if (hi === 0x7fffffff && lo === 0xffffffff) return Infinity;
  if (hi === -0x80000000 && lo === 0) return -Infinity;
  // us = hi * 2^32 + lo = 1e6 * (hi * 4294) + (hi * 967296 + lo): every term
  // stays exact in a double across the whole int64 range.
  const r = hi * 967296 + lo;
  const carry = Math.floor(r / 1e6);
  const usOfSecond = r - carry * 1e6;
  const msOfSecond = Math.floor(usOfSecond / 1000);
  const ms = (hi * 4294 + carry + EPOCH_S) * 1000 + msOfSecond;
  if (ms > JS_DATE_LIMIT_MS || ms < -JS_DATE_LIMIT_MS) {
    throw new RangeError(
      `${name} value is outside the range of a JavaScript Date (years 271821 BC to 275760 AD); ` +
        `select it as text (${name}::text), or connect with types: { timestamps: 'string' }`,
    );
  }
  const sub = usOfSecond - msOfSecond * 1000;
  return sub === 0 ? new Date(ms) : new PreciseDate(ms, sub);
}

/** Read a timestamp as the server's ISO text in UTC: 'YYYY-MM-DD HH:MM:SS[.ffffff][+00][ BC]', 'infinity', '-infinity'. */
function decodeTimestampString(name: string, withZone: boolean, buf: Uint8Array, start: number, end: number): string {
  if (end - start !== 8) throw sizeError(name, '8', end - start);
  const hi = readInt32(buf, start);
  const lo = readInt32(buf, start + 4) >>> 0;
  if (hi === 0x7fffffff && lo === 0xffffffff) return 'infinity';
  if (hi === -0x80000000 && lo === 0) return '-infinity';
  const r = hi * 967296 + lo;
  const carry = Math.floor(r / 1e6);
  const usOfSecond = r - carry * 1e6;
  const seconds = hi * 4294 + carry;
  const days = Math.floor(seconds / 86400);
  const secondOfDay = seconds - days * 86400;
  const { ymd, bc } = formatCivil(days + EPOCH_DAYS);
  return `${ymd} ${formatTimeOfDay(secondOfDay * 1e6 + usOfSecond)}${withZone ? '+00' : ''}${bc ? ' BC' : ''}`;
}

/** A timestamp codec for one type and one representation. */
function timestampCodec(oid: number, name: string, mode: TimestampMode): Codec<Date | number> | Codec<string> {
  const withZone = oid === Oid.timestamptz;
  if (mode === 'string') {
    return {
      oid,
      name,
      format: 1,
      encode(value: unknown, w: Writer): void {
        encodeTimestamp(name, value, w);
      },
      decode(buf: Uint8Array, start: number, end: number): string {
        return decodeTimestampString(name, withZone, buf, start, end);
      },
    };
  }
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      encodeTimestamp(name, value, w);
    },
    decode(buf: Uint8Array, start: number, end: number): Date | number {
      return decodeTimestampDate(name, buf, start, end);
    },
  };
}

/**
 * timestamptz <-> Date. A value with digits below the millisecond reads as a
 * PreciseDate (a Date that keeps its microseconds), so it round-trips
 * exactly. Infinity and -Infinity stand for the server's 'infinity' and
 * '-infinity' and encode back to them.
 */
export const timestamptz = timestampCodec(Oid.timestamptz, 'timestamptz', 'date') as Codec<Date | number>;

/**
 * timestamp (without time zone) <-> Date holding the wall-clock time as UTC:
 * '2024-05-01 12:00' reads as 2024-05-01T12:00:00.000Z whatever the process
 * time zone, and a Date encodes as its UTC fields. Microseconds and
 * infinities as for timestamptz.
 */
export const timestamp = timestampCodec(Oid.timestamp, 'timestamp', 'date') as Codec<Date | number>;

/**
 * timestamptz <-> the server's ISO text in UTC ('2024-05-06 07:08:09.123456+00',
 * '0044-03-15 12:00:00+00 BC', 'infinity'): the whole range of the type, past
 * what a Date holds. Encodes a Date or ±Infinity (a string goes as text).
 */
export const timestamptzAsString = timestampCodec(Oid.timestamptz, 'timestamptz', 'string') as Codec<string>;

/** timestamp <-> the server's ISO text ('2024-05-06 07:08:09.123456'); see timestamptzAsString. */
export const timestampAsString = timestampCodec(Oid.timestamp, 'timestamp', 'string') as Codec<string>;
