/**
 * Arrays of types that have only a text-format codec (money, tsvector, the
 * reg* types, unknown extension types ...): the array goes in text format too,
 * as the literal array_out prints and array_in reads:
 *
 *   [0:1]={"a b",NULL,plain}    {{1,2},{3,4}}
 *
 * The parser works on the bytes: every structural character is ASCII, so a
 * UTF-8 continuation byte can never be mistaken for one.
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError } from '../codec.js';
import type { Writer } from '../../protocol/writer.js';
import type { PgArray } from './array.js';
import { lowerBoundsOf, withLowerBounds } from './array.js';
import { arrayLiteral } from './literal.js';
import { decodeUtf8 } from './text.js';

const LBRACE = 0x7b;
const RBRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}

/** Parsing state for one literal. */
class Parser {
  pos: number;
  constructor(
    readonly name: string,
    readonly element: Codec,
    readonly delimiter: number,
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw new ProtocolError(`${this.name} value from the server is not a valid array literal: ${what} at byte ${this.pos}`);
  }

  skipSpace(): void {
    while (this.pos < this.end && isSpace(this.buf[this.pos]!)) this.pos++;
  }

  /** '[lb:ub][lb:ub]=' before the braces: the lower bounds. */
  bounds(): number[] | null {
    if (this.buf[this.pos] !== LBRACKET) return null;
    const text = decodeUtf8(this.buf, this.pos, this.end);
    const m = /^((?:\[-?\d+:-?\d+\])+)\s*=\s*/.exec(text);
    if (m === null) this.fail('malformed dimensions');
    // The match is ASCII: its length in characters is its length in bytes.
    this.pos += m[0].length;
    return [...m[1]!.matchAll(/\[(-?\d+):/g)].map((x) => Number(x[1]));
  }

  /** One brace-enclosed level. */
  level(): PgArray<unknown> {
    if (this.buf[this.pos] !== LBRACE) this.fail("expected '{'");
    this.pos++;
    const out: PgArray<unknown> = [];
    this.skipSpace();
    if (this.buf[this.pos] === RBRACE) {
      this.pos++;
      return out;
    }
    while (true) {
      this.skipSpace();
      if (this.pos >= this.end) this.fail('unexpected end');
      out.push(this.buf[this.pos] === LBRACE ? this.level() : this.item());
      this.skipSpace();
      const c = this.buf[this.pos];
      this.pos++;
      if (c === RBRACE) return out;
      if (c !== this.delimiter) this.fail('expected a delimiter or \'}\'');
    }
  }

  /** One element, quoted or not; an unquoted NULL is null. */
  item(): unknown {
    const { buf, end, delimiter } = this;
    if (buf[this.pos] === QUOTE) {
      const from = ++this.pos;
      let escaped = false;
      while (this.pos < end && buf[this.pos] !== QUOTE) {
        if (buf[this.pos] === BACKSLASH) {
          escaped = true;
          this.pos++;
        }
        this.pos++;
      }
      if (this.pos >= end) this.fail('unterminated quoted element');
      const to = this.pos++;
      return escaped ? this.decodeEscaped(from, to) : this.element.decode(buf, from, to);
    }
    const from = this.pos;
    let escaped = false;
    while (this.pos < end) {
      const c = buf[this.pos]!;
      if (c === delimiter || c === RBRACE) break;
      if (c === BACKSLASH) {
        escaped = true;
        this.pos++;
      }
      this.pos++;
    }
    let to = this.pos;
    while (to > from && isSpace(buf[to - 1]!)) to--;
    if (!escaped && to - from === 4 && decodeUtf8(buf, from, to).toUpperCase() === 'NULL') return null;
    return escaped ? this.decodeEscaped(from, to) : this.element.decode(buf, from, to);
  }

  /** Decode buf[from, to) after removing its backslash escapes. */
  decodeEscaped(from: number, to: number): unknown {
    const out = new Uint8Array(to - from);
    let n = 0;
    for (let i = from; i < to; i++) {
      if (this.buf[i] === BACKSLASH && i + 1 < to) i++;
      out[n++] = this.buf[i]!;
    }
    return this.element.decode(out, 0, n);
  }
}

/**
 * The codec for arrays of a text-format element type, named e.g.
 * 'money[]'. Decodes to nested JS arrays (lower bounds kept as for binary
 * arrays); encodes a nested JS array as a literal, every element quoted.
 * `delimiter` is the element type's typdelim (',' for all but box).
 */
export function textArrayCodec<T>(element: Codec<T>, arrayOid: number, name: string, delimiter = ','): Codec<PgArray<T>> {
  const delim = delimiter.charCodeAt(0);
  return {
    oid: arrayOid,
    name,
    format: 0,
    encode(value: unknown, w: Writer): void {
      if (!Array.isArray(value)) throw encodeError(name, 'an array (nested arrays for more dimensions)', value);
      w.string(arrayLiteral(element, name, value, delimiter, true, lowerBoundsOf(value)));
    },
    encodeText(value: unknown): string {
      if (!Array.isArray(value)) throw encodeError(name, 'an array (nested arrays for more dimensions)', value);
      return arrayLiteral(element, name, value, delimiter, true, lowerBoundsOf(value));
    },
    decode(buf: Uint8Array, start: number, end: number): PgArray<T> {
      const p = new Parser(name, element, delim, buf, start, end);
      const bounds = p.bounds();
      const out = p.level() as PgArray<T>;
      p.skipSpace();
      if (p.pos !== end) p.fail('trailing characters');
      if (bounds !== null && bounds.some((b) => b !== 1)) withLowerBounds(out, bounds);
      return out;
    },
  };
}
