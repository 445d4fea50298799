#!/usr/bin/env node
// Generates src/errors/sqlstate.generated.ts from PostgreSQL's errcodes.txt:
// one class per SQLSTATE, named as asyncpg names them, so code written
// against asyncpg's exception classes reads the same here.
//
//   node scripts/gen-sqlstate.mjs scripts/data/errcodes.txt src/errors/sqlstate.generated.ts
//
// The output depends only on the input file: no dates, no paths, no
// environment, so re-running it on the same input is a byte-for-byte no-op
// (a unit test checks exactly that).

import { readFileSync, writeFileSync } from 'node:fs';

/**
 * Names asyncpg chose by hand instead of the mechanical rule; kept so that
 * `catch (e) { if (e instanceof ClientCannotConnectError) ... }` ports as is.
 * The 38xxx/39004 entries also settle condition names that errcodes.txt uses
 * twice (2F002 and 38002 are both modifying_sql_data_not_permitted, and so on).
 */
const RENAMES = new Map([
  ['08001', 'ClientCannotConnectError'],
  ['08004', 'ConnectionRejectionError'],
  ['08006', 'ConnectionFailureError'],
  ['38002', 'ModifyingExternalRoutineSQLDataNotPermittedError'],
  ['38003', 'ProhibitedExternalRoutineSQLStatementAttemptedError'],
  ['38004', 'ReadingExternalRoutineSQLDataNotPermittedError'],
  ['39004', 'NullValueInExternalRoutineNotAllowedError'],
  ['42000', 'SyntaxOrAccessError'],
  ['XX000', 'InternalServerError'],
]);

/**
 * Names a generated class must not take; a clash gets a `Postgres` prefix
 * (syntax_error -> PostgresSyntaxError). The list holds the JavaScript
 * built-in error classes, pgjet's own classes, and the Python built-ins that
 * make asyncpg prefix a name (Warning, IOError, ...), so the names match.
 */
const RESERVED = new Set([
  // JavaScript built-ins
  'Error', 'AggregateError', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError',
  // pgjet's own classes
  'PgjetError', 'InterfaceError', 'ConnectionError', 'ProtocolError', 'TimeoutError', 'AbortError',
  'PostgresError', 'PostgresLogMessage', 'InvalidCachedStatementError',
  // asyncpg parity
  'Warning', 'FloatingPointError', 'SystemError', 'IOError',
]);

/** Words asyncpg writes in capitals. */
const ACRONYMS = new Map([
  ['Sql', 'SQL'],
  ['Fdw', 'FDW'],
  ['Io', 'IO'],
  ['Plpgsql', 'PLPGSQL'],
]);

/** The code whose class every warning class descends from; it extends PostgresLogMessage. */
const WARNING_ROOT = '01000';

const LINE_RE = /^([0-9A-Z]{5})\s+([EWS])\s+(ERRCODE_[A-Z0-9_]+)(?:\s+([a-z][a-z0-9_]*))?\s*$/;

function fail(message) {
  process.stderr.write(`gen-sqlstate: ${message}\n`);
  process.exit(1);
}

/** Reads errcodes.txt into one entry per SQLSTATE, in file order. */
function parse(text) {
  const byCode = new Map();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '' || line.startsWith('#') || line.startsWith('Section:')) continue;
    const m = LINE_RE.exec(line);
    if (m === null) fail(`line ${i + 1} is not "sqlstate E/W/S ERRCODE_MACRO [condition_name]": ${JSON.stringify(line)}`);
    const [, code, kind, macro, condition] = m;
    const existing = byCode.get(code);
    if (existing === undefined) {
      byCode.set(code, { code, kind, macro, condition, line: i + 1 });
    } else if (existing.kind !== kind) {
      fail(`line ${i + 1}: SQLSTATE ${code} is listed as both ${existing.kind} and ${kind}`);
    } else if (existing.condition === undefined && condition !== undefined) {
      // A code can be listed under several macro names; only one of them
      // carries the condition name that PL/pgSQL and the docs use.
      byCode.set(code, { code, kind, macro, condition, line: existing.line });
    }
  }
  for (const entry of byCode.values()) {
    // A code listed only without a condition name still gets a class; its
    // macro name is the only name PostgreSQL gives it.
    entry.condition ??= entry.macro.slice('ERRCODE_'.length).toLowerCase();
  }
  return [...byCode.values()];
}

/** asyncpg's naming rule: PascalCase, `...Exception`/`...Failure` become `...Error`, errors end in `Error`. */
function className(entry) {
  const renamed = RENAMES.get(entry.code);
  if (renamed !== undefined) return renamed;
  const words = entry.condition
    .split('_')
    .filter((w) => w !== '')
    .map((w) => w[0].toUpperCase() + w.slice(1));
  const last = words.length - 1;
  if (words[last] === 'Exception' || words[last] === 'Failure') words[last] = 'Error';
  if (entry.kind !== 'W' && words[last] !== 'Error') words.push('Error');
  const name = words.map((w) => ACRONYMS.get(w) ?? w).join('');
  return RESERVED.has(name) ? `Postgres${name}` : name;
}

function build(text) {
  const entries = parse(text).filter((e) => e.kind !== 'S'); // 00000 successful_completion is no error
  const byCode = new Map(entries.map((e) => [e.code, e]));
  const byName = new Map();
  for (const e of entries) {
    e.name = className(e);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(e.name)) {
      fail(`SQLSTATE ${e.code} (${e.condition}) gives ${JSON.stringify(e.name)}, not an identifier; add it to RENAMES`);
    }
    const clash = byName.get(e.name);
    if (clash !== undefined) {
      fail(`SQLSTATE ${clash.code} and ${e.code} would both be named ${e.name}; add one of them to RENAMES`);
    }
    byName.set(e.name, e);
  }
  for (const e of entries) {
    const root = byCode.get(`${e.code.slice(0, 2)}000`);
    if (root !== undefined && root !== e) e.parent = root;
    else if (e.kind === 'W' && e.code !== WARNING_ROOT) e.parent = byCode.get(WARNING_ROOT);
    if (e.kind === 'W' && e.code !== WARNING_ROOT && e.parent === undefined) {
      fail(`warning SQLSTATE ${e.code} needs ${WARNING_ROOT} in the input to descend from`);
    }
    if (e.parent !== undefined && e.parent.kind !== e.kind) {
      fail(`SQLSTATE ${e.code} (${e.kind}) sits under ${e.parent.code} (${e.parent.kind}); errors and warnings cannot share a class`);
    }
  }

  // File order, except that a parent always comes before its children.
  const ordered = [];
  const placed = new Set();
  const place = (e) => {
    if (placed.has(e)) return;
    if (e.parent !== undefined) place(e.parent);
    placed.add(e);
    ordered.push(e);
  };
  entries.forEach(place);
  return ordered;
}

function render(entries, text) {
  const copyright = /^#\s*(Copyright .*)$/m.exec(text)?.[1];
  const out = [];
  out.push('// DO NOT EDIT: generated by scripts/gen-sqlstate.mjs from errcodes.txt');
  out.push('// (npm run gen:sqlstate). The data is PostgreSQL\'s src/backend/utils/errcodes.txt,');
  if (copyright !== undefined) out.push(`// ${copyright}, under the PostgreSQL License.`);
  out.push('');
  out.push('/**');
  out.push(' * One class per SQLSTATE. The generic code of each class (the one ending in');
  out.push(' * 000) is the parent of the other codes of that class, so');
  out.push(' * `err instanceof IntegrityConstraintViolationError` catches every 23xxx error.');
  out.push(' * Error classes descend from PostgresError. Warning classes (SQLSTATE classes');
  out.push(' * 01 and 02) descend from PostgresWarning, which extends PostgresLogMessage and');
  out.push(' * not Error: the server only sends warnings as notices, never as errors.');
  out.push(' * Names follow asyncpg.');
  out.push(' * @module');
  out.push(' */');
  out.push('');
  out.push("import { PostgresError, PostgresLogMessage } from './postgres-message.js';");
  out.push("import type { SqlstateClass } from './postgres-message.js';");
  for (const e of entries) {
    const base = e.parent !== undefined ? e.parent.name : e.kind === 'W' ? 'PostgresLogMessage' : 'PostgresError';
    // The generated roots extend classes that carry no static sqlstate.
    const override = e.parent !== undefined ? 'override ' : '';
    out.push('');
    out.push(`/** SQLSTATE ${e.code} ${e.condition} */`);
    out.push(`export class ${e.name} extends ${base} {`);
    out.push(`  static ${override}readonly sqlstate: string = '${e.code}';`);
    out.push(`  override name = '${e.name}';`);
    out.push('}');
  }
  out.push('');
  out.push('/** Every generated class keyed by its SQLSTATE. */');
  out.push('export const SQLSTATE_CLASSES: ReadonlyMap<string, SqlstateClass> = new Map<string, SqlstateClass>([');
  for (const e of entries) out.push(`  ['${e.code}', ${e.name}],`);
  out.push(']);');
  out.push('');
  return out.join('\n');
}

const [input, output] = process.argv.slice(2);
if (input === undefined || output === undefined) {
  fail('usage: node scripts/gen-sqlstate.mjs <errcodes.txt> <output.ts>');
}
const text = readFileSync(input, 'utf8');
writeFileSync(output, render(build(text), text));
