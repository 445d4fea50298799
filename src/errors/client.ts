/**
 * Errors raised by pgjet itself rather than by the server. This module has no
 * imports so that every layer, including the pure protocol layer, can use it.
 */

/** Base class of every error pgjet throws, server or client side. */
export class PgjetError extends Error {
  override name = 'PgjetError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * The caller used the API in a way it does not allow: a wrong argument, a call
 * on a closed connection, a parameter that cannot be encoded. The message says
 * what was wrong and what to do instead.
 */
export class InterfaceError extends PgjetError {
  override name = 'InterfaceError';
}

/** Where a connection attempt went: attached to every ConnectionError. */
export interface ConnectionTarget {
  host: string;
  port: number;
  database?: string;
  user?: string;
}

/**
 * The connection could not be made, or was lost. `target` says which host,
 * port, database and user were involved.
 */
export class ConnectionError extends PgjetError {
  override name = 'ConnectionError';
  /** The endpoint that failed, when known. */
  readonly target: ConnectionTarget | undefined;
  /** Underlying OS error code such as ECONNREFUSED, when there was one. */
  readonly errno: string | undefined;
  constructor(message: string, options?: { cause?: unknown; target?: ConnectionTarget; errno?: string }) {
    super(message, options);
    this.target = options?.target;
    this.errno = options?.errno;
  }
}

/**
 * The bytes from the server did not follow the PostgreSQL protocol (a bad
 * length, an unexpected message). The connection is destroyed: it can no
 * longer be trusted to be in step with the server.
 */
export class ProtocolError extends PgjetError {
  override name = 'ProtocolError';
}

/**
 * An operation ran past its time limit (connectTimeout, commandTimeout, a
 * close timeout). For a command, the server was asked to cancel it.
 */
export class TimeoutError extends PgjetError {
  override name = 'TimeoutError';
}

/** A call was aborted through its AbortSignal; the server was asked to cancel it. */
export class AbortError extends PgjetError {
  override name = 'AbortError';
}
