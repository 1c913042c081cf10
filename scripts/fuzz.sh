#!/bin/sh
# Runs every libFuzzer target in a fuzz build for a given number of seconds each, starting from the
# committed seed corpus in tests/fuzz/corpus/<target>. New inputs go to a scratch copy, not the tree.
set -eu
BUILD=$1
SECS=$2
root=$(cd "$(dirname "$0")/.." && pwd)
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for bin in $(find "$BUILD/tests/fuzz" -type f -name "fuzz_*" -perm -u+x | sort); do
    [ -x "$bin" ] || continue
    name=$(basename "$bin")
    mkdir -p "$scratch/$name"
    seeds="$root/tests/fuzz/corpus/$name"
    [ -d "$seeds" ] && cp -r "$seeds"/. "$scratch/$name"/
    echo "fuzz: $name for ${SECS}s"
    "$bin" -max_total_time="$SECS" -print_final_stats=0 -artifact_prefix="$scratch/" \
        "$scratch/$name" 2>"$scratch/$name.log" || {
        tail -50 "$scratch/$name.log"
        ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* 2>/dev/null
        echo "fuzz: $name FAILED" >&2
        exit 1
    }
    grep -E "^#[0-9]+.*DONE|Done [0-9]+ runs" "$scratch/$name.log" | tail -1 || true
done
