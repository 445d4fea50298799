/**
 * Small readers for server replies shared by the portal and COPY requests:
 * the CommandComplete tag and the typed error of an ErrorResponse.
 */
import { ProtocolError } from '../errors/client.js';
import { postgresErrorFromFields } from '../errors/postgres-error.js';
import type { PostgresError } from '../errors/postgres-error.js';
import { decodeBackend } from '../protocol/backend.js';
import { BackendCode } from '../protocol/messages.js';

const tagDecoder = new TextDecoder();

/** The tag of a CommandComplete body ("SELECT 3", "COPY 100"). */
export function commandTag(buf: Uint8Array, start: number, end: number): string {
  const nul = buf.indexOf(0, start);
  if (nul === -1 || nul >= end) throw new ProtocolError('CommandComplete without its NUL terminator');
  return tagDecoder.decode(buf.subarray(start, nul));
}

/** The row count at the end of a command tag ("INSERT 0 5" is 5), or undefined when it has none. */
export function tagRowCount(tag: string): number | undefined {
  const m = / (\d+)$/.exec(tag);
  return m ? Number(m[1]) : undefined;
}

/** The typed error for an ErrorResponse body. */
export function serverErrorAt(buf: Uint8Array, start: number, end: number, sql: string | undefined): PostgresError {
  const m = decodeBackend(BackendCode.ErrorResponse, buf, start, end);
  if (m.type !== 'ErrorResponse') throw new ProtocolError('ErrorResponse could not be decoded');
  return postgresErrorFromFields(m.fields, sql);
}

/** The ProtocolError for a message a request does not expect. */
export function unexpectedMessage(type: number, during: string): ProtocolError {
  return new ProtocolError(
    `unexpected message '${String.fromCharCode(type)}' (0x${type.toString(16)}) from the server during ${during}`,
  );
}
