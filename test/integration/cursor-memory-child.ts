/**
 * Child process of the cursor memory test: iterates a cursor over N rows in
 * a plain Node process (no test runner in the way) and prints what it saw
 * as JSON: row count, sum, and RSS at the end of the warm-up and at its peak.
 */
import { connect } from '../../src/index.js';
import { testDsn } from './harness.js';

const rows = Number(process.argv[2]);
const WARMUP = 100_000;
const conn = await connect(testDsn());
let count = 0;
let sum = 0;
let baseline = 0;
let peak = 0;
const started = Date.now();
await conn.transaction(async () => {
  for await (const row of conn.cursor<{ g: number; label: string }>("SELECT g, 'row number ' || g AS label FROM generate_series(1, $1) g", rows)) {
    count++;
    sum += row.g;
    if (count === WARMUP) baseline = process.memoryUsage.rss();
    else if (count > WARMUP && count % 10_000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
  }
});
await conn.close();
process.stdout.write(JSON.stringify({ count, sum, baseline, peak, ms: Date.now() - started }) + '\n');
