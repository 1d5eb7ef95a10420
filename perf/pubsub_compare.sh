#!/usr/bin/env bash
# PUBLISH fan-out, Aegisr against Redis in one run: builds perf/pubsub_load.cc (a standalone C++
# client, the same program for both servers), starts redis-server and aegisr-daemon on free
# loopback ports, and for each subscriber count (1, 100, 1000 by default) runs R rounds (A/B
# alternated) of one publisher sending pipelined PUBLISH to S subscribers that check every
# message (channel, per-publisher sequence, length) and time it from its embedded send time.
# Prints each run, then per subscriber count the medians of messages delivered per second and
# of the p99 delivery latency, and the ratios Aegisr / Redis (throughput: higher is better;
# latency: Redis / Aegisr, so higher is better too).
# Single-threaded script; stops both servers on exit.
#
# Usage: perf/pubsub_compare.sh BUILD_DIR [rounds=3] [deliveries=1000000]
# Env:   SUBSCRIBERS ("1 100 1000"), WINDOW (32 PUBLISH in flight), PAYLOAD (64 bytes),
#        READERS (2 subscriber threads), AEGISR_ARGS (daemon flags), PUBSUB_LOAD (a prebuilt
#        pubsub_load, instead of compiling it), REDIS_SERVER, REDIS_CLI
set -euo pipefail

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
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
DAEMON="$BUILD_DIR/aegisr-daemon"
[[ -x "$DAEMON" ]] || { echo "$0: $DAEMON is missing" >&2; exit 2; }

WORK=$(mktemp -d /tmp/aegisr-pubsub.XXXXXX)
LOAD=${PUBSUB_LOAD:-$WORK/pubsub_load}
[[ -n "${PUBSUB_LOAD:-}" ]] || g++ -O2 -std=c++20 -pthread "$(dirname "$0")/pubsub_load.cc" -o "$LOAD"

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

run() {  # port subscribers -> "deliveries_per_sec p99_us"
  local msgs=$((DELIVERIES / $2))
  "$LOAD" --port "$1" --subscribers "$2" --messages "$msgs" --window "$WINDOW" \
    --payload "$PAYLOAD" --threads "$READERS" |
    sed -n 's/.*deliveries_per_sec=\([0-9]*\).*p99_us=\([0-9]*\).*/\1 \2/p'
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

echo "PUBLISH fan-out: $DELIVERIES deliveries per run, window $WINDOW, payload $PAYLOAD bytes," \
  "$READERS reader threads, $ROUNDS rounds"
for subs in $SUBSCRIBERS; do
  : >"$WORK/r.tput"; : >"$WORK/r.p99"; : >"$WORK/a.tput"; : >"$WORK/a.p99"
  for i in $(seq "$ROUNDS"); do
    if ((i % 2)); then order="r a"; else order="a r"; fi
    for who in $order; do
      if [[ $who == r ]]; then v=$(run "$RPORT" "$subs"); else v=$(run "$APORT" "$subs"); fi
      [[ -n "$v" ]] || { echo "$0: the load failed against $who" >&2; exit 1; }
      echo "${v% *}" >>"$WORK/$who.tput"
      echo "${v#* }" >>"$WORK/$who.p99"
      echo "  $subs subscribers, round $i $([[ $who == r ]] && echo redis || echo aegisr):" \
        "${v% *} deliveries/s, p99 ${v#* } us"
    done
  done
  RT=$(median <"$WORK/r.tput"); AT=$(median <"$WORK/a.tput")
  RP=$(median <"$WORK/r.p99"); AP=$(median <"$WORK/a.p99")
  echo "$subs subscribers: median deliveries/s redis $RT, aegisr $AT, ratio" \
    "$(awk -v a="$AT" -v r="$RT" 'BEGIN {printf "%.2f", a / r}'); median p99 us redis $RP," \
    "aegisr $AP, ratio (redis/aegisr) $(awk -v a="$AP" -v r="$RP" \
      'BEGIN {printf "%.2f", (a > 0 ? r / a : 0)}')"
done
