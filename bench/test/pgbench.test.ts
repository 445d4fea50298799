import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPgbench } from '../lib/pgbench.js';

/**
 * A stand-in pgbench: writes a per-transaction log the way pgbench -l does
 * (client_id transaction_no time_us script_no epoch_s epoch_us) and prints
 * its summary line, so the parsing is tested without a server.
 */
const FAKE = `#!/bin/sh
prefix=""
for a in "$@"; do case "$a" in --log-prefix=*) prefix="\${a#--log-prefix=}";; esac; done
# Client 0: a slow first transaction (prepare), then three of 1 ms, 2 ms, 3 ms.
printf '0 0 900000 0 100 900000\\n0 1 1000 0 101 0\\n0 2 2000 0 101 500000\\n0 3 3000 0 102 0\\n' > "$prefix.1"
# Client 1: its first transaction ends at 100.950000, later ones count.
printf '1 0 950000 0 100 950000\\n1 1 4000 0 101 250000\\n1 2 5000 0 101 750000\\n' > "$prefix.1.1"
echo "number of transactions actually processed: 7"
echo "number of failed transactions: 0 (0.000%)"
`;

describe('runPgbench', () => {
  test('counts only what completes after every connection has finished its first transaction', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-pgbench-'));
    try {
      const bin = join(dir, 'pgbench');
      await writeFile(bin, FAKE);
      await chmod(bin, 0o755);
      const r = await runPgbench({ bin, host: '127.0.0.1', port: 1, user: 'u', password: undefined, database: 'd' }, 'SELECT 1;\n', 2, 1000, 10);
      // Warm window: from 100.95 s to 102.0 s, five transactions.
      assert.equal(r.ops, 5);
      assert.equal(r.units, 50);
      assert.ok(Math.abs(r.elapsedMs - 1050) < 1e-6);
      assert.equal(r.p50Ms, 3);
      assert.equal(r.p99Ms, 5);
      assert.match(r.method ?? '', /pgbench -M prepared -c 2 -j 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a failing pgbench is an error carrying its message', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fake-pgbench-'));
    try {
      const bin = join(dir, 'pgbench');
      await writeFile(bin, '#!/bin/sh\necho "pgbench: error: connection refused" >&2\nexit 1\n');
      await chmod(bin, 0o755);
      await assert.rejects(
        runPgbench({ bin, host: '127.0.0.1', port: 1, user: 'u', password: undefined, database: 'd' }, 'SELECT 1;\n', 1, 1000, 1),
        /pgbench failed: pgbench: error: connection refused/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
