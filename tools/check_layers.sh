#!/usr/bin/env bash
# Checks the layering rule of docs/architecture.md on #include lines: cmd -> net -> engine ->
# base, and tier/ -> base only. Prints each offending line; exits 1 if any.
set -uo pipefail
cd "$(dirname "$0")/.."

bad=0
# report DESC LINES: print offending grep lines under a heading and count them.
report() {
  local desc=$1 hits=$2
  if [ -n "$hits" ]; then
    echo "layering violation: $desc"
    printf '%s\n' "$hits" | sed 's/^/  /'
    bad=1
  fi
}

# src_includes DIR REGEX [EXCLUDE_DIR]: #include lines in DIR's sources naming REGEX/...
src_includes() {
  local dir=$1 re=$2 exclude=${3:-}
  [ -d "$dir" ] || return 0
  local args=(-rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[\"<]($re)/" "$dir"
    --include='*.h' --include='*.hh' --include='*.hpp' --include='*.cc' --include='*.cpp'
    --include='*.c' --include='*.inc')
  if [ -n "$exclude" ]; then args+=(--exclude-dir="$exclude"); fi
  grep "${args[@]}" 2>/dev/null || true
}

report "engine/ must not include net/ or cmd/" "$(src_includes engine 'net|cmd')"
report "tier/ must not include engine/, net/ or cmd/ (only base/)" "$(src_includes tier 'engine|net|cmd')"
report "net/ must not include cmd/" "$(src_includes net 'cmd')"
# base is the bottom layer: it may include other base headers only.
report "base/ must not include engine/, net/, tier/ or cmd/" "$(src_includes base 'engine|net|tier|cmd')"

# Relative includes climbing out of a folder would dodge the checks above.
report "no '../' in #include paths (include from the repository root)" \
  "$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*["<][^">]*\.\./' base engine net tier cmd \
    --include='*.h' --include='*.hh' --include='*.hpp' --include='*.cc' --include='*.cpp' \
    2>/dev/null || true)"

if [ $bad -ne 0 ]; then
  exit 1
fi
echo "check_layers: ok"
