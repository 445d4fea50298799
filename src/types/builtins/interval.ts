/**
 * interval: months, days and microseconds, kept apart and exact, as the
 * server stores them. A month is not a fixed number of days and a day is not
 * always 24 hours (daylight saving), so folding them together, as a duration
 * in seconds would, changes what the value means.
 *
 * Binary format (interval_send): Int64 microseconds, Int32 days, Int32 months.
 * PostgreSQL 17 adds infinity and -infinity: every field at its maximum, or
 * at its minimum.
 */
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const TWO_32 = 4294967296;
const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** The parts Interval.from() adds up. */
export interface IntervalParts {
  years?: number;
  months?: number;
  weeks?: number;
  days?: number;
  hours?: number;
  minutes?: number;
  seconds?: number;
  milliseconds?: number;
  microseconds?: number | bigint;
}

const PART_KEYS: ReadonlySet<string> = new Set(['years', 'months', 'weeks', 'days', 'hours', 'minutes', 'seconds', 'milliseconds', 'microseconds']);
/** Microseconds per unit of each time part. */
const TIME_UNITS: readonly (readonly [keyof IntervalParts, number])[] = [
  ['hours', 3600e6],
  ['minutes', 60e6],
  ['seconds', 1e6],
  ['milliseconds', 1e3],
];

/** Two digits at least, zero-padded. */
function pad2(n: bigint): string {
  const s = n.toString();
  return s.length < 2 ? '0' + s : s;
}

/** '.ffffff' without trailing zeros, or '' for a zero fraction. */
function fraction(us: bigint): string {
  if (us === 0n) return '';
  return '.' + (us + 1000000n).toString().slice(1).replace(/0+$/, '');
}

function abs(n: bigint): bigint {
  return n < 0n ? -n : n;
}

/**
 * An interval value: `months`, `days` and `microseconds`, exact and kept
 * apart as PostgreSQL keeps them ('1 mon' is not '30 days'). `microseconds`
 * is a bigint because the time part reaches past 2^53 microseconds.
 *
 * @example
 * const i = Interval.from({ days: 1, hours: 2, minutes: 30 });
 * i.toPostgres();   // '1 day 02:30:00'
 * i.toISOString();  // 'P1DT2H30M'
 */
export class Interval {
  /** Months (years are 12 months). */
  readonly months: number;
  /** Days. */
  readonly days: number;
  /** Microseconds of the time part (hours, minutes, seconds). */
  readonly microseconds: bigint;

  /** An interval from its three stored fields. @throws RangeError outside PostgreSQL's field ranges. */
  constructor(months = 0, days = 0, microseconds: bigint | number = 0n) {
    if (!Number.isInteger(months) || months < INT32_MIN || months > INT32_MAX) {
      throw new RangeError(`Interval months must be a 32-bit integer, got ${String(months)}`);
    }
    if (!Number.isInteger(days) || days < INT32_MIN || days > INT32_MAX) {
      throw new RangeError(`Interval days must be a 32-bit integer, got ${String(days)}`);
    }
    if (typeof microseconds === 'number' && !Number.isSafeInteger(microseconds)) {
      throw new RangeError(`Interval microseconds must be a safe integer or a bigint, got ${String(microseconds)}`);
    }
    const us = BigInt(microseconds);
    if (us < INT64_MIN || us > INT64_MAX) throw new RangeError(`Interval microseconds must fit in 64 bits, got ${us}`);
    this.months = months;
    this.days = days;
    this.microseconds = us;
  }

  /** PostgreSQL 17's 'infinity' interval. */
  static readonly infinity: Interval = new Interval(INT32_MAX, INT32_MAX, INT64_MAX);
  /** PostgreSQL 17's '-infinity' interval. */
  static readonly negativeInfinity: Interval = new Interval(INT32_MIN, INT32_MIN, INT64_MIN);

  /**
   * Add up parts into an interval: years and months into months, weeks and
   * days into days, the rest into microseconds (a fractional second is
   * rounded to the microsecond).
   * @throws RangeError for an unknown part, a fractional year, month, week or
   *   day, or a value out of range.
   */
  static from(parts: IntervalParts): Interval {
    for (const key of Object.keys(parts)) {
      if (!PART_KEYS.has(key)) throw new RangeError(`Interval.from(): unknown part '${key}'; use ${[...PART_KEYS].join(', ')}`);
    }
    const whole = (key: 'years' | 'months' | 'weeks' | 'days'): number => {
      const v = parts[key] ?? 0;
      if (typeof v !== 'number' || !Number.isInteger(v)) {
        throw new RangeError(`Interval.from(): ${key} must be an integer, got ${String(v)}; express fractions in a smaller unit`);
      }
      return v;
    };
    let us = 0n;
    for (const [key, factor] of TIME_UNITS) {
      const v = parts[key] ?? 0;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`Interval.from(): ${key} must be a finite number, got ${String(v)}`);
      if (v === 0) continue;
      // Whole units are multiplied exactly; only the fraction is rounded.
      const int = Math.trunc(v);
      us += BigInt(int) * BigInt(factor) + BigInt(Math.round((v - int) * factor));
    }
    const micro = parts.microseconds ?? 0;
    if (typeof micro === 'number' && !Number.isInteger(micro)) throw new RangeError(`Interval.from(): microseconds must be an integer, got ${micro}`);
    us += BigInt(micro);
    return new Interval(whole('years') * 12 + whole('months'), whole('weeks') * 7 + whole('days'), us);
  }

  /** False for PostgreSQL 17's infinity and -infinity. */
  isFinite(): boolean {
    return !(this.isInfinity(1) || this.isInfinity(-1));
  }

  private isInfinity(sign: 1 | -1): boolean {
    return sign === 1
      ? this.months === INT32_MAX && this.days === INT32_MAX && this.microseconds === INT64_MAX
      : this.months === INT32_MIN && this.days === INT32_MIN && this.microseconds === INT64_MIN;
  }

  /** The time part split as the server splits it: hours, minutes, seconds, microseconds, each with the sign of the whole. */
  private timeFields(): [bigint, bigint, bigint, bigint] {
    let t = this.microseconds;
    const hour = t / 3600000000n;
    t -= hour * 3600000000n;
    const min = t / 60000000n;
    t -= min * 60000000n;
    const sec = t / 1000000n;
    return [hour, min, sec, t - sec * 1000000n];
  }

  /**
   * The text the server prints with its default IntervalStyle (postgres):
   * '1 year 2 mons 3 days 04:05:06.789', '-1 days +02:00:00', '00:00:00'.
   * The server reads it back as the same value.
   */
  toPostgres(): string {
    if (this.isInfinity(1)) return 'infinity';
    if (this.isInfinity(-1)) return '-infinity';
    let out = '';
    let isZero = true;
    let isBefore = false;
    const part = (value: number, unit: string): void => {
      if (value === 0) return;
      out += `${isZero ? '' : ' '}${isBefore && value > 0 ? '+' : ''}${value} ${unit}${value !== 1 ? 's' : ''}`;
      isBefore = value < 0;
      isZero = false;
    };
    part(Math.trunc(this.months / 12), 'year');
    part(this.months % 12, 'mon');
    part(this.days, 'day');
    const [hour, min, sec, us] = this.timeFields();
    if (isZero || this.microseconds !== 0n) {
      const minus = hour < 0n || min < 0n || sec < 0n || us < 0n;
      out += `${isZero ? '' : ' '}${minus ? '-' : isBefore ? '+' : ''}${pad2(abs(hour))}:${pad2(abs(min))}:${pad2(abs(sec))}${fraction(abs(us))}`;
    }
    return out;
  }

  /** ISO 8601, as the server prints with IntervalStyle iso_8601: 'P1Y2M3DT4H5M6.789S', 'PT0S'. */
  toISOString(): string {
    if (this.isInfinity(1)) return 'infinity';
    if (this.isInfinity(-1)) return '-infinity';
    const [hour, min, sec, us] = this.timeFields();
    const year = Math.trunc(this.months / 12);
    const mon = this.months % 12;
    if (year === 0 && mon === 0 && this.days === 0 && this.microseconds === 0n) return 'PT0S';
    let out = 'P';
    if (year !== 0) out += `${year}Y`;
    if (mon !== 0) out += `${mon}M`;
    if (this.days !== 0) out += `${this.days}D`;
    if (this.microseconds !== 0n) out += 'T';
    if (hour !== 0n) out += `${hour}H`;
    if (min !== 0n) out += `${min}M`;
    if (sec !== 0n || us !== 0n) out += `${sec < 0n || us < 0n ? '-' : ''}${abs(sec)}${fraction(abs(us))}S`;
    return out;
  }

  /** toPostgres(): the form psql shows. */
  toString(): string {
    return this.toPostgres();
  }

  /** ISO 8601 (toISOString()), which the server also reads; a bigint could not go into JSON. */
  toJSON(): string {
    return this.toISOString();
  }

  /** Whether `other` is an Interval with the same three fields. */
  equals(other: unknown): boolean {
    return other instanceof Interval && other.months === this.months && other.days === this.days && other.microseconds === this.microseconds;
  }
}

const EXPECTED = 'an Interval, or an object of parts such as { days: 1, hours: 2 } (see Interval.from)';

/** The Interval a parameter stands for. */
function toInterval(value: unknown): Interval {
  if (value instanceof Interval) return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype) {
    try {
      return Interval.from(value as IntervalParts);
    } catch (err) {
      const e = encodeError('interval', EXPECTED, value);
      e.message += ` (${(err as Error).message})`;
      throw e;
    }
  }
  throw encodeError('interval', EXPECTED, value);
}

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** interval <-> Interval. */
export const interval: Codec<Interval> = {
  oid: Oid.interval,
  name: 'interval',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const v = toInterval(value);
    const us = v.microseconds;
    if (us >= -9007199254740991n && us <= 9007199254740991n) {
      const n = Number(us);
      const hi = Math.floor(n / TWO_32);
      w.int32(hi);
      w.uint32(n - hi * TWO_32);
    } else {
      w.int64(us);
    }
    w.int32(v.days);
    w.int32(v.months);
  },
  decode(buf: Uint8Array, start: number, end: number): Interval {
    if (end - start !== 16) throw sizeError('interval', '16', end - start);
    const hi = readInt32(buf, start);
    const lo = readInt32(buf, start + 4) >>> 0;
    // Within +-2^53 the double is exact and one BigInt() beats shifts and ors.
    const us = hi >= -0x200000 && hi < 0x200000 ? BigInt(hi * TWO_32 + lo) : (BigInt(hi) << 32n) | BigInt(lo);
    return new Interval(readInt32(buf, start + 12), readInt32(buf, start + 8), us);
  },
};
