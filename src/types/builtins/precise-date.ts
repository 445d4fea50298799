/**
 * PreciseDate: a Date that also carries the microseconds below its
 * millisecond, so a timestamp read from the server and sent back stores the
 * identical value.
 */

const FRACTION = /[T ]\d{2}:\d{2}:\d{2}\.(\d+)/;

/**
 * A `Date` plus the microseconds past its millisecond (0-999). A timestamp
 * whose value has digits below the millisecond decodes to a PreciseDate; one
 * without them decodes to a plain `Date`. Either encodes back exactly.
 *
 * Everything a Date does works unchanged (`getTime()` is the millisecond,
 * floored); `toISOString()` and `toJSON()` print six fractional digits.
 *
 * @example
 * const d = new PreciseDate('2024-05-06T07:08:09.123456Z');
 * d.getTime();          // 1714979289123
 * d.microseconds;       // 456
 * d.toISOString();      // '2024-05-06T07:08:09.123456Z'
 */
export class PreciseDate extends Date {
  /** Microseconds past the millisecond, an integer from 0 to 999. */
  readonly microseconds: number;

  /**
   * @param value milliseconds since 1970, a Date (a PreciseDate keeps its
   *   microseconds unless `microseconds` is given), or a date string; digits
   *   past the millisecond in an ISO string are kept (`'...09.123456Z'`).
   * @param microseconds the microseconds past the millisecond, 0-999.
   * @throws RangeError when microseconds is not an integer from 0 to 999.
   */
  constructor(value: number | string | Date, microseconds?: number) {
    // The number case first: it is the one every decoded timestamp takes.
    super(typeof value === 'number' ? value : value instanceof Date ? value.getTime() : value);
    const us =
      microseconds ?? (value instanceof PreciseDate ? value.microseconds : typeof value === 'string' ? fractionMicroseconds(value) : 0);
    if (!(us >= 0 && us <= 999 && Math.floor(us) === us)) {
      throw new RangeError(`PreciseDate microseconds must be an integer from 0 to 999, got ${String(us)}`);
    }
    this.microseconds = us;
  }

  /** The microseconds past the millisecond (0-999), as getMilliseconds() gives the milliseconds past the second. */
  getMicroseconds(): number {
    return this.microseconds;
  }

  /** ISO 8601 in UTC with six fractional digits: '2024-05-06T07:08:09.123456Z'. */
  override toISOString(): string {
    const s = super.toISOString();
    return s.slice(0, -1) + String(this.microseconds + 1000).slice(1) + 'Z';
  }

  /** The same as toISOString(), so JSON keeps the microseconds (null for an invalid date, as Date's). */
  override toJSON(): string {
    return Number.isNaN(this.getTime()) ? super.toJSON() : this.toISOString();
  }
}

/** Digits 4-6 of a date string's fractional seconds, as microseconds past the millisecond. */
function fractionMicroseconds(s: string): number {
  const m = FRACTION.exec(s);
  if (m === null || m[1]!.length <= 3) return 0;
  return Number(m[1]!.slice(3, 6).padEnd(3, '0'));
}
