/**
 * The startup phase as a pipeline request: StartupMessage, then protocol
 * version negotiation, the authentication exchange, BackendKeyData and
 * ParameterStatus, until the first ReadyForQuery.
 *
 * Nothing the server says here is taken on trust: every authentication
 * request goes through the AuthPolicy before a secret is sent, the protocol
 * version the server offers must lie between the configured bounds, and any
 * message out of place ends the connection with a ProtocolError.
 */
import { tlsServerEndPointHash } from '../auth/channel-binding.js';
import { md5PasswordMessage } from '../auth/md5.js';
import { AuthPolicy } from '../auth/policy.js';
import type { AuthPolicyOptions, AuthRequest } from '../auth/policy.js';
import { ScramClient } from '../auth/scram.js';
import type { ScramChannelBinding, ScramMechanism } from '../auth/scram.js';
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
  /** The server certificate (DER) when the connection runs over TLS; undefined without TLS. */
  peerCertificate?: Uint8Array | undefined;
  /** Authentication settings; the defaults are channel_binding=prefer, any method, no cleartext without TLS. */
  auth?: Pick<AuthPolicyOptions, 'channelBinding' | 'requireAuth' | 'allowUnencryptedPassword'>;
  /** The protocol minor version requested in the StartupMessage (0 for 3.0, 2 for 3.2). Default 0. */
  requestedMinor?: number;
  /** The lowest protocol minor version accepted. Default 0. */
  minMinor?: number;
}

/** The result of a successful startup. */
export interface StartupResult {
  processId: number;
  secretKey: Uint8Array;
  /** The authentication method the server asked for; `trust` when it asked for none. */
  authMethod: 'trust' | 'password' | 'md5' | 'scram-sha-256';
  /** The SASL mechanism used, when SCRAM was used. */
  saslMechanism: ScramMechanism | undefined;
  /** The protocol minor version in use (3.x). */
  protocolMinor: number;
}

/** Handles everything from StartupMessage to the first ReadyForQuery. */
export class StartupRequest implements PendingRequest {
  readonly sql = undefined;
  private processId = 0;
  private secretKey: Uint8Array = new Uint8Array(0);
  private haveKey = false;
  private authMethod: StartupResult['authMethod'] = 'trust';
  private scram: ScramClient | undefined;
  private readonly policy: AuthPolicy;
  private readonly requestedMinor: number;
  private readonly minMinor: number;
  private protocolMinor: number;
  /** Set by the first message: NegotiateProtocolVersion may only come first. */
  private started = false;
  private authenticated = false;

  constructor(
    private readonly ctx: StartupContext,
    readonly settle: Settle<StartupResult>,
  ) {
    this.requestedMinor = ctx.requestedMinor ?? 0;
    this.minMinor = ctx.minMinor ?? 0;
    this.protocolMinor = this.requestedMinor;
    this.policy = new AuthPolicy({
      channelBinding: ctx.auth?.channelBinding ?? 'prefer',
      requireAuth: ctx.auth?.requireAuth,
      allowUnencryptedPassword: ctx.auth?.allowUnencryptedPassword ?? false,
      encrypted: ctx.peerCertificate !== undefined,
      target: this.target(),
    });
  }

  onMessage(type: number, buf: Uint8Array, start: number, end: number): void {
    const m = decodeBackend(type, buf, start, end);
    const first = !this.started;
    this.started = true;
    if (this.authenticated && m.type.startsWith('Authentication')) {
      throw new ProtocolError(`the server sent ${m.type} after AuthenticationOk; the connection cannot be trusted`);
    }
    switch (m.type) {
      case 'NegotiateProtocolVersion':
        if (!first) {
          throw new ProtocolError('the server sent NegotiateProtocolVersion after the startup exchange had begun; it must come first');
        }
        this.negotiate(m.newestMinorVersion, m.unrecognizedOptions);
        return;
      case 'AuthenticationOk':
        if (this.scram && !this.scram.completed) {
          // The server must prove it knows the password before we accept it.
          throw new ConnectionError(
            `the server at ${this.ctx.host}:${this.ctx.port} ended the SCRAM exchange without proving it knows the password; refusing the connection`,
            { target: this.target() },
          );
        }
        this.policy.checkOk();
        this.authenticated = true;
        return;
      case 'AuthenticationCleartextPassword':
        this.request('password');
        this.authMethod = 'password';
        this.withPassword((pw) => {
          this.ctx.send((w) => encodeFrontend({ type: 'PasswordMessage', password: pw }, w));
          this.policy.finished();
        });
        return;
      case 'AuthenticationMD5Password':
        this.request('md5');
        this.authMethod = 'md5';
        this.withPassword((pw) => {
          const reply = md5PasswordMessage(this.ctx.user, pw, m.salt);
          this.ctx.send((w) => encodeFrontend({ type: 'PasswordMessage', password: reply }, w));
          this.policy.finished();
        });
        return;
      case 'AuthenticationSASL':
        this.startSasl(m.mechanisms);
        return;
      case 'AuthenticationSASLContinue': {
        const scram = this.scram;
        if (!scram) throw new ProtocolError('the server sent AuthenticationSASLContinue before a SASL exchange started');
        scram.handleServerFirstAsync(m.data).then(
          (final) => this.ctx.send((w) => encodeFrontend({ type: 'SASLResponse', data: final }, w)),
          (e: unknown) => this.ctx.fail(this.decorateAuth(e)),
        );
        return;
      }
      case 'AuthenticationSASLFinal':
        if (!this.scram) throw new ProtocolError('the server sent AuthenticationSASLFinal before a SASL exchange started');
        try {
          this.scram.handleServerFinal(m.data);
        } catch (e) {
          throw this.decorateAuth(e);
        }
        this.policy.finished();
        return;
      case 'AuthenticationKerberosV5':
      case 'AuthenticationGSS':
      case 'AuthenticationSSPI': {
        const method: AuthRequest = m.type === 'AuthenticationKerberosV5' ? 'kerberos' : m.type === 'AuthenticationGSS' ? 'gss' : 'sspi';
        this.request(method);
        throw new ConnectionError(
          `the server asked for ${m.type.replace('Authentication', '')} authentication, which pgjet does not support; ` +
            'use scram-sha-256 (or cert) in pg_hba.conf for this user',
          { target: this.target() },
        );
      }
      case 'AuthenticationGSSContinue':
        throw new ProtocolError('the server sent AuthenticationGSSContinue without a GSSAPI exchange');
      case 'BackendKeyData':
        if (this.protocolMinor < 2 && m.secretKey.length !== 4) {
          throw new ProtocolError(
            `BackendKeyData carries a ${m.secretKey.length}-byte secret key, but protocol 3.0 keys are 4 bytes`,
          );
        }
        this.processId = m.processId;
        this.secretKey = m.secretKey.slice();
        this.haveKey = true;
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
    if (!this.authenticated) {
      // The server skipped AuthenticationOk: without it no policy check ran.
      const err = new ProtocolError('the server sent ReadyForQuery before AuthenticationOk; refusing the connection');
      this.ctx.fail(err);
      this.settle.reject(err);
      return;
    }
    this.settle.resolve({
      processId: this.processId,
      secretKey: this.haveKey ? this.secretKey : new Uint8Array(0),
      authMethod: this.authMethod,
      saslMechanism: this.policy.mechanism,
      protocolMinor: this.protocolMinor,
    });
  }

  onConnectionLost(err: Error): void {
    this.settle.reject(err);
  }

  private target() {
    return { host: this.ctx.host, port: this.ctx.port, database: this.ctx.database, user: this.ctx.user };
  }

  /** The policy check for a request; its error already says what to do. */
  private request(method: AuthRequest): void {
    this.policy.checkRequest(method);
  }

  /**
   * Checks a NegotiateProtocolVersion against what was asked for: a server
   * may offer a lower minor version (never a higher one, never below the
   * minimum) and may list options we did not send (we send none).
   */
  private negotiate(version: number, options: readonly string[]): void {
    const asked = `3.${this.requestedMinor}`;
    // The field holds a whole version number (major << 16 | minor), as libpq reads it.
    const major = version >>> 16;
    const minor = version & 0xffff;
    if (major !== 3) {
      throw new ProtocolError(
        `the server's NegotiateProtocolVersion offers protocol ${major}.${minor} in answer to a request for ${asked}; only 3.x exists`,
      );
    }
    if (options.length > 0) {
      const shown = options.slice(0, 3).map((o) => JSON.stringify(o.slice(0, 64))).join(', ');
      throw new ProtocolError(
        `the server's NegotiateProtocolVersion lists protocol options pgjet never sent (${shown}); it is not behaving like PostgreSQL`,
      );
    }
    if (minor >= this.requestedMinor) {
      throw new ProtocolError(
        `the server's NegotiateProtocolVersion offers protocol 3.${minor} in answer to a request for ${asked}; a server may only offer a lower version`,
      );
    }
    if (minor === 1 || minor < 0) {
      throw new ProtocolError(`the server's NegotiateProtocolVersion offers protocol 3.${minor}, which does not exist`);
    }
    if (minor < this.minMinor) {
      throw new ConnectionError(
        `the server at ${this.ctx.host}:${this.ctx.port} supports protocol 3.${minor} at most, but minProtocolVersion is 3.${this.minMinor}; ` +
          'upgrade the server (protocol 3.2 needs PostgreSQL 18) or lower minProtocolVersion',
        { target: this.target() },
      );
    }
    this.protocolMinor = minor;
  }

  private startSasl(offered: readonly string[]): void {
    const scram = offered.includes('SCRAM-SHA-256') || offered.includes('SCRAM-SHA-256-PLUS');
    const oauth = !scram && offered.includes('OAUTHBEARER');
    this.request(oauth ? 'oauth' : 'scram-sha-256');
    this.authMethod = 'scram-sha-256';
    if (!scram) {
      throw new ConnectionError(
        `the server offered SASL mechanisms ${offered.map((o) => JSON.stringify(o.slice(0, 64))).join(', ') || '(none)'}, none of which pgjet supports; ` +
          'use scram-sha-256 in pg_hba.conf for this user',
        { target: this.target() },
      );
    }
    let mechanism: ScramMechanism;
    try {
      mechanism = this.policy.chooseSasl(offered);
    } catch (e) {
      throw this.decorateAuth(e);
    }
    const binding = this.channelBinding(mechanism);
    this.withPassword((pw) => {
      this.scram = new ScramClient({ password: pw, mechanism, ...(binding ? { channelBinding: binding } : {}) });
      const first = this.scram.clientFirstMessage();
      this.ctx.send((w) => encodeFrontend({ type: 'SASLInitialResponse', mechanism, data: first }, w));
    });
  }

  /**
   * The binding data for SCRAM. With -PLUS it is the certificate hash. With
   * plain SCRAM over TLS (channel_binding not disable) the client still says
   * it could bind ('y' flag), so a server that does support binding detects
   * a downgraded mechanism list; the data is then never sent.
   */
  private channelBinding(mechanism: ScramMechanism): ScramChannelBinding | undefined {
    const cert = this.ctx.peerCertificate;
    const mode = this.ctx.auth?.channelBinding ?? 'prefer';
    if (cert === undefined || mode === 'disable') return undefined;
    if (mechanism === 'SCRAM-SHA-256-PLUS') return { type: 'tls-server-end-point', data: tlsServerEndPointHash(cert) };
    return { type: 'tls-server-end-point', data: Uint8Array.of(0) };
  }

  /** Adds where and as whom to an authentication failure raised on the client side. */
  private decorateAuth(e: unknown): Error {
    if (e instanceof ConnectionError && e.target === undefined) {
      return new ConnectionError(`${e.message} (connecting to ${this.ctx.host}:${this.ctx.port} as user "${this.ctx.user}")`, {
        cause: e,
        target: this.target(),
      });
    }
    return e instanceof Error ? e : new ProtocolError(String(e));
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
        // The server moved on (or the connection died) while the password was fetched: send nothing.
        if (this.authenticated || this.settle.done) return;
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
