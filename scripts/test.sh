#!/usr/bin/env bash
# test.sh — what `npm test` runs after the bootstrap: the vitest suite against the default build
# (build/, Debian's libtorch or the one LIBTORCH selects), then the same suite against libtorch 2.x
# from a local PyTorch wheel (scripts/libtorch-from-wheel.sh), built into build-wheel/ and loaded
# through NODETORCH_ADDON. Arguments go to both vitest runs (npm test -- tests/ops.test.ts).
# Where there is no wheel (or NODETORCH_TORCH_WHEEL names none), the second run is skipped with one line.
set -euo pipefail
cd "$(dirname "$0")/.."

npx --no-install vitest run "$@"

why=$(mktemp)
trap 'rm -f "$why"' EXIT
status=0
prefix=$(bash scripts/libtorch-from-wheel.sh 2>"$why") || status=$?
if [ "$status" = 2 ]; then
  echo "SKIPPED the test run against libtorch 2.x: $(tail -n 1 "$why" | sed 's/^libtorch-from-wheel: //')"
  exit 0
fi
[ "$status" = 0 ] || { cat "$why" >&2; exit "$status"; }

# Torch_DIR alone, the way that once compiled one libtorch's headers and linked another's libraries.
echo "test: building the addon against $prefix into build-wheel/ (log: build-wheel/build.log)"
mkdir -p build-wheel
env -u LIBTORCH -u CMAKE_PREFIX_PATH Torch_DIR="$prefix/share/cmake/Torch" NODETORCH_BUILD_DIR=build-wheel \
  bash scripts/build-addon.sh >build-wheel/build.log 2>&1 || { tail -n 40 build-wheel/build.log >&2; exit 1; }
# All of it but docs.test.ts (typedoc over the TypeScript; no native code runs) and package.test.ts
# (packs build/ as the tarball's prebuild and installs that into an app: the first run covers it).
# An absolute path: tests start processes in other folders.
echo "test: the suite against libtorch from $(basename "$prefix")"
NODETORCH_ADDON="$PWD/build-wheel/Release/nodetorch.node" npx --no-install vitest run --exclude tests/docs.test.ts --exclude tests/package.test.ts "$@"
