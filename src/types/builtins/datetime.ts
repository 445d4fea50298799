/**
 * date, timestamp and timestamptz, computed with integer arithmetic in UTC so
 * that the process time zone never changes a value.
 *
 * date is an Int32 count of days from 2000-01-01; timestamp and timestamptz
 * are an Int64 count of microseconds from 2000-01-01 00:00:00 UTC. The most
 * negative and most positive values stand for -infinity and infinity.
 */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const TWO_32 = 4294967296;
/** Days from 1970-01-01 (the JS epoch) to 2000-01-01 (PostgreSQL's). */
const EPOCH_DAYS = 10957;
const MS_PER_DAY = 86400000;
/** Milliseconds from 1970-01-01 to 2000-01-01. */
const EPOCH_MS = EPOCH_DAYS * MS_PER_DAY;
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
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Format days from 1970-01-01 as PostgreSQL's ISO date output does. */
function formatDays(days: number): string {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const ymd = `-${month < 10 ? '0' : ''}${month}-${day < 10 ? '0' : ''}${day}`;
  // There is no year 0: astronomical year 0 is 1 BC, -1 is 2 BC.
  return year > 0 ? String(year).padStart(4, '0') + ymd : String(1 - year).padStart(4, '0') + ymd + ' BC';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
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

const TIMESTAMP_EXPECTED = 'a valid Date, or Infinity or -Infinity (a string is sent as text by the connection)';

/** Write a Date or ±Infinity as microseconds from 2000-01-01 UTC. */
function encodeTimestamp(name: string, value: unknown, w: Writer): void {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw encodeError(name, TIMESTAMP_EXPECTED, value);
    if (ms < TIMESTAMP_MIN_MS) throw encodeError(name, 'a time no earlier than 4714-11-24 00:00:00 BC UTC', value);
    const us = (ms - EPOCH_MS) * 1000;
    if (Number.isSafeInteger(us)) {
      // About 285 years either side of 2000: exact as a double, no bigint needed.
      const hi = Math.floor(us / TWO_32);
      w.int32(hi);
      w.uint32(us - hi * TWO_32);
    } else {
      w.int64(BigInt(ms - EPOCH_MS) * 1000n);
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

/** Read microseconds from 2000-01-01 as a Date (floored to the millisecond) or ±Infinity. */
function decodeTimestamp(name: string, buf: Uint8Array, start: number, end: number): Date | number {
  if (end - start !== 8) throw sizeError(name, '8', end - start);
  const hi = readInt32(buf, start);
  const lo = readInt32(buf, start + 4) >>> 0;
  if (hi === 0x7fffffff && lo === 0xffffffff) return Infinity;
  if (hi === -0x80000000 && lo === 0) return -Infinity;
  // us = hi * 2^32 + lo = 1000 * (hi * 4294967) + (hi * 296 + lo): every term
  // stays exact in a double, so ms is exact across the whole int64 range.
  const ms = hi * 4294967 + Math.floor((hi * 296 + lo) / 1000) + EPOCH_MS;
  if (ms > JS_DATE_LIMIT_MS || ms < -JS_DATE_LIMIT_MS) {
    throw new RangeError(
      `${name} value is outside the range of a JavaScript Date (years 271821 BC to 275760 AD); ` +
        `select it as text (${name}::text) or register a codec that returns another type`,
    );
  }
  return new Date(ms);
}

/**
 * timestamptz <-> Date. Infinity and -Infinity stand for the server's
 * 'infinity' and '-infinity' and encode back to them.
 *
 * Known limit: a Date holds milliseconds, so the microseconds below a
 * millisecond are floored away on decode (12:00:00.123456 reads as
 * 12:00:00.123). Keeping them is left to the configurable type mapping.
 */
export const timestamptz: Codec<Date | number> = {
  oid: Oid.timestamptz,
  name: 'timestamptz',
  format: 1,
  encode(value: unknown, w: Writer): void {
    encodeTimestamp('timestamptz', value, w);
  },
  decode(buf: Uint8Array, start: number, end: number): Date | number {
    return decodeTimestamp('timestamptz', buf, start, end);
  },
};

/**
 * timestamp (without time zone) <-> Date holding the wall-clock time as UTC:
 * '2024-05-01 12:00' reads as 2024-05-01T12:00:00.000Z whatever the process
 * time zone, and a Date encodes as its UTC fields. Same infinity handling and
 * the same sub-millisecond limit as timestamptz.
 */
export const timestamp: Codec<Date | number> = {
  oid: Oid.timestamp,
  name: 'timestamp',
  format: 1,
  encode(value: unknown, w: Writer): void {
    encodeTimestamp('timestamp', value, w);
  },
  decode(buf: Uint8Array, start: number, end: number): Date | number {
    return decodeTimestamp('timestamp', buf, start, end);
  },
};
