#!/usr/bin/env bash
# Installs the Debian 12 packages Aegisr needs to build and test. Idempotent and non-interactive:
# only missing packages are installed; nothing is done (not even apt-get update) when none is.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config g++ clang clang-format libclang-rt-14-dev
  liburing-dev libmimalloc-dev libxxhash-dev libtomlplusplus-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev libedit-dev
  redis-server redis-tools python3-redis procps
)

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  if [ "$status" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "install-deps: not root and no sudo; install these by hand: ${missing[*]}" >&2
    exit 1
  fi
fi

# Remember redis-server processes that ran before us, so that we stop only the one that the
# package's post-install script may start, never someone else's.
before=$(pgrep -x redis-server || true)

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
  "${missing[@]}" </dev/null

for pid in $(pgrep -x redis-server || true); do
  if ! grep -qx "$pid" <<<"$before"; then
    echo "install-deps: stopping redis-server $pid started by the package install"
    "${SUDO[@]}" kill "$pid" 2>/dev/null || true
  fi
done
echo "install-deps: done"
