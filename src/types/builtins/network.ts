/**
 * Network address types as the strings the server prints: inet
 * ('192.168.0.1', '10.0.0.0/8', '::1'), cidr (always with '/bits'), macaddr
 * ('08:00:2b:01:02:03') and macaddr8.
 *
 * inet and cidr share one binary format (inet_send): UInt8 family (2 IPv4,
 * 3 IPv6), UInt8 prefix bits, UInt8 is_cidr, UInt8 address length, then the
 * address bytes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';

const AF_INET = 2;
const AF_INET6 = 3;

/** Four bytes at buf[i] as dotted decimal. */
function dotted(buf: Uint8Array, i: number): string {
  return `${buf[i]}.${buf[i + 1]}.${buf[i + 2]}.${buf[i + 3]}`;
}

/**
 * An IPv6 address as the server prints it (its inet_net_ntop): the longest
 * run of two or more zero words becomes '::' (the first of equal runs), and
 * an IPv4-compatible or IPv4-mapped address ends in dotted decimal.
 */
function formatIPv6(buf: Uint8Array, i: number): string {
  const words = new Array<number>(8);
  for (let k = 0; k < 8; k++) words[k] = (buf[i + 2 * k]! << 8) | buf[i + 2 * k + 1]!;
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let k = 0; k < 8; k++) {
    if (words[k] === 0) {
      if (curBase === -1) {
        curBase = k;
        curLen = 1;
      } else {
        curLen++;
      }
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (bestBase !== -1 && k >= bestBase && k < bestBase + bestLen) {
      if (k === bestBase) out += ':';
      continue;
    }
    if (k !== 0) out += ':';
    if (k === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 7 && words[7] !== 1) || (bestLen === 5 && words[5] === 0xffff))) {
      out += dotted(buf, i + 12);
      return out;
    }
    out += words[k]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** Decode inet_send bytes; cidr always shows its prefix length, inet only when it is not the full width. */
function decodeInet(name: string, isCidrType: boolean, buf: Uint8Array, start: number, end: number): string {
  if (end - start < 4) throw sizeError(name, 'at least 4', end - start);
  const family = buf[start]!;
  const bits = buf[start + 1]!;
  const nb = buf[start + 3]!;
  const width = family === AF_INET ? 4 : family === AF_INET6 ? 16 : 0;
  if (width === 0) throw new ProtocolError(`${name} value from the server has an unknown address family ${family}`);
  if (nb !== width || end - start !== 4 + nb) throw sizeError(name, String(4 + width), end - start);
  if (bits > width * 8) throw new ProtocolError(`${name} value from the server has a ${bits}-bit prefix on a ${width * 8}-bit address`);
  const addr = width === 4 ? dotted(buf, start + 4) : formatIPv6(buf, start + 4);
  return isCidrType || bits !== width * 8 ? `${addr}/${bits}` : addr;
}

/** The words of a colon-separated hex group list ('' is none). */
function hexWords(group: string): number[] {
  return group === '' ? [] : group.split(':').map((h) => parseInt(h, 16));
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address string (no zone id); null when it is not one. */
function parseAddress(s: string): Uint8Array | null {
  if (isIPv4(s)) return Uint8Array.from(s.split('.').map(Number));
  if (!isIPv6(s) || s.includes('%')) return null;
  let text = s;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    // A trailing dotted IPv4 part stands for the last two words.
    const b = s.slice(lastColon + 1).split('.').map(Number);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    text = s.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const gap = text.indexOf('::');
  let words: number[];
  if (gap === -1) {
    words = [...hexWords(text), ...tail];
  } else {
    const head = hexWords(text.slice(0, gap));
    const rest = hexWords(text.slice(gap + 2));
    const fill = 8 - head.length - rest.length - tail.length;
    if (fill < 0) return null;
    words = [...head, ...new Array<number>(fill).fill(0), ...rest, ...tail];
  }
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let k = 0; k < 8; k++) {
    out[2 * k] = words[k]! >> 8;
    out[2 * k + 1] = words[k]! & 0xff;
  }
  return out;
}

/** Whether any bit at or past `bits` is set. */
function hasHostBits(addr: Uint8Array, bits: number): boolean {
  for (let i = 0; i < addr.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    const mask = keep === 8 ? 0 : 0xff >> keep;
    if ((addr[i]! & mask) !== 0) return true;
  }
  return false;
}

/** Encode an address string with an optional '/bits'. */
function encodeInet(name: string, isCidrType: boolean, value: unknown, w: Writer): void {
  const expected = isCidrType
    ? "a network string such as '10.0.0.0/8' or '2001:db8::/32' (host bits zero)"
    : "an address string such as '192.168.0.1', '10.1.2.3/8' or '::1'";
  if (typeof value !== 'string') throw encodeError(name, expected, value);
  const slash = value.indexOf('/');
  const addr = parseAddress(slash === -1 ? value.trim() : value.slice(0, slash).trim());
  if (addr === null) throw encodeError(name, expected, value);
  const max = addr.length * 8;
  let bits = max;
  if (slash !== -1) {
    const b = value.slice(slash + 1).trim();
    bits = /^\d{1,3}$/.test(b) ? Number(b) : -1;
    if (bits < 0 || bits > max) throw encodeError(name, `${expected}, with a prefix length from 0 to ${max}`, value);
  }
  if (isCidrType && hasHostBits(addr, bits)) {
    throw encodeError(name, `${expected}; the address has bits set to the right of the /${bits} mask`, value);
  }
  w.int8(addr.length === 4 ? AF_INET : AF_INET6);
  w.int8(bits);
  w.int8(isCidrType ? 1 : 0);
  w.int8(addr.length);
  w.bytes(addr);
}

/** inet <-> string, as the server prints it: '/bits' only when it is not 32 (IPv4) or 128 (IPv6). */
export const inet: Codec<string> = {
  oid: Oid.inet,
  name: 'inet',
  format: 1,
  encode(value: unknown, w: Writer): void {
    encodeInet('inet', false, value, w);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    return decodeInet('inet', false, buf, start, end);
  },
};

/** cidr <-> string with '/bits', as the server prints it. */
export const cidr: Codec<string> = {
  oid: Oid.cidr,
  name: 'cidr',
  format: 1,
  encode(value: unknown, w: Writer): void {
    encodeInet('cidr', true, value, w);
  },
  decode(buf: Uint8Array, start: number, end: number): string {
    return decodeInet('cidr', true, buf, start, end);
  },
};

const HEX = '0123456789abcdef';

/** A MAC address codec of `size` bytes, printed as lowercase hex pairs joined by ':'. */
function macCodec(oid: number, name: string, size: number): Codec<string> {
  const pattern = new RegExp(`^[0-9a-f]{2}(?:([:.-]?)[0-9a-f]{2}(?:\\1[0-9a-f]{2}){${size - 2}})$`, 'i');
  return {
    oid,
    name,
    format: 1,
    encode(value: unknown, w: Writer): void {
      if (typeof value === 'string' && pattern.test(value.trim())) {
        const hex = value.trim().replace(/[:.-]/g, '');
        for (let i = 0; i < size; i++) w.int8(parseInt(hex.slice(2 * i, 2 * i + 2), 16));
        return;
      }
      if (value instanceof Uint8Array && value.length === size) {
        w.bytes(value);
        return;
      }
      throw encodeError(name, `a MAC address string of ${size} hex pairs ('${'08:00:2b:01:02:03:04:05'.slice(0, size * 3 - 1)}') or ${size} bytes`, value);
    },
    decode(buf: Uint8Array, start: number, end: number): string {
      if (end - start !== size) throw sizeError(name, String(size), end - start);
      let out = '';
      for (let i = start; i < end; i++) {
        const b = buf[i]!;
        if (i !== start) out += ':';
        out += HEX[b >> 4]! + HEX[b & 15]!;
      }
      return out;
    },
  };
}

/** macaddr <-> string 'xx:xx:xx:xx:xx:xx'. */
export const macaddr: Codec<string> = macCodec(Oid.macaddr, 'macaddr', 6);
/** macaddr8 <-> string 'xx:xx:xx:xx:xx:xx:xx:xx'. */
export const macaddr8: Codec<string> = macCodec(Oid.macaddr8, 'macaddr8', 8);
