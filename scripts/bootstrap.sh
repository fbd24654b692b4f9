#!/usr/bin/env bash
# bootstrap.sh — makes a fresh clone ready to test and run: installs the Debian packages nodetorch
# needs (when root and apt exist), the npm packages from the lockfile, and builds the addon and
# the TypeScript. Idempotent: what is already there is skipped. Run by `npm test` and `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

# libtorch and its headers, c10d's gloo headers, a fast BLAS for libtorch, PyTorch-Python (the
# reference for tests and benchmarks), the Fashion-MNIST files, the build tools, unzip (for
# scripts/libtorch-from-wheel.sh), Chromium (the tests render report.html in it headless), requests
# and curl (the serving tests' clients), jemalloc (README's allocator for code that leaves tensors to
# the GC; tests/memory.test.ts); ccache keeps rebuilds short.
PACKAGES=(libtorch-dev libgloo-dev libopenblas0-pthread python3-torch dataset-fashion-mnist cmake g++ ninja-build ccache unzip chromium python3-requests curl libjemalloc2)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
    echo "  install them with:  sudo apt-get install -y ${missing[*]}" >&2
    echo "  (another libtorch can be used instead of libtorch-dev: set LIBTORCH to its folder)" >&2
    if printf '%s\n' "${missing[@]}" | grep -qx libtorch-dev && [ -z "${LIBTORCH:-}${Torch_DIR:-}" ]; then
      exit 1
    fi
  fi
fi

# npm packages, from the lockfile, when node_modules is absent or older than the lockfile.
stamp=node_modules/.nodetorch-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# Native addon (incremental) and TypeScript.
npm run --silent build
