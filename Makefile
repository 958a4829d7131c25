# Thin wrapper over the CMake presets; a CMake user can ignore it:
#   cmake --preset default && cmake --build --preset default && ctest --preset default
#
#   make test   install missing packages, build, run every test
#   make asan-test / tsan-test / fuzz   the sanitizer builds CI runs too
#   make run    install missing packages, build, start corsd with a demo tenant
#   make package  build the Debian packages into build/packages/
#   make nginx-module  build only the nginx module (build/nginx-module/)
#
# Both commands are idempotent: the dependency check takes well under a second
# when nothing is missing, and Ninja rebuilds only what changed.

.PHONY: all build test run asan-test tsan-test fuzz package format clean deps test-deps nginx-module

all: build

deps:
	@scripts/install-deps

test-deps:
	@scripts/install-deps --test

# Configure once; afterwards Ninja re-runs CMake by itself when a
# CMakeLists.txt changes.
build/build.ninja:
	cmake --preset default

build: deps build/build.ninja
	cmake --build --preset default

test: test-deps build/build.ninja
	cmake --build --preset default
	ctest --preset default

run: deps build/build.ninja
	cmake --build --preset default
	@scripts/run-demo

# ngx_http_corsd_module.so alone, in build/nginx-module/.
nginx-module: deps build/build.ninja
	cmake --build --preset default --target nginx-module

# Debian packages (corsd, libcorsd-client-dev, libnginx-mod-http-corsd) in build/packages/.
package: deps build/build.ninja
	cmake --build --preset default
	cd build && cpack

build-asan/build.ninja:
	cmake --preset asan

asan-test: test-deps build-asan/build.ninja
	cmake --build --preset asan
	ctest --preset asan

build-tsan/build.ninja:
	cmake --preset tsan

# ThreadSanitizer over the in-process concurrency tests (see tests/tsan/).
tsan-test: test-deps build-tsan/build.ninja
	cmake --build --preset tsan
	ctest --preset tsan

build-fuzz/build.ninja:
	cmake --preset fuzz

# Bounded libFuzzer runs of every parser (FUZZ_SECONDS each).
FUZZ_SECONDS ?= 60
fuzz: test-deps build-fuzz/build.ninja
	cmake --build --preset fuzz
	@scripts/run-fuzzers build-fuzz/bin $(FUZZ_SECONDS)

# Rewrite every C++ file as .clang-format says (CI checks it).
format:
	@scripts/check-format --fix

clean:
	rm -rf build build-asan build-tsan build-fuzz
