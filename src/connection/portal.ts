/**
 * Protocol-level portals, the machinery under cursors: Bind a portal once,
 * then Execute it for a bounded number of rows at a time, each step under
 * its own Sync. Inside a transaction a portal outlives Sync, so rows come
 * in batches and memory stays flat whatever the size of the result.
 */
import { ProtocolError } from '../errors/client.js';
import { writeClose, writeExecute, writeParse, writeSync } from '../protocol/frontend.js';
import { BackendCode } from '../protocol/messages.js';
import type { TypeRegistry } from '../types/registry.js';
import { writeBind } from './bind.js';
import type { CallControl, ConnectionCore } from './core.js';
import type { PendingRequest } from './requests.js';
import { Settle } from './requests.js';
import { commandTag, serverErrorAt, unexpectedMessage } from './server-reply.js';
import type { StatementInfo } from './statement.js';

/** What one step on a portal returned. */
export interface PortalBatch {
  rows: unknown[];
  /** True when the portal ran to completion (CommandComplete), false when it was suspended. */
  done: boolean;
  /** The CommandComplete tag when done. */
  tag: string;
}

/** The messages one portal step sends before its Sync. */
export interface PortalStep {
  /** Bind the portal with these arguments first (preceded by Parse for the unnamed statement). */
  bind?: readonly unknown[];
  /** Execute for at most this many rows (0 is all). Omitted: no Execute. */
  execute?: number;
  /** Close the portal. */
  close?: boolean;
  /** Close the statement too (it was not cached). */
  closeStatement?: boolean;
}

/** Collects the rows of one portal step, decoded straight from the read buffer. */
export class PortalRequest implements PendingRequest {
  private rows: unknown[] = [];
  private done = false;
  private tag = '';
  private error: Error | undefined;

  constructor(
    private readonly stmt: StatementInfo,
    private readonly arrayMode: boolean,
    private readonly settle: Settle<PortalBatch>,
    readonly sql: string,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    switch (type) {
      case BackendCode.DataRow:
        if (this.error !== undefined) return;
        try {
          this.rows.push(this.arrayMode ? this.stmt.decodeArray(buf, start, end) : this.stmt.decodeObject(buf, start, end));
        } catch (e) {
          if (e instanceof ProtocolError) throw e;
          // A codec rejected a value: the stream is still in step, so this fails only this step.
          this.error = e instanceof Error ? e : new Error(String(e));
        }
        return;
      case BackendCode.PortalSuspended:
        return;
      case BackendCode.CommandComplete:
        this.done = true;
        this.tag = commandTag(buf, start, end);
        return;
      case BackendCode.EmptyQueryResponse:
        this.done = true;
        return;
      case BackendCode.ParseComplete:
      case BackendCode.BindComplete:
      case BackendCode.CloseComplete:
      case BackendCode.NoData:
      case BackendCode.RowDescription:
        return;
      case BackendCode.ErrorResponse:
        if (this.error === undefined) this.error = serverErrorAt(buf, start, end, this.sql);
        return;
      default:
        throw unexpectedMessage(type, 'a cursor fetch');
    }
  }

  onReadyForQuery(): void {
    if (this.error !== undefined) this.settle.reject(this.error);
    else this.settle.resolve({ rows: this.rows, done: this.done, tag: this.tag });
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }
}

/** Send one portal step and resolve with its rows. */
export function sendPortalStep(
  core: ConnectionCore,
  registry: TypeRegistry,
  stmt: StatementInfo,
  portal: string,
  step: PortalStep,
  arrayMode: boolean,
  ctl: CallControl,
): Promise<PortalBatch> {
  return new Promise<PortalBatch>((resolve, reject) => {
    const req = new PortalRequest(stmt, arrayMode, new Settle(resolve, reject), stmt.sql);
    try {
      core.enqueue(req, (w) => {
        if (step.bind !== undefined) {
          if (stmt.name === '') writeParse(w, '', stmt.sql, stmt.parameterOids);
          writeBind(w, portal, stmt, step.bind, registry);
        }
        if (step.execute !== undefined) writeExecute(w, portal, step.execute);
        if (step.close) writeClose(w, 'P', portal);
        if (step.closeStatement && stmt.name !== '') writeClose(w, 'S', stmt.name);
        writeSync(w);
      });
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    ctl.request = req;
  });
}
