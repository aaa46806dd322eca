#!/bin/sh
# Installs what mcpgw needs on Debian 12 and builds it into build/.
# The Dockerfile, CI and the README all use this one script.
set -eu

cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Build dependencies, and what the test suite runs against (nginx, wrk
# and clang come in with scripts/test.sh).
packages="build-essential cmake pkg-config libuv1-dev libmicrohttpd-dev
libcjson-dev libssl-dev libseccomp-dev ca-certificates"
command -v node >/dev/null 2>&1 || packages="$packages nodejs"
command -v npm >/dev/null 2>&1 || packages="$packages npm"

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -qq
# shellcheck disable=SC2086
as_root apt-get install -y -qq --no-install-recommends $packages >/dev/null

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo ${MCPGW_CMAKE_FLAGS:-}
cmake --build build -j"$(nproc)"
echo "built: $(pwd)/build/mcpgw"
