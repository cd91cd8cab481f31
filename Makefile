# Everything the tests need is installed by these targets; a fresh clone runs
# `make test` and nothing else.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PEERS_STAMP := tests/peers/.installed
CONTRACTS_STAMP := tests/contracts/node/.installed

.PHONY: test lint typecheck pytest install peers image demo bench bench-codec clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

peers: $(PEERS_STAMP) $(CONTRACTS_STAMP)

# @asyncapi/specs and @asyncapi/parser, which tests/contracts runs on every
# AsyncAPI document sioproxy writes (docs/contracts.md).
$(CONTRACTS_STAMP): tests/contracts/node/package.json tests/contracts/node/package-lock.json
	cd tests/contracts/node && npm ci --ignore-scripts --no-audit --no-fund
	touch $(CONTRACTS_STAMP)

$(PEERS_STAMP): tests/peers/install.sh tests/peers/package.json tests/ops/install_haproxy.sh \
		tests/docker/install_tools.sh tests/web/install_chromium.sh
	bash tests/peers/install.sh
	bash tests/ops/install_haproxy.sh
	bash tests/web/install_chromium.sh
	bash tests/docker/install_tools.sh
	touch $(PEERS_STAMP)

# localhost/sioproxy:latest from docker/Dockerfile: docker or podman when an engine
# answers, else buildah without a daemon (docs/operations.md).
image:
	command -v docker >/dev/null && docker info >/dev/null 2>&1 || bash tests/docker/install_tools.sh
	bash docker/build-image.sh

lint: $(STAMP)
	$(BIN)/ruff check sioproxy tests bench docker
	$(BIN)/ruff format --check sioproxy tests bench docker
	$(BIN)/lint-imports
	$(BIN)/hadolint docker/Dockerfile

typecheck: $(STAMP)
	$(BIN)/mypy --strict sioproxy

pytest: $(STAMP) peers
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/python -m sioproxy.demo.run

bench-codec: $(STAMP)
	$(BIN)/python bench/codec.py

# End-to-end benchmark (docs/performance.md): direct, raw relay, sioproxy
# proxy/record and mitmproxy (own venv, bench/.venv-mitm); about 15-20 min.
bench: $(STAMP) peers
	bash bench/mitm_setup.sh
	$(BIN)/python bench/run.py --out bench/last-run.md

clean:
	rm -rf $(VENV) tests/peers/node_modules $(PEERS_STAMP) tests/contracts/node/node_modules $(CONTRACTS_STAMP)

# Coverage-guided fuzzing of every decoder with atheris (not in CI). Each
# target runs FUZZ_SECONDS; crashing inputs land in tests/fuzz/regressions/
# and are replayed by tests/fuzz/test_regressions.py. See docs/reliability.md.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 2
FUZZ_WORK ?= /tmp/sioproxy-fuzz
FUZZ_TARGETS ?= legacy_packet legacy_framing engineio_frame eio_payload eio_handshake \
	sio_packet sio_binary recording_reader rules_parser msgpack

.PHONY: fuzz soak abuse-soak
fuzz: $(STAMP)
	$(BIN)/python -c 'import atheris' 2>/dev/null || $(BIN)/python -m pip install -q atheris
	mkdir -p $(FUZZ_WORK)
	printf '%s\n' $(FUZZ_TARGETS) | xargs -P $(FUZZ_JOBS) -I{} sh -c \
	  'mkdir -p $(FUZZ_WORK)/{}; \
	   $(BIN)/python -m tests.fuzz.atheris_{} $(FUZZ_WORK)/{} tests/fuzz/seeds/{} \
	     -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 -timeout=10 \
	     > $(FUZZ_WORK)/{}.log 2>&1; \
	   echo "{}: exit $$? $$(grep -E "^#[0-9]+.*DONE|^Done" $(FUZZ_WORK)/{}.log | tail -1)"'

# 10 minutes of emit-with-ack traffic from SOAK_SOCKETS sockets through
# `sioproxy record` (not in CI); prints the counts and the RSS curve.
SOAK_SOCKETS ?= 5000
SOAK_SECONDS ?= 600
SOAK_REPORT ?= /tmp/sioproxy-soak.json
soak: $(STAMP) peers
	$(BIN)/python bench/soak.py --sockets $(SOAK_SOCKETS) --seconds $(SOAK_SECONDS) \
	  --report $(SOAK_REPORT)

# 10,000 connect/abuse/close cycles through `sioproxy record` (not in CI):
# the proxy's RSS at the end must be within 10 % of RSS after 100 cycles.
ABUSE_CYCLES ?= 10000
abuse-soak: $(STAMP) peers
	$(BIN)/python bench/abuse_soak.py --cycles $(ABUSE_CYCLES) --report /tmp/sioproxy-abuse.json
