/**
 * The geometric types as small plain objects of float8 coordinates. Every
 * binary format is a sequence of big-endian float8 values, with a point count
 * for path and polygon and an open/closed byte for path.
 */
import { ProtocolError } from '../../errors/client.js';
import type { Codec } from '../codec.js';
import { encodeError, sizeError } from '../codec.js';
import { Oid } from '../oids.js';
import type { Writer } from '../../protocol/writer.js';
import { readFloat64 } from './float.js';

/** point: '(x,y)'. */
export interface Point {
  x: number;
  y: number;
}

/** line: the infinite line a*x + b*y + c = 0, '{a,b,c}'. */
export interface Line {
  a: number;
  b: number;
  c: number;
}

/** lseg: the segment from p1 to p2, '[(x1,y1),(x2,y2)]'. */
export interface LineSegment {
  p1: Point;
  p2: Point;
}

/** box: the rectangle between its upper-right corner `high` and lower-left corner `low`, '(x1,y1),(x2,y2)'. */
export interface Box {
  high: Point;
  low: Point;
}

/** path: points joined in order, closed ('((..),(..))') or open ('[(..),(..)]'). */
export interface Path {
  closed: boolean;
  points: Point[];
}

/** polygon: a closed figure, '((x1,y1),...)'. */
export interface Polygon {
  points: Point[];
}

/** circle: '<(x,y),r>'. */
export interface Circle {
  center: Point;
  radius: number;
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

function isPoint(v: unknown): v is Point {
  return typeof v === 'object' && v !== null && isNumber((v as Point).x) && isNumber((v as Point).y);
}

function readPoint(buf: Uint8Array, i: number): Point {
  return { x: readFloat64(buf, i), y: readFloat64(buf, i + 8) };
}

function writePoint(w: Writer, p: Point): void {
  w.float64(p.x);
  w.float64(p.y);
}

function pointList(name: string, v: unknown, expected: string, original: unknown): Point[] {
  if (!Array.isArray(v) || !v.every(isPoint)) throw encodeError(name, expected, original);
  return v;
}

/** Decode an Int32 point count then that many points at buf[i]; checks the bytes match. */
function readPoints(name: string, buf: Uint8Array, i: number, end: number): Point[] {
  if (end - i < 4) throw sizeError(name, 'at least 4', end - i);
  const n = ((buf[i]! << 24) | (buf[i + 1]! << 16) | (buf[i + 2]! << 8) | buf[i + 3]!) >>> 0;
  if (end - i - 4 !== n * 16) throw new ProtocolError(`${name} value from the server claims ${n} points in ${end - i - 4} bytes`);
  const points = new Array<Point>(n);
  for (let k = 0; k < n; k++) points[k] = readPoint(buf, i + 4 + 16 * k);
  return points;
}

/** point <-> { x, y }. */
export const point: Codec<Point> = {
  oid: Oid.point,
  name: 'point',
  format: 1,
  encode(value: unknown, w: Writer): void {
    if (!isPoint(value)) throw encodeError('point', 'an object { x, y } of numbers', value);
    writePoint(w, value);
  },
  decode(buf: Uint8Array, start: number, end: number): Point {
    if (end - start !== 16) throw sizeError('point', '16', end - start);
    return readPoint(buf, start);
  },
};

/** line <-> { a, b, c } for a*x + b*y + c = 0. */
export const line: Codec<Line> = {
  oid: Oid.line,
  name: 'line',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const v = value as Line;
    if (typeof value !== 'object' || value === null || !isNumber(v.a) || !isNumber(v.b) || !isNumber(v.c)) {
      throw encodeError('line', 'an object { a, b, c } of numbers (a*x + b*y + c = 0)', value);
    }
    w.float64(v.a);
    w.float64(v.b);
    w.float64(v.c);
  },
  decode(buf: Uint8Array, start: number, end: number): Line {
    if (end - start !== 24) throw sizeError('line', '24', end - start);
    return { a: readFloat64(buf, start), b: readFloat64(buf, start + 8), c: readFloat64(buf, start + 16) };
  },
};

/** lseg <-> { p1, p2 }. */
export const lseg: Codec<LineSegment> = {
  oid: Oid.lseg,
  name: 'lseg',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const v = value as LineSegment;
    if (typeof value !== 'object' || value === null || !isPoint(v.p1) || !isPoint(v.p2)) {
      throw encodeError('lseg', 'an object { p1, p2 } of points { x, y }', value);
    }
    writePoint(w, v.p1);
    writePoint(w, v.p2);
  },
  decode(buf: Uint8Array, start: number, end: number): LineSegment {
    if (end - start !== 32) throw sizeError('lseg', '32', end - start);
    return { p1: readPoint(buf, start), p2: readPoint(buf, start + 16) };
  },
};

/** box <-> { high, low } (the server puts the larger coordinates in high). */
export const box: Codec<Box> = {
  oid: Oid.box,
  name: 'box',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const v = value as Box;
    if (typeof value !== 'object' || value === null || !isPoint(v.high) || !isPoint(v.low)) {
      throw encodeError('box', 'an object { high, low } of points { x, y }', value);
    }
    writePoint(w, v.high);
    writePoint(w, v.low);
  },
  decode(buf: Uint8Array, start: number, end: number): Box {
    if (end - start !== 32) throw sizeError('box', '32', end - start);
    return { high: readPoint(buf, start), low: readPoint(buf, start + 16) };
  },
};

/** path <-> { closed, points }. */
export const path: Codec<Path> = {
  oid: Oid.path,
  name: 'path',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const expected = 'an object { closed: boolean, points: [{ x, y }, ...] } with at least one point';
    const v = value as Path;
    if (typeof value !== 'object' || value === null || typeof v.closed !== 'boolean') throw encodeError('path', expected, value);
    const points = pointList('path', v.points, expected, value);
    if (points.length === 0) throw encodeError('path', expected, value);
    w.int8(v.closed ? 1 : 0);
    w.int32(points.length);
    for (const p of points) writePoint(w, p);
  },
  decode(buf: Uint8Array, start: number, end: number): Path {
    if (end - start < 1) throw sizeError('path', 'at least 5', end - start);
    return { closed: buf[start] !== 0, points: readPoints('path', buf, start + 1, end) };
  },
};

/** polygon <-> { points }. */
export const polygon: Codec<Polygon> = {
  oid: Oid.polygon,
  name: 'polygon',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const expected = 'an object { points: [{ x, y }, ...] } with at least one point';
    if (typeof value !== 'object' || value === null) throw encodeError('polygon', expected, value);
    const points = pointList('polygon', (value as Polygon).points, expected, value);
    if (points.length === 0) throw encodeError('polygon', expected, value);
    w.int32(points.length);
    for (const p of points) writePoint(w, p);
  },
  decode(buf: Uint8Array, start: number, end: number): Polygon {
    return { points: readPoints('polygon', buf, start, end) };
  },
};

/** circle <-> { center, radius }. */
export const circle: Codec<Circle> = {
  oid: Oid.circle,
  name: 'circle',
  format: 1,
  encode(value: unknown, w: Writer): void {
    const v = value as Circle;
    if (typeof value !== 'object' || value === null || !isPoint(v.center) || !isNumber(v.radius)) {
      throw encodeError('circle', 'an object { center: { x, y }, radius } (radius not negative)', value);
    }
    writePoint(w, v.center);
    w.float64(v.radius);
  },
  decode(buf: Uint8Array, start: number, end: number): Circle {
    if (end - start !== 24) throw sizeError('circle', '24', end - start);
    return { center: readPoint(buf, start), radius: readFloat64(buf, start + 16) };
  },
};
