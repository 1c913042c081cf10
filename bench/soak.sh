#!/bin/sh
# Soak benchmark: one node with replication on and no peers (the single-Docker-host deployment)
# while a hosts file of NAMES names is replaced every PERIOD_MS with a fresh set of names. Samples
# RSS, record-table entries and tombstones, the gossip queue and CPU every SAMPLE seconds for MINUTES
# minutes, then removes the file and samples once more. Prints a table and a verdict on growth:
# RSS of the last third against the first third of the run.
#
#   bench/soak.sh [MINUTES]     JOYRIDE=path/to/joyride (default build/src/joyride)
#                               NAMES=10000 PERIOD_MS=200 SAMPLE=10
# Two binaries side by side (alternating is meaningless for a soak; they run at the same time):
#   JOYRIDE_PEER=path/to/other/joyride bench/soak.sh 5
set -eu
cd "$(dirname "$0")/.."
MINUTES=${1:-5}
JOYRIDE=${JOYRIDE:-build/src/joyride}
if [ ! -x "$JOYRIDE" ]; then
    echo "bench/soak.sh: $JOYRIDE not built (make build, or set JOYRIDE=)" >&2
    exit 1
fi
export JOYRIDE_BUILD="$(cd "$(dirname "$JOYRIDE")/.." && pwd)"
exec /usr/bin/python3 bench/soak.py "$MINUTES" "$JOYRIDE" "${JOYRIDE_PEER:-}"
