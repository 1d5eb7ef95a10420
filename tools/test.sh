#!/usr/bin/env bash
# The one command that installs dependencies, builds everything and runs every test: unit tests,
# integration tests (ctest), the layering check, and a bounded libFuzzer run; with AEGISR_ASAN=1, and
# in CI (CI=true) unless AEGISR_ASAN=0, every test again against an ASan+UBSan build. Exits non-zero
# on any failure. Build dirs: build/ (RelWithDebInfo, Ninja), build-fuzz/ (clang, libFuzzer) and
# build-asan/ (g++, -DAEGISR_SANITIZE=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# Overridable for engineers sharing one checkout: AEGISR_BUILD_DIR, AEGISR_FUZZ_BUILD_DIR,
# AEGISR_ASAN_BUILD_DIR, AEGISR_JOBS.
BUILD=${AEGISR_BUILD_DIR:-$ROOT/build}
FUZZ_BUILD=${AEGISR_FUZZ_BUILD_DIR:-$ROOT/build-fuzz}
ASAN_BUILD=${AEGISR_ASAN_BUILD_DIR:-$ROOT/build-asan}
ASAN=${AEGISR_ASAN:-}
if [ -z "$ASAN" ] && [ "${CI:-}" = true ]; then ASAN=1; fi
JOBS=${AEGISR_JOBS:-$(nproc)}
FUZZ_SECONDS=${AEGISR_FUZZ_SECONDS:-60}

step() { printf '\n=== %s ===\n' "$*"; }

step "dependencies"
tools/install-deps.sh

step "layering check"
tools/check_layers.sh

step "configure + build ($BUILD)"
cmake -S "$ROOT" -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
ninja -C "$BUILD" -j"$JOBS"

step "tests (ctest)"
(cd "$BUILD" && ctest --output-on-failure -j"$JOBS" --timeout 300)

step "fuzz build ($FUZZ_BUILD, clang)"
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$FUZZ_BUILD" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DAEGISR_FUZZ=ON -DAEGISR_TESTS=OFF -DAEGISR_BENCH=OFF
# Only the fuzz targets (and the libraries they need), not every executable a second time.
mapfile -t fuzz_targets < <(ninja -C "$FUZZ_BUILD" -t targets all |
  sed -nE 's/^([A-Za-z0-9_]+_fuzz): .*/\1/p' | grep -v '^cmake_' | sort -u)
if [ ${#fuzz_targets[@]} -gt 0 ]; then
  ninja -C "$FUZZ_BUILD" -j"$JOBS" "${fuzz_targets[@]}"
fi

if [ -x "$FUZZ_BUILD/resp_parser_fuzz" ]; then
  step "fuzz resp_parser_fuzz for ${FUZZ_SECONDS}s"
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  if [ -d "$ROOT/tests/fuzz/corpus/resp_parser" ]; then
    cp -r "$ROOT/tests/fuzz/corpus/resp_parser/." "$corpus/"
  fi
  # libFuzzer prints a line per new input: keep it in a file, show the summary (or, on a
  # crash, the end of the log with the crashing input's report).
  fuzz_log="$FUZZ_BUILD/resp_parser_fuzz.log"
  if ! (cd "$FUZZ_BUILD" && ./resp_parser_fuzz -max_total_time="$FUZZ_SECONDS" \
    -rss_limit_mb=2048 -print_final_stats=1 "$corpus") >"$fuzz_log" 2>&1; then
    tail -n 80 "$fuzz_log"
    echo "resp_parser_fuzz failed (full log: $fuzz_log)"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::peak_rss_mb)' "$fuzz_log" || tail -n 5 "$fuzz_log"
else
  echo "resp_parser_fuzz not built (no tests/fuzz/resp_parser_fuzz.cc yet); skipping"
fi

if [ "$ASAN" = 1 ]; then
  step "sanitizer build ($ASAN_BUILD, ASan+UBSan)"
  # -O1 -g1 (line tables): the sanitizers' reports keep file:line, and the build compiles in
  # about 40% of the time -O2 -g takes (zset_family.cc: 10.7 s against 25.7 s), which is most of
  # what the CI's 20 minutes go to.
  cmake -S "$ROOT" -B "$ASAN_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" \
    -DAEGISR_SANITIZE=ON -DAEGISR_BENCH=OFF
  ninja -C "$ASAN_BUILD" -j"$JOBS"

  # Any report fails: ASan errors abort, UBSan halts, a leak makes the exit code non-zero, and
  # the integration harness fails a test whose daemon log holds a sanitizer report.
  step "tests under ASan+UBSan (ctest)"
  (cd "$ASAN_BUILD" &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      ctest --output-on-failure -j"$JOBS" --timeout 300)
fi

step "all tests passed"
