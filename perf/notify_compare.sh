#!/usr/bin/env bash
# The cost of keyspace notifications: SET throughput with notify-keyspace-events "" and "KEA",
# without a subscriber and with one PSUBSCRIBE __key*@*__:* client, redis-server against
# aegisr-daemon in one run each (perf/compare_redis.sh, TESTS=set).
# Usage: perf/notify_compare.sh BUILD_DIR [rounds=3] [requests=200000]
set -euo pipefail
dir=$(cd "$(dirname "$0")" && pwd)
for case in "none||" "KEA|--notify-keyspace-events KEA|" "KEA+sub|--notify-keyspace-events KEA|__key*@*__:*"; do
  IFS='|' read -r name flags pattern <<<"$case"
  echo "== notify-keyspace-events: $name"
  REDIS_ARGS="$flags" AEGISR_ARGS="${AEGISR_ARGS:-} $flags" SUBSCRIBE="$pattern" TESTS=set \
    "$dir/compare_redis.sh" "$@"
done
