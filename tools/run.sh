#!/usr/bin/env bash
# The one command that installs dependencies, builds, and starts the daemon in the foreground.
# Arguments go to aegisr-daemon (default 127.0.0.1:1211), e.g. tools/run.sh -p 7000 --threads 4.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${AEGISR_BUILD_DIR:-$ROOT/build}

tools/install-deps.sh
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$BUILD" -j"$(nproc)" aegisr-daemon
exec "$BUILD/aegisr-daemon" "$@"
