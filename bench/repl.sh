#!/bin/bash
# bench/repl.sh — record replication at scale on the deterministic simulator (no real network):
# for N = 100 and 1000 nodes each owning R records (100: 10k and 100k in all), the time until every
# node serves every name, steady bytes sent per node per second, one change reaching all, a
# joining node (time, messages received, largest message), a partition healed, 10 % of the nodes
# crashing and restarting, and a node restarting with B records (10k) loaded before it joins and
# published after it joined: bytes per node per second from the restart until 10 s past
# convergence, the busiest peer's, the restarted node's own. Prints Markdown tables.
# Env: BUILD (release build dir, default build), SIZES, RECORDS, BIG, SEED, LOSS (percent, for
# an extra converge run under loss).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SIZES=${SIZES:-"100 1000"}
RECORDS=${RECORDS:-100}
BIG=${BIG:-10000}
SEED=${SEED:-1}
LOSS=${LOSS:-10}
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" --buildtype=release -Db_ndebug=true >/dev/null
fi
ninja -C "$BUILD" tests/sim/replsim >/dev/null
SIM="$BUILD/tests/sim/replsim"

field() { sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" | head -1; }
run() { "$SIM" "$@" --seed "$SEED" --max-ms 600000 2>/dev/null | grep '^scenario' | tail -1 | sed 's/^/ /' || true; }

echo "| N | records | converged | steady bytes/node/s | one change to all | converged, ${LOSS} % loss | partition heal | crash: withdrawn / restarted back | wall |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
    start=$(date +%s)
    c=$(run converge "$n" "$RECORDS")
    l=$(run converge "$n" "$RECORDS" --loss "$LOSS")
    p=$(run partition "$n" "$RECORDS")
    k=$(run crash "$n" "$RECORDS")
    wall=$(( $(date +%s) - start ))
    printf '| %s | %s | %s ms | %s | %s ms | %s ms | %s ms | %s / %s ms | %s s |\n' \
        "$n" "$(echo "$c" | field total_records)" "$(echo "$c" | field converged_ms)" \
        "$(echo "$c" | field bytes_per_node_s)" "$(echo "$c" | field change_ms)" \
        "$(echo "$l" | field converged_ms)" "$(echo "$p" | field heal_ms)" \
        "$(echo "$k" | field withdrawn_ms)" "$(echo "$k" | field restarted_converged_ms)" "$wall"
done
echo
echo "| N | cluster records | joiner serves all | all serve joiner | messages into joiner | bytes into joiner | largest message |"
echo "|---|---|---|---|---|---|---|"
for n in $SIZES; do
    j=$(run join "$n" "$RECORDS")
    printf '| %s | %s | %s ms | %s ms | %s | %s | %s B |\n' "$n" \
        "$(echo "$j" | field cluster_records)" "$(echo "$j" | field joiner_serves_all_ms)" \
        "$(echo "$j" | field all_serve_joiner_ms)" "$(echo "$j" | field joiner_msgs_in)" \
        "$(echo "$j" | field joiner_bytes_in)" "$(echo "$j" | field joiner_max_msg_in)"
done
echo
echo "| N | restart with $BIG records | all serve them | bytes/node/s | busiest peer B/s | restarted node B/s | largest message |"
echo "|---|---|---|---|---|---|---|"
for n in $SIZES; do
    for mode in restart restart-late; do
        r=$(run "$mode" "$n" "$RECORDS" "$BIG")
        printf '| %s | %s | %s ms | %s | %s | %s | %s B |\n' "$n" "$(echo "$r" | field mode)" \
            "$(echo "$r" | field converged_ms)" "$(echo "$r" | field restart_bytes_per_node_s)" \
            "$(echo "$r" | field busiest_peer_bytes_s)" "$(echo "$r" | field restarted_node_bytes_s)" \
            "$(echo "$r" | field max_stream)"
    done
done
echo
echo "Sizes are wire bytes (swimmies compresses streams). Simulated time; seed $SEED."
