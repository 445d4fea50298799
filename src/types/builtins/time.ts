/**
 * time and timetz: a time of day as the string the server prints
 * ('12:34:56.789', '12:34:56+05:30'). JavaScript has no time-of-day type, and
 * the string keeps every microsecond.
 *
 * time is an Int64 count of microseconds since midnight; timetz adds an Int32
 * zone offset in seconds WEST of UTC (the negation of the usual sign).
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { formatTimeOfDay } from './datetime.js';

const TWO_32 = 4294967296;
const USECS_PER_DAY = 86400e6;
/** PostgreSQL's limit on a timetz offset: 15:59:59 either way. */
const MAX_ZONE_SECONDS = 15 * 3600 + 59 * 60 + 59;

const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?/;
const ZONE = /^([+-])(\d{1,2})(?::?(\d{2})(?::?(\d{2}))?)?$/;

function readInt32(buf: Uint8Array, i: number): number {
  return (buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!;
}

/** Microseconds since midnight at buf[i], checked to be within a day. */
function readTime(name: string, buf: Uint8Array, i: number): number {
  const us = readInt32(buf, i) * TWO_32 + (readInt32(buf, i + 4) >>> 0);
  if (us < 0 || us > USECS_PER_DAY) throw new ProtocolError(`${name} value from the server is ${us} microseconds, not a time of day`);
  return us;
}

/** An offset in seconds west of UTC, as EncodeTimezone prints it: +HH, +HH:MM or +HH:MM:SS (east positive). */
function formatZone(west: number): string {
  const abs = Math.abs(west);
  const h = Math.floor(abs / 3600);
  const m = Math.floor(abs / 60) % 60;
  const s = abs % 60;
  const two = (n: number): string => (n < 10 ? '0' : '') + String(n);
  let out = (west <= 0 ? '+' : '-') + two(h);
  if (s !== 0) out += `:${two(m)}:${two(s)}`;
  else if (m !== 0) out += `:${two(m)}`;
  return out;
}

/** Microseconds since midnight from 'HH:MM[:SS[.ffffff]]' at the start of s, and where the match ended; null when it does not parse. */
function parseTime(s: string): { us: number; rest: string } | null {
  const m = TIME.exec(s);
  if (m === null) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  const sec = m[3] === undefined ? 0 : Number(m[3]);
  const frac = m[4] === undefined ? 0 : Number(m[4].padEnd(6, '0'));
  if (min > 59 || sec > 60) return null;
  const us = ((h * 60 + min) * 60 + sec) * 1e6 + frac;
  if (us > USECS_PER_DAY) return null;
  return { us, rest: s.slice(m[0].length) };
}

function writeTime(w: Writer, us: number): void {
  const hi = Math.floor(us / TWO_32);
  w.int32(hi);
  w.uint32(us - hi * TWO_32);
}

const TIME_EXPECTED = "a time string 'HH:MM[:SS[.ffffff]]' from 00:00 to 24:00";
const TIMETZ_EXPECTED = "a time string with an offset, 'HH:MM[:SS[.ffffff]]+HH[:MM[:SS]]'";

/** time <-> string 'HH:MM:SS[.ffffff]', trailing zeros of the fraction left out, as the server prints it. */
export const time: Codec<string> = {
  oid: Oid.time,
  name: 'time',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const t = typeof value === 'string' ? parseTime(value.trim()) : null;
    if (t === null || t.rest !== '') throw encodeError('time', TIME_EXPECTED, value);
    writeTime(w, t.us);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 8) throw sizeError('time', '8', end - start);
    return formatTimeOfDay(readTime('time', buf, start));
  },
};

/** timetz <-> string 'HH:MM:SS[.ffffff]+HH[:MM[:SS]]', as the server prints it. */
export const timetz: Codec<string> = {
  oid: Oid.timetz,
  name: 'timetz',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const t = typeof value === 'string' ? parseTime(value.trim()) : null;
    const z = t === null ? null : ZONE.exec(t.rest.trim());
    if (t === null || z === null) throw encodeError('timetz', TIMETZ_EXPECTED, value);
    const east = (Number(z[2]) * 3600 + Number(z[3] ?? 0) * 60 + Number(z[4] ?? 0)) * (z[1] === '-' ? -1 : 1);
    if (Math.abs(east) > MAX_ZONE_SECONDS) throw encodeError('timetz', `${TIMETZ_EXPECTED} within 15:59:59 of UTC`, value);
    writeTime(w, t.us);
    w.int32(-east);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    if (end - start !== 12) throw sizeError('timetz', '12', end - start);
    return formatTimeOfDay(readTime('timetz', buf, start)) + formatZone(readInt32(buf, start + 8));
  },
};
