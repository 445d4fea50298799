/**
 * What the client agrees to during authentication, decided before any secret
 * leaves it: which methods the server may ask for (require_auth), whether
 * SCRAM must bind to the TLS channel (channel_binding), and whether a
 * password may travel over a connection that is not encrypted. A server is
 * not trusted to pick the method: every request is checked here first, and
 * AuthenticationOk is checked against what actually happened.
 */

import { ConnectionError, ProtocolError } from '../errors/client.js';
import type { ConnectionTarget } from '../errors/client.js';
import { selectScramMechanism } from './scram.js';
import type { ChannelBindingMode, ScramMechanism } from './scram.js';

/** An authentication method as libpq's require_auth names it. */
export type AuthMethodName = 'password' | 'md5' | 'gss' | 'sspi' | 'scram-sha-256' | 'oauth' | 'none';

/** A request the server can make, by the method it belongs to. */
export type AuthRequest = Exclude<AuthMethodName, 'none'> | 'kerberos';

/** require_auth, parsed: the listed methods are the only ones allowed, or (negated) the ones refused. */
export interface RequireAuthRule {
  readonly negated: boolean;
  readonly methods: readonly AuthMethodName[];
}

/** The settings and circumstances a policy judges by. */
export interface AuthPolicyOptions {
  /** libpq's channel_binding. */
  readonly channelBinding: ChannelBindingMode;
  /** libpq's require_auth, if given. */
  readonly requireAuth: RequireAuthRule | undefined;
  /** True when the connection runs over TLS. */
  readonly encrypted: boolean;
  /** The caller's explicit opt-in to cleartext and MD5 passwords without TLS. */
  readonly allowUnencryptedPassword: boolean;
  /** The server and user, for messages and the errors' `target`. */
  readonly target: ConnectionTarget & { readonly user: string };
}

/**
 * The refusal to send a cleartext or MD5 password without TLS. Its own class
 * so that sslmode=allow can answer it with a TLS attempt, as it answers a
 * server's refusal of plaintext.
 */
export class UnencryptedPasswordError extends ConnectionError {
  override name = 'ConnectionError';
}

const DESCRIPTION: Readonly<Record<AuthRequest, string>> = {
  password: 'a cleartext password',
  md5: 'an MD5-hashed password',
  'scram-sha-256': 'SCRAM-SHA-256 authentication',
  gss: 'GSSAPI authentication',
  sspi: 'SSPI authentication',
  kerberos: 'Kerberos V5 authentication',
  oauth: 'OAuth authentication',
};

/**
 * One connection attempt's authentication policy. Call `checkRequest()` for
 * every authentication request before answering it, `chooseSasl()` for the
 * mechanism list of AuthenticationSASL, `finished()` once the client has done
 * its part (password sent, or SCRAM server signature verified), and
 * `checkOk()` when AuthenticationOk arrives. Each throws a ConnectionError
 * that says what the server asked for and which setting refused it.
 */
export class AuthPolicy {
  readonly #o: AuthPolicyOptions;
  #requested: AuthRequest | undefined;
  #finished = false;
  #mechanism: ScramMechanism | undefined;

  constructor(options: AuthPolicyOptions) {
    this.#o = options;
  }

  /** The method the server asked for, if it asked for one. */
  get requested(): AuthRequest | undefined {
    return this.#requested;
  }

  /** The SASL mechanism chosen, once chosen. */
  get mechanism(): ScramMechanism | undefined {
    return this.#mechanism;
  }

  /**
   * Checks a request to authenticate before anything is sent in reply.
   * @throws ConnectionError when a setting forbids the method; ProtocolError
   * when the server asks a second time after the client answered.
   */
  checkRequest(request: AuthRequest): void {
    if (this.#requested !== undefined) {
      throw new ProtocolError(
        `the server at ${this.#o.target.host}:${this.#o.target.port} asked for ${DESCRIPTION[request]} after ${DESCRIPTION[this.#requested]} had begun; ` +
          'a PostgreSQL server asks once, so the connection is closed',
      );
    }
    this.#requested = request;
    const rule = this.#o.requireAuth;
    if (rule !== undefined && !allowed(rule, request)) {
      throw this.#refuse(
        `the server asked for ${DESCRIPTION[request]}, which requireAuth "${format(rule)}" does not allow`,
        'change requireAuth (require_auth) or the server\'s pg_hba.conf method for this user',
      );
    }
    if (this.#o.channelBinding === 'require' && request !== 'scram-sha-256') {
      throw this.#refuse(
        `channelBinding is "require" but the server asked for ${DESCRIPTION[request]}, which cannot bind to the TLS channel`,
        'use scram-sha-256 for this user on the server (with a SCRAM password verifier), or relax channelBinding',
      );
    }
    if ((request === 'password' || request === 'md5') && !this.#o.encrypted && !this.#o.allowUnencryptedPassword) {
      throw this.#refuse(
        `the server asked for ${DESCRIPTION[request]}, and this connection is not encrypted, so anyone on the path could ` +
          (request === 'password' ? 'read the password' : 'capture the hash and replay or crack it'),
        'connect with TLS (sslmode=require or, better, verify-full), move the user to scram-sha-256 on the server, ' +
          'or set allowUnencryptedPassword: true if the network is trusted',
        UnencryptedPasswordError,
      );
    }
  }

  /**
   * Picks the SASL mechanism from the server's list under channel_binding.
   * @throws ConnectionError when no offered mechanism satisfies the settings.
   */
  chooseSasl(offered: readonly string[]): ScramMechanism {
    this.#mechanism = selectScramMechanism(offered, this.#o.channelBinding, this.#o.encrypted);
    return this.#mechanism;
  }

  /** Records that the client completed its side of the exchange. */
  finished(): void {
    this.#finished = true;
  }

  /**
   * Checks AuthenticationOk against the settings: a server that skips
   * authentication must be allowed to (require_auth containing none, or no
   * require_auth at all) and must not bypass channel_binding=require.
   * @throws ConnectionError when it is not.
   */
  checkOk(): void {
    const rule = this.#o.requireAuth;
    if (!this.#finished) {
      if (this.#o.channelBinding === 'require') {
        throw this.#refuse(
          'channelBinding is "require" but the server let the client in without any authentication exchange, so it never proved it holds the credentials',
          'use scram-sha-256 for this user on the server, or relax channelBinding',
        );
      }
      if (rule !== undefined && !allowed(rule, 'none')) {
        throw this.#refuse(
          `the server let the client in without authentication, which requireAuth "${format(rule)}" does not allow`,
          'check pg_hba.conf on the server (a trust or cert line matched), or change requireAuth',
        );
      }
      return;
    }
    if (this.#o.channelBinding === 'require' && this.#mechanism !== 'SCRAM-SHA-256-PLUS') {
      throw this.#refuse(
        'channelBinding is "require" but authentication finished without channel binding',
        'use TLS and scram-sha-256 on the server, or relax channelBinding',
      );
    }
  }

  #refuse(problem: string, advice: string, kind: typeof ConnectionError = ConnectionError): ConnectionError {
    const t = this.#o.target;
    return new kind(`refusing to authenticate as "${t.user}" at ${t.host}:${t.port}: ${problem}; ${advice}`, {
      target: { ...t },
    });
  }
}

/** Whether require_auth lets the server use `method` ('none' meaning no exchange at all). */
export function allowed(rule: RequireAuthRule, method: AuthRequest | 'none'): boolean {
  const name: AuthMethodName = method === 'kerberos' ? 'gss' : method;
  const listed = rule.methods.includes(name);
  return rule.negated ? !listed : listed;
}

function format(rule: RequireAuthRule): string {
  return rule.methods.map((m) => (rule.negated ? `!${m}` : m)).join(',');
}
