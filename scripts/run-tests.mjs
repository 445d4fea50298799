#!/usr/bin/env node
// Runs the compiled test suites: `node scripts/run-tests.mjs unit|integration|all`.
//
// Node 20's runner does not expand globs, so the *.test.js files are listed
// here. The integration tier (with faults/ and security/) gets one temporary
// PostgreSQL server for the whole run unless PGJET_TEST_DSN names one
// already; tests find it through PGJET_TEST_DSN, PGJET_TEST_SOCKET_DIR and
// PGJET_TEST_PGBIN. The last line printed is the total, `N passed, N failed`,
// and a run that executed no test at all fails: a suite that silently found
// nothing must not look green.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const distTest = join(root, 'dist', 'test');

/** Each run: the folders under dist/test it covers, and how many files run at once. */
const RUNS = {
  unit: { dirs: ['unit'], concurrency: undefined, needsServer: false },
  // One shared server and tests that restart or kill clusters: one file at a time.
  integration: { dirs: ['integration', 'faults', 'security'], concurrency: 1, needsServer: true },
};
const TIERS = { unit: ['unit'], integration: ['integration'], all: ['unit', 'integration'] };

function usage(message) {
  if (message) console.error(message);
  console.error('usage: node scripts/run-tests.mjs unit|integration|all');
  process.exit(2);
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.isFile() && entry.name.endsWith('.test.js')) found.push(path);
  }
  return found.sort();
}

/**
 * The runner's own totals, from the TAP copy of its report. Node 20 reports
 * a file that declared no test as one passing test named after the file;
 * those are taken out of the count and listed in `empty`.
 */
function parseTap(text, files = []) {
  const counts = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0, empty: [] };
  const fileSet = new Set(files);
  // The run summary is the last block of unindented `# name N` lines.
  for (const line of text.split('\n')) {
    const m = /^# (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/.exec(line);
    if (m) counts[m[1]] = Number(m[2]);
    const ok = /^ok \d+ - (.*)$/.exec(line);
    if (ok && fileSet.has(ok[1])) counts.empty.push(ok[1]);
  }
  counts.pass = Math.max(0, counts.pass - counts.empty.length);
  counts.tests = Math.max(0, counts.tests - counts.empty.length);
  return counts;
}

let activeChild;
let activeCluster;

async function cleanupAndExit(code) {
  activeChild?.kill('SIGTERM');
  if (activeCluster) {
    const c = activeCluster;
    activeCluster = undefined;
    await c.destroy().catch(() => undefined);
  }
  process.exit(code);
}
process.on('SIGINT', () => void cleanupAndExit(130));
process.on('SIGTERM', () => void cleanupAndExit(143));

function runNode(files, concurrency, env) {
  const tapDir = mkdtempSync(join(tmpdir(), 'pgjet-tap-'));
  const tapFile = join(tapDir, 'report.tap');
  const args = [
    '--test',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    // A hung test fails after this long instead of stalling the whole run.
    `--test-timeout=${process.env.PGJET_TEST_TIMEOUT_MS ?? 180000}`,
  ];
  if (concurrency !== undefined) args.push(`--test-concurrency=${concurrency}`);
  args.push(...files);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: 'inherit' });
    activeChild = child;
    child.once('error', (e) => {
      console.error(`could not run node --test: ${e.message}`);
    });
    child.once('close', (code, signal) => {
      activeChild = undefined;
      let counts = parseTap('');
      try {
        counts = parseTap(readFileSync(tapFile, 'utf8'), files);
      } catch {
        // no report: the counts stay zero and the run fails below
      }
      rmSync(tapDir, { recursive: true, force: true });
      resolvePromise({ code: code ?? (signal ? 1 : 0), counts });
    });
  });
}

async function startServer() {
  const entry = join(root, 'dist', 'src', 'testing', 'index.js');
  if (!existsSync(entry)) {
    throw new Error(`${relative(root, entry)} is missing: run \`npm run build\` first.`);
  }
  const { TempCluster } = await import(pathToFileURL(entry).href);
  const started = Date.now();
  const cluster = await TempCluster.start();
  activeCluster = cluster;
  console.log(
    `PostgreSQL ${cluster.version.major}.${cluster.version.minor} (${cluster.binDir}) ` +
      `on 127.0.0.1:${cluster.port}, socket dir ${cluster.socketDir}, started in ${Date.now() - started} ms`,
  );
  return cluster;
}

async function runTier(name) {
  const spec = RUNS[name];
  const files = spec.dirs.flatMap((d) => findTests(join(distTest, d)));
  if (files.length === 0) {
    console.log(`${name}: no *.test.js files under ${spec.dirs.map((d) => relative(root, join(distTest, d))).join(', ')}`);
    return { code: 0, counts: parseTap(''), files: 0 };
  }
  console.log(`${name}: ${files.length} test file(s)`);
  const env = { ...process.env };
  let cluster;
  if (spec.needsServer && !process.env.PGJET_TEST_DSN) {
    cluster = await startServer();
    env.PGJET_TEST_DSN = cluster.dsn;
    env.PGJET_TEST_SOCKET_DIR = cluster.socketDir;
    env.PGJET_TEST_PGBIN = cluster.binDir;
    // Clusters that tests start themselves then use the same PostgreSQL.
    env.PGBIN = cluster.binDir;
  } else if (spec.needsServer) {
    console.log(`using the server in PGJET_TEST_DSN`);
  }
  try {
    const result = await runNode(files, spec.concurrency, env);
    return { ...result, files: files.length };
  } finally {
    if (cluster) {
      activeCluster = undefined;
      await cluster.destroy();
    }
  }
}

function summary(c) {
  const failed = c.fail + c.cancelled;
  return `${c.pass} passed, ${failed} failed` + (c.skipped + c.todo > 0 ? `, ${c.skipped + c.todo} skipped` : '');
}

async function main() {
  const tier = process.argv[2];
  if (!tier || !(tier in TIERS)) usage(tier ? `unknown tier '${tier}'` : undefined);
  if (!existsSync(distTest)) usage(`${relative(root, distTest)} does not exist: run \`npm run build\` first.`);

  const total = { tests: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
  let exitCode = 0;
  const runs = TIERS[tier];
  for (const name of runs) {
    let result;
    try {
      result = await runTier(name);
    } catch (e) {
      console.error(`${name}: ${e instanceof Error ? e.message : String(e)}`);
      exitCode = 1;
      continue;
    }
    for (const k of Object.keys(total)) total[k] += result.counts[k];
    for (const f of result.counts.empty) console.log(`warning: ${relative(root, f)} declared no tests`);
    if (result.code !== 0) exitCode = 1;
    if (runs.length > 1 && result.files > 0) console.log(`${name}: ${summary(result.counts)}`);
  }
  if (total.fail + total.cancelled > 0) exitCode = 1;
  if (total.pass + total.fail + total.cancelled === 0) {
    console.log(`no tests ran for '${tier}': that counts as a failure (build first with \`npm run build\`).`);
    exitCode = 1;
  }
  console.log(summary(total));
  process.exit(exitCode);
}

await main();
