/**
 * load_error.ts — what to tell a user whose native addon does not load: the missing shared library
 * named with the apt line that installs it, or the way to build the addon from source. Used by
 * binding.ts (the error `require('nodetorch')` throws) and by `nodetorch doctor`.
 */

/** The command that builds the addon from source inside an app, and how npm is told to run it on install. */
export const REBUILD = 'npx nodetorch rebuild';
export const APPROVE = 'npm install-scripts approve nodetorch';
/** Debian's packages for building from source. */
export const BUILD_PACKAGES = ['libtorch-dev', 'libgloo-dev', 'cmake', 'g++'];

/** The shared library a dlopen message says is missing (`libtorch_cpu.so.1.13: cannot open shared object file`). */
export function missingLibrary(message: string): string | undefined {
  return /([^\s:/]+\.so[^\s:]*): cannot open shared object file/.exec(message)?.[1];
}

/** The apt line that installs a shared library libtorch needs, as far as its name tells. */
export function aptHint(lib: string): string {
  const torch = /^lib(?:torch\w*|c10\w*|shm)\.so\.(\d+\.\d+)/.exec(lib);
  if (torch) return `sudo apt-get install -y libtorch${torch[1]}`;
  if (/^lib(?:torch|c10)/.test(lib)) return `LIBTORCH=<the libtorch folder> ${REBUILD}   (this binary was built against a libtorch that is not installed here)`;
  return `apt-file search ${lib}   (then apt-get install the package it names)`;
}

/** The message of the error thrown when the addon at `file` (undefined: none found) fails to load with `reason`. */
export function loadErrorMessage(reason: string, file: string | undefined): string {
  const doctor = 'Run `npx nodetorch doctor` for the whole diagnosis.';
  if (reason.startsWith('nodetorch: ')) return reason; // binding/torch_library.cc's version check says it all
  if (file && /undefined symbol/.test(reason)) {
    return (
      `nodetorch: the native addon ${file} does not fit the libtorch the dynamic linker found (${reason.trim()}).\n` +
      'It was compiled against another libtorch than the one loaded: LD_LIBRARY_PATH pointing at another ' +
      "libtorch, a libtorch replaced since the build, or a prebuild for another libtorch. 'ldd " +
      `${file} | grep -e torch -e c10' shows which files load. Rebuild against the libtorch you mean to use ` +
      `(${REBUILD}, or npm run build in the repository; LIBTORCH=<folder> selects one).\n` +
      doctor
    );
  }
  const lib = missingLibrary(reason);
  if (file && lib) {
    return (
      `nodetorch: the native addon ${file} cannot load: it needs ${lib}, which is not installed on this machine.\n` +
      `Install it with:  ${aptHint(lib)}\n` +
      doctor
    );
  }
  const why = file ? `${file} does not load (${reason.trim()}); it was probably built for another libtorch` : `no prebuilt binary matches this machine and none was built (${reason.trim().split('\n')[0]})`;
  return (
    `nodetorch: could not load the native addon: ${why}.\n` +
    `Build it from source:  ${REBUILD}\n` +
    `(npm runs nodetorch's install script, which does the same, only once the app approves it:  ${APPROVE})\n` +
    `A source build needs libtorch (Debian: sudo apt-get install -y ${BUILD_PACKAGES.join(' ')}; or LIBTORCH=<a libtorch folder>), cmake and a C++17 compiler.\n` +
    doctor
  );
}
