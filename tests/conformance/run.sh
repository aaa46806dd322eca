#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance)
# against mcpgw serving tests/conformance/everything-server.mjs on stdio:
#
#   modes     --stateful, and the default shared mode
#   versions  0.1.16 `--suite all`, and 0.2 `--requirements 2025-11-25`
#
# Each of the four runs gets a fresh mcpgw on a free loopback port. Results
# (checks.json per scenario, the CLI's and mcpgw's logs) go to a temporary
# directory; a table of all four runs is printed at the end.
#
# Exits non-zero when a CLI run fails against its expected-failures file
# (tests/conformance/expected-failures/<mode>.v<0.1|0.2>.yaml; the CLI also
# fails on stale entries and, for the scenarios it scores, on WARNINGs), or
# when any FAILURE check is in no expected-failures file (report.mjs), or
# when mcpgw does not start or dies during a run.
#
# Needs `npm ci` (the suite, node 22 and the SDK are pinned in the root
# package-lock.json) and a built build/mcpgw; installs nothing.
#
# Environment:
#   MCPGW_BIN          the gateway binary (default build/mcpgw)
#   CONFORMANCE_OUT    keep results here (default: a temp dir, removed when
#                      everything passed, kept and named when not)
#   CONFORMANCE_MODES     default "stateful shared"
#   CONFORMANCE_VERSIONS  default "0.1.16 0.2"
#   CONFORMANCE_TIMEOUT   seconds for one CLI run (default 900)
#
# Usage, from anywhere: sh tests/conformance/run.sh
set -eu

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
HERE=$ROOT/tests/conformance

NODE22=$ROOT/node_modules/node/bin/node
CONF_016=$ROOT/node_modules/conformance-016/dist/index.js
CONF_02=$ROOT/node_modules/conformance-02/dist/index.js
MCPGW=${MCPGW_BIN:-$ROOT/build/mcpgw}
FIXTURE_CMD="node tests/conformance/everything-server.mjs"
MODES=${CONFORMANCE_MODES:-stateful shared}
VERSIONS=${CONFORMANCE_VERSIONS:-0.1.16 0.2}
RUN_TIMEOUT=${CONFORMANCE_TIMEOUT:-900}

die() {
    echo "conformance: $*" >&2
    exit 2
}

for f in "$NODE22" "$CONF_016" "$CONF_02" "$ROOT/node_modules/@modelcontextprotocol/sdk/package.json"; do
    [ -e "$f" ] || die "missing $f: run 'npm ci' in $ROOT first"
done
[ -x "$MCPGW" ] || die "missing $MCPGW: build it first (cmake --build build)"
command -v node >/dev/null 2>&1 || die "no 'node' on PATH for the fixture"
case $("$NODE22" --version) in
v2[2-9].* | v[3-9][0-9].*) ;;
*) die "$NODE22 is $("$NODE22" --version), the conformance CLI needs Node >= 22" ;;
esac

if [ -n "${CONFORMANCE_OUT:-}" ]; then
    OUT=$CONFORMANCE_OUT
    mkdir -p "$OUT"
    KEEP_OUT=1
else
    OUT=$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-conformance.XXXXXX")
    KEEP_OUT=0
fi

GW_PID=
stop_gateway() {
    [ -n "$GW_PID" ] || return 0
    if kill -0 "$GW_PID" 2>/dev/null; then
        kill -TERM "$GW_PID" 2>/dev/null || true
        # --shutdown-timeout 10s plus --kill-grace 5s is the gateway's own
        # worst case; SIGKILL after that (its children die with it).
        n=0
        while kill -0 "$GW_PID" 2>/dev/null && [ $n -lt 80 ]; do
            sleep 0.25
            n=$((n + 1))
        done
        kill -KILL "$GW_PID" 2>/dev/null || true
    fi
    wait "$GW_PID" 2>/dev/null || true
    GW_PID=
}
INTERRUPTED=0
CLI_PID=
# shellcheck disable=SC2317 # run by the EXIT trap
on_exit() {
    if [ -n "$CLI_PID" ]; then
        kill -TERM "$CLI_PID" 2>/dev/null || true
        wait "$CLI_PID" 2>/dev/null || true
    fi
    stop_gateway
    # A run cut short leaves nothing behind but what was asked to be kept.
    if [ "$INTERRUPTED" -eq 1 ] && [ "$KEEP_OUT" -eq 0 ]; then
        rm -rf "$OUT"
    fi
}
trap on_exit EXIT
trap 'INTERRUPTED=1; exit 130' INT
trap 'INTERRUPTED=1; exit 143' TERM

free_port() {
    "$NODE22" -e '
        const s = require("net").createServer();
        s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Waits until GET /readyz answers 200 (the child is initialized), while the
# gateway lives. Returns 1 if it exited or did not get ready in 30 s.
wait_ready() {
    "$NODE22" -e '
        const [url, pid] = process.argv.slice(1);
        const alive = () => { try { process.kill(Number(pid), 0); return true; } catch { return false; } };
        const end = Date.now() + 30000;
        (async () => {
            while (Date.now() < end && alive()) {
                try {
                    const r = await fetch(url, { signal: AbortSignal.timeout(1000) });
                    await r.arrayBuffer();
                    if (r.status === 200) process.exit(0);
                } catch {}
                await new Promise((r) => setTimeout(r, 50));
            }
            process.exit(1);
        })();' "$1" "$2"
}

# start_gateway MODE LOG: sets GW_PID and GW_URL.
start_gateway() {
    mode=$1
    log=$2
    flag=
    [ "$mode" = stateful ] && flag=--stateful
    attempt=0
    while [ $attempt -lt 3 ]; do
        attempt=$((attempt + 1))
        port=$(free_port)
        (
            # Nothing from the caller's environment may configure this
            # gateway (an MCPGW_AUTH_TOKEN would turn auth on, for one).
            for v in $(env | sed -n 's/^\(MCPGW_[A-Za-z0-9_]*\)=.*/\1/p'); do
                unset "$v"
            done
            unset ACCESS_TOKEN
            exec "$MCPGW" --host 127.0.0.1 --port "$port" $flag \
                --parent-death --logLevel info --stdio "$FIXTURE_CMD"
        ) >"$log" 2>&1 &
        GW_PID=$!
        GW_URL=http://127.0.0.1:$port/mcp
        if wait_ready "http://127.0.0.1:$port/readyz" "$GW_PID"; then
            return 0
        fi
        stop_gateway
        if ! grep -qi 'in use' "$log"; then
            break
        fi
    done
    echo "conformance: mcpgw ($mode) did not get ready; its log:" >&2
    tail -n 30 "$log" >&2
    return 1
}

ESC=$(printf '\033')
RC=0
REPORT_ARGS=

for mode in $MODES; do
    for version in $VERSIONS; do
        case $version in
        0.1.16)
            cli=$CONF_016
            set -- server --suite all
            ef=$HERE/expected-failures/$mode.v0.1.yaml
            ;;
        0.2)
            cli=$CONF_02
            set -- server --requirements 2025-11-25
            ef=$HERE/expected-failures/$mode.v0.2.yaml
            ;;
        *) die "unknown suite version $version (0.1.16 or 0.2)" ;;
        esac
        case $mode in
        stateful | shared) ;;
        *) die "unknown mode $mode (stateful or shared)" ;;
        esac
        [ -f "$ef" ] || die "missing $ef"

        label=$mode-$version
        results=$OUT/$label
        rm -rf "$results"
        mkdir -p "$results"
        REPORT_ARGS="$REPORT_ARGS $label $results $ef"

        echo "== $label: $("$NODE22" "$cli" --version 2>/dev/null || echo '?') $*"
        if ! start_gateway "$mode" "$OUT/$label.mcpgw.log"; then
            RC=1
            continue
        fi
        # In the background, so that a signal to this script is acted on
        # at once (a shell runs traps only between foreground commands).
        timeout -k 10 "$RUN_TIMEOUT" "$NODE22" "$cli" "$@" --url "$GW_URL" \
            -o "$results" --expected-failures "$ef" \
            >"$OUT/$label.cli.log" 2>&1 &
        CLI_PID=$!
        cli_rc=0
        wait "$CLI_PID" || cli_rc=$?
        CLI_PID=
        # The CLI's own verdict: totals and the baseline comparison.
        sed -n '/^Total:/,$p' "$OUT/$label.cli.log" | sed "s/${ESC}\[[0-9;]*m//g" |
            grep -v '^$' | sed 's/^/   /'
        if ! kill -0 "$GW_PID" 2>/dev/null; then
            echo "   mcpgw exited during the run; the end of its log:"
            tail -n 20 "$OUT/$label.mcpgw.log" | sed 's/^/   /'
            RC=1
        fi
        stop_gateway
        if [ "$cli_rc" -ne 0 ]; then
            echo "   -> FAILED (CLI exit $cli_rc; see $OUT/$label.cli.log)"
            RC=1
        fi
    done
done

echo
echo "== results (passed/failed checks, +Nw = warnings)"
# shellcheck disable=SC2086 # labels and paths have no blanks
"$NODE22" "$HERE/report.mjs" $REPORT_ARGS || RC=1

if [ "$RC" -ne 0 ]; then
    echo
    echo "conformance: FAILED; results and logs are in $OUT"
elif [ "$KEEP_OUT" -eq 1 ]; then
    echo
    echo "conformance: passed; results are in $OUT"
else
    rm -rf "$OUT"
    echo
    echo "conformance: passed"
fi
exit "$RC"
