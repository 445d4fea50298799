/**
 * CancelRequest: a separate short-lived connection that asks the postmaster
 * to interrupt whatever the backend is running. Resolves once the server has
 * closed that socket, which is the earliest moment the signal is known to
 * have been delivered.
 */
import net from 'node:net';
import { CANCEL_REQUEST_CODE } from '../protocol/messages.js';
import { isUnixSocketHost, unixSocketPath } from './transport.js';

/** Send a CancelRequest and wait for the server to close the socket. Never rejects. */
export function sendCancelRequest(
  host: string,
  port: number,
  processId: number,
  secretKey: Uint8Array,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: Error }> {
  return new Promise((resolve) => {
    const socket = isUnixSocketHost(host) ? net.connect({ path: unixSocketPath(host, port) }) : net.connect({ host, port });
    let settled = false;
    const finish = (ok: boolean, error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(error ? { ok, error } : { ok });
    };
    const timer = setTimeout(
      () => finish(false, new Error(`cancel request to ${host}:${port} got no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.setNoDelay?.(true);
    socket.once('connect', () => {
      const msg = Buffer.alloc(12 + secretKey.length);
      msg.writeInt32BE(msg.length, 0);
      msg.writeInt32BE(CANCEL_REQUEST_CODE, 4);
      msg.writeInt32BE(processId, 8);
      msg.set(secretKey, 12);
      socket.write(msg);
    });
    // The server sends nothing back; it closes the socket when done.
    socket.on('data', () => undefined);
    socket.once('close', () => finish(true));
    socket.once('error', (err: Error) => finish(false, err));
  });
}
