# Thin wrapper around Meson: `make` builds build/joyride, `make run` runs one node on loopback,
# `make test` runs the whole suite (unit + fuzz smoke + integration), `make fuzz` fuzzes longer,
# `make image` loads the runtime image joyride:latest into the daemon at DOCKER_HOST, offline.
BUILD      ?= build
TESTBUILD  ?= build-test
FUZZBUILD  ?= build-fuzz
FUZZ_SECONDS ?= 15
PYTEST     ?= /usr/bin/python3 -m pytest

.PHONY: all build image run test unit fuzz-smoke fuzz integration bench bench-dns bench-forward bench-docker bench-swim bench-cluster format lint clean deps

all: build

deps:
	@scripts/deps.sh build

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) --buildtype=release -Db_ndebug=true >/dev/null
	@ninja -C $(BUILD) src/joyride src/swimmies/swimmies-agent
	@ln -sf src/joyride $(BUILD)/joyride
	@ln -sf src/swimmies/swimmies-agent $(BUILD)/swimmies-agent

image: build
	scripts/image.sh $(BUILD)/src/joyride joyride:latest

run: build
	DNS_BIND_ADDRESS=127.0.0.1 HTTP_BIND_ADDRESS=127.0.0.1 HOSTIP=127.0.0.1 \
	CLUSTER_BIND_ADDRESS=127.0.0.1 DISCOVERY_BROADCAST=127.255.255.255 \
	HOSTS_DIRECTORY=./hosts ./$(BUILD)/joyride

test:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory unit fuzz-smoke integration

$(TESTBUILD)/build.ninja:
	meson setup $(TESTBUILD) --buildtype=debug -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

unit: $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	meson test -C $(TESTBUILD) --print-errorlogs --num-processes 2

$(FUZZBUILD)/build.ninja:
	CC=clang meson setup $(FUZZBUILD) --buildtype=debugoptimized -Dfuzz=true \
	    -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

fuzz-smoke: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD) fuzz-targets
	scripts/fuzz.sh $(FUZZBUILD) $(FUZZ_SECONDS)

fuzz: $(FUZZBUILD)/build.ninja
	ninja -C $(FUZZBUILD) fuzz-targets
	scripts/fuzz.sh $(FUZZBUILD) $${FUZZ_SECONDS:-300}

integration: $(TESTBUILD)/build.ninja
	ninja -C $(TESTBUILD)
	JOYRIDE_BUILD=$(abspath $(TESTBUILD)) $(PYTEST) -q tests/integration

bench: bench-dns bench-forward bench-docker bench-swim bench-cluster

bench-dns: build
	@scripts/deps.sh bench
	bench/dns.sh

bench-forward: build
	@scripts/deps.sh bench
	bench/forward.sh

bench-docker: build
	@scripts/deps.sh test
	bench/docker.sh

bench-swim: build
	bench/swim.sh

bench-cluster: build
	@scripts/deps.sh test
	ninja -C $(BUILD) tests/sim/swimsim
	bench/cluster.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

lint: $(TESTBUILD)/build.ninja
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
	    --inline-suppr -D__GNUC__ -I src $$(git ls-files 'src/*.c')
	clang-tidy --quiet -p $(TESTBUILD) $$(git ls-files 'src/*.c')

clean:
	rm -rf $(BUILD) $(TESTBUILD) $(FUZZBUILD)
