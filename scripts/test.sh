#!/bin/sh
# Runs the whole test suite: the format check, then unit and integration
# tests on a warnings-as-errors build, then again under ASan and UBSan.
set -eu

cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
MCPGW_CMAKE_FLAGS="-DMCPGW_WERROR=ON" sh scripts/setup.sh
as_root apt-get install -y -qq --no-install-recommends clang-format \
    valgrind >/dev/null
# The nginx tests: nginx itself, openssl for their certificate, envsubst.
as_root apt-get install -y -qq --no-install-recommends nginx openssl \
    gettext-base >/dev/null
# The conf/ test: systemd-analyze, kubectl kustomize, a YAML reader. Each
# only when missing: a kubectl from another package must not be replaced.
conf_tools=""
command -v systemd-analyze >/dev/null 2>&1 || conf_tools="systemd"
command -v kubectl >/dev/null 2>&1 ||
    conf_tools="$conf_tools kubernetes-client"
python3 -c 'import yaml' 2>/dev/null || conf_tools="$conf_tools python3-yaml"
if [ -n "$conf_tools" ]; then
    # shellcheck disable=SC2086
    as_root apt-get install -y -qq --no-install-recommends $conf_tools \
        >/dev/null
fi

# The SDK client and the MCP servers the tests run, pinned by the lock.
npm ci --no-audit --no-fund --loglevel=error

echo "== format check"
clang-format --dry-run --Werror src/*.c include/mcpgw/*.h tests/unit/*.c

echo "== tests"
ctest --test-dir build --output-on-failure --timeout 300

echo "== MCP conformance suite, --stateful and shared"
sh tests/conformance/run.sh

echo "== container image"
bash tests/image/run.sh

echo "== integration tests with the gateway under valgrind memcheck"
MCPGW_BIN="$(pwd)/tests/valgrind/mcpgw.sh" \
    node --test --test-concurrency=2 tests/integration/

echo "== tests under AddressSanitizer and UBSan"
cmake -S . -B build-asan -DMCPGW_WERROR=ON -DMCPGW_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$(nproc)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --timeout 300

echo "== fuzzing (bounded)"
sh scripts/fuzz.sh

# Every step above stops the script on a failure, so reaching here means
# all of it passed; say so in the line CI reads last.
total=$(ctest --test-dir build -N | sed -n 's/^Total Tests: //p')
echo "mcpgw: $total passed, 0 failed"
