/**
 * Opening the byte stream to a server: TCP (with TCP_NODELAY and keepalive)
 * or a Unix socket, then TLS, either after an SSLRequest (the classic way)
 * or at once with ALPN `postgresql` (sslnegotiation=direct, PostgreSQL 17+).
 *
 * Everything before the TLS handshake completes is unauthenticated: the
 * server's one-byte answer to SSLRequest is read alone, and any byte after
 * it is refused (CVE-2021-23222), as is an error text sent in place of the
 * answer, which is not shown as if it came from the server.
 */
import net from 'node:net';
import tls from 'node:tls';
import { ConnectionError, InterfaceError, ProtocolError } from '../errors/client.js';
import { SSL_REQUEST_CODE } from '../protocol/messages.js';

/** The ALPN protocol name PostgreSQL registers for direct TLS. */
export const ALPN_POSTGRESQL = 'postgresql';

/** Everything needed to open one endpoint. */
export interface TransportOptions {
  host: string;
  port: number;
  /** Whether to ask for TLS on this attempt (the caller handles allow/prefer retries). */
  useTls: boolean;
  /** When useTls: fail if the server declines (require and stronger). */
  tlsRequired: boolean;
  /** `direct` starts TLS without an SSLRequest; only with tlsRequired. Default `postgres`. */
  sslnegotiation?: 'postgres' | 'direct';
  /** TLS options for the handshake (CA, client certificate, verification, SNI). */
  tlsOptions: tls.ConnectionOptions;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
  /** Aborts the attempt (connect timeout). */
  signal: AbortSignal;
  /** Names the endpoint in errors. */
  database?: string;
  user?: string;
}

/** An open stream to a server, before the StartupMessage. */
export interface OpenedTransport {
  socket: net.Socket;
  /** True when the stream is TLS. */
  tls: boolean;
  /** The server's certificate, for channel binding; undefined without TLS. */
  peerCertificate: tls.DetailedPeerCertificate | undefined;
}

/**
 * A failure of the TLS handshake itself (not of the TCP connection, not a
 * server error): the one after which libpq's sslmode=prefer tries again
 * without TLS.
 */
export class TlsHandshakeError extends ConnectionError {
  override name = 'ConnectionError';
}

/** The socket path libpq uses for a Unix socket directory and port. */
export function unixSocketPath(dir: string, port: number): string {
  return `${dir.replace(/\/+$/, '')}/.s.PGSQL.${port}`;
}

/** Whether a host names a Unix socket directory rather than a TCP host. */
export function isUnixSocketHost(host: string): boolean {
  return host.startsWith('/') || host.startsWith('@');
}

/** Open the stream and, when asked, negotiate TLS. */
export async function openTransport(o: TransportOptions): Promise<OpenedTransport> {
  const unix = isUnixSocketHost(o.host);
  const socket = await connectSocket(o, unix);
  try {
    if (!o.useTls || unix) return { socket, tls: false, peerCertificate: undefined };
    if (o.sslnegotiation !== 'direct') {
      const answer = await requestSsl(socket, o);
      if (answer === 'N') {
        if (o.tlsRequired) {
          throw new ConnectionError(
            `the server at ${o.host}:${o.port} does not accept SSL connections, but sslmode requires SSL; ` +
              'enable ssl on the server or choose sslmode=prefer or disable',
            { target: target(o) },
          );
        }
        return { socket, tls: false, peerCertificate: undefined };
      }
    }
    const secure = await handshake(socket, o);
    return { socket: secure, tls: true, peerCertificate: secure.getPeerCertificate(true) };
  } catch (e) {
    socket.destroy();
    throw e;
  }
}

function target(o: TransportOptions) {
  return { host: o.host, port: o.port, database: o.database, user: o.user };
}

function connectSocket(o: TransportOptions, unix: boolean): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (o.signal.aborted) {
      reject(abortReason(o.signal));
      return;
    }
    const where = unix ? unixSocketPath(o.host, o.port) : `${o.host}:${o.port}`;
    const socket = unix ? net.connect({ path: unixSocketPath(o.host, o.port) }) : net.connect({ host: o.host, port: o.port });
    const onAbort = () => {
      socket.destroy();
      reject(abortReason(o.signal));
    };
    o.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      o.signal.removeEventListener('abort', onAbort);
      reject(explainSocketError(err, o, unix, where));
    });
    socket.once('connect', () => {
      o.signal.removeEventListener('abort', onAbort);
      socket.removeAllListeners('error');
      if (!unix) {
        socket.setNoDelay(true);
        socket.setKeepAlive(o.keepAlive, o.keepAliveInitialDelay);
      }
      resolve(socket);
    });
  });
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new ConnectionError('connection attempt aborted');
}

/** Turn an OS error into a message that says what to check. */
export function explainSocketError(err: NodeJS.ErrnoException, o: TransportOptions, unix: boolean, where: string): ConnectionError {
  const code = err.code ?? '';
  let msg: string;
  switch (code) {
    case 'ECONNREFUSED':
      msg = unix
        ? `connection refused on Unix socket ${where}: is PostgreSQL running with unix_socket_directories including ${o.host}? check PGHOST/PGPORT`
        : `connection refused on ${where}: is PostgreSQL running and listening on TCP there? check PGHOST/PGPORT and listen_addresses`;
      break;
    case 'ENOENT':
      msg = `no Unix socket at ${where}: is PostgreSQL running, with unix_socket_directories including ${o.host} and port ${o.port}? check PGHOST/PGPORT`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      msg = `could not resolve host name "${o.host}" (${code}): check the host in your connection string or PGHOST`;
      break;
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      msg = `could not reach ${where} (${code}): check the host, port and any firewall between here and the server`;
      break;
    case 'EACCES':
      msg = `permission denied opening ${where}: check the socket's permissions (unix_socket_permissions)`;
      break;
    default:
      msg = `could not connect to ${where}: ${err.message}`;
  }
  return new ConnectionError(msg, { cause: err, target: target(o), errno: code || undefined });
}

/** Send SSLRequest and read the single-byte answer; anything more is an attack. */
function requestSsl(socket: net.Socket, o: TransportOptions): Promise<'S' | 'N'> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      socket.removeListener('data', onData);
      socket.removeListener('error', onError);
      socket.removeListener('close', onClose);
      o.signal.removeEventListener('abort', onAbort);
    };
    const onData = (chunk: Buffer) => {
      cleanup();
      socket.pause();
      const b = chunk[0];
      if (chunk.length > 1 && b === 0x53) {
        // Bytes after 'S' and before the handshake were not protected by TLS
        // and may have been injected by a man in the middle (CVE-2021-23222).
        reject(new ProtocolError(`received ${chunk.length - 1} unencrypted byte(s) after the server's SSL response; refusing to continue`));
        return;
      }
      if (b === 0x53) resolve('S');
      else if (b === 0x4e) {
        if (chunk.length > 1) {
          reject(new ProtocolError('received unexpected bytes after the server declined SSL'));
          return;
        }
        resolve('N');
      } else if (b === 0x45) {
        // An ErrorResponse to SSLRequest: the text is untrusted (no TLS yet), so it is not echoed.
        reject(new ConnectionError(
          `the server at ${o.host}:${o.port} answered the SSL request with an error; its text is not shown because nothing ` +
            'authenticates it before TLS. The server may be overloaded (too many connections) or too old for SSL negotiation: check its log',
          { target: target(o) },
        ));
      } else {
        reject(new ProtocolError(`the server sent an invalid answer (0x${(b ?? 0).toString(16)}) to the SSL request: is this a PostgreSQL server?`));
      }
    };
    const onError = (err: NodeJS.ErrnoException) => {
      cleanup();
      reject(new ConnectionError(`connection to ${o.host}:${o.port} failed during SSL negotiation: ${err.message}`, { cause: err, target: target(o) }));
    };
    const onClose = () => {
      cleanup();
      reject(new ConnectionError(`the server at ${o.host}:${o.port} closed the connection during SSL negotiation`, { target: target(o) }));
    };
    const onAbort = () => {
      cleanup();
      socket.destroy();
      reject(abortReason(o.signal));
    };
    socket.on('data', onData);
    socket.on('error', onError);
    socket.on('close', onClose);
    o.signal.addEventListener('abort', onAbort, { once: true });
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(SSL_REQUEST_CODE, 4);
    socket.write(req);
  });
}

/** Why a handshake failed, in words that point at the setting to check. */
function explainTlsError(err: NodeJS.ErrnoException, o: TransportOptions): string {
  const code = err.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the server certificate is not valid for the host name "${o.tlsOptions.servername ?? o.host}" (${err.message}); ` +
      'connect with a host name the certificate lists, or use sslmode=verify-ca to check only the CA';
  }
  if (code === 'CERT_REVOKED') return `the server certificate was revoked (${err.message}); check sslcrl and sslcrldir`;
  if (code === 'CERT_HAS_EXPIRED') return `the server certificate has expired (${err.message}); renew it on the server`;
  if (/CERT|ISSUER|SELF_SIGNED|VERIFY|CRL/.test(code)) {
    return `the server certificate could not be verified (${code}: ${err.message}); ` +
      'check that sslrootcert names the CA that signed the server certificate';
  }
  return `${err.message}; check sslmode, sslrootcert, the TLS versions (sslMinProtocolVersion) and the server's ssl settings`;
}

function handshake(socket: net.Socket, o: TransportOptions): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const direct = o.sslnegotiation === 'direct';
    // SNI comes from tlsOptions only (the caller decides, per sslsni and
    // never for an IP address); Node sends none when servername is unset.
    let secure: tls.TLSSocket;
    try {
      secure = tls.connect({ ...o.tlsOptions, socket, ALPNProtocols: [ALPN_POSTGRESQL] });
    } catch (e) {
      // Node builds the TLS context here: unreadable PEM, a key that does not
      // match, or a wrong passphrase all surface now, before any byte is sent.
      reject(new InterfaceError(
        `could not set up TLS with the configured certificates: ${(e as Error).message}; ` +
          'check sslcert, sslkey, sslpassword (a wrong one shows as "bad decrypt"), sslrootcert and sslcrl',
        { cause: e },
      ));
      return;
    }
    const fail = (err: Error) => {
      o.signal.removeEventListener('abort', onAbort);
      secure.removeAllListeners('secureConnect');
      secure.destroy();
      reject(err);
    };
    const onAbort = () => fail(abortReason(o.signal));
    o.signal.addEventListener('abort', onAbort, { once: true });
    secure.once('secureConnect', () => {
      o.signal.removeEventListener('abort', onAbort);
      secure.removeAllListeners('error');
      // With direct TLS, ALPN is what tells a PostgreSQL server from any
      // other TLS service on that port (and what PostgreSQL itself demands).
      const alpn = secure.alpnProtocol;
      if ((direct && alpn !== ALPN_POSTGRESQL) || (typeof alpn === 'string' && alpn !== ALPN_POSTGRESQL)) {
        secure.destroy();
        reject(new ConnectionError(
          `the TLS server at ${o.host}:${o.port} did not agree to the ALPN protocol "postgresql"` +
            `${typeof alpn === 'string' ? ` (it chose ${JSON.stringify(alpn.slice(0, 64))})` : ''}; ` +
            (direct ? 'sslnegotiation=direct needs PostgreSQL 17 or newer: use sslnegotiation=postgres for older servers' : 'it is not a PostgreSQL server'),
          { target: target(o) },
        ));
        return;
      }
      resolve(secure);
    });
    secure.once('error', (err: NodeJS.ErrnoException) => {
      fail(new TlsHandshakeError(
        `SSL handshake with ${o.host}:${o.port} failed${direct ? ' (direct TLS)' : ''}: ${explainTlsError(err, o)}`,
        { cause: err, target: target(o), errno: err.code },
      ));
    });
  });
}
