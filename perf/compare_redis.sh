#!/usr/bin/env bash
# Throughput/latency comparison: redis-benchmark (or aegisr-bench) against redis-server and
# aegisr-daemon, A/B alternated for R rounds, SET and GET at -P 1 and -P 16; prints medians and
# ratios.
# Single-threaded script; starts both servers on free loopback ports and stops them on exit.
#
# Usage: perf/compare_redis.sh BUILD_DIR [rounds=3] [requests=200000]
# Env:   AEGISR_COMPARE_AGAINST_REDIS=1  run a second redis-server in the daemon's place (to try
#                                        the script before the daemon exists; ratios ~1.0)
#        CLIENTS (50), VALUE_SIZE (64), KEYSPACE (1000000), PIPELINES ("1 16")
#        TESTS ("set get")  redis-benchmark tests, in order (e.g. "lpush lpop rpush rpop")
#        CUSTOM        arbitrary commands as extra tests, "name|COMMAND ARGS" separated by ';', run
#                      after TESTS in each round, e.g. "zrange100|ZRANGE myzset 0 99 WITHSCORES"
#                      (the zadd test fills myzset first)
#        AEGISR_ARGS   extra aegisr-daemon flags, e.g. "--threads 1"
#        REDIS_ARGS    extra redis-server flags, e.g. "--notify-keyspace-events KEA"
#        SUBSCRIBE     a pattern: one redis-cli PSUBSCRIBEs to it on each server for the run
#                      (keyspace events' cost with a subscriber, e.g. "__key*@*__:*")
#        BENCH=aegisr  drive the load with BUILD_DIR/aegisr-bench --command instead: the same
#                      commands (TESTS names map to redis-benchmark's, CUSTOM lines are sent as
#                      they are), but a client that needs about half of redis-benchmark's CPU
#                      per request, so -P 1 figures show the servers rather than the client
#        BENCH_THREADS (1) the load generator's threads (redis-benchmark --threads, aegisr-bench
#                      --threads)
set -euo pipefail
# shellcheck source=perf/lib.sh
source "$(dirname "$0")/lib.sh"

if [[ $# -lt 1 || $# -gt 3 || "$1" == -h || "$1" == --help ]]; then
  echo "usage: $0 BUILD_DIR [rounds=3] [requests=200000]" >&2
  exit 2
fi
BUILD_DIR=$1
ROUNDS=${2:-3}
REQUESTS=${3:-200000}
CLIENTS=${CLIENTS:-50}
VALUE_SIZE=${VALUE_SIZE:-64}
KEYSPACE=${KEYSPACE:-1000000}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-"set get"}
REDIS_BENCHMARK=${REDIS_BENCHMARK:-/usr/bin/redis-benchmark}
DAEMON="$BUILD_DIR/aegisr-daemon"
BENCH=${BENCH:-redis-benchmark}
BENCH_THREADS=${BENCH_THREADS:-1}
AEGISR_BENCH="$BUILD_DIR/aegisr-bench"
case "$BENCH" in
  redis-benchmark) ;;
  aegisr) [[ -x "$AEGISR_BENCH" ]] || { echo "$0: $AEGISR_BENCH is missing" >&2; exit 2; } ;;
  *) echo "$0: BENCH must be redis-benchmark or aegisr" >&2; exit 2 ;;
esac

for n in "$ROUNDS" "$REQUESTS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "$0: rounds and requests must be positive integers" >&2; exit 2; }
done
for b in "$REDIS_SERVER" "$REDIS_BENCHMARK" "$REDIS_CLI"; do
  [[ -x "$b" ]] || { echo "$0: $b not found" >&2; exit 2; }
done
if [[ "${AEGISR_COMPARE_AGAINST_REDIS:-0}" == 0 && ! -x "$DAEMON" ]]; then
  echo "$0: $DAEMON is missing (build it, or set AEGISR_COMPARE_AGAINST_REDIS=1)" >&2
  exit 2
fi

perf_workdir aegisr-compare
start_servers "$DAEMON"
if [[ -n "${SUBSCRIBE:-}" ]]; then
  for port in "$RPORT" "$APORT"; do
    "$REDIS_CLI" -p "$port" psubscribe "$SUBSCRIBE" >/dev/null 2>&1 &
    PERF_PIDS+=($!)
  done
  sleep 0.5
fi

RESULTS="$WORK/results.csv"  # server,pipeline,round,test,rps,p99_ms,client_cpu_pct
: >"$RESULTS"

# redis-benchmark's command for each of its test names (redis-benchmark.c, with -r given).
test_command() {  # test
  case "$1" in
    set) echo "SET key:__rand_int__ __data__" ;;
    get) echo "GET key:__rand_int__" ;;
    incr) echo "INCR counter:__rand_int__" ;;
    lpush | rpush) echo "${1^^} mylist __data__" ;;
    lpop | rpop) echo "${1^^} mylist" ;;
    sadd) echo "SADD myset element:__rand_int__" ;;
    spop) echo "SPOP myset" ;;
    hset) echo "HSET myhash element:__rand_int__ __data__" ;;
    zadd) echo "ZADD myzset __rand_int__ element:__rand_int__" ;;
    zpopmin) echo "ZPOPMIN myzset" ;;
    *) echo "$0: no aegisr-bench command for test '$1' (use CUSTOM)" >&2; return 1 ;;
  esac
}

# One test through aegisr-bench; same CSV row as run_one.
run_one_aegisr_bench() {  # server port pipeline round test [custom command words...]
  local out cpu command TIMEFORMAT='%R %U %S'
  if [[ $# -gt 5 ]]; then
    command="${*:6}"
  else
    command=$(test_command "$5") || exit 2
  fi
  if ! { time out=$("$AEGISR_BENCH" -p "$2" --threads "$BENCH_THREADS" -c "$CLIENTS" \
      -d "$VALUE_SIZE" --keyspace "$KEYSPACE" -n "$REQUESTS" -P "$3" --csv --quiet \
      --command "$command" 2>"$WORK/bench.err"); } 2>"$WORK/time"; then
    echo "$0: aegisr-bench against $1 failed:" >&2
    cat "$WORK/bench.err" >&2
    exit 1
  fi
  cpu=$(awk '{ if ($1 > 0) printf "%.0f", 100 * ($2 + $3) / $1; else print 0 }' "$WORK/time")
  # --csv: phase,op,requests,ops_per_sec,avg_us,p50_us,p99_us,...; the ALL row.
  echo "$out" | awk -F, -v s="$1" -v p="$3" -v r="$4" -v c="$cpu" -v t="$5" \
    '$2 == "ALL" { print s "," p "," r "," t "," $4 "," $7 / 1000 "," c }' >>"$RESULTS"
}
# One test against one server. Also records how busy redis-benchmark itself was (user+sys CPU
# over wall time, from bash's `time`): redis-benchmark is single-threaded, so near 100% means
# the figure is the load generator's ceiling, not the server's.
run_one() {  # server port pipeline round test [custom command words...]
  if [[ "$BENCH" == aegisr ]]; then
    run_one_aegisr_bench "$@"
    return
  fi
  local out cpu TIMEFORMAT='%R %U %S' sel=(-t "$5") threads=()
  [[ $# -gt 5 ]] && sel=("${@:6}")
  [[ "$BENCH_THREADS" != 1 ]] && threads=(--threads "$BENCH_THREADS")
  if ! { time out=$("$REDIS_BENCHMARK" -h 127.0.0.1 -p "$2" -c "$CLIENTS" \
      -d "$VALUE_SIZE" -r "$KEYSPACE" -n "$REQUESTS" -P "$3" --csv "${threads[@]}" "${sel[@]}" \
      2>"$WORK/bench.err"); } 2>"$WORK/time"; then
    echo "$0: redis-benchmark against $1 failed:" >&2
    cat "$WORK/bench.err" >&2
    exit 1
  fi
  cpu=$(awk '{ if ($1 > 0) printf "%.0f", 100 * ($2 + $3) / $1; else print 0 }' "$WORK/time")
  # --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
  #        "p99_latency_ms","max_latency_ms"
  # A custom command's row is named by its text: take the first data row under our name.
  echo "$out" | tr -d '"' | awk -F, -v s="$1" -v p="$3" -v r="$4" -v c="$cpu" -v t="$5" \
    -v custom=$(( $# > 5 )) \
    '$1 != "test" && (custom || toupper($1) == toupper(t)) && !done {
       print s "," p "," r "," t "," $2 "," $7 "," c; done = 1 }' >>"$RESULTS"
}

for round in $(seq "$ROUNDS"); do
  for p in $PIPELINES; do
    echo "round $round/$ROUNDS, pipeline $p: redis, aegisr" >&2
    for t in $TESTS; do
      run_one redis "$RPORT" "$p" "$round" "$t"
      run_one aegisr "$APORT" "$p" "$round" "$t"
    done
    if [[ -n "${CUSTOM:-}" ]]; then
      IFS=';' read -ra customs <<<"$CUSTOM"
      for c in "${customs[@]}"; do
        name=${c%%|*}
        read -ra words <<<"${c#*|}"
        run_one redis "$RPORT" "$p" "$round" "$name" "${words[@]}"
        run_one aegisr "$APORT" "$p" "$round" "$name" "${words[@]}"
      done
    fi
  done
done

/usr/bin/python3 - "$RESULTS" "$ROUNDS" <<'EOF'
import csv, statistics, sys
rows = list(csv.reader(open(sys.argv[1])))
rounds = int(sys.argv[2])
data = {}
for server, pipeline, _round, test, rps, p99, cpu in rows:
    data.setdefault((test, int(pipeline), server), []).append((float(rps), float(p99), float(cpu)))
order = {}
for server, pipeline, _round, test, *_ in rows:
    order.setdefault(test, len(order))
keys = sorted({(t, p) for t, p, _ in data}, key=lambda k: (order[k[0]], k[1]))
print(f"{'test':<10} {'pipeline':>8} {'redis rps':>12} {'aegisr rps':>12} {'ratio':>7} "
      f"{'redis p99 ms':>13} {'aegisr p99 ms':>14} {'bench cpu% r/a':>15}")
bad = False
for t, p in keys:
    r, a = data.get((t, p, "redis"), []), data.get((t, p, "aegisr"), [])
    if len(r) != rounds or len(a) != rounds:
        print(f"{t:<10} {p:>8}  missing results (redis {len(r)}, aegisr {len(a)} of {rounds})")
        bad = True
        continue
    rr = statistics.median(x[0] for x in r)
    ar = statistics.median(x[0] for x in a)
    rp = statistics.median(x[1] for x in r)
    ap = statistics.median(x[1] for x in a)
    rc = statistics.median(x[2] for x in r)
    ac = statistics.median(x[2] for x in a)
    print(f"{t:<10} {p:>8} {rr:>12.0f} {ar:>12.0f} {ar / rr:>7.2f} {rp:>13.3f} {ap:>14.3f} "
          f"{f'{rc:.0f}/{ac:.0f}':>15}")
print(f"(medians of {rounds} rounds; ratio = aegisr rps / redis rps; bench cpu% = "
      "the load generator's own CPU use against redis/aegisr, ~100 per thread means it is the "
      "bottleneck)")
sys.exit(1 if bad or not keys else 0)
EOF
