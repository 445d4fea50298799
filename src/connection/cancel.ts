/**
 * CancelRequest: a separate short-lived connection that asks the postmaster
 * to interrupt whatever the backend is running. Resolves once the server has
 * closed that socket, which is the earliest moment the signal is known to
 * have been delivered.
 *
 * When the main connection runs over TLS the cancel connection does too, with
 * the same settings (libpq's PQcancelCreate does the same): the secret key is
 * a credential, and a server that accepts only hostssl connections would
 * otherwise never see the cancel.
 */
import net from 'node:net';
import { CANCEL_REQUEST_CODE } from '../protocol/messages.js';
import { isUnixSocketHost, unixSocketPath } from './transport.js';

/** Opens the stream a CancelRequest is written to (TLS included); rejects or aborts with `signal`. */
export type CancelSocketOpener = (signal: AbortSignal) => Promise<net.Socket>;

/**
 * Send a CancelRequest and wait for the server to close the socket. Never
 * rejects. `open`, when given, opens the stream (for TLS); otherwise a plain
 * TCP or Unix socket goes to `host` and `port`. `timeoutMs` bounds the whole
 * exchange: a server that never closes the cancel socket makes this resolve
 * with ok false.
 */
export function sendCancelRequest(
  host: string,
  port: number,
  processId: number,
  secretKey: Uint8Array,
  timeoutMs: number,
  open?: CancelSocketOpener,
): Promise<{ ok: boolean; error?: Error }> {
  return new Promise((resolve) => {
    const controller = new AbortController();
    let socket: net.Socket | undefined;
    let settled = false;
    const finish = (ok: boolean, error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      controller.abort(error ?? new Error('cancel finished'));
      socket?.destroy();
      resolve(error ? { ok, error } : { ok });
    };
    const timer = setTimeout(
      () => finish(false, new Error(`cancel request to ${host}:${port} got no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const msg = Buffer.alloc(12 + secretKey.length);
    msg.writeInt32BE(msg.length, 0);
    msg.writeInt32BE(CANCEL_REQUEST_CODE, 4);
    msg.writeInt32BE(processId, 8);
    msg.set(secretKey, 12);
    const use = (s: net.Socket) => {
      socket = s;
      if (settled) {
        s.destroy();
        return;
      }
      // The server sends nothing back; it closes the socket when done.
      s.on('data', () => undefined);
      s.once('close', () => finish(true));
      s.once('error', (err: Error) => finish(false, err));
      s.resume();
      s.write(msg);
    };
    if (open !== undefined) {
      open(controller.signal).then(use, (err: unknown) => finish(false, err instanceof Error ? err : new Error(String(err))));
      return;
    }
    const s = isUnixSocketHost(host) ? net.connect({ path: unixSocketPath(host, port) }) : net.connect({ host, port });
    socket = s;
    s.setNoDelay?.(true);
    s.once('error', (err: Error) => finish(false, err));
    s.once('connect', () => {
      s.removeAllListeners('error');
      use(s);
    });
  });
}
