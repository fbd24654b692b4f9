#!/usr/bin/env bash
# libtorch-from-wheel.sh — unpacks the libtorch inside a local PyTorch wheel (its torch/ folder:
# include/, lib/, share/cmake/Torch) into a cache folder and prints that folder, ready for
# LIBTORCH=... npm run build. The wheel is NODETORCH_TORCH_WHEEL, or else the newest torch-2*.whl
# in $PIP_FIND_LINKS. Nothing is downloaded. The cache is NODETORCH_CACHE (default
# ~/.cache/nodetorch), one folder per wheel file name, shared by every clone on the machine.
# Exit status 2, with the reason on stderr, when there is no wheel to unpack.
set -euo pipefail

wheel="${NODETORCH_TORCH_WHEEL:-}"
if [ -z "$wheel" ]; then
  if [ -z "${PIP_FIND_LINKS:-}" ] || [ ! -d "$PIP_FIND_LINKS" ]; then
    echo "libtorch-from-wheel: no wheel: NODETORCH_TORCH_WHEEL is unset and \$PIP_FIND_LINKS is not a folder" >&2
    exit 2
  fi
  wheel=$(find "$PIP_FIND_LINKS" -maxdepth 1 -name 'torch-2*.whl' -printf '%f\n' | sort -V | tail -n 1)
  if [ -z "$wheel" ]; then
    echo "libtorch-from-wheel: no torch-2*.whl in $PIP_FIND_LINKS" >&2
    exit 2
  fi
  wheel="$PIP_FIND_LINKS/$wheel"
fi
if [ ! -f "$wheel" ]; then
  echo "libtorch-from-wheel: no such wheel: $wheel" >&2
  exit 2
fi

cache="${NODETORCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nodetorch}"
dest="$cache/$(basename "$wheel" .whl)"
# A complete unpack ends with this marker; a half-written folder (killed run) is redone.
if [ ! -f "$dest/.unpacked" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.unpack.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  echo "libtorch-from-wheel: unpacking $(basename "$wheel") into $dest" >&2
  # Only what a C++ build needs: headers, the shared libraries, the CMake config.
  unzip -q "$wheel" 'torch/include/*' 'torch/lib/*' 'torch/share/cmake/*' -d "$tmp"
  touch "$tmp/torch/.unpacked"
  # Another clone may have finished the same unpack meanwhile; then that copy stays.
  if [ ! -f "$dest/.unpacked" ]; then
    rm -rf "$dest"
    mv -T "$tmp/torch" "$dest"
  fi
fi
echo "$dest"
