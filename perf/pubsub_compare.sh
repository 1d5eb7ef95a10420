#!/usr/bin/env bash
# PUBLISH fan-out, Aegisr against Redis in one run: builds perf/pubsub_load.cc (a standalone C++
# client, the same program for both servers), starts redis-server and aegisr-daemon on free
# loopback ports, and for each subscriber count (1, 100, 1000 by default) runs R rounds (A/B
# alternated) of one publisher sending pipelined PUBLISH to S subscribers that check every
# message (channel, per-publisher sequence, length) and time it from its embedded send time.
# Two passes per subscriber count: throughput (the publisher as fast as its window allows:
# median deliveries per second, ratio Aegisr / Redis) and latency (the publisher paced so that
# LAT_RATE deliveries per second are offered, a load both servers sustain: median p50 and p99
# delivery latency, ratio Redis / Aegisr, so higher is better for both ratios). At saturation
# the latency is mostly queueing behind the backlog, which is why it is measured paced.
# Single-threaded script; stops both servers on exit.
#
# Usage: perf/pubsub_compare.sh BUILD_DIR [rounds=3] [deliveries=1000000]
# Env:   SUBSCRIBERS ("1 100 1000"), WINDOW (32 PUBLISH in flight), PAYLOAD (64 bytes),
#        READERS (2 subscriber threads), LAT_RATE (100000 deliveries/s offered in the latency
#        pass), LAT_DELIVERIES (300000 per latency run), AEGISR_ARGS (daemon flags), PUBSUB_LOAD (a prebuilt
#        pubsub_load, instead of compiling it), REDIS_SERVER, REDIS_CLI
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ $# -lt 1 || $# -gt 3 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [rounds=3] [deliveries=1000000]" >&2
  exit 2
fi
BUILD_DIR=$1
ROUNDS=${2:-3}
DELIVERIES=${3:-1000000}
SUBSCRIBERS=${SUBSCRIBERS:-"1 100 1000"}
WINDOW=${WINDOW:-32}
PAYLOAD=${PAYLOAD:-64}
READERS=${READERS:-2}
LAT_RATE=${LAT_RATE:-100000}
LAT_DELIVERIES=${LAT_DELIVERIES:-300000}
DAEMON="$BUILD_DIR/aegisr-daemon"
[[ -x "$DAEMON" ]] || { echo "$0: $DAEMON is missing" >&2; exit 2; }

perf_workdir aegisr-pubsub
build_load pubsub_load "${PUBSUB_LOAD:-}"

start_servers "$DAEMON"

run() {  # port subscribers deliveries [rate] -> "deliveries_per_sec p50_us p99_us"
  local msgs=$(($3 / $2))
  "$LOAD" --port "$1" --subscribers "$2" --messages "$msgs" --window "$WINDOW" \
    --payload "$PAYLOAD" --threads "$READERS" --rate "${4:-0}" |
    sed -n 's/.*deliveries_per_sec=\([0-9]*\).*p50_us=\([0-9]*\).*p99_us=\([0-9]*\).*/\1 \2 \3/p'
}

echo "PUBLISH fan-out: window $WINDOW, payload $PAYLOAD bytes, $READERS reader threads," \
  "$ROUNDS rounds; throughput runs of $DELIVERIES deliveries, latency runs of $LAT_DELIVERIES" \
  "at $LAT_RATE deliveries/s"
for subs in $SUBSCRIBERS; do
  rm -f "$WORK"/[ra].*
  for i in $(seq "$ROUNDS"); do
    for who in $(ab_order "$i"); do
      port=$(ab_port "$who")
      name=$(ab_name "$who")
      read -r tput _ _ < <(run "$port" "$subs" "$DELIVERIES")
      [[ -n "${tput:-}" ]] || { echo "$0: the load failed against $name" >&2; exit 1; }
      rate=$(awk -v r="$LAT_RATE" -v s="$subs" 'BEGIN {printf "%.3f", r / s}')
      read -r _ p50 p99 < <(run "$port" "$subs" "$LAT_DELIVERIES" "$rate")
      [[ -n "${p99:-}" ]] || { echo "$0: the paced load failed against $name" >&2; exit 1; }
      echo "$tput" >>"$WORK/$who.tput"; echo "$p50" >>"$WORK/$who.p50"; echo "$p99" >>"$WORK/$who.p99"
      echo "  $subs subscribers, round $i $name: $tput deliveries/s; paced: p50 $p50 us, p99 $p99 us"
    done
  done
  RT=$(median <"$WORK/r.tput"); AT=$(median <"$WORK/a.tput")
  R50=$(median <"$WORK/r.p50"); A50=$(median <"$WORK/a.p50")
  R99=$(median <"$WORK/r.p99"); A99=$(median <"$WORK/a.p99")
  echo "$subs subscribers: deliveries/s redis $RT, aegisr $AT, ratio $(ratio "$AT" "$RT");" \
    "paced p50 us redis $R50, aegisr $A50, ratio $(ratio "$R50" "$A50");" \
    "p99 us redis $R99, aegisr $A99, ratio $(ratio "$R99" "$A99")"
done
