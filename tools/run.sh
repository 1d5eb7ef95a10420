#!/usr/bin/env bash
# The one command that installs dependencies, builds, and starts the daemon in the foreground.
# Arguments go to aegisr-daemon (default 127.0.0.1:1211), e.g. tools/run.sh -p 7000 --threads 4.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

tools/install-deps.sh
cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$ROOT/build" -j"$(nproc)" aegisr-daemon
exec "$ROOT/build/aegisr-daemon" "$@"
