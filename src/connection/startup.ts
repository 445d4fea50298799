/**
 * The startup phase as a pipeline request: StartupMessage, then the
 * authentication exchange, BackendKeyData and ParameterStatus, until the
 * first ReadyForQuery.
 */
import { md5PasswordMessage } from '../auth/md5.js';
import { ScramClient } from '../auth/scram.js';
import { ConnectionError, InterfaceError, ProtocolError } from '../errors/client.js';
import { postgresErrorFromFields } from '../errors/postgres-error.js';
import type { PostgresError } from '../errors/postgres-error.js';
import { decodeBackend } from '../protocol/backend.js';
import { encodeFrontend } from '../protocol/frontend.js';
import type { Writer } from '../protocol/writer.js';
import type { PendingRequest, Settle } from './requests.js';

/** What startup needs from the connection. */
export interface StartupContext {
  host: string;
  port: number;
  user: string;
  database: string;
  /** The password for this host: as given, from a password function, or from .pgpass; undefined when none. */
  password: () => Promise<string | undefined>;
  /** Write (and flush) a message. */
  send: (write: (w: Writer) => void) => void;
  /** Abort startup: destroy the connection with this error. */
  fail: (err: Error) => void;
}

/** The result of a successful startup. */
export interface StartupResult {
  processId: number;
  secretKey: Uint8Array;
  /** The authentication method the server asked for. */
  authMethod: 'trust' | 'password' | 'md5' | 'scram-sha-256';
}

/** Handles everything from StartupMessage to the first ReadyForQuery. */
export class StartupRequest implements PendingRequest {
  readonly sql = undefined;
  private processId = 0;
  private secretKey: Uint8Array = new Uint8Array(0);
  private authMethod: StartupResult['authMethod'] = 'trust';
  private scram: ScramClient | undefined;

  constructor(
    private readonly ctx: StartupContext,
    readonly settle: Settle<StartupResult>,
  ) {}

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    const m = decodeBackend(type, buf, start, end);
    switch (m.type) {
      case 'AuthenticationOk':
        if (this.scram && !this.scram.completed) {
          // The server must prove it knows the password before we accept it.
          this.ctx.fail(new ConnectionError(
            `the server at ${this.ctx.host}:${this.ctx.port} ended the SCRAM exchange without proving it knows the password; refusing the connection`,
            { target: this.target() },
          ));
        }
        return;
      case 'AuthenticationCleartextPassword':
        this.authMethod = 'password';
        this.withPassword((pw) => this.ctx.send((w) => encodeFrontend({ type: 'PasswordMessage', password: pw }, w)));
        return;
      case 'AuthenticationMD5Password':
        this.authMethod = 'md5';
        this.withPassword((pw) =>
          this.ctx.send((w) =>
            encodeFrontend({ type: 'PasswordMessage', password: md5PasswordMessage(this.ctx.user, pw, m.salt) }, w),
          ),
        );
        return;
      case 'AuthenticationSASL': {
        this.authMethod = 'scram-sha-256';
        if (!m.mechanisms.includes('SCRAM-SHA-256')) {
          this.ctx.fail(new ConnectionError(
            `the server offered SASL mechanisms ${m.mechanisms.join(', ')}, none of which pgjet supports`,
            { target: this.target() },
          ));
          return;
        }
        this.withPassword((pw) => {
          this.scram = new ScramClient({ password: pw, mechanism: 'SCRAM-SHA-256' });
          const first = this.scram.clientFirstMessage();
          this.ctx.send((w) => encodeFrontend({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: first }, w));
        });
        return;
      }
      case 'AuthenticationSASLContinue': {
        if (!this.scram) throw new ProtocolError('AuthenticationSASLContinue before a SASL exchange started');
        const final = this.scram.handleServerFirst(m.data);
        this.ctx.send((w) => encodeFrontend({ type: 'SASLResponse', data: final }, w));
        return;
      }
      case 'AuthenticationSASLFinal':
        if (!this.scram) throw new ProtocolError('AuthenticationSASLFinal before a SASL exchange started');
        this.scram.handleServerFinal(m.data);
        return;
      case 'AuthenticationKerberosV5':
      case 'AuthenticationGSS':
      case 'AuthenticationGSSContinue':
      case 'AuthenticationSSPI':
        this.ctx.fail(new ConnectionError(
          `the server asked for ${m.type.replace('Authentication', '')} authentication, which pgjet does not support; ` +
            'use password, md5 or scram-sha-256 in pg_hba.conf for this user',
          { target: this.target() },
        ));
        return;
      case 'BackendKeyData':
        this.processId = m.processId;
        this.secretKey = m.secretKey.slice();
        return;
      case 'NegotiateProtocolVersion':
        // The server speaks an older minor version or ignored options we did
        // not send: 3.0 is all this connection uses, so carry on.
        return;
      case 'ErrorResponse': {
        const err = postgresErrorFromFields(m.fields);
        this.ctx.fail(this.decorate(err));
        return;
      }
      default:
        throw new ProtocolError(`unexpected message ${m.type} during connection startup`);
    }
  }

  onReadyForQuery(): void {
    this.settle.resolve({ processId: this.processId, secretKey: this.secretKey, authMethod: this.authMethod });
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }

  private target() {
    return { host: this.ctx.host, port: this.ctx.port, database: this.ctx.database, user: this.ctx.user };
  }

  /** Add where and as whom to a server error raised while connecting. */
  private decorate(err: PostgresError): PostgresError {
    const where = `${this.ctx.host}:${this.ctx.port}`;
    let advice = '';
    if (err.sqlstate === '28P01') {
      advice = `; the server asked for ${this.authMethod} authentication: check the password for user "${this.ctx.user}" (PGPASSWORD, .pgpass or the connection string)`;
    } else if (err.sqlstate === '3D000') {
      advice = `; create it (createdb ${JSON.stringify(this.ctx.database)}) or connect to an existing database`;
    } else if (err.sqlstate === '28000') {
      advice = '; check pg_hba.conf on the server for this host, user and database';
    }
    err.message = `${err.message} (connecting to ${where}, database "${this.ctx.database}", user "${this.ctx.user}")${advice}`;
    return err;
  }

  private withPassword(use: (pw: string) => void): void {
    this.ctx.password().then(
      (pw) => {
        if (pw === undefined) {
          this.ctx.fail(new ConnectionError(
            `the server at ${this.ctx.host}:${this.ctx.port} asked for a password for user "${this.ctx.user}" but none was given; ` +
              'pass one in the connection string or options, set PGPASSWORD, or add it to ~/.pgpass',
            { target: this.target() },
          ));
          return;
        }
        try {
          use(pw);
        } catch (e) {
          this.ctx.fail(e instanceof Error ? e : new Error(String(e)));
        }
      },
      (e: unknown) =>
        this.ctx.fail(
          e instanceof InterfaceError
            ? e
            : new InterfaceError(`the password function threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e }),
        ),
    );
  }
}
