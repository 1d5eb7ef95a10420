#!/usr/bin/env bash
# MULTI / SET / INCR / EXEC throughput, Aegisr against Redis in one run: builds
# perf/multi_load.cc (a standalone C++ client, the same program for both servers), starts
# redis-server and aegisr-daemon on free loopback ports, and for R rounds (A/B alternated) has C
# clients run N transactions in all, P per write. Prints each run, the medians of transactions
# per second, and the ratio Aegisr / Redis. Each run checks that every EXEC's INCR is counted.
# Single-threaded script; stops both servers on exit.
#
# Usage: perf/multi_compare.sh BUILD_DIR [rounds=3] [transactions=200000]
# Env:   CLIENTS (4), PIPELINE (8), KEYSPACE (10000), VALUE_BYTES (16), AEGISR_ARGS (daemon flags),
#        MULTI_LOAD (a multi_load binary already built, instead of compiling it here)
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ $# -lt 1 || $# -gt 3 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [rounds=3] [transactions=200000]" >&2
  exit 2
fi
BUILD_DIR=$1
ROUNDS=${2:-3}
TXS=${3:-200000}
CLIENTS=${CLIENTS:-4}
PIPELINE=${PIPELINE:-8}
KEYSPACE=${KEYSPACE:-10000}
VALUE_BYTES=${VALUE_BYTES:-16}
DAEMON="$BUILD_DIR/aegisr-daemon"
[[ -x "$DAEMON" ]] || { echo "$0: $DAEMON is missing" >&2; exit 2; }

perf_workdir aegisr-multi
build_load multi_load "${MULTI_LOAD:-}"

start_servers "$DAEMON"

run() {  # port -> transactions per second
  "$LOAD" --port "$1" --transactions "$TXS" --clients "$CLIENTS" --pipeline "$PIPELINE" \
    --keyspace "$KEYSPACE" --value-bytes "$VALUE_BYTES" |
    sed -n 's/.*tx_per_sec=\([0-9]*\).*/\1/p'
}

echo "MULTI/SET/INCR/EXEC: $TXS transactions, $CLIENTS clients, pipeline $PIPELINE," \
  "keyspace $KEYSPACE, values of $VALUE_BYTES bytes, $ROUNDS rounds"
ab_rounds "$ROUNDS" transactions/s run
R=$(median <"$WORK/r")
A=$(median <"$WORK/a")
echo "median transactions per second: redis $R, aegisr $A, ratio $(ratio "$A" "$R")"
