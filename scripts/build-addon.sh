#!/usr/bin/env bash
# Builds the native addon (build/Release/nodetorch.node) with cmake-js against libtorch.
# LIBTORCH / Torch_DIR / CMAKE_PREFIX_PATH pick another libtorch (a CUDA build, a pip PyTorch);
# NODETORCH_BUILD_DIR builds into another folder than build/ (a second build, against another libtorch).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${NODETORCH_BUILD_DIR:-build}"
args=(--out "$out")
if [ -n "${Torch_DIR:-}" ]; then args+=(--CDTorch_DIR="$Torch_DIR"); fi
if [ -n "${CMAKE_PREFIX_PATH:-}" ]; then args+=(--CDCMAKE_PREFIX_PATH="$CMAKE_PREFIX_PATH"); fi
# CMake caches where it found libtorch; when the choice changes, configure that folder afresh.
choice="LIBTORCH=${LIBTORCH:-} Torch_DIR=${Torch_DIR:-} CMAKE_PREFIX_PATH=${CMAKE_PREFIX_PATH:-}"
if [ -f "$out/CMakeCache.txt" ] && [ "$(cat "$out/.libtorch-choice" 2>/dev/null)" != "$choice" ]; then
  echo "build-addon: libtorch choice changed ($choice): configuring $out afresh"
  rm -f "$out/CMakeCache.txt"
fi
mkdir -p "$out"
printf '%s\n' "$choice" > "$out/.libtorch-choice"
if command -v ninja >/dev/null 2>&1; then args+=(--generator Ninja); fi
# ccache, where installed, makes rebuilds of unchanged files (a second clone, a clean build) instant;
# paths are hashed relative to the repository so clones share one cache.
if command -v ccache >/dev/null 2>&1; then
  args+=(--CDCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
fi
export CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
# cmake-js as node resolves it from here: in an app it is hoisted next to nodetorch, not under it.
exec node "$(node -p "require.resolve('cmake-js/bin/cmake-js')")" build "${args[@]}"
