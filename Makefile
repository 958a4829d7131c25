# Thin wrapper over the CMake presets; a CMake user can ignore it:
#   cmake --preset default && cmake --build --preset default && ctest --preset default
#
#   make test   install missing packages, build, run every test
#   make run    install missing packages, build, start corsd with a demo tenant
#
# Both commands are idempotent: the dependency check takes well under a second
# when nothing is missing, and Ninja rebuilds only what changed.

.PHONY: all build test run asan-test clean deps test-deps

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

build-asan/build.ninja:
	cmake --preset asan

asan-test: test-deps build-asan/build.ninja
	cmake --build --preset asan
	ctest --preset asan

clean:
	rm -rf build build-asan build-fuzz
