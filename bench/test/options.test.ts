import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_CLIENTS, parseOptions } from '../lib/options.js';

describe('parseOptions', () => {
  test('defaults: every client, 3 rounds of 2 s after 1 s of warm-up', () => {
    const o = parseOptions([]);
    assert.notEqual(o, 'help');
    if (o === 'help') return;
    assert.deepEqual(o.clients, [...ALL_CLIENTS]);
    assert.equal(o.durationMs, 2000);
    assert.equal(o.rounds, 3);
    assert.equal(o.warmupMs, 1000);
    assert.equal(o.workloads, undefined);
    assert.equal(o.install, true);
  });

  test('--long lengthens cells; explicit values win over it', () => {
    const o = parseOptions(['--long', '--rounds=7']);
    if (o === 'help') return assert.fail('help');
    assert.equal(o.durationMs, 10_000);
    assert.equal(o.rounds, 7);
  });

  test('lists, numbers and flags', () => {
    const o = parseOptions(['--workloads=point, copy', '--clients=pgjet,asyncpg', '--duration=0.5', '--concurrency=4', '--no-install', '--dsn=postgres://u@h/d']);
    if (o === 'help') return assert.fail('help');
    assert.deepEqual(o.workloads, ['point', 'copy']);
    assert.deepEqual(o.clients, ['pgjet', 'asyncpg']);
    assert.equal(o.durationMs, 500);
    assert.equal(o.concurrency, 4);
    assert.equal(o.install, false);
    assert.equal(o.dsn, 'postgres://u@h/d');
  });

  test('bad input is an error that names the option', () => {
    assert.throws(() => parseOptions(['--duration=abc']), /--duration must be a number/);
    assert.throws(() => parseOptions(['--clients=pgjet,mysql']), /unknown client "mysql"/);
    assert.throws(() => parseOptions(['--bogus']), /Unknown option/);
    assert.equal(parseOptions(['--help']), 'help');
  });
});

describe('comparing two builds of pgjet', () => {
  test('--pgjet-alt adds the pgjet-alt client after pgjet and needs a built entry module', () => {
    const o = parseOptions(['--clients=pgjet,asyncpg', `--pgjet-alt=${process.cwd()}`]);
    if (o === 'help') return assert.fail('help');
    assert.deepEqual(o.clients, ['pgjet', 'pgjet-alt', 'asyncpg']);
    assert.ok(o.pgjetAlt?.endsWith('/dist/src/index.js'));
    assert.throws(() => parseOptions(['--pgjet-alt=/nonexistent/checkout']), /does not exist; build that checkout first/);
  });

  test('--pgjet-pool takes on, off or noreset', () => {
    const o = parseOptions(['--pgjet-pool=noreset']);
    if (o === 'help') return assert.fail('help');
    assert.equal(o.pgjetPool, 'noreset');
    assert.throws(() => parseOptions(['--pgjet-pool=maybe']), /--pgjet-pool must be on, off or noreset/);
  });
});
