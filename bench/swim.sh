#!/bin/bash
# bench/swim.sh — swimmies at scale on the deterministic simulator (no real network): for
# N = 10, 100, 1000 nodes, the time until a join is known to all, the time until a crash is known
# to all, false failures under 5 % and 10 % UDP loss, and bytes sent per node per second in steady
# state. Prints a Markdown table. Env: BUILD (release build dir, default build), SIZES,
# LOSS_MINUTES (simulated minutes under loss, default 2), SEED.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${SIZES:-"10 100 1000"}
LOSS_MINUTES=${LOSS_MINUTES:-2}
SEED=${SEED:-1}
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C "$BUILD" tests/sim/swimsim >/dev/null
SIM="$BUILD/tests/sim/swimsim"

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" | head -1; }

echo "| N | join known to all | crash known to all | false failures 5 % loss | false failures 10 % loss | bytes/node/s | packets/node/s | wall |"
echo "|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    start=$(date +%s)
    b=$("$SIM" bench "$n" 60 --seed "$SEED" 2>/dev/null | grep '^n=' | sed 's/^/ /')
    l5=$("$SIM" loss "$n" 5 "$LOSS_MINUTES" --seed "$SEED" 2>/dev/null | grep '^scenario' | sed 's/^/ /' || true)
    l10=$("$SIM" loss "$n" 10 "$LOSS_MINUTES" --seed "$SEED" 2>/dev/null | grep '^scenario' | sed 's/^/ /' || true)
    wall=$(( $(date +%s) - start ))
    printf '| %s | %s ms | %s ms | %s (%s suspect events) | %s (%s suspect events) | %s | %s | %s s |\n' \
        "$n" \
        "$(echo "$b" | field join_known_to_all_ms)" \
        "$(echo "$b" | field crash_known_to_all_ms)" \
        "$(echo "$l5" | field false_failures)" "$(echo "$l5" | field false_suspicions)" \
        "$(echo "$l10" | field false_failures)" "$(echo "$l10" | field false_suspicions)" \
        "$(echo "$b" | field bytes_per_node_s)" \
        "$(echo "$b" | field packets_per_node_s)" \
        "$wall"
done
echo
echo "Loss runs last $LOSS_MINUTES simulated minutes; suspect events are counted once per observing node."
br=$("$SIM" broadcast 1000 --seed "$SEED" 2>/dev/null | grep '^scenario' | sed 's/^/ /' || true)
echo "User broadcast to 1000 nodes: $(echo "$br" | field gossip_rounds) gossip rounds ($(echo "$br" | field ms) ms), log2(N) = $(echo "$br" | field log2_n)"
