# shellcheck shell=bash
# perf/lib.sh: what the perf/ comparison scripts share: a work folder removed on exit, free
# loopback ports, starting redis-server and aegisr-daemon and waiting for their PING, stopping
# every process they started (cleanup), building a perf/*_load.cc client, A/B alternated rounds,
# median and ratio.
# Sourced, not run, after `set -euo pipefail`:
#   source "$(dirname "$0")/lib.sh"
#   perf_workdir aegisr-multi           # WORK, and the EXIT/INT/TERM traps that call cleanup
#   start_servers "$DAEMON"             # RPORT (redis-server), APORT (aegisr-daemon)
# Env: REDIS_SERVER (/usr/bin/redis-server), REDIS_CLI (/usr/bin/redis-cli), REDIS_ARGS (extra
#      redis-server flags), AEGISR_ARGS (extra aegisr-daemon flags, start_servers only),
#      AEGISR_COMPARE_AGAINST_REDIS=1 (start_servers puts a second redis-server in the daemon's
#      place, to try a script without the daemon).
# Single-threaded, like the scripts; a server that does not answer PING ends the script with
# its log on stderr.

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
WORK=""
PERF_PIDS=()        # what cleanup stops: the servers, and whatever a script adds
PERF_USED_PORTS=" " # the ports free_port has handed out in this script

# Stops every process in PERF_PIDS and removes WORK. The EXIT trap of perf_workdir.
cleanup() {
  local pid
  for pid in "${PERF_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PERF_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n "$WORK" ]]; then rm -rf "$WORK"; fi
}

perf_workdir() {  # name: WORK=/tmp/name.XXXXXX, cleaned up when the script exits
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  trap cleanup EXIT
  trap 'exit 130' INT TERM
}

# Sets the variable named $1 to a port in 7300-7999 that nothing listens on and that this
# script has not handed out before (so two servers started later cannot get the same one).
free_port() {  # variable
  local p
  for _ in $(seq 200); do
    p=$((7300 + RANDOM % 700))
    [[ "$PERF_USED_PORTS" == *" $p "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      PERF_USED_PORTS+="$p "
      printf -v "$1" '%s' "$p"
      return 0
    fi
  done
  echo "$0: no free port in 7300-7999" >&2
  exit 1
}

# Waits up to 10 s for PONG on port; exits with the server's log ($WORK/name.log) if the
# process dies first or never answers.
wait_ping() {  # name port pid
  for _ in $(seq 100); do
    if ! kill -0 "$3" 2>/dev/null; then
      echo "$0: $1 exited during startup; log:" >&2
      cat "$WORK/$1.log" >&2
      exit 1
    fi
    [[ "$("$REDIS_CLI" -p "$2" ping 2>/dev/null)" == PONG ]] && return 0
    sleep 0.1
  done
  echo "$0: $1 did not answer PING on port $2; log:" >&2
  cat "$WORK/$1.log" >&2
  exit 1
}

# redis-server on 127.0.0.1:port, nothing persisted, REDIS_ARGS added; log in $WORK/name.log.
start_redis() {  # name port
  # shellcheck disable=SC2086  # REDIS_ARGS is a list of flags
  "$REDIS_SERVER" --port "$2" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$WORK" --logfile '' ${REDIS_ARGS:-} >"$WORK/$1.log" 2>&1 &
  PERF_PIDS+=($!)
  wait_ping "$1" "$2" $!
}

# The daemon binary on port with the given flags; log in $WORK/name.log.
start_aegisr() {  # name port daemon [flags...]
  local name=$1 port=$2 daemon=$3
  shift 3
  "$daemon" -p "$port" "$@" >"$WORK/$name.log" 2>&1 &
  PERF_PIDS+=($!)
  wait_ping "$name" "$port" $!
}

# LOAD: the prebuilt binary when one is given, else perf/name.cc compiled into $WORK the way
# the load programs are meant to be built (they need nothing but the headers beside them).
build_load() {  # name [prebuilt]
  if [[ -n "${2:-}" ]]; then
    LOAD=$2
  else
    LOAD="$WORK/$1"
    g++ -O2 -std=c++20 -pthread "$(dirname "${BASH_SOURCE[0]}")/$1.cc" -o "$LOAD"
  fi
}

# Stops the process started last (a server a script is done with) and forgets it.
stop_last() {
  local pid=${PERF_PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset 'PERF_PIDS[-1]'
}

# redis-server on RPORT and the daemon (with AEGISR_ARGS) on APORT, both answering PING.
start_servers() {  # daemon
  free_port RPORT
  free_port APORT
  start_redis redis "$RPORT"
  if [[ "${AEGISR_COMPARE_AGAINST_REDIS:-0}" != 0 ]]; then
    echo "NOTE: AEGISR_COMPARE_AGAINST_REDIS set: a second redis-server stands in for aegisr" >&2
    start_redis aegisr "$APORT"
  else
    # shellcheck disable=SC2086  # AEGISR_ARGS is a list of flags
    start_aegisr aegisr "$APORT" "$1" ${AEGISR_ARGS:-}
  fi
}

# A/B alternation: round i runs redis first when i is odd, aegisr first when it is even.
ab_order() { if (($1 % 2)); then echo "r a"; else echo "a r"; fi; }  # round
ab_port() { if [[ $1 == r ]]; then echo "$RPORT"; else echo "$APORT"; fi; }  # r|a
ab_name() { if [[ $1 == r ]]; then echo redis; else echo aegisr; fi; }  # r|a

# For each of `rounds` rounds, runs `command... PORT` against both servers (ab_order), which
# prints one figure; appends it to $WORK/r or $WORK/a and prints "  round I SERVER: FIGURE UNIT".
# A command that fails ends the script (set -e).
ab_rounds() {  # rounds unit command...
  local rounds=$1 unit=$2 i who v
  shift 2
  : >"$WORK/r"
  : >"$WORK/a"
  for i in $(seq "$rounds"); do
    for who in $(ab_order "$i"); do
      v=$("$@" "$(ab_port "$who")")
      echo "$v" >>"$WORK/$who"
      echo "  round $i $(ab_name "$who"): $v $unit"
    done
  done
}

# The median of the numbers on stdin, one a line (the lower middle one of an even count).
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# x / y with two decimals; 0.00 when y is 0.
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", (y > 0 ? x / y : 0)}'; }  # x y
