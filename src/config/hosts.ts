/**
 * The list of places to connect to, from libpq's parallel host / hostaddr /
 * port lists: one port for all hosts or one per host; an empty host entry
 * means the default (a local Unix socket if a server is listening on one in
 * /var/run/postgresql or /tmp, else localhost).
 */
import { access } from 'node:fs/promises';
import { isIP } from 'node:net';
import { InterfaceError } from '../errors/client.js';
import type { HostTarget } from './options.js';
import { DEFAULT_PORT, socketPath } from './options.js';
import { DEFAULT_SOCKET_DIRECTORIES } from './paths.js';

function toList(value: string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') return value.split(',').map((s) => s.trim());
  return value.map((s) => s.trim());
}

function toPorts(value: number | readonly number[] | undefined): number[] {
  if (value === undefined) return [];
  return typeof value === 'number' ? [value] : [...value];
}

/**
 * The host used when none is given: the first default socket directory
 * holding a socket for `port`, else `localhost`. Checking for the socket
 * file itself (not just the directory) keeps a machine whose server listens
 * only on TCP, such as a container, working without settings.
 */
export async function defaultHost(port: number): Promise<string> {
  if (process.platform === 'win32') return 'localhost';
  for (const dir of DEFAULT_SOCKET_DIRECTORIES) {
    const path = socketPath({ host: dir, port });
    if (path === undefined) continue;
    try {
      await access(path);
      return dir;
    } catch {
      // Not there: try the next directory.
    }
  }
  return 'localhost';
}

/** Builds the host targets, refusing mismatched list lengths and non-numeric hostaddr entries. */
export async function resolveHosts(
  host: string | readonly string[] | undefined,
  hostaddr: string | readonly string[] | undefined,
  port: number | readonly number[] | undefined,
): Promise<HostTarget[]> {
  const hosts = toList(host);
  const addrs = toList(hostaddr);
  const ports = toPorts(port);
  if (hosts.length > 0 && addrs.length > 0 && hosts.length !== addrs.length) {
    throw new InterfaceError(
      `Could not match ${addrs.length} hostaddr values to ${hosts.length} hosts: give one hostaddr per host (empty entries allowed).`,
    );
  }
  const count = Math.max(hosts.length, addrs.length, 1);
  if (ports.length > 1 && ports.length !== count) {
    throw new InterfaceError(
      `Could not match ${ports.length} port numbers to ${count} hosts: give one port for all hosts or one per host.`,
    );
  }
  const out: HostTarget[] = [];
  for (let i = 0; i < count; i++) {
    const p = (ports.length === 1 ? ports[0] : ports[i]) ?? DEFAULT_PORT;
    const addr = addrs[i] ?? '';
    if (addr !== '' && isIP(addr) === 0) {
      throw new InterfaceError(`Invalid hostaddr "${addr}": it must be a numeric IPv4 or IPv6 address. Put host names in host.`);
    }
    let h = hosts[i] ?? '';
    if (h.includes('\0')) throw new InterfaceError('Invalid host: it contains a NUL byte.');
    if (h === '') h = addr !== '' ? addr : await defaultHost(p);
    out.push({ host: h, port: p, hostaddr: addr === '' ? undefined : addr });
  }
  return out;
}
