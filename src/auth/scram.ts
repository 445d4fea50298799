/**
 * The client side of SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (RFC 5802, RFC 7677)
 * as PostgreSQL uses them inside AuthenticationSASL / SASLInitialResponse /
 * AuthenticationSASLContinue / SASLResponse / AuthenticationSASLFinal.
 */

import { Buffer } from 'node:buffer';
import { createHash, createHmac, pbkdf2, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { ConnectionError, InterfaceError, ProtocolError } from '../errors/client.js';
import { prepareScramPassword, saslprep } from './saslprep.js';

export { tlsServerEndPointHash } from './channel-binding.js';

/** The SASL mechanisms pgjet implements. */
export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS';

/** The libpq `channel_binding` setting. */
export type ChannelBindingMode = 'disable' | 'prefer' | 'require';

/** Channel binding data for the TLS connection the exchange runs over. */
export interface ScramChannelBinding {
  /** The only binding type PostgreSQL supports. */
  type: 'tls-server-end-point';
  /** The certificate hash from tlsServerEndPointHash(). */
  data: Uint8Array;
}

/** Options for ScramClient. */
export interface ScramClientOptions {
  /** The password as the user typed it; it is prepared as PostgreSQL prepares it. */
  password: string;
  /** The mechanism chosen with selectScramMechanism(). */
  mechanism: ScramMechanism;
  /**
   * Required for SCRAM-SHA-256-PLUS. Given with plain SCRAM-SHA-256 it means
   * "the client could bind but the server did not offer to", which is sent as
   * the 'y' flag so that a server which does support binding detects the
   * downgrade. Pass it whenever TLS is up and channel_binding is not 'disable'.
   */
  channelBinding?: ScramChannelBinding;
  /** The SCRAM user name. PostgreSQL ignores it in favour of the startup user, so it defaults to empty. */
  user?: string;
  /** A fixed client nonce, for reproducing published test vectors; random when omitted. */
  nonce?: string;
  /** The fewest PBKDF2 iterations accepted from the server; default 1024. */
  minIterations?: number;
  /** The most PBKDF2 iterations accepted, bounding the CPU a server can make the client spend; default 10 000 000. */
  maxIterations?: number;
}

const PLUS: ScramMechanism = 'SCRAM-SHA-256-PLUS';
const PLAIN: ScramMechanism = 'SCRAM-SHA-256';
const KEY_LENGTH = 32;
const PRINTABLE_NO_COMMA = /^[\x21-\x2b\x2d-\x7e]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

type State = 'initial' | 'first-sent' | 'final-sent' | 'done' | 'failed';

/** What the server-first-message settled: the derivation inputs and the signed text. */
interface ServerFirst {
  salt: Buffer;
  iterations: number;
  withoutProof: string;
  authMessage: Buffer;
}

/**
 * One SCRAM exchange, as a state machine the connection drives: send
 * clientFirstMessage() in SASLInitialResponse, pass the AuthenticationSASLContinue
 * data to handleServerFirst() and send what it returns in SASLResponse, then
 * pass the AuthenticationSASLFinal data to handleServerFinal(). Only when
 * `completed` is true has the server proved it knows the password; an
 * AuthenticationOk before that must end the connection.
 */
export class ScramClient {
  /** The mechanism this exchange uses, to name in SASLInitialResponse. */
  readonly mechanism: ScramMechanism;
  #state: State = 'initial';
  readonly #password: Buffer;
  readonly #gs2Header: string;
  readonly #bindingData: Uint8Array;
  readonly #nonce: string;
  readonly #user: string;
  readonly #minIterations: number;
  readonly #maxIterations: number;
  #clientFirstBare = '';
  #serverSignature: Buffer | undefined;

  /** @throws InterfaceError for inconsistent options or an unusable nonce or password. */
  constructor(options: ScramClientOptions) {
    const { mechanism, channelBinding } = options;
    if (mechanism !== PLAIN && mechanism !== PLUS) {
      throw new InterfaceError(`unsupported SCRAM mechanism "${String(mechanism)}"; use ${PLAIN} or ${PLUS}`);
    }
    this.mechanism = mechanism;
    if (channelBinding !== undefined) {
      if (channelBinding.type !== 'tls-server-end-point') {
        throw new InterfaceError(
          `unsupported channel binding type "${String(channelBinding.type)}"; PostgreSQL supports tls-server-end-point`,
        );
      }
      if (channelBinding.data.length === 0) {
        throw new InterfaceError(
          'channel binding data is empty; pass the certificate hash from tlsServerEndPointHash()',
        );
      }
    }
    if (mechanism === PLUS) {
      if (channelBinding === undefined) {
        throw new InterfaceError(
          `${PLUS} needs channelBinding data: pass the server certificate hash from tlsServerEndPointHash()`,
        );
      }
      this.#gs2Header = 'p=tls-server-end-point,,';
      this.#bindingData = Uint8Array.from(channelBinding.data);
    } else {
      this.#gs2Header = channelBinding === undefined ? 'n,,' : 'y,,';
      this.#bindingData = new Uint8Array(0);
    }

    this.#minIterations = options.minIterations ?? 1024;
    this.#maxIterations = options.maxIterations ?? 10_000_000;
    if (!Number.isSafeInteger(this.#minIterations) || this.#minIterations < 1) {
      throw new InterfaceError(`minIterations must be a positive integer, got ${this.#minIterations}`);
    }
    if (!Number.isSafeInteger(this.#maxIterations) || this.#maxIterations < this.#minIterations) {
      throw new InterfaceError(
        `maxIterations must be an integer no smaller than minIterations (${this.#minIterations}), ` +
          `got ${this.#maxIterations}`,
      );
    }

    this.#nonce = options.nonce ?? randomBytes(18).toString('base64');
    if (!PRINTABLE_NO_COMMA.test(this.#nonce)) {
      throw new InterfaceError('the SCRAM client nonce must be non-empty printable ASCII without commas');
    }
    if (typeof options.password !== 'string') {
      throw new InterfaceError('SCRAM authentication needs a password string; set password in the connection options');
    }
    const user = options.user ?? '';
    this.#user = user === '' ? '' : saslprep(user).replace(/=/g, '=3D').replace(/,/g, '=2C');
    this.#password = Buffer.from(prepareScramPassword(options.password), 'utf8');
  }

  /** True once handleServerFinal() has verified the server's signature. */
  get completed(): boolean {
    return this.#state === 'done';
  }

  /**
   * The client-first-message for SASLInitialResponse.
   * @throws InterfaceError when called more than once.
   */
  clientFirstMessage(): Uint8Array {
    if (this.#state !== 'initial') {
      throw new InterfaceError('clientFirstMessage() was already called; a ScramClient serves a single exchange');
    }
    this.#clientFirstBare = `n=${this.#user},r=${this.#nonce}`;
    this.#state = 'first-sent';
    return Buffer.from(this.#gs2Header + this.#clientFirstBare, 'utf8');
  }

  /**
   * Checks the server-first-message (from AuthenticationSASLContinue) and
   * returns the client-final-message with the proof, for SASLResponse. The
   * key derivation runs synchronously: its cost is the server's iteration
   * count, which maxIterations bounds.
   * @throws ProtocolError when the message is malformed or out of order, or
   * ConnectionError when the server reports an error or asks for an iteration
   * count outside the configured bounds.
   */
  handleServerFirst(data: Uint8Array): Uint8Array {
    this.#expectState('first-sent', 'server-first-message');
    try {
      const parsed = this.#parseServerFirst(data);
      return this.#clientFinal(parsed, pbkdf2Sync(this.#password, parsed.salt, parsed.iterations, KEY_LENGTH, 'sha256'));
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  /**
   * handleServerFirst() with the key derivation on Node's thread pool, so a
   * server that asks for many iterations does not stall the event loop.
   * Same checks and errors.
   */
  async handleServerFirstAsync(data: Uint8Array): Promise<Uint8Array> {
    this.#expectState('first-sent', 'server-first-message');
    try {
      const parsed = this.#parseServerFirst(data);
      const salted = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(this.#password, parsed.salt, parsed.iterations, KEY_LENGTH, 'sha256', (err, key) => (err ? reject(err) : resolve(key))),
      );
      this.#expectState('first-sent', 'server-first-message');
      return this.#clientFinal(parsed, salted);
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  /**
   * Verifies the server-final-message (from AuthenticationSASLFinal): the
   * server's signature proves it holds the password's verifier.
   * @throws ConnectionError when the signature does not match or the server
   * reports an error; ProtocolError when the message is malformed or out of order.
   */
  handleServerFinal(data: Uint8Array): void {
    this.#expectState('final-sent', 'server-final-message');
    try {
      this.#serverFinal(data);
      this.#state = 'done';
    } catch (error) {
      this.#fail();
      throw error;
    }
  }

  #parseServerFirst(data: Uint8Array): ServerFirst {
    const text = decodeMessage(data, 'server-first-message');
    const attributes = parseAttributes(text, 'server-first-message');
    const [first, second, third] = attributes;
    if (first?.[0] === 'm') {
      throw new ProtocolError(
        'SCRAM server-first-message demands a mandatory extension (m=), which pgjet does not support; ' +
          'the server is not behaving like PostgreSQL',
      );
    }
    if (first?.[0] === 'e') throw serverError(first[1]);
    if (first?.[0] !== 'r' || second?.[0] !== 's' || third?.[0] !== 'i') {
      throw malformed('server-first-message', 'expected r=, s= and i= in that order', text);
    }

    const serverNonce = first[1];
    if (!PRINTABLE_NO_COMMA.test(serverNonce)) {
      throw malformed('server-first-message', 'the nonce holds characters outside printable ASCII', text);
    }
    if (!serverNonce.startsWith(this.#nonce) || serverNonce.length === this.#nonce.length) {
      throw new ProtocolError(
        'SCRAM server nonce does not extend the client nonce with a part of its own; ' +
          'the reply does not belong to this exchange, so the connection cannot be trusted',
      );
    }

    const salt = decodeBase64(second[1]);
    if (salt === undefined || salt.length === 0) {
      throw malformed('server-first-message', 'the salt (s=) is not valid non-empty base64', text);
    }

    if (!/^[1-9][0-9]*$/.test(third[1])) {
      throw malformed('server-first-message', 'the iteration count (i=) is not a positive integer', text);
    }
    const iterations = Number(third[1]);
    if (iterations < this.#minIterations) {
      throw new ConnectionError(
        `server asked for ${iterations} SCRAM iterations, fewer than minIterations (${this.#minIterations}); ` +
          'a low count makes the stored password easy to brute-force. Raise scram_iterations on the server and ' +
          'reset the password, or lower minIterations if you accept the risk',
      );
    }
    if (iterations > this.#maxIterations) {
      throw new ConnectionError(
        `server asked for ${third[1]} SCRAM iterations, more than maxIterations (${this.#maxIterations}); ` +
          'raise maxIterations if the server is trusted and really uses that many',
      );
    }

    const cbindInput = Buffer.concat([Buffer.from(this.#gs2Header, 'utf8'), this.#bindingData]);
    const withoutProof = `c=${cbindInput.toString('base64')},r=${serverNonce}`;
    const authMessage = Buffer.concat([
      Buffer.from(`${this.#clientFirstBare},`, 'utf8'),
      data,
      Buffer.from(`,${withoutProof}`, 'utf8'),
    ]);
    return { salt, iterations, withoutProof, authMessage };
  }

  #clientFinal({ withoutProof, authMessage }: ServerFirst, salted: Buffer): Uint8Array {
    this.#password.fill(0);
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(KEY_LENGTH);
    for (let i = 0; i < KEY_LENGTH; i++) proof[i] = (clientKey[i] ?? 0) ^ (clientSignature[i] ?? 0);
    const serverKey = hmac(salted, 'Server Key');
    this.#serverSignature = hmac(serverKey, authMessage);
    for (const secret of [salted, clientKey, storedKey, serverKey]) secret.fill(0);

    this.#state = 'final-sent';
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  #serverFinal(data: Uint8Array): void {
    const text = decodeMessage(data, 'server-final-message');
    const [first] = parseAttributes(text, 'server-final-message');
    if (first?.[0] === 'e') throw serverError(first[1]);
    if (first?.[0] !== 'v') throw malformed('server-final-message', 'expected v= or e=', text);
    const received = decodeBase64(first[1]);
    if (received === undefined || received.length !== KEY_LENGTH) {
      throw malformed('server-final-message', `the server signature is not ${KEY_LENGTH} bytes of base64`, text);
    }
    const expected = this.#serverSignature ?? Buffer.alloc(KEY_LENGTH);
    if (!timingSafeEqual(received, expected)) {
      throw new ConnectionError(
        'the server failed to prove it knows the password (SCRAM server signature mismatch); ' +
          'it may not be the server you meant to reach. Check host, port and TLS settings (sslmode=verify-full)',
      );
    }
    expected.fill(0);
    this.#serverSignature = undefined;
  }

  #expectState(wanted: State, message: string): void {
    if (this.#state === wanted) return;
    const reason: Record<State, string> = {
      initial: 'before the client-first-message was sent',
      'first-sent': 'before the server-first-message',
      'final-sent': 'twice',
      done: 'after the exchange had completed',
      failed: 'after the exchange had already failed',
    };
    const error = new ProtocolError(
      `unexpected SCRAM ${message}: it arrived ${reason[this.#state]}; ` +
        'the server is out of step, so the connection must be closed',
    );
    this.#fail();
    throw error;
  }

  #fail(): void {
    this.#state = 'failed';
    this.#password.fill(0);
    this.#serverSignature?.fill(0);
    this.#serverSignature = undefined;
  }
}

/**
 * Chooses the SASL mechanism from those the server offered in
 * AuthenticationSASL, following libpq: with TLS up and channel_binding not
 * 'disable', -PLUS is used when offered; 'require' fails closed without it.
 * A server offering -PLUS over a connection without TLS is refused outright:
 * binding cannot work there, so the TLS layer was likely stripped on the way.
 *
 * @throws ConnectionError when no offered mechanism satisfies channelBinding.
 */
export function selectScramMechanism(
  offered: readonly string[],
  channelBinding: ChannelBindingMode,
  tlsAvailable: boolean,
): ScramMechanism {
  if (channelBinding !== 'disable' && channelBinding !== 'prefer' && channelBinding !== 'require') {
    throw new InterfaceError(`channel_binding must be disable, prefer or require, got "${String(channelBinding)}"`);
  }
  const hasPlus = offered.includes(PLUS);
  const hasPlain = offered.includes(PLAIN);
  const list = offered.length === 0 ? 'none' : offered.join(', ');
  if (hasPlus && !tlsAvailable) {
    throw new ConnectionError(
      `server offered ${PLUS} over a connection without TLS, which cannot happen with a direct connection; ` +
        'something in between may have stripped TLS. Check sslmode and any proxy on the path',
    );
  }
  if (channelBinding === 'require') {
    if (!tlsAvailable) {
      throw new ConnectionError(
        'channel_binding=require needs a TLS connection, but this one has none; set sslmode=require or stronger',
      );
    }
    if (!hasPlus) {
      throw new ConnectionError(
        `channel_binding=require, but the server did not offer ${PLUS} (offered: ${list}); ` +
          'the server may not support channel binding, or its TLS may be terminated by a proxy',
      );
    }
    return PLUS;
  }
  if (channelBinding === 'prefer' && hasPlus) return PLUS;
  if (hasPlain) return PLAIN;
  if (hasPlus) {
    throw new ConnectionError(
      `server offered only ${PLUS}, which channel_binding=disable rules out; set channel_binding=prefer`,
    );
  }
  throw new ConnectionError(
    `server offered no SASL mechanism pgjet supports (offered: ${list}); pgjet supports ${PLAIN} and ${PLUS}`,
  );
}

function hmac(key: Uint8Array, data: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function decodeMessage(data: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    throw new ProtocolError(`SCRAM ${what} is not valid UTF-8; the server is not speaking SCRAM`);
  }
}

function parseAttributes(text: string, what: string): [string, string][] {
  return text.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0] ?? '')) {
      throw malformed(what, 'expected comma-separated attribute=value pairs', text);
    }
    return [part[0] ?? '', part.slice(2)];
  });
}

/** Strict base64: Buffer.from() would silently skip bad characters. */
function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64') === text ? bytes : undefined;
}

/** What to do about the server-error-value codes of RFC 5802 that have a remedy. */
const SERVER_ERROR_HINTS: ReadonlyMap<string, string> = new Map([
  ['invalid-proof', 'check the user name and password'],
  ['unknown-user', 'check the user name'],
  [
    'server-does-support-channel-binding',
    'the server supports channel binding but the client was told it did not, which suggests tampering; ' +
      'check the network path, or set channel_binding=prefer with TLS',
  ],
  [
    'channel-bindings-dont-match',
    'the certificate the server holds differs from the one the client saw, which suggests TLS interception; ' +
      'check for proxies on the path',
  ],
  ['channel-binding-not-supported', 'set channel_binding=disable or prefer'],
  ['unsupported-channel-binding-type', 'set channel_binding=disable or prefer'],
]);

function serverError(value: string): ConnectionError {
  const shown = JSON.stringify(value.length > 120 ? `${value.slice(0, 120)}...` : value);
  const hint = SERVER_ERROR_HINTS.get(value) ?? 'check the user name, password and the server log';
  return new ConnectionError(`server rejected SCRAM authentication with error ${shown}; ${hint}`);
}

function malformed(what: string, problem: string, text: string): ProtocolError {
  const shown = JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
  return new ProtocolError(`malformed SCRAM ${what}: ${problem} (got ${shown}); the server is not speaking SCRAM`);
}
