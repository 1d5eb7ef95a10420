#!/usr/bin/env bash
# XREADGROUP + XACK throughput, Aegisr against Redis in one run: builds perf/xgroup_load.cc (a
# standalone C++ client, the same program for both servers), starts redis-server and
# aegisr-daemon on free loopback ports, and for R rounds (A/B alternated) fills a fresh stream
# with N entries and has C consumers of one group read it with pipelined "XREADGROUP GROUP g c
# COUNT k STREAMS s >" and XACK what each read returned. Prints each run, the medians of entries
# consumed and acknowledged per second, and the ratio Aegisr / Redis.
# Single-threaded script; stops both servers on exit.
#
# Usage: perf/xgroup_compare.sh BUILD_DIR [rounds=3] [entries=500000]
# Env:   CLIENTS (4), PIPELINE (8), COUNT (10), VALUE_BYTES (16), AEGISR_ARGS (daemon flags)
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ $# -lt 1 || $# -gt 3 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [rounds=3] [entries=500000]" >&2
  exit 2
fi
BUILD_DIR=$1
ROUNDS=${2:-3}
ENTRIES=${3:-500000}
CLIENTS=${CLIENTS:-4}
PIPELINE=${PIPELINE:-8}
COUNT=${COUNT:-10}
VALUE_BYTES=${VALUE_BYTES:-16}
DAEMON="$BUILD_DIR/aegisr-daemon"
[[ -x "$DAEMON" ]] || { echo "$0: $DAEMON is missing" >&2; exit 2; }

perf_workdir aegisr-xgroup
build_load xgroup_load

start_servers "$DAEMON"

run() {  # port -> entries per second
  "$LOAD" --port "$1" --entries "$ENTRIES" --clients "$CLIENTS" --pipeline "$PIPELINE" \
    --count "$COUNT" --value-bytes "$VALUE_BYTES" | sed -n 's/.*entries_per_sec=\([0-9]*\).*/\1/p'
}

echo "XREADGROUP COUNT $COUNT + XACK: $ENTRIES entries, $CLIENTS consumers, pipeline $PIPELINE," \
  "values of $VALUE_BYTES bytes, $ROUNDS rounds"
ab_rounds "$ROUNDS" entries/s run
R=$(median <"$WORK/r")
A=$(median <"$WORK/a")
echo "median entries consumed+acked per second: redis $R, aegisr $A, ratio $(ratio "$A" "$R")"
