#!/usr/bin/env bash
# Disk tier under load: aegisr-bench --verify, zipf 0.99, 90% GET / 10% SET, 1 KB values, on a
# data set 4x maxmemory (tier on), against the same run with everything in RAM (no maxmemory),
# in one run. Prints both result lines and the tier's INFO. Single-threaded script; starts its
# own daemons on free loopback ports and stops them on exit.
#
# Usage: perf/tier_bench.sh BUILD_DIR [duration_s=10] [maxmemory_mb=64]
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"
BUILD=${1:?usage: $0 BUILD_DIR [duration_s] [maxmemory_mb]}
DUR=${2:-10}
MEM_MB=${3:-64}
KEYS=$((MEM_MB * 4 * 1024))  # 1 KiB values: 4x maxmemory
perf_workdir aegisr-tierbench
DAEMON="$BUILD/aegisr-daemon"
bench() {  # port label [keys]
  echo "== $2"
  "$BUILD/aegisr-bench" -p "$1" --verify --preload --keyspace "${3:-$KEYS}" --dist zipf \
    --zipf-theta 0.99 --read-pct 90 -d 1024 -c 50 --duration "$DUR" --quiet
}
# stop_last after each run, so that a daemon's background work (offload, compaction) does not
# take CPU from the next run on a small machine.
free_port P1
start_aegisr ram "$P1" "$DAEMON"
bench "$P1" "all in RAM (no maxmemory), $KEYS keys"
stop_last
free_port P2
start_aegisr tier "$P2" "$DAEMON" --maxmemory "${MEM_MB}mb" --tier-dir "$WORK/tier"
bench "$P2" "maxmemory ${MEM_MB}mb + disk tier, $KEYS keys (4x)"
"$REDIS_CLI" -p "$P2" info tier | grep -E 'disk_keys|clean_|cold_reads|cold_wait|read_errors|write_amplification|compactions|disk_bytes|live_bytes'
"$REDIS_CLI" -p "$P2" info memory | grep -E '^used_memory:|^maxmemory:'
stop_last
# Hot hits: a data set that fits (1/4 of maxmemory), with and without the tier configured.
HOT=$((KEYS / 16))
free_port P3
start_aegisr hot-ram "$P3" "$DAEMON"
bench "$P3" "fits in RAM, no tier, $HOT keys" "$HOT"
stop_last
free_port P4
start_aegisr hot-tier "$P4" "$DAEMON" --maxmemory "${MEM_MB}mb" --tier-dir "$WORK/tier4"
bench "$P4" "fits in RAM, maxmemory ${MEM_MB}mb + disk tier, $HOT keys" "$HOT"
