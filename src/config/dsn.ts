/**
 * Connection strings in libpq's two forms, both turned into a map of libpq
 * keywords:
 *
 *   postgresql://user:secret@h1:5432,[::1]:5433/db?sslmode=require&connect_timeout=10
 *   host=h1 port=5432 dbname='my db' password='it\'s'
 *
 * In either form connect_timeout counts seconds, as it does in libpq; the
 * keyword mapping converts it to milliseconds. Error messages never repeat
 * the text of a password.
 */
import { InterfaceError } from '../errors/client.js';
import { assertKeyword } from './keywords.js';

const URL_PREFIX = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** True when the string is written as a URL (any scheme), not as key=value pairs. */
export function looksLikeUrl(dsn: string): boolean {
  return URL_PREFIX.test(dsn.trimStart());
}

/** Parses either form of connection string into libpq keywords. */
export function parseDsn(dsn: string): Record<string, string> {
  return looksLikeUrl(dsn) ? parseUrl(dsn.trim()) : parseKeyValue(dsn);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes %XX escapes; `+` stays a plus sign, as in libpq. */
export function percentDecode(text: string, part: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; ) {
    const ch = text[i];
    if (ch === '%') {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
        throw new InterfaceError(`Invalid percent-encoding in ${part} of the connection URL: "%" must be followed by two hex digits (write "%25" for a literal "%").`);
      }
      const byte = Number.parseInt(hex, 16);
      if (byte === 0) {
        throw new InterfaceError(`Forbidden value %00 in ${part} of the connection URL: NUL bytes cannot be sent to the server.`);
      }
      bytes.push(byte);
      i += 3;
    } else {
      const cp = text.codePointAt(i) ?? 0;
      const s = String.fromCodePoint(cp);
      for (const b of encoder.encode(s)) bytes.push(b);
      i += s.length;
    }
  }
  try {
    return utf8.decode(new Uint8Array(bytes));
  } catch {
    throw new InterfaceError(`Invalid percent-encoding in ${part} of the connection URL: the bytes are not valid UTF-8.`);
  }
}

/**
 * Parses `postgres://` and `postgresql://` URLs:
 * `scheme://[user[:password]@][host[:port][,host[:port]...]][/dbname][?key=value&...]`.
 * Hosts may be IPv6 literals in brackets, or a percent-encoded Unix socket
 * directory (`%2Fvar%2Frun%2Fpostgresql`); `?host=/path` works too.
 * Query keys are libpq keywords; `ssl=true` means `sslmode=require` as in libpq.
 */
export function parseUrl(url: string): Record<string, string> {
  const m = URL_PREFIX.exec(url);
  if (!m) throw new InterfaceError('The connection URL must start with postgresql:// or postgres://.');
  const scheme = m[1] ?? '';
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    throw new InterfaceError(`Unsupported connection URL scheme "${scheme}://". Use postgresql:// or postgres://.`);
  }
  const out: Record<string, string> = {};
  let rest = url.slice(m[0].length);

  // Credentials end at the last "@" before the first "/", so an unescaped "@"
  // in a password still parses; a host part never contains "@".
  const slash = rest.indexOf('/');
  const authority = slash === -1 ? rest : rest.slice(0, slash);
  const at = authority.lastIndexOf('@');
  if (at !== -1) {
    const userinfo = authority.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(':');
    const user = colon === -1 ? userinfo : userinfo.slice(0, colon);
    if (user !== '') out['user'] = percentDecode(user, 'the user name');
    if (colon !== -1) out['password'] = percentDecode(userinfo.slice(colon + 1), 'the password');
  }

  const hostEnd = firstOf(rest, '/?');
  parseHostList(rest.slice(0, hostEnd), out);
  rest = rest.slice(hostEnd);

  if (rest.startsWith('/')) {
    const q = rest.indexOf('?');
    const db = percentDecode(q === -1 ? rest.slice(1) : rest.slice(1, q), 'the database name');
    if (db !== '') out['dbname'] = db;
    rest = q === -1 ? '' : rest.slice(q);
  }
  if (rest.startsWith('?')) parseQuery(rest.slice(1), out);
  return out;
}

/** Index of the first character of `text` that is in `set`, or text.length. */
function firstOf(text: string, set: string): number {
  for (let i = 0; i < text.length; i++) if (set.includes(text[i] ?? '')) return i;
  return text.length;
}

function parseHostList(spec: string, out: Record<string, string>): void {
  if (spec === '') return;
  const hosts: string[] = [];
  const ports: string[] = [];
  let i = 0;
  for (;;) {
    let host: string;
    if (spec[i] === '[') {
      const close = spec.indexOf(']', i);
      if (close === -1) {
        throw new InterfaceError('Invalid connection URL: an IPv6 address opened with "[" has no matching "]".');
      }
      host = spec.slice(i + 1, close);
      if (host === '') throw new InterfaceError('Invalid connection URL: empty IPv6 address "[]".');
      i = close + 1;
      if (i < spec.length && spec[i] !== ':' && spec[i] !== ',') {
        throw new InterfaceError(`Invalid connection URL: unexpected "${spec[i] ?? ''}" after the IPv6 address; expected ":port" or ",".`);
      }
    } else {
      const end = i + firstOf(spec.slice(i), ':,');
      host = spec.slice(i, end);
      i = end;
    }
    let port = '';
    if (spec[i] === ':') {
      const end = i + 1 + firstOf(spec.slice(i + 1), ',');
      port = spec.slice(i + 1, end);
      i = end;
    }
    hosts.push(percentDecode(host, 'the host'));
    const decodedPort = percentDecode(port, 'the port');
    if (!/^\d*$/.test(decodedPort)) {
      // Not echoed: a password with an unencoded "/" lands here.
      throw new InterfaceError(
        'Invalid port in the connection URL: a port must be a number. If the password contains "/", ":", "@", "?" or "%", percent-encode it (for example "/" as %2F).',
      );
    }
    ports.push(decodedPort);
    if (i >= spec.length) break;
    i++; // the comma
  }
  if (hosts.some((h) => h !== '') || hosts.length > 1) out['host'] = hosts.join(',');
  if (ports.some((p) => p !== '')) out['port'] = ports.join(',');
}

function parseQuery(query: string, out: Record<string, string>): void {
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq === -1) {
      throw new InterfaceError(`Invalid connection URL: query parameter "${safeName(pair)}" has no "=value".`);
    }
    let key = percentDecode(pair.slice(0, eq), 'a query parameter name');
    let value = percentDecode(pair.slice(eq + 1), `the value of query parameter "${safeName(pair.slice(0, eq))}"`);
    if (key === 'ssl' && value === 'true') {
      // JDBC spelling that libpq also accepts.
      key = 'sslmode';
      value = 'require';
    }
    assertKeyword(key, 'in the connection URL');
    out[key] = value;
  }
}

/** A parameter name fit for an error message: bounded, printable. */
function safeName(text: string): string {
  const clipped = text.length > 40 ? `${text.slice(0, 40)}...` : text;
  return clipped.replace(/[^\x20-\x7e]/g, '?');
}

function isSpace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v';
}

/**
 * Parses libpq's `key=value key2='quoted value'` form. Blanks may surround
 * `=`; a value with blanks or an empty value must be in single quotes;
 * inside or outside quotes a backslash takes the next character literally.
 */
export function parseKeyValue(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  for (;;) {
    while (i < n && isSpace(text[i])) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n && !isSpace(text[i]) && text[i] !== '=') i++;
    const key = text.slice(keyStart, i);
    while (i < n && isSpace(text[i])) i++;
    if (text[i] !== '=') {
      throw new InterfaceError(
        `Invalid connection string: missing "=" after "${safeName(key)}". Write key=value pairs (host=db port=5432) or a postgresql:// URL.`,
      );
    }
    i++;
    while (i < n && isSpace(text[i])) i++;
    let value = '';
    if (text[i] === "'") {
      i++;
      let closed = false;
      while (i < n) {
        const ch = text[i];
        if (ch === '\\' && i + 1 < n) {
          value += text[i + 1];
          i += 2;
        } else if (ch === "'") {
          i++;
          closed = true;
          break;
        } else {
          value += ch;
          i++;
        }
      }
      if (!closed) {
        throw new InterfaceError(`Invalid connection string: unterminated quoted value for "${safeName(key)}"; close it with a single quote.`);
      }
    } else {
      while (i < n && !isSpace(text[i])) {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i];
        i++;
      }
    }
    assertKeyword(key, 'in the connection string');
    out[key] = value;
  }
  return out;
}
