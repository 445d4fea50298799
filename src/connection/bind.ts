/**
 * Writing Bind on the hot path: parameters are encoded straight into the
 * output buffer, and each one's format code (text for a JS string, binary
 * otherwise) is filled into the slot reserved for it before the values.
 */
import { InterfaceError } from '../errors/client.js';
import type { Writer } from '../protocol/writer.js';
import { encodeParameter } from '../types/params.js';
import type { TypeRegistry } from '../types/registry.js';
import type { StatementInfo } from './statement.js';

/** Write Bind for `stmt` with `args` into `w`. On error the caller truncates `w`. */
export function writeBind(w: Writer, portal: string, stmt: StatementInfo, args: readonly unknown[], registry: TypeRegistry): void {
  const oids = stmt.parameterOids;
  const n = oids.length;
  if (args.length !== n) {
    throw new InterfaceError(
      `the statement expects ${n} parameter${n === 1 ? '' : 's'}${n > 0 ? ` ($1..$${n})` : ''}, but ${args.length} ${args.length === 1 ? 'was' : 'were'} given`,
    );
  }
  w.int8(0x42);
  const lenAt = w.reserveLength();
  w.cstring(portal);
  w.cstring(stmt.name);
  w.int16(n);
  const fmtAt = w.length;
  w.ensure(2 * n);
  w.length += 2 * n;
  w.int16(n);
  for (let i = 0; i < n; i++) {
    const fmt = encodeParameter(w, args[i], oids[i]!, registry, i);
    // The backing store may have grown: index through w.buf each time.
    w.buf[fmtAt + 2 * i] = 0;
    w.buf[fmtAt + 2 * i + 1] = fmt;
  }
  const rf = stmt.resultFormats;
  if (rf.length === 0) {
    w.int16(0);
  } else if (rf.every((f) => f === 1)) {
    w.int16(1);
    w.int16(1);
  } else {
    w.int16(rf.length);
    for (const f of rf) w.int16(f);
  }
  w.patchLength(lenAt);
}
