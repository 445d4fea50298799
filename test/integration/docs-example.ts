/**
 * Runs the "## Example" program of a docs page as written: the first js
 * block after that heading, with its URL pointed at the test server, run by
 * node from inside the package (so `import ... from 'pgjet'` resolves to
 * this package), and its output compared with the page's text block.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testDsn } from './harness.js';

const DOC_URL = 'postgres://postgres@localhost:5432/postgres';

/** Run the example of `page` (relative to the package root) and check what it prints. */
export async function runDocExample(page: string): Promise<void> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const text = fs.readFileSync(path.join(root, page), 'utf8');
  const section = text.split('\n## Example\n')[1];
  assert.ok(section, `${page} has an "## Example" section`);
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  const expected = /```text\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(code, `${page}: the example has a js block`);
  assert.ok(expected, `${page}: the example shows its output in a text block`);
  assert.ok(code.includes(DOC_URL), `${page}: the example connects with the documented URL`);
  const file = path.join(root, `.doc-example-${path.basename(page, '.md')}-${process.pid}.mjs`);
  fs.writeFileSync(file, code.replaceAll(DOC_URL, testDsn()));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, [file], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    assert.equal(out, expected);
  } finally {
    fs.rmSync(file, { force: true });
  }
}
