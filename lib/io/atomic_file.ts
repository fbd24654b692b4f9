/**
 * atomic_file.ts — crash-safe file replacement from JS (the same scheme binding/safetensors.cc
 * uses natively): write `<target>.tmp-<pid>-<random>`, fsync it, rename it over the target, fsync
 * the directory. Readers only ever open the target, so they see the old or the new file, never a
 * torn one; temp files of writers that were killed are removed by the next save of that target.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const TEMP_SUFFIX = /^\.tmp-(\d+)-[0-9a-f]+$/;

/** Replaces `target` with `data` atomically; errors read `<op>: <target>: <what failed>`. */
export async function writeFileAtomic(op: string, target: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${target}.tmp-${process.pid}-${randomBytes(8).toString('hex')}`;
  try {
    const file = await fs.promises.open(tmp, 'wx');
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await fs.promises.rename(tmp, target);
    await syncDirectory(path.dirname(target));
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw new Error(`${op}: ${target}: ${(err as Error).message}`, { cause: err });
  }
}

/** Makes a rename in `dir` durable (filesystems that cannot sync directories answer EINVAL). */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, 'r');
  try {
    await handle.sync();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Deletes the temp files of `target` whose writer process is gone (killed mid-save). Temp files of
 * live processes, this one included, are in-flight saves and stay.
 */
export async function removeStaleTemps(target: string): Promise<void> {
  const dir = path.dirname(target);
  const base = path.basename(target);
  for (const name of await fs.promises.readdir(dir)) {
    if (!name.startsWith(base)) continue;
    const match = TEMP_SUFFIX.exec(name.slice(base.length));
    if (match === null) continue;
    const pid = Number(match[1]);
    if (pid !== process.pid && !processExists(pid)) await fs.promises.rm(path.join(dir, name), { force: true });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
