/**
 * SASLprep (RFC 4013), the stringprep profile (RFC 3454) that SCRAM applies to
 * passwords, and the fallback PostgreSQL uses when a password does not pass it.
 */

import { InterfaceError } from '../errors/client.js';
import {
  LCAT_D2,
  MAPPED_TO_NOTHING_B1,
  NON_ASCII_SPACE_C12,
  PROHIBITED_C,
  PROHIBITED_TABLE_NAMES,
  RANDALCAT_D1,
  UNASSIGNED_A1,
} from './stringprep-tables.js';

/** Which SASLprep rule a string broke. */
export type SaslprepRule = 'prohibited' | 'unassigned' | 'bidi';

/**
 * A string cannot be prepared with SASLprep. `codePoint` and `index` (a UTF-16
 * offset into the input, as `String.prototype` methods count) name the
 * character at fault. The message contains that one character's code point, so
 * treat it with the care the input deserves when the input is a password.
 */
export class SaslprepError extends InterfaceError {
  override name = 'SaslprepError';
  /** The code point that broke the rule. */
  readonly codePoint: number;
  /** Where it is in the input, in UTF-16 code units. */
  readonly index: number;
  /** The rule that was broken. */
  readonly rule: SaslprepRule;
  constructor(message: string, details: { codePoint: number; index: number; rule: SaslprepRule }) {
    super(message);
    this.codePoint = details.codePoint;
    this.index = details.index;
    this.rule = details.rule;
  }
}

/**
 * Prepares `input` with SASLprep: B.1 characters removed, C.1.2 spaces mapped
 * to U+0020, NFKC, then the prohibited-output, unassigned and bidirectional
 * checks applied to the result, as RFC 4013 specifies.
 *
 * Code points unassigned in Unicode 3.2 are rejected, as for a stored string:
 * PostgreSQL applies that same rule when it hashes a password, and the two
 * sides must agree on which passwords are prepared.
 *
 * @throws SaslprepError naming the offending code point and its position.
 */
export function saslprep(input: string): string {
  const mapped = mapCharacters(input);
  // Caught before joining: two lone halves around a removed character would
  // otherwise pair up into an unrelated code point.
  const surrogate = mapped.codePoints.findIndex((cp) => cp >= 0xd800 && cp <= 0xdfff);
  if (surrogate >= 0) {
    const cp = mapped.codePoints[surrogate] ?? 0;
    const index = mapped.indexes[surrogate] ?? 0;
    throw new SaslprepError(
      `SASLprep failed: unpaired surrogate ${formatCodePoint(cp)} at index ${index} is prohibited ` +
        '(RFC 3454 table C.5); check how the string was built or decoded',
      { codePoint: cp, index, rule: 'prohibited' },
    );
  }
  const output = joinCodePoints(mapped.codePoints).normalize('NFKC');
  const outCodePoints = toCodePoints(output);

  for (const cp of outCodePoints) {
    const table = prohibitedTable(cp);
    if (table !== undefined) {
      const index = sourceIndex(mapped, cp, false);
      throw new SaslprepError(
        `SASLprep failed: ${formatCodePoint(cp)} at index ${index} is prohibited ` +
          `(RFC 3454 table ${table}); remove or replace that character`,
        { codePoint: cp, index, rule: 'prohibited' },
      );
    }
    if (inRanges(UNASSIGNED_A1, cp)) {
      const index = sourceIndex(mapped, cp, false);
      throw new SaslprepError(
        `SASLprep failed: ${formatCodePoint(cp)} at index ${index} is unassigned in Unicode 3.2 ` +
          '(RFC 3454 table A.1), which SASLprep does not accept; remove or replace that character',
        { codePoint: cp, index, rule: 'unassigned' },
      );
    }
  }

  const bidi = checkBidi(outCodePoints);
  if (bidi !== undefined) {
    const cp = bidi.codePoint;
    const index = sourceIndex(mapped, cp, bidi.fault === 'last');
    const rtl = formatCodePoint(bidi.rightToLeft);
    const problem =
      bidi.fault === 'mixed'
        ? `mixes right-to-left ${rtl} with left-to-right ${formatCodePoint(cp)} at index ${index}`
        : `contains right-to-left ${rtl} so must ${bidi.fault === 'first' ? 'start' : 'end'} with a ` +
          `right-to-left character, but ${formatCodePoint(cp)} at index ${index} is not one`;
    throw new SaslprepError(
      `SASLprep failed: the string ${problem} (RFC 3454 section 6); ` +
        'a string may not mix text directions that way',
      { codePoint: cp, index, rule: 'bidi' },
    );
  }
  return output;
}

/**
 * The password string whose UTF-8 bytes go into SCRAM's key derivation, chosen
 * exactly as PostgreSQL chooses it (libpq on the client, and the server when
 * it stores a verifier for a plain-text password): the SASLprep result when
 * SASLprep succeeds, otherwise the password unchanged. Matching the server's
 * choice is what matters, since the stored verifier was derived from it, so
 * PostgreSQL's quirks are kept: an all-ASCII password is used as given, a
 * password that maps to nothing falls back to the original, and the prohibited
 * and bidirectional checks look at the mapped characters before normalization.
 *
 * @throws InterfaceError when the string holds an unpaired UTF-16 surrogate,
 * which has no UTF-8 encoding and so cannot match any password the server has.
 */
export function prepareScramPassword(password: string): string {
  if (isAscii(password)) return password;
  const lone = /\p{Cs}/u.exec(password);
  if (lone !== null) {
    throw new InterfaceError(
      `password contains an unpaired UTF-16 surrogate at index ${lone.index}, which has no UTF-8 form; ` +
        'check how the password string was built or decoded',
    );
  }
  const { codePoints } = mapCharacters(password);
  if (codePoints.length === 0) return password;
  for (const cp of codePoints) {
    if (prohibitedTable(cp) !== undefined || inRanges(UNASSIGNED_A1, cp)) return password;
  }
  if (checkBidi(codePoints) !== undefined) return password;
  return joinCodePoints(codePoints).normalize('NFKC');
}

/** The result of the mapping step, each code point with where it came from. */
interface Mapped {
  codePoints: number[];
  /** UTF-16 offset in the input of each entry of codePoints. */
  indexes: number[];
}

function mapCharacters(input: string): Mapped {
  const codePoints: number[] = [];
  const indexes: number[] = [];
  for (let i = 0; i < input.length; ) {
    const cp = input.codePointAt(i) ?? 0;
    // U+200B is in both C.1.2 and B.1; it becomes a space, as PostgreSQL maps
    // it, because the server's stored verifier depends on that choice.
    if (inRanges(NON_ASCII_SPACE_C12, cp)) {
      codePoints.push(0x20);
      indexes.push(i);
    } else if (!inRanges(MAPPED_TO_NOTHING_B1, cp)) {
      codePoints.push(cp);
      indexes.push(i);
    }
    i += cp > 0xffff ? 2 : 1;
  }
  return { codePoints, indexes };
}

/**
 * Finds which input character produced `cp` in the normalized output, so an
 * error can point into the string the caller passed. Normalization only
 * rearranges characters locally, so the first (or last) input character whose
 * own NFKC form contains `cp`, or failing that `cp`'s base character, is it.
 */
function sourceIndex(mapped: Mapped, cp: number, fromEnd: boolean): number {
  const n = mapped.codePoints.length;
  const candidates = [cp];
  const base = String.fromCodePoint(cp).normalize('NFKD').codePointAt(0);
  if (base !== undefined && base !== cp) candidates.push(base);
  for (const wanted of candidates) {
    for (let k = 0; k < n; k++) {
      const i = fromEnd ? n - 1 - k : k;
      const source = mapped.codePoints[i] ?? 0;
      if (source === wanted || toCodePoints(String.fromCodePoint(source).normalize('NFKC')).includes(wanted)) {
        return mapped.indexes[i] ?? 0;
      }
    }
  }
  return (fromEnd ? mapped.indexes[n - 1] : mapped.indexes[0]) ?? 0;
}

/** How a string breaks RFC 3454 section 6, with the character at fault. */
interface BidiViolation {
  fault: 'mixed' | 'first' | 'last';
  codePoint: number;
  /** The first right-to-left character, which is what brings the rule into force. */
  rightToLeft: number;
}

function checkBidi(codePoints: readonly number[]): BidiViolation | undefined {
  const rightToLeft = codePoints.find((cp) => inRanges(RANDALCAT_D1, cp));
  if (rightToLeft === undefined) return undefined;
  const ltr = codePoints.find((cp) => inRanges(LCAT_D2, cp));
  if (ltr !== undefined) return { fault: 'mixed', codePoint: ltr, rightToLeft };
  const first = codePoints[0] ?? rightToLeft;
  if (!inRanges(RANDALCAT_D1, first)) return { fault: 'first', codePoint: first, rightToLeft };
  const last = codePoints[codePoints.length - 1] ?? rightToLeft;
  if (!inRanges(RANDALCAT_D1, last)) return { fault: 'last', codePoint: last, rightToLeft };
  return undefined;
}

/** Binary search in a flat sorted array of inclusive `first, last` pairs. */
function inRanges(table: readonly number[], cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const first = table[2 * mid] ?? 0;
    const last = table[2 * mid + 1] ?? 0;
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The name of the prohibited-output table holding `cp`, if any. */
function prohibitedTable(cp: number): string | undefined {
  let lo = 0;
  let hi = PROHIBITED_C.length / 3 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const first = PROHIBITED_C[3 * mid] ?? 0;
    const last = PROHIBITED_C[3 * mid + 1] ?? 0;
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return PROHIBITED_TABLE_NAMES[PROHIBITED_C[3 * mid + 2] ?? 0];
  }
  return undefined;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return false;
  }
  return true;
}

function toCodePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0) ?? 0);
  return out;
}

function joinCodePoints(codePoints: readonly number[]): string {
  let s = '';
  for (const cp of codePoints) s += String.fromCodePoint(cp);
  return s;
}

function formatCodePoint(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}
