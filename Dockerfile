# Joyride container image: `docker build -t joyride .` (needs the Debian mirror and Docker Hub).
# Build stage: the -dev packages and meson; runtime stage: only the shared libraries, the stripped
# binary and the example hosts in /app/hosts (the default HOSTS_DIRECTORY). `make image` builds the
# same runtime layout offline from a local build (scripts/image.sh, which reuses the runtime
# stage's ENV/USER/WORKDIR/EXPOSE/STOPSIGNAL/HEALTHCHECK/ENTRYPOINT lines below).
#
#   docker run -d --name joyride --network host --restart unless-stopped \
#     --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock:ro \
#     -e HOSTIP=192.168.1.10 -e DISCOVERY_BROADCAST=192.168.1.255 joyride
#
# The process runs as the unprivileged user joyride (uid 65532); --group-add gives it the Docker
# socket's group. Port 53 on the host network needs CAP_NET_BIND_SERVICE: add `--user 0` (root in
# the container has it; `--cap-add NET_BIND_SERVICE` if you drop capabilities).

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev meson ninja-build pkg-config \
      zlib1g-dev libmicrohttpd-dev libjansson-dev liburcu-dev libcurl4-openssl-dev libssl-dev \
      libsystemd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY meson.build meson_options.txt ./
COPY src/ src/
COPY tests/ tests/
RUN meson setup build --buildtype=release -Db_ndebug=true \
 && ninja -C build src/joyride \
 && strip build/src/joyride \
 && build/src/joyride --version

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libmicrohttpd12 libjansson4 liburcu8 libcurl4 \
      libssl3 zlib1g libsystemd0 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin \
 && groupadd --system --gid 65532 joyride \
 && useradd --system --uid 65532 --gid 65532 --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin joyride
COPY --from=build /src/build/src/joyride /usr/bin/joyride
COPY hosts/ /app/hosts/
WORKDIR /app
USER joyride
# DNS (UDP+TCP), HTTP API, SWIM membership (UDP+TCP), discovery broadcast
EXPOSE 5353/udp 5353/tcp 5000/tcp 8890/udp 8890/tcp 8889/udp
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/usr/bin/joyride", "health"]
ENTRYPOINT ["/usr/bin/joyride"]
