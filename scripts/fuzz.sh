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
summary="$scratch/summary"
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
    done_line=$(grep -E "^#[0-9]+.*DONE" "$scratch/$name.log" | tail -1 || true)
    echo "$done_line"
    # "#<runs> DONE cov: <edges> ft: <features> corp: <n>/<size> ... exec/s: <rate> rss: <mb>"
    echo "$name $done_line" | awk '{
        runs = $2; sub(/^#/, "", runs); cov = "-"; corp = "-"; rate = "-"
        for (i = 3; i <= NF; i++) {
            if ($i == "cov:") cov = $(i + 1)
            if ($i == "corp:") corp = $(i + 1)
            if ($i == "exec/s:") rate = $(i + 1)
        }
        printf "%-20s %12s %10s %8s %14s\n", $1, runs, rate, cov, corp }' >>"$summary"
done
echo
printf '%-20s %12s %10s %8s %14s\n' target executions "exec/s" edges "corpus"
cat "$summary"
