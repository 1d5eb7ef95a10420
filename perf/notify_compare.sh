#!/usr/bin/env bash
# The cost of keyspace notifications.
# 1. SET throughput with notify-keyspace-events "" and "KEA", without a subscriber and with one
#    PSUBSCRIBE __key*@*__:* client, redis-server against aegisr-daemon in one run each
#    (perf/compare_redis.sh, TESTS=set).
# 2. Aegisr against itself: two daemons, one with notify-keyspace-events "" and one with "KEA"
#    and nobody subscribed, driven by aegisr-bench (SET, -P 16, 50 connections) in alternated
#    rounds: the price of the event calls when nobody listens (medians and their ratio).
# Usage: perf/notify_compare.sh BUILD_DIR [rounds=3] [requests=200000]
# Env:   PARTS ("1 2"), AEGISR_ARGS (flags for every daemon)
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=$1
ROUNDS=${2:-3}
REQUESTS=${3:-200000}
PARTS=${PARTS:-"1 2"}
if [[ " $PARTS " == *" 1 "* ]]; then
  for case in "none||" "KEA|--notify-keyspace-events KEA|" "KEA+sub|--notify-keyspace-events KEA|__key*@*__:*"; do
    IFS='|' read -r name flags pattern <<<"$case"
    echo "== notify-keyspace-events: $name"
    REDIS_ARGS="$flags" AEGISR_ARGS="${AEGISR_ARGS:-} $flags" SUBSCRIBE="$pattern" TESTS=set \
      "$dir/compare_redis.sh" "$@"
  done
fi
[[ " $PARTS " == *" 2 "* ]] || exit 0

# shellcheck source=perf/lib.sh
source "$dir/lib.sh"
perf_workdir aegisr-notify
free_port OFF_PORT
free_port KEA_PORT
# shellcheck disable=SC2086  # AEGISR_ARGS is a list of flags
start_aegisr off "$OFF_PORT" "$BUILD_DIR/aegisr-daemon" ${AEGISR_ARGS:-}
# shellcheck disable=SC2086
start_aegisr kea "$KEA_PORT" "$BUILD_DIR/aegisr-daemon" ${AEGISR_ARGS:-} \
  --notify-keyspace-events KEA
echo "== aegisr alone: notify-keyspace-events \"\" against KEA with nobody subscribed" \
  "(aegisr-bench SET -P 16 -c 50, $REQUESTS requests, $ROUNDS rounds)"
for i in $(seq "$ROUNDS"); do
  if ((i % 2)); then order="off kea"; else order="kea off"; fi
  for who in $order; do
    port=$([[ $who == off ]] && echo "$OFF_PORT" || echo "$KEA_PORT")
    rps=$("$BUILD_DIR/aegisr-bench" -p "$port" --command 'SET key:__rand_int__ __data__' \
      -P 16 -c 50 -n "$REQUESTS" --csv --quiet | awk -F, 'END {printf "%d", $4}')
    echo "$rps" >>"$WORK/$who.rps"
    echo "  round $i $who: $rps SET/s"
  done
done
OFF=$(median <"$WORK/off.rps")
KEA=$(median <"$WORK/kea.rps")
echo "SET/s median: notifications off $OFF, KEA without subscriber $KEA, ratio KEA/off $(ratio "$KEA" "$OFF")"
