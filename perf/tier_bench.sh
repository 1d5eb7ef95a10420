#!/usr/bin/env bash
# Disk tier under load: aegisr-bench --verify, zipf 0.99, 90% GET / 10% SET, 1 KB values, on a
# data set 4x maxmemory (tier on), against the same run with everything in RAM (no maxmemory),
# in one run. Prints both result lines and the tier's INFO. Single-threaded script; starts its
# own daemons on free loopback ports and stops them on exit.
#
# Usage: perf/tier_bench.sh BUILD_DIR [duration_s=10] [maxmemory_mb=64]
set -euo pipefail
BUILD=${1:?usage: $0 BUILD_DIR [duration_s] [maxmemory_mb]}
DUR=${2:-10}
MEM_MB=${3:-64}
KEYS=$((MEM_MB * 4 * 1024))  # 1 KiB values: 4x maxmemory
WORK=$(mktemp -d /tmp/aegisr-tierbench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
port() { /usr/bin/python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
start() {  # port args...
  local p=$1
  shift
  "$BUILD/aegisr-daemon" -p "$p" "$@" >"$WORK/daemon-$p.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do
    redis-cli -p "$p" ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "daemon on $p did not start" >&2
  cat "$WORK/daemon-$p.log" >&2
  exit 1
}
stop() {  # stops the daemon started last, so that its background work (offload, compaction)
  # does not take CPU from the next run on a small machine
  local p=${PIDS[-1]}
  kill "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
bench() {  # port label [keys]
  echo "== $2"
  "$BUILD/aegisr-bench" -p "$1" --verify --preload --keyspace "${3:-$KEYS}" --dist zipf \
    --zipf-theta 0.99 --read-pct 90 -d 1024 -c 50 --duration "$DUR" --quiet
}
P1=$(port)
start "$P1"
bench "$P1" "all in RAM (no maxmemory), $KEYS keys"
stop
P2=$(port)
start "$P2" --maxmemory "${MEM_MB}mb" --tier-dir "$WORK/tier"
bench "$P2" "maxmemory ${MEM_MB}mb + disk tier, $KEYS keys (4x)"
redis-cli -p "$P2" info tier | grep -E 'disk_keys|clean_|cold_reads|cold_wait|read_errors|write_amplification|compactions|disk_bytes|live_bytes'
redis-cli -p "$P2" info memory | grep -E '^used_memory:|^maxmemory:'
stop
# Hot hits: a data set that fits (1/4 of maxmemory), with and without the tier configured.
HOT=$((KEYS / 16))
P3=$(port)
start "$P3"
bench "$P3" "fits in RAM, no tier, $HOT keys" "$HOT"
stop
P4=$(port)
start "$P4" --maxmemory "${MEM_MB}mb" --tier-dir "$WORK/tier4"
bench "$P4" "fits in RAM, maxmemory ${MEM_MB}mb + disk tier, $HOT keys" "$HOT"
