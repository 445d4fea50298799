import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testDsn } from './harness.js';

// The README's quick start must run as written: extract it, point its URL
// at the test server, and run it with node from inside the package, so
// `import ... from 'pgjet'` resolves to this package itself.
test('the README quick start runs as written', async () => {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.split('## Quick start')[1];
  assert.ok(section, 'README has a Quick start section');
  const m = /```js\n([\s\S]*?)```/.exec(section);
  assert.ok(m, 'the Quick start has a js code block');
  const url = 'postgres://postgres@localhost:5432/postgres';
  assert.ok(m[1]!.includes(url), 'the quick start connects with the documented URL');
  const code = m[1]!.replace(url, testDsn());
  const file = path.join(root, `.quickstart-${process.pid}.mjs`);
  fs.writeFileSync(file, code);
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.match(out, /label: 'row-3'/);
    assert.match(out, /^0\.3$/m);
    assert.match(out, /^null$/m);
    assert.match(out, /people_pkey Key \(id\)=\(1\) already exists\./);
    assert.match(out, /^TimeoutError$/m);
  } finally {
    fs.rmSync(file, { force: true });
  }
});
