#!/usr/bin/env bash
# prebuildify-backend.sh — stands in for node-gyp when prebuildify runs (`npm run prebuilds`):
# prebuildify calls "<node-gyp> rebuild --target=… --release"; the addon is built with cmake-js
# instead, into build/Release where prebuildify picks it up. N-API makes the target irrelevant.
set -euo pipefail
exec bash "$(dirname "$0")/build-addon.sh"
