/**
 * install.ts — what the package's install script does (scripts/install.js runs it when npm installs
 * nodetorch into an app whose owner approved its scripts): nothing when the prebuilt binary (or an
 * earlier build) loads; otherwise a source build, checked by loading the result.
 */
import { buildFromSource } from './build';
import { binaryChoice, tryLoad } from './addon_probe';

/** Returns the install script's exit status. */
export function install(): number {
  const first = tryLoad();
  if ('info' in first) return 0;
  const choice = binaryChoice();
  console.log(`nodetorch: ${choice.file ? `${choice.file} does not load here` : 'no prebuilt binary matches this machine'}; building the addon from source`);
  const status = buildFromSource();
  if (status !== 0) return status;
  const built = tryLoad();
  if ('info' in built) return 0;
  console.error(built.error);
  return 1;
}
