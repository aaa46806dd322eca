#!/usr/bin/env bash
# Builds the project's Dockerfile and runs it for real, with podman and
# Debian's packages only (no image registry is needed): a stand-in for the
# node base image from debootstrap, the image built from it with
# server-filesystem installed, then the workflow's environment (NPM_MCP,
# NPM_MCP_ARGS, ACCESS_TOKEN, SUPERGATEWAY_EXTRA_ARGS=--stateful) and the
# SDK client through it. Prints one TAP line per check.
#
# Usage: bash tests/image/run.sh   (as root; after npm ci)
# MCPGW_IMAGE_KEEP=1 keeps the scratch root and its images for a rerun.
set -euo pipefail

[ "$(id -u)" -eq 0 ] || exec sudo -E bash "$0" "$@"
cd "$(dirname "$0")/../.."
SCRATCH=${MCPGW_IMAGE_SCRATCH:-$(pwd)/build/image-test}
export SCRATCH
mkdir -p "$SCRATCH"
. tests/image/podman.sh

export DEBIAN_FRONTEND=noninteractive
if ! command -v podman >/dev/null || ! command -v runc >/dev/null ||
    ! command -v debootstrap >/dev/null; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends podman runc \
        debootstrap >/dev/null
fi

image=localhost/mcpgw:test
name=mcpgw-image-test.$$
n=0
failed=0

check() { # check NAME COMMAND...: one TAP line for COMMAND's status
    local what=$1
    shift
    n=$((n + 1))
    if "$@"; then
        echo "ok $n - $what"
    else
        echo "not ok $n - $what"
        failed=$((failed + 1))
    fi
}

cleanup() {
    pm rm -f -t 0 "$name" "$name-sandbox" >/dev/null 2>&1 || true
    if [ -z "${MCPGW_IMAGE_KEEP:-}" ]; then
        pm system reset -f >/dev/null 2>&1 || true
        rm -rf "$SCRATCH"
    fi
}
trap cleanup EXIT

free_port() {
    node -e "const s = require('net').createServer();
        s.listen(0, '127.0.0.1', () => { console.log(s.address().port);
        s.close(); });"
}

# --- build -------------------------------------------------------------
t0=$(date +%s)
if ! pm image exists localhost/mcpgw-base:bookworm; then
    bash tests/image/make-base.sh
fi
t1=$(date +%s)
fs_version=$(node -p "require('./package.json').devDependencies[
    '@modelcontextprotocol/server-filesystem']")
# --format docker: OCI images have no HEALTHCHECK.
pm build -q --format docker --network host "${ulimits[@]}" \
    --build-arg BASE_IMAGE=localhost/mcpgw-base:bookworm \
    --build-arg NPM_MCP=@modelcontextprotocol/server-filesystem \
    --build-arg NPM_MCP_VERSION="$fs_version" \
    -t "$image" . >"$SCRATCH/build.log" 2>&1 || {
    tail -40 "$SCRATCH/build.log" >&2
    exit 1
}
t2=$(date +%s)
echo "# base image $((t1 - t0)) s, mcpgw image $((t2 - t1)) s"

# A fresh token from the image's own keygen; it exists only at run time.
token=$(pm run --rm "${ulimits[@]}" --network none --no-healthcheck \
    "$image" keygen)
check "mcpgw keygen in the image gives 64 hex digits" \
    grep -Eqx '[0-9a-f]{64}' <<<"$token"

# --- refusals: exit 2 and one line naming the problem -------------------
refusal() { # refusal PATTERN podman-run-args...
    local pattern=$1 out rc=0
    shift
    out=$(pm run --rm "${ulimits[@]}" --network none --no-healthcheck "$@" \
        "$image" 2>&1) || rc=$?
    [ "$rc" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 1 ] &&
        grep -q -- "$pattern" <<<"$out" || {
        echo "#   exit $rc: $out"
        return 1
    }
}
check "all interfaces without a token: refused" \
    refusal "is not a loopback address" -e MCPGW_PORT=1
check "a bad SUPERGATEWAY_EXTRA_ARGS: refused, naming it" \
    refusal "^mcpgw: SUPERGATEWAY_EXTRA_ARGS: unknown flag --statefull" \
    -e ACCESS_TOKEN="$token" -e SUPERGATEWAY_EXTRA_ARGS=--statefull
check "a bad NPM_MCP: refused, naming it" \
    refusal "^mcpgw: NPM_MCP: invalid package" \
    -e ACCESS_TOKEN="$token" -e 'NPM_MCP=x;id'

# --- the workflow ------------------------------------------------------
port=$(free_port)
env_file="$SCRATCH/workflow.env"
cat >"$env_file" <<ENV
NPM_MCP=@modelcontextprotocol/server-filesystem
NPM_MCP_ARGS=/data
SUPERGATEWAY_EXTRA_ARGS=--stateful
ACCESS_TOKEN=$token
MCPGW_PORT=$port
ENV
# No systemd here to time health checks: they are run by hand below, and
# podman's complaints about it go to podman.log. Hardened as
# conf/docker-compose.yml runs it: read-only, no capabilities.
pm run -d --name "$name" --network host "${ulimits[@]}" --env-file "$env_file" \
    --read-only --tmpfs /tmp --cap-drop all \
    --security-opt no-new-privileges \
    --health-interval disable "$image" >/dev/null 2>>"$SCRATCH/podman.log"

logs() { # logs CONTAINER: what the container wrote, not podman's own lines
    pm logs "$1" 2>&1 | grep -v '^time="'
}

healthy() { # healthy CONTAINER: within 30 s
    for _ in $(seq 1 60); do
        pm healthcheck run "$1" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    logs "$1" | tail -20 | sed 's/^/#   /'
    return 1
}
check "HEALTHCHECK (mcpgw probe /readyz) passes" healthy "$name"
check "the SDK client through the container" \
    node tests/image/client.mjs filesystem "http://127.0.0.1:$port/mcp" \
    "$token"

status() { pm exec "$name" cat /proc/1/status; }
check "PID 1 is mcpgw" grep -qx $'Name:\tmcpgw' <(status)
check "PID 1 runs as uid 10001, not root" \
    grep -Eq $'^Uid:\t10001\t10001\t10001\t10001$' <(status)
sandbox_line() { logs "$name" | grep -m1 'sandbox strict'; }
check "the MCP server runs under --sandbox (strict)" \
    grep -q 'Landlock.*seccomp' <(sandbox_line)
echo "# $(sandbox_line | sed 's/^.*sandbox strict/sandbox strict/')"

stop_cleanly() {
    local t0 t1 code
    t0=$(date +%s%N)
    pm stop -t 10 "$name" >/dev/null 2>>"$SCRATCH/podman.log"
    t1=$(date +%s%N)
    code=$(pm inspect -f '{{.State.ExitCode}}' "$name")
    echo "#   stopped in $(((t1 - t0) / 1000000)) ms, exit status $code"
    [ "$code" -eq 0 ] && [ $((t1 - t0)) -lt 10000000000 ]
}
check "podman stop -t 10: SIGTERM ends it within the grace, status 0" \
    stop_cleanly
clean_log() {
    local log
    log=$(logs "$name")
    grep -q 'SIGTERM: shutting down' <<<"$log" &&
        tail -1 <<<"$log" | grep -q 'stopped$' &&
        ! grep -E ' (warn|error) ' <<<"$log" |
        grep -vq ' warn sandbox: no cgroup for the MCP server' || {
        sed 's/^/#   /' <<<"$log" | tail -20
        return 1
    }
}
# The one warning expected: a container's cgroup is not the gateway's to
# divide, so the server's limits are rlimits (the container's own bound
# them all).
check "its log: the shutdown, 'stopped' last, no other warning, no error" \
    clean_log

# --- the sandbox, seen from a hostile server ---------------------------
port=$(free_port)
pm run -d --name "$name-sandbox" --network host "${ulimits[@]}" \
    --health-interval disable -e ACCESS_TOKEN="$token" \
    -e MCPGW_PORT="$port" -e MCPGW_ALLOW_READ=/fixtures \
    -v "$(pwd)/tests/fixtures:/fixtures:ro" "$image" \
    --stdio "exec node /fixtures/hostile-server.mjs" \
    >/dev/null 2>>"$SCRATCH/podman.log"
check "the sandbox container is ready" healthy "$name-sandbox"
check "what a hostile server can reach in the container" \
    node tests/image/client.mjs sandbox "http://127.0.0.1:$port/mcp" "$token"
pm rm -f -t 0 "$name-sandbox" >/dev/null 2>>"$SCRATCH/podman.log"

# --- no secret in the image --------------------------------------------
history_clean() {
    local h
    h=$(pm history --no-trunc "$image")
    grep -qF 'NPM_MCP=@modelcontextprotocol/server-filesystem' <<<"$h" &&
        ! grep -qF -- "$token" <<<"$h"
}
check "podman history (build arguments shown) holds no token" history_clean
rm -rf "$SCRATCH/image.tar" "$SCRATCH/saved"
pm save -q -o "$SCRATCH/image.tar" "$image"
mkdir -p "$SCRATCH/saved"
tar -xf "$SCRATCH/image.tar" -C "$SCRATCH/saved"
search_layers() { # search_layers STRING: how many saved files hold it
    local f hits=0
    while IFS= read -r -d '' f; do
        if gzip -t "$f" 2>/dev/null; then
            zcat "$f" | grep -aqF -- "$1" && hits=$((hits + 1))
        else
            grep -aqF -- "$1" "$f" && hits=$((hits + 1))
        fi
    done < <(find "$SCRATCH/saved" -type f -print0)
    echo "$hits"
}
layers=$(find "$SCRATCH/saved" -type f | wc -l)
echo "# podman save: $layers files, $(du -sh "$SCRATCH/image.tar" | cut -f1)"
# The search must be able to find something: mcpgw's own usage text.
check "the layer search finds what is there" \
    test "$(search_layers 'Serves the MCP server that CMD runs')" -gt 0
check "no layer or config of the saved image holds the token" \
    test "$(search_layers "$token")" -eq 0

echo "1..$n"
echo "# $((n - failed)) passed, $failed failed, $(($(date +%s) - t0)) s"
[ "$failed" -eq 0 ]
