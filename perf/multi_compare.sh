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
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
DAEMON="$BUILD_DIR/aegisr-daemon"
[[ -x "$DAEMON" ]] || { echo "$0: $DAEMON is missing" >&2; exit 2; }

WORK=$(mktemp -d /tmp/aegisr-multi.XXXXXX)
LOAD=${MULTI_LOAD:-$WORK/multi_load}
[[ -n "${MULTI_LOAD:-}" ]] || g++ -O2 -std=c++20 -pthread "$(dirname "$0")/multi_load.cc" -o "$LOAD"

free_port() {
  local p
  while :; do
    p=$((7300 + RANDOM % 700))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
}
RPORT=$(free_port)
APORT=$(free_port)
while [[ "$APORT" == "$RPORT" ]]; do APORT=$(free_port); done

"$REDIS_SERVER" --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
  --logfile "$WORK/redis.log" &
RPID=$!
# shellcheck disable=SC2086
"$DAEMON" -p "$APORT" ${AEGISR_ARGS:-} >"$WORK/aegisr.log" 2>&1 &
APID=$!
cleanup() {
  kill "$RPID" "$APID" 2>/dev/null || true
  wait "$RPID" "$APID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
for port in "$RPORT" "$APORT"; do
  for _ in $(seq 100); do
    [[ "$("$REDIS_CLI" -p "$port" PING 2>/dev/null)" == PONG ]] && break
    sleep 0.05
  done
done

run() {  # port -> transactions per second
  "$LOAD" --port "$1" --transactions "$TXS" --clients "$CLIENTS" --pipeline "$PIPELINE" \
    --keyspace "$KEYSPACE" --value-bytes "$VALUE_BYTES" |
    sed -n 's/.*tx_per_sec=\([0-9]*\).*/\1/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "MULTI/SET/INCR/EXEC: $TXS transactions, $CLIENTS clients, pipeline $PIPELINE," \
  "keyspace $KEYSPACE, values of $VALUE_BYTES bytes, $ROUNDS rounds"
: >"$WORK/r"
: >"$WORK/a"
for i in $(seq "$ROUNDS"); do
  if ((i % 2)); then order="r a"; else order="a r"; fi
  for who in $order; do
    if [[ $who == r ]]; then v=$(run "$RPORT"); else v=$(run "$APORT"); fi
    echo "$v" >>"$WORK/$who"
    echo "  round $i $([[ $who == r ]] && echo redis || echo aegisr): $v transactions/s"
  done
done
R=$(median <"$WORK/r")
A=$(median <"$WORK/a")
echo "median transactions per second: redis $R, aegisr $A, ratio $(awk -v a="$A" \
  -v r="$R" 'BEGIN {printf "%.2f", a / r}')"
