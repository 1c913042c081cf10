#!/bin/sh
# Record table benchmark: builds bench/records_bench (release build in BUILD, default build) and
# runs it for each size in SIZES: one-name change until a reader sees it (median, p99, max),
# lookups per second of one thread (90 % hits), heap held by the table. See records_bench.c.
#
#   bench/records.sh                 SIZES="1000 10000 100000 1000000" ROUNDS=1 CHANGES=2000
# Side by side with another tree (e.g. `git archive main | tar -x -C /tmp/base`, release build in
# /tmp/base/build): BASE=/tmp/base compiles the same records_bench.c against that tree's record
# library and runs both in alternating rounds (rows "new" and "base"). NICE=N runs at niceness N.
# E2E=1 then also runs bench/records_e2e.py on the joyride binaries (BUILD's, and BASE's): a hosts
# directory of NAMES=100000 names, one-name file rewritten until dnspython sees it, a burst of new
# files, churn, RSS (see that file for its variables).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${SIZES:-1000 10000 100000 1000000}
ROUNDS=${ROUNDS:-1}
PRIO=""
[ -n "${NICE:-}" ] && PRIO="nice -n $NICE"

[ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" --buildtype=release -Db_ndebug=true >/dev/null
ninja -C "$BUILD" bench/records_bench >/dev/null
NEW=$BUILD/bench/records_bench

BASEBIN=""
if [ -n "${BASE:-}" ]; then
    bb=$BASE/build
    [ -f "$bb/build.ninja" ] || meson setup "$bb" "$BASE" --buildtype=release -Db_ndebug=true >/dev/null
    ninja -C "$bb" src/records/librecords.a src/core/libcore.a >/dev/null
    BASEBIN=$(mktemp /tmp/records_bench_base.XXXXXX)
    trap 'rm -f "$BASEBIN"' EXIT INT TERM
    # shellcheck disable=SC2046
    cc -std=c11 -O3 -DNDEBUG -D_GNU_SOURCE -pthread -I"$BASE/src" bench/records_bench.c \
        "$bb/src/records/librecords.a" "$bb/src/core/libcore.a" \
        $(pkg-config --libs liburcu-memb) -o "$BASEBIN"
fi

r=1
while [ "$r" -le "$ROUNDS" ]; do
    for n in $SIZES; do
        printf 'round %d new  ' "$r"
        $PRIO "$NEW" "$n"
        if [ -n "$BASEBIN" ]; then
            printf 'round %d base ' "$r"
            $PRIO "$BASEBIN" "$n"
        fi
    done
    r=$((r + 1))
done

if [ -n "${E2E:-}" ]; then
    ninja -C "$BUILD" src/joyride >/dev/null
    bins=$BUILD/src/joyride
    if [ -n "${BASE:-}" ]; then
        ninja -C "$BASE/build" src/joyride >/dev/null
        bins="$bins $BASE/build/src/joyride"
    fi
    # shellcheck disable=SC2086
    $PRIO /usr/bin/python3 bench/records_e2e.py $bins
fi
