# Thin wrapper over CMake for the usual commands. The README's commands
# are scripts/demo and scripts/test (they need no make to start). These
# are developer targets: warnings are errors (FLOE_WERROR=ON), as in
# scripts/test and CI; a plain `cmake` build keeps them warnings.
JOBS ?= $(shell nproc)
FUZZ_SECONDS ?= 60

.PHONY: all build test demo fuzz bench format layers clean

all: build

build:
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLOE_WERROR=ON >/dev/null
	cmake --build build -j$(JOBS)

test:
	bash scripts/test

demo:
	bash scripts/demo

# Builds the libFuzzer targets with clang and runs each one for
# FUZZ_SECONDS on a scratch copy of its seed corpus.
fuzz:
	CC=clang cmake -S . -B build-fuzz -DFLOE_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug -DFLOE_WERROR=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzzers
	bash scripts/fuzz $(FUZZ_SECONDS)

bench: build
	bash bench/run.sh

layers:
	/usr/bin/python3 scripts/check-layers

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf build build-asan build-fuzz build-rel-gcc build-rel-clang
