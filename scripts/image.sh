#!/bin/sh
# Builds the joyride runtime image offline (no registry, no base image) from a local build and
# loads it into the Docker daemon at DOCKER_HOST: FROM scratch with the stripped binary, exactly
# the shared libraries it links (ldd) and the dynamic loader, /etc/passwd and /etc/group entries
# for the user joyride (65532), and the example hosts in /app/hosts. The image metadata (USER,
# WORKDIR, EXPOSE, STOPSIGNAL, HEALTHCHECK, ENTRYPOINT, ...) is taken from the runtime stage of the
# repository's Dockerfile, so both images behave the same.
# Usage: scripts/image.sh [BINARY [TAG]]   (defaults: build/src/joyride joyride:latest)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${1:-$ROOT/build/src/joyride}
TAG=${2:-joyride:latest}
DOCKER=${DOCKER:-docker}
[ -x "$BIN" ] || { echo "image: $BIN is not built (make build)" >&2; exit 1; }

CTX=$(mktemp -d "${TMPDIR:-/tmp}/joyride-image.XXXXXX")
trap 'rm -rf "$CTX"' EXIT INT TERM
R=$CTX/rootfs
mkdir -p "$R/usr/bin" "$R/etc" "$R/app/hosts" "$R/tmp" "$R/var/run"
chmod 1777 "$R/tmp"
# keep the host's merged-/usr layout so every path ldd prints exists in the image
for d in bin lib lib64 sbin; do
    if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"; fi
done
for d in lib lib64; do mkdir -p "$R/usr/$d"; done
strip -o "$R/usr/bin/joyride" "$BIN"
chmod 0755 "$R/usr/bin/joyride"
# shared libraries and the loader, at the paths the binary looks them up by
ldd "$BIN" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' | sort -u |
    while read -r lib; do
        mkdir -p "$R$(dirname "$lib")"
        cp -L "$lib" "$R$lib"
    done
cat >"$R/etc/passwd" <<'PW'
root:x:0:0:root:/root:/usr/sbin/nologin
joyride:x:65532:65532:Joyride DNS:/app:/usr/sbin/nologin
PW
cat >"$R/etc/group" <<'GR'
root:x:0:
joyride:x:65532:
GR
echo 'hosts: files dns' >"$R/etc/nsswitch.conf"
cp -R "$ROOT/hosts/." "$R/app/hosts/"
chmod -R a+rX "$R/app"

# The runtime stage's metadata lines (continuations joined), after its FROM.
{
    echo "FROM scratch"
    echo "COPY rootfs/ /"
    awk '
        /^[[:space:]]*#/ { next }
        { line = cont ? line " " $0 : $0 }
        /\\$/ { sub(/\\$/, "", line); cont = 1; next }
        { cont = 0 }
        toupper(line) ~ /^FROM[[:space:]]/ { n = 0; next }
        toupper(line) ~ /^(ENV|USER|WORKDIR|EXPOSE|STOPSIGNAL|HEALTHCHECK|ENTRYPOINT|CMD|LABEL|VOLUME)[[:space:]]/ {
            keep[++n] = line
        }
        END { for (i = 1; i <= n; i++) print keep[i] }
    ' "$ROOT/Dockerfile"
} >"$CTX/Dockerfile"

# the classic builder: no BuildKit or buildx needed, and FROM scratch pulls nothing
if ! DOCKER_BUILDKIT=0 "$DOCKER" build -q -t "$TAG" "$CTX" >"$CTX/build.log" 2>&1; then
    cat "$CTX/build.log" >&2
    exit 1
fi
size=$("$DOCKER" image inspect -f '{{.Size}}' "$TAG")
echo "image: $TAG loaded ($(awk -v s="$size" 'BEGIN { printf "%.1f MB", s / 1e6 }'), $(du -sh "$R" | cut -f1) on disk before loading)"
