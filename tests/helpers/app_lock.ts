/**
 * app_lock.ts — writes a package-lock.json for a test app that depends on a packed nodetorch
 * tarball (and on some of the repository's own packages), taken from the repository's lockfile,
 * so that `npm ci --offline` installs it from the npm cache `npm ci` filled: the cache holds the
 * package tarballs but not the registry metadata a plain `npm install` resolves versions with.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface LockEntry {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  dev?: boolean;
  devOptional?: boolean;
  [key: string]: unknown;
}

/** Where node would find `name` from the package at `from` in a lockfile's tree ('' is the root). */
function resolve(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.includes('/node_modules/') ? dir.slice(0, dir.lastIndexOf('/node_modules/')) : '') {
    const key = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[key]) return key;
    if (!dir) return undefined;
  }
}

/**
 * Writes `app/package.json` and `app/package-lock.json`: the app depends on the tarball (relative
 * to app) and on `extra` (names of packages the repository's lockfile holds, at its versions).
 */
export function writeAppLock(repo: string, app: string, tarball: string, extra: string[]): void {
  const repoLock = JSON.parse(fs.readFileSync(path.join(repo, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; version: string; dependencies: Record<string, string>; bin: Record<string, string>; engines: Record<string, string>; license: string };
  const packages = repoLock.packages;

  const spec = `file:${tarball}`;
  const deps: Record<string, string> = { [pkg.name]: spec };
  for (const name of extra) deps[name] = packages[`node_modules/${name}`].version as string;

  const out: Record<string, LockEntry> = {
    '': { name: 'app', version: '1.0.0', dependencies: deps },
    [`node_modules/${pkg.name}`]: { version: pkg.version, resolved: spec, hasInstallScript: true, license: pkg.license, dependencies: pkg.dependencies, bin: pkg.bin, engines: pkg.engines },
  };
  // Everything reachable from nodetorch's dependencies and the extras, at the repository's places.
  const queue: [string, string][] = [...Object.keys(pkg.dependencies), ...extra].map((n) => ['', n]);
  while (queue.length) {
    const [from, name] = queue.shift() as [string, string];
    const key = resolve(packages, from, name);
    if (!key || out[key]) continue;
    const { dev: _dev, devOptional: _devOptional, ...entry } = packages[key];
    out[key] = entry;
    const required = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const [peer, range] of Object.entries(entry.peerDependencies ?? {})) if (!entry.peerDependenciesMeta?.[peer]?.optional) required[peer] = range;
    for (const dep of Object.keys(required)) queue.push([key, dep]);
  }
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, dependencies: deps }, null, 2));
  fs.writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: out }, null, 2));
}
