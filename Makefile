# The two commands of the README: `make run` and `make test`. Everything else is a helper.
BUILD ?= build
JOBS ?= $(shell nproc)
DATA ?= ./data
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=Release

.PHONY: deps build run test unit e2e bench bench-peers soak fuzz deb clean

deps:
	bash scripts/install-deps.sh

$(BUILD)/Makefile $(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/licsat serve --data $(DATA)

test: build
	bash scripts/run-tests.sh $(BUILD)

bench: build
	bash bench/run.sh $(BUILD)

# A bounded soak (SOAK_SECONDS, default 600) at 80% of the measured token peak; not part of `make test`.
soak: build
	bash bench/soak.sh $(BUILD)

# libFuzzer targets (tests/fuzz, clang 14, ASan + UBSan) in build-fuzz, each for FUZZ_SECONDS.
FUZZ_SECONDS ?= 300
fuzz: deps
	FUZZ_SECONDS=$(FUZZ_SECONDS) bash scripts/fuzz-smoke.sh

# licsat's token endpoint side by side with Glewlwyd and oidc-provider (installs them: apt, npm).
bench-peers: build
	bash bench/peers/run.sh $(BUILD)

# A Debian package of the build (scripts/build-deb.sh): build/deb/licsat_VERSION_ARCH.deb.
deb: build
	bash scripts/build-deb.sh $(BUILD)

clean:
	rm -rf $(BUILD)
