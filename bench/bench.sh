#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# mcpgw benchmark: tools/call echo throughput and latency, side by side with
# mcpgw --json-response, Supergateway 4.0.0 and a fixed-answer nginx (the HTTP
# ceiling of the machine). Loopback only. See bench/README.md.
#
# Environment:
#   BENCH_DURATION     seconds per wrk run (10)
#   BENCH_WARMUP       seconds of warm-up per target, 0 for none (2)
#   BENCH_CONCURRENCY  connection counts ("1 16 64")
#   BENCH_TARGETS      targets to run ("mcpgw mcpgw-json supergateway nginx")
#   BENCH_SKIP_MCPGW, BENCH_SKIP_MCPGW_JSON, BENCH_SKIP_SUPERGATEWAY,
#   BENCH_SKIP_NGINX   set to 1 to leave a target out
#   BENCH_PORT_BASE    first port to try (18600)
#   BENCH_NO_INSTALL   1: do not apt-get / npm ci, use what is there
#   BENCH_MCPGW        mcpgw binary (build/mcpgw, built if missing)
#   BENCH_MCPGW_LOG    mcpgw --logLevel (warn; its default info logs a line
#                      per request)
#   BENCH_SG_LOG       Supergateway --logLevel (none; its default info logs
#                      every message)
#   BENCH_OUT          output directory (bench/out)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$HERE")
OUT=${BENCH_OUT:-$HERE/out}
FIXTURE=$ROOT/tests/fixtures/fixture-server.mjs
MCPGW=${BENCH_MCPGW:-$ROOT/build/mcpgw}
SG_VERSION=4.0.0
SG=$HERE/node_modules/supergateway/dist/index.js
LUA=$HERE/bench.lua
DURATION=${BENCH_DURATION:-10}
DURATION=${DURATION%s}
WARMUP=${BENCH_WARMUP:-2}
WARMUP=${WARMUP%s}
CONCURRENCY=${BENCH_CONCURRENCY:-1 16 64}
TARGETS=${BENCH_TARGETS:-mcpgw mcpgw-json supergateway nginx}
PORT_BASE=${BENCH_PORT_BASE:-18600}
MCPGW_LOG=${BENCH_MCPGW_LOG:-warn}
SG_LOG=${BENCH_SG_LOG:-none}
HOST=127.0.0.1

CALL='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}'
INIT='{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}'
INITIALIZED='{"jsonrpc":"2.0","method":"notifications/initialized"}'

log() { printf 'bench: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $DURATION =~ ^[0-9]+$ && $DURATION -gt 0 ]] || die "BENCH_DURATION must be a whole number of seconds"
[[ $WARMUP =~ ^[0-9]+$ ]] || die "BENCH_WARMUP must be a whole number of seconds"
for c in $CONCURRENCY; do
  [[ $c =~ ^[0-9]+$ && $c -gt 0 ]] || die "BENCH_CONCURRENCY: bad value '$c'"
done

# Targets, less the skipped ones.
skip_var() {
  case $1 in
    mcpgw) echo "${BENCH_SKIP_MCPGW:-}" ;;
    mcpgw-json) echo "${BENCH_SKIP_MCPGW_JSON:-}" ;;
    supergateway) echo "${BENCH_SKIP_SUPERGATEWAY:-}" ;;
    nginx) echo "${BENCH_SKIP_NGINX:-}" ;;
    *) die "unknown target '$1' (mcpgw mcpgw-json supergateway nginx)" ;;
  esac
}
SELECTED=()
for t in $TARGETS; do
  s=$(skip_var "$t")
  [[ -n $s && $s != 0 ]] || SELECTED+=("$t")
done
((${#SELECTED[@]})) || die "no target left to run"
want() { local t; for t in "${SELECTED[@]}"; do [[ $t == "$1" ]] && return 0; done; return 1; }

# ------------------------------------------------------------------ install

SUDO=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || die "not root and no sudo: run as root or install sudo"
  SUDO=(sudo)
fi

if [[ ${BENCH_NO_INSTALL:-} != 1 ]]; then
  pkgs=()
  command -v wrk >/dev/null || pkgs+=(wrk)
  if want nginx && ! command -v nginx >/dev/null && [[ ! -x /usr/sbin/nginx ]]; then
    pkgs+=(nginx-light)
  fi
  command -v curl >/dev/null || pkgs+=(curl)
  if ((${#pkgs[@]})); then
    log "installing ${pkgs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! "${SUDO[@]}" apt-get install -y -q "${pkgs[@]}"; then
      "${SUDO[@]}" apt-get update -q
      "${SUDO[@]}" apt-get install -y -q "${pkgs[@]}"
    fi
  fi
  if want supergateway; then
    have=$(node -p "require('$HERE/node_modules/supergateway/package.json').version" 2>/dev/null || true)
    if [[ $have != "$SG_VERSION" || ! $HERE/node_modules/.package-lock.json -nt $HERE/package-lock.json ]]; then
      log "npm ci --prefix bench (supergateway $SG_VERSION)"
      npm ci --prefix "$HERE" --no-audit --no-fund >&2
    fi
  fi
fi

command -v wrk >/dev/null || die "wrk not found"
command -v curl >/dev/null || die "curl not found"
command -v node >/dev/null || die "node not found (the fixture server needs it)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if want nginx; then [[ -x $NGINX ]] || die "nginx not found"; fi
if want supergateway; then
  have=$(node -p "require('$HERE/node_modules/supergateway/package.json').version" 2>/dev/null || true)
  [[ $have == "$SG_VERSION" ]] || die "supergateway $SG_VERSION not installed in bench/node_modules (got '${have:-none}')"
fi
if want mcpgw || want mcpgw-json; then
  if [[ ! -x $MCPGW ]]; then
    [[ -z ${BENCH_MCPGW:-} ]] || die "$MCPGW is not executable"
    log "building mcpgw"
    cmake -S "$ROOT" -B "$ROOT/build" >&2
    cmake --build "$ROOT/build" -j2 >&2
  fi
fi

# ------------------------------------------------------------------ cleanup

TMP=$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-bench.XXXXXX")
LEADERS=()          # pids we started, each the leader of its own session
WRK_PID=            # the running timeout+wrk, if any

descendants() {     # all descendants of $1, deepest last
  local kid
  for kid in $(ps -o pid= --ppid "$1" 2>/dev/null); do
    echo "$kid"
    descendants "$kid"
  done
}

# stop_all LEADER...: TERM each leader's group and all its descendants (the
# children of mcpgw and Supergateway lead groups of their own), wait up to
# 5 s in all, then KILL what is left.
stop_all() {
  local pids=() p l i alive
  for l in "$@"; do
    kill -0 "$l" 2>/dev/null || continue
    pids+=("$l" $(descendants "$l"))
  done
  ((${#pids[@]})) || return 0
  for l in "$@"; do kill -TERM -- "-$l" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for ((i = 0; i < 50; i++)); do
    alive=0
    for p in "${pids[@]}"; do
      # A zombie child of ours counts as gone.
      if kill -0 "$p" 2>/dev/null && [[ $(ps -o stat= -p "$p" 2>/dev/null) != Z* ]]; then
        alive=1; break
      fi
    done
    ((alive)) || break
    sleep 0.1
  done
  for l in "$@"; do kill -KILL -- "-$l" 2>/dev/null || true; done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for l in "$@"; do wait "$l" 2>/dev/null || true; done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n $WRK_PID ]]; then
    kill -TERM -- "-$WRK_PID" 2>/dev/null || kill -TERM "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
  fi
  stop_all "${LEADERS[@]}"
  rm -rf "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ helpers

port_busy() {
  if command -v ss >/dev/null; then
    [[ -n $(ss -Htln "sport = :$1" 2>/dev/null) ]]
  else
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
  fi
}

# pick_port TARGET: the next free port, in PORT[TARGET] (no subshell, so
# NEXT_PORT moves on).
NEXT_PORT=$PORT_BASE
pick_port() {
  while port_busy "$NEXT_PORT"; do
    NEXT_PORT=$((NEXT_PORT + 1))
    ((NEXT_PORT < PORT_BASE + 500)) || die "no free port from $PORT_BASE"
  done
  PORT[$1]=$NEXT_PORT
  NEXT_PORT=$((NEXT_PORT + 1))
}

# listener_is_ours PORT LEADER: the socket listening on PORT belongs to
# LEADER or one of its descendants (true when ss cannot tell).
listener_is_ours() {
  command -v ss >/dev/null || return 0
  local owners p
  owners=$(ss -Htlnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u)
  [[ -n $owners ]] || return 1
  for p in "$2" $(descendants "$2"); do
    grep -qx "$p" <<<"$owners" && return 0
  done
  return 1
}

# start NAME LOGFILE CMD...: runs CMD in a new session, in the background.
start() {
  local name=$1 logf=$2; shift 2
  setsid "$@" >"$logf" 2>&1 </dev/null &
  LEADERS+=($!)
  PID[$name]=$!
}

# wait_port PORT PID: until PID (or a descendant) listens on PORT (20 s).
wait_port() {
  local i
  for ((i = 0; i < 200; i++)); do
    kill -0 "$2" 2>/dev/null || return 1
    if (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && listener_is_ours "$1" "$2"; then
      return 0
    fi
    sleep 0.1
  done
  return 1
}

# post URL BODY [HEADER...]: prints the response with headers; exit status of curl.
post() {
  local url=$1 body=$2; shift 2
  local args=(-sS -i --max-time 10 -X POST "$url"
              -H 'Content-Type: application/json'
              -H 'Accept: application/json, text/event-stream')
  local h
  for h in "$@"; do args+=(-H "$h"); done
  curl "${args[@]}" --data-binary "$body"
}

status_of() { head -n1 | awk '{print $2}'; }
header_of() { tr -d '\r' | awk -v h="$1" 'BEGIN{IGNORECASE=1} /^$/{exit} tolower($0) ~ "^" tolower(h) ":" {sub(/^[^:]*:[ \t]*/, ""); print; exit}'; }

declare -A PID PORT URL SID FAILED
FAIL_ANY=0
fail_target() {
  log "$1: $2"
  FAILED[$1]=$2
  FAIL_ANY=1
}

# check_call TARGET: one tools/call with curl; 200 and "hello" or the target fails.
check_call() {
  local t=$1 resp code ctype hdr=()
  [[ -n ${SID[$t]:-} ]] && hdr=("Mcp-Session-Id: ${SID[$t]}")
  if ! resp=$(post "${URL[$t]}" "$CALL" "${hdr[@]}" 2>&1); then
    fail_target "$t" "curl failed: $resp"; return 1
  fi
  printf '%s\n' "$resp" >"$OUT/check-$t.txt"
  code=$(status_of <<<"$resp")
  ctype=$(header_of content-type <<<"$resp")
  if [[ $code != 200 ]] || ! grep -q hello <<<"$resp"; then
    fail_target "$t" "check request answered ${code:-nothing}: $(tr -d '\r' <<<"$resp" | tail -n 3 | tr '\n' ' ')"
    return 1
  fi
  log "$t: check ok (200, $ctype)"
}

# ------------------------------------------------------------------ start

rm -f "$OUT"/wrk-*.txt "$OUT"/warmup-*.txt "$OUT"/check-*.txt "$OUT"/log-*.txt \
      "$OUT"/summary.txt "$OUT"/summary.json 2>/dev/null || true
mkdir -p "$OUT"

if want mcpgw; then
  pick_port mcpgw
  start mcpgw "$OUT/log-mcpgw.txt" "$MCPGW" --stdio "node $FIXTURE" \
    --host "$HOST" --port "${PORT[mcpgw]}" --logLevel "$MCPGW_LOG"
  URL[mcpgw]=http://$HOST:${PORT[mcpgw]}/mcp
fi
if want mcpgw-json; then
  pick_port mcpgw-json
  start mcpgw-json "$OUT/log-mcpgw-json.txt" "$MCPGW" --stdio "node $FIXTURE" \
    --host "$HOST" --port "${PORT[mcpgw-json]}" --logLevel "$MCPGW_LOG" --json-response
  URL[mcpgw-json]=http://$HOST:${PORT[mcpgw-json]}/mcp
fi
if want supergateway; then
  # Supergateway has no --host: it binds every interface. We only connect
  # to 127.0.0.1, and it lives for the length of this script.
  pick_port supergateway
  start supergateway "$OUT/log-supergateway.txt" node "$SG" --stdio "node $FIXTURE" \
    --outputTransport streamableHttp --stateful --port "${PORT[supergateway]}" \
    --logLevel "$SG_LOG"
  URL[supergateway]=http://$HOST:${PORT[supergateway]}/mcp
fi
if want nginx; then
  pick_port nginx
  ndir=$TMP/nginx
  mkdir -p "$ndir"
  user_line=
  ((EUID == 0)) && user_line="user $(id -un) $(id -gn);"
  sed -e "s|@DIR@|$ndir|g" -e "s|@PORT@|${PORT[nginx]}|g" -e "s|@USER_LINE@|$user_line|" \
    "$HERE/nginx.conf.in" >"$ndir/nginx.conf"
  "$NGINX" -t -q -c "$ndir/nginx.conf" -p "$ndir" -e "$ndir/error.log" >&2 \
    || die "nginx -t failed: $(cat "$ndir/error.log" 2>/dev/null)"
  start nginx "$OUT/log-nginx.txt" "$NGINX" -c "$ndir/nginx.conf" -p "$ndir" -e "$ndir/error.log"
  URL[nginx]=http://$HOST:${PORT[nginx]}/mcp
fi

for t in "${SELECTED[@]}"; do
  if ! wait_port "${PORT[$t]}" "${PID[$t]}"; then
    fail_target "$t" "did not listen on $HOST:${PORT[$t]} (log: $(tail -n 5 "$OUT/log-$t.txt" | tr '\n' ' '))"
    continue
  fi
  if [[ $t == supergateway ]]; then
    resp=$(post "${URL[$t]}" "$INIT" 2>&1) || { fail_target "$t" "initialize: $resp"; continue; }
    printf '%s\n' "$resp" >"$OUT/check-$t-initialize.txt"
    code=$(status_of <<<"$resp")
    SID[$t]=$(header_of mcp-session-id <<<"$resp")
    if [[ $code != 200 || -z ${SID[$t]} ]] || ! grep -q '"result"' <<<"$resp"; then
      fail_target "$t" "initialize answered ${code:-nothing}, session '${SID[$t]}'"; continue
    fi
    resp=$(post "${URL[$t]}" "$INITIALIZED" "Mcp-Session-Id: ${SID[$t]}" 2>&1) \
      || { fail_target "$t" "notifications/initialized: $resp"; continue; }
    code=$(status_of <<<"$resp")
    [[ $code == 2* ]] || { fail_target "$t" "notifications/initialized answered $code"; continue; }
    log "$t: session ${SID[$t]}"
  fi
  check_call "$t" || true
done

RUN=()
for t in "${SELECTED[@]}"; do [[ -n ${FAILED[$t]:-} ]] || RUN+=("$t"); done

# ------------------------------------------------------------------ measure

declare -A RPS P50 P99 ERR DETAIL

# run_wrk TARGET CONNS SECONDS OUTFILE
run_wrk() {
  local t=$1 c=$2 d=$3 f=$4 th=2
  ((c == 1)) && th=1
  # In the background and waited for, so that a signal reaches our trap at
  # once; timeout(1) leads its own process group, which cleanup kills.
  BENCH_SESSION_ID=${SID[$t]:-} timeout -k 5 $((d + 30)) \
    wrk -t"$th" -c"$c" -d"${d}s" --timeout 10s --latency -s "$LUA" "${URL[$t]}" >"$f" 2>&1 &
  WRK_PID=$!
  local rc=0
  wait "$WRK_PID" || rc=$?
  WRK_PID=
  return "$rc"
}

if ((WARMUP > 0)); then
  for t in "${RUN[@]}"; do
    log "$t: warm-up ${WARMUP}s"
    run_wrk "$t" 16 "$WARMUP" "$OUT/warmup-$t.txt" || log "$t: warm-up wrk failed"
  done
fi

for c in $CONCURRENCY; do
  for t in "${RUN[@]}"; do
    [[ -n ${FAILED[$t]:-} ]] && continue
    f=$OUT/wrk-$t-c$c.txt
    log "$t: -c$c -d${DURATION}s"
    if ! run_wrk "$t" "$c" "$DURATION" "$f"; then
      log "$t: wrk exited non-zero at -c$c (see $f)"
    fi
    line=$(grep '^BENCH_RESULT ' "$f" | tail -n1 || true)
    if [[ -z $line ]]; then
      RPS[$t,$c]=; ERR[$t,$c]=; DETAIL[$t,$c]="no result (see $(basename "$f"))"
      FAIL_ANY=1
    else
      declare -A kv=()
      for pair in ${line#BENCH_RESULT }; do kv[${pair%%=*}]=${pair#*=}; done
      RPS[$t,$c]=${kv[rps]}
      P50[$t,$c]=$(awk -v u="${kv[p50_us]}" 'BEGIN{printf "%.3f", u / 1000}')
      P99[$t,$c]=$(awk -v u="${kv[p99_us]}" 'BEGIN{printf "%.3f", u / 1000}')
      ERR[$t,$c]=$((kv[non200] + kv[badbody] + kv[connect] + kv[read] + kv[write] + kv[timeout]))
      d=
      for k in non200 badbody connect read write timeout; do
        ((kv[$k])) && d+="$k=${kv[$k]} "
      done
      DETAIL[$t,$c]=${d% }
      unset kv
    fi
    if ! kill -0 "${PID[$t]}" 2>/dev/null; then
      fail_target "$t" "process died during -c$c (see $OUT/log-$t.txt)"
    fi
  done
done

# ------------------------------------------------------------------ report

{
  echo "mcpgw benchmark: tools/call echo, ${DURATION}s per run, wrk $(wrk -v 2>&1 | awk 'NR==1{print $2}')"
  echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg) at end"
  echo "mcpgw: $("$MCPGW" -V 2>/dev/null | head -n1 || echo '?') (--logLevel $MCPGW_LOG); node $(node -v); supergateway $SG_VERSION (--logLevel $SG_LOG); $("$NGINX" -v 2>&1 | sed 's/^nginx version: //')"
  echo
  printf '%-13s %5s %11s %9s %9s %7s  %s\n' target conc 'req/s' 'p50 ms' 'p99 ms' errors ''
  printf '%-13s %5s %11s %9s %9s %7s\n' ------------- ----- ----------- --------- --------- -------
  for c in $CONCURRENCY; do
    for t in "${SELECTED[@]}"; do
      if [[ -z ${RPS[$t,$c]+x} ]]; then
        printf '%-13s %5s %11s %9s %9s %7s  %s\n' "$t" "$c" - - - - "${FAILED[$t]:-not run}"
      elif [[ -z ${RPS[$t,$c]} ]]; then
        printf '%-13s %5s %11s %9s %9s %7s  %s\n' "$t" "$c" - - - - "${DETAIL[$t,$c]}"
      else
        printf '%-13s %5s %11.0f %9s %9s %7s  %s\n' "$t" "$c" "${RPS[$t,$c]}" \
          "${P50[$t,$c]}" "${P99[$t,$c]}" "${ERR[$t,$c]}" "${DETAIL[$t,$c]}"
      fi
    done
  done
  echo
  echo "throughput ratios (req/s of the first over the second):"
  printf '%-28s' ''
  for c in $CONCURRENCY; do printf ' %8s' "c=$c"; done
  echo
  for pair in mcpgw:nginx mcpgw-json:nginx mcpgw:supergateway mcpgw-json:supergateway mcpgw-json:mcpgw; do
    a=${pair%%:*} b=${pair#*:}
    want "$a" && want "$b" || continue
    printf '%-28s' "$a / $b"
    for c in $CONCURRENCY; do
      ra=${RPS[$a,$c]:-} rb=${RPS[$b,$c]:-}
      if [[ -n $ra && -n $rb ]]; then
        printf ' %8s' "$(awk -v a="$ra" -v b="$rb" 'BEGIN{ if (b > 0) printf "%.2f", a / b; else print "-" }')"
      else
        printf ' %8s' -
      fi
    done
    echo
  done
  echo
  echo "raw wrk outputs: $OUT/wrk-TARGET-cN.txt"
} | tee "$OUT/summary.txt"

{
  echo '{'
  printf '  "duration_s": %d,\n  "cores": %d,\n  "results": [\n' "$DURATION" "$(nproc)"
  first=1
  for c in $CONCURRENCY; do
    for t in "${SELECTED[@]}"; do
      [[ -n ${RPS[$t,$c]:-} ]] || continue
      ((first)) || echo ','
      first=0
      printf '    {"target": "%s", "concurrency": %d, "rps": %s, "p50_ms": %s, "p99_ms": %s, "errors": %d}' \
        "$t" "$c" "${RPS[$t,$c]}" "${P50[$t,$c]}" "${P99[$t,$c]}" "${ERR[$t,$c]}"
    done
  done
  printf '\n  ],\n  "failed": {'
  first=1
  for t in "${!FAILED[@]}"; do
    ((first)) || printf ','
    first=0
    printf '"%s": "%s"' "$t" "$(printf '%s' "${FAILED[$t]}" | tr -d '"\\' | tr '\n\t' '  ')"
  done
  printf '}\n}\n'
} >"$OUT/summary.json"

exit "$FAIL_ANY"
