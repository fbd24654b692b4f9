#!/usr/bin/env bash
# prebuildify-backend.sh — stands in for node-gyp when prebuildify runs (`npm run prebuilds`, run by
# `npm pack` through prepack): prebuildify calls "<node-gyp> rebuild --target=… --release" in its
# --cwd (build/prebuildify) and then strips and moves the .node it finds in <cwd>/build/Release.
# The addon is built with cmake-js in the repository (incremental) and copied there, so the
# repository's own build/Release/nodetorch.node stays in place. N-API makes the target irrelevant.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build-addon.sh"
mkdir -p build/Release
cp "$root/build/Release/nodetorch.node" build/Release/nodetorch.node
