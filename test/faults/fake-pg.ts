/**
 * A scripted PostgreSQL server for fault tests, built from the protocol
 * layer's own codecs: it reads what the client sends with decodeFrontend and
 * answers with encodeBackend, so a test states only where it misbehaves.
 */
import net from 'node:net';
import { encodeBackend } from '../../src/protocol/backend.js';
import { Framer } from '../../src/protocol/framer.js';
import { decodeFrontend, decodeUntypedFrontend } from '../../src/protocol/frontend.js';
import type { PasswordContext } from '../../src/protocol/frontend.js';
import type { BackendMessage, FieldDescription, FrontendMessage } from '../../src/protocol/messages.js';
import { Writer } from '../../src/protocol/writer.js';

/** Encodes backend messages into one buffer. */
export function bytes(...msgs: BackendMessage[]): Buffer {
  const w = new Writer();
  for (const m of msgs) encodeBackend(m, w);
  return Buffer.from(w.toBytes());
}

/** One client connection as the fake server sees it. */
export class FakeSession {
  private readonly framer = new Framer();
  private readonly inbox: FrontendMessage[] = [];
  private waiter: (() => void) | undefined;
  private first = true;
  /** How the next 'p' message is read. */
  passwordContext: PasswordContext = 'password';
  closed = false;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.framer.push(chunk);
      for (;;) {
        if (this.first) {
          const f = this.framer.nextUntyped();
          if (f === null) break;
          const m = decodeUntypedFrontend(f.buf, f.start, f.end);
          // After SSLRequest the client sends another untyped message (or TLS).
          this.first = m.type === 'SSLRequest' || m.type === 'GSSENCRequest';
          this.inbox.push(m);
        } else {
          const f = this.framer.next();
          if (f === null) break;
          this.inbox.push(decodeFrontend(f.type, f.buf, f.start, f.end, this.passwordContext));
        }
      }
      this.waiter?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiter?.();
    });
  }

  /** The next message from the client; rejects if the client hangs up first. */
  async next(): Promise<FrontendMessage> {
    while (this.inbox.length === 0) {
      if (this.closed) throw new Error('the client closed the connection');
      await new Promise<void>((r) => (this.waiter = r));
      this.waiter = undefined;
    }
    return this.inbox.shift()!;
  }

  /** Reads messages until one of type `type`, returning it. */
  async until<T extends FrontendMessage['type']>(type: T): Promise<Extract<FrontendMessage, { type: T }>> {
    for (;;) {
      const m = await this.next();
      if (m.type === type) return m as Extract<FrontendMessage, { type: T }>;
    }
  }

  send(...msgs: BackendMessage[]): void {
    if (!this.closed) this.socket.write(bytes(...msgs));
  }

  raw(data: Uint8Array): void {
    if (!this.closed) this.socket.write(data);
  }

  /** Reads the StartupMessage and lets the client in (trust), with a 4-byte cancel key. */
  async trustStartup(processId = 4242): Promise<Extract<FrontendMessage, { type: 'StartupMessage' }>> {
    const startup = await this.until('StartupMessage');
    this.send(
      { type: 'AuthenticationOk' },
      { type: 'ParameterStatus', name: 'server_version', value: '18.0' },
      { type: 'ParameterStatus', name: 'integer_datetimes', value: 'on' },
      { type: 'BackendKeyData', processId, secretKey: new Uint8Array([1, 2, 3, 4]) },
      { type: 'ReadyForQuery', status: 'I' },
    );
    return startup;
  }
}

/** How the generic responder answers the extended protocol; each hook may misbehave. */
export interface Script {
  /** Columns of every statement; default one int4 column `n`. */
  fields?: FieldDescription[];
  /** Answer to Describe of a statement; default ParameterDescription + RowDescription. */
  onDescribe?: (s: FakeSession) => void;
  /** Answer to Execute; default one row `1` and CommandComplete. */
  onExecute?: (s: FakeSession) => void;
  /** Answer to Sync; default ReadyForQuery 'I'. */
  onSync?: (s: FakeSession) => void;
  /** Answer to a simple Query; default CommandComplete and ReadyForQuery. */
  onQuery?: (s: FakeSession, sql: string) => void;
}

/** An int4 column description. */
export function column(name: string, dataTypeOid = 23, format: 0 | 1 = 1): FieldDescription {
  return { name, tableOid: 0, columnAttributeNumber: 0, dataTypeOid, dataTypeSize: -1, typeModifier: -1, format };
}

/** Answers every extended-protocol message in order, per `script`, until the client leaves. */
export async function respond(s: FakeSession, script: Script = {}): Promise<void> {
  const fields = script.fields ?? [column('n')];
  for (;;) {
    let m: FrontendMessage;
    try {
      m = await s.next();
    } catch {
      return;
    }
    switch (m.type) {
      case 'Parse':
        s.send({ type: 'ParseComplete' });
        break;
      case 'Describe':
        if (m.target === 'S') {
          if (script.onDescribe) script.onDescribe(s);
          else s.send({ type: 'ParameterDescription', parameterOids: [] }, { type: 'RowDescription', fields });
        } else {
          s.send({ type: 'RowDescription', fields });
        }
        break;
      case 'Bind':
        s.send({ type: 'BindComplete' });
        break;
      case 'Execute':
        if (script.onExecute) script.onExecute(s);
        else {
          const one = new Uint8Array([0, 0, 0, 1]);
          s.send({ type: 'DataRow', values: fields.map(() => one) }, { type: 'CommandComplete', tag: 'SELECT 1' });
        }
        break;
      case 'Close':
        s.send({ type: 'CloseComplete' });
        break;
      case 'Sync':
        if (script.onSync) script.onSync(s);
        else s.send({ type: 'ReadyForQuery', status: 'I' });
        break;
      case 'Query':
        if (script.onQuery) script.onQuery(s, m.query);
        else s.send({ type: 'CommandComplete', tag: 'SELECT 0' }, { type: 'ReadyForQuery', status: 'I' });
        break;
      case 'Terminate':
        s.socket.end();
        return;
      default:
        break;
    }
  }
}

/** A listening fake server; `onSession` runs for every connection, including cancel connections. */
export interface FakeServer {
  readonly port: number;
  readonly sessions: FakeSession[];
  close(): Promise<void>;
}

/** Starts a fake server on a free loopback port. */
export async function fakePg(onSession: (s: FakeSession, index: number) => void | Promise<void>): Promise<FakeServer> {
  const sessions: FakeSession[] = [];
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    const s = new FakeSession(socket);
    sessions.push(s);
    void Promise.resolve(onSession(s, sessions.length - 1)).catch(() => socket.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.socket.destroy();
        server.close(() => r());
      }),
  };
}

/** Options that point connect() at a fake server, plaintext, with no password file. */
export function fakeOptions(port: number) {
  return { host: '127.0.0.1', port, user: 'u', database: 'd', passfile: '/nonexistent', sslmode: 'disable' as const, connectTimeout: 3000 };
}
