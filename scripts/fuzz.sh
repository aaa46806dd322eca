#!/bin/sh
# Builds the libFuzzer targets in fuzz/ with clang into build-fuzz/ and
# runs each for FUZZ_SECONDS (default 25) on a copy of its seed corpus.
# Exits non-zero when a target finds a crash, a timeout, a leak or an
# out-of-memory; the input that did it is kept in build-fuzz/artifacts/.
#   FUZZ_SECONDS=3600 sh scripts/fuzz.sh          # longer
#   FUZZ_TARGETS="json frame" sh scripts/fuzz.sh  # only some
set -eu

cd "$(dirname "$0")/.."

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

FUZZ_SECONDS=${FUZZ_SECONDS:-25}
targets=${FUZZ_TARGETS:-"json frame jsonrpc headers config sse stream"}
build="build-fuzz"
artifacts="$(pwd)/$build/artifacts"

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpgw-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# clang and its libFuzzer runtime (libclang-rt-14-dev on Debian 12): a
# probe that links a fuzzer tells whether both are there.
probe() {
    printf '%s\n' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n)' \
        '{ return d && n > 1 ? 0 : 0; }' >"$work/probe.c"
    clang -fsanitize=fuzzer,address,undefined "$work/probe.c" \
        -o "$work/probe" >/dev/null 2>&1
}
if ! command -v clang >/dev/null 2>&1 || ! probe; then
    echo "== installing clang and libclang-rt-14-dev"
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get update -qq
    as_root apt-get install -y -qq --no-install-recommends clang \
        libclang-rt-14-dev >/dev/null
    probe || { echo "fuzz: clang cannot link a libFuzzer target" >&2; exit 1; }
fi

# The unit tests and the daemon are configured too (they build with clang,
# without -Werror: clang's -Wformat=2 warns where gcc does not), but only
# the fuzz targets are built here.
# A build directory configured with another compiler keeps it: start over.
if [ -f "$build/CMakeCache.txt" ] &&
    ! grep -q '^CMAKE_C_COMPILER:.*clang' "$build/CMakeCache.txt"; then
    rm -rf "$build"
fi
CC=clang cmake -S . -B "$build" -DMCPGW_FUZZ=ON -DMCPGW_INTEGRATION=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz -j"$(nproc)"
mkdir -p "$artifacts"

dict_for() {
    case $1 in
    json | jsonrpc) echo fuzz/dict/json.dict ;;
    config) echo fuzz/dict/config.dict ;;
    headers) echo fuzz/dict/headers.dict ;;
    *) echo "" ;;
    esac
}

failed=""
start=$(date +%s)
for t in $targets; do
    bin="$build/fuzz/fuzz_$t"
    [ -x "$bin" ] || { echo "fuzz: no target $t" >&2; exit 1; }
    # libFuzzer writes new inputs into the first corpus directory: give it
    # a scratch copy, so only hand-made seeds live in fuzz/corpus/.
    corpus="$work/$t"
    mkdir -p "$corpus"
    cp fuzz/corpus/"$t"/* "$corpus"/
    set -- -max_total_time="$FUZZ_SECONDS" -max_len=65536 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/$t-"
    dict=$(dict_for "$t")
    [ -z "$dict" ] || set -- "$@" -dict="$dict"
    log="$work/$t.log"
    echo "== fuzz_$t (${FUZZ_SECONDS}s)"
    rc=0
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        "$bin" "$@" "$corpus" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    echo "fuzz_$t: ${execs:-?} executions (${speed:-?}/s), coverage ${cov:-?}," \
        "corpus $(find "$corpus" -type f | wc -l) inputs, exit $rc"
    if [ "$rc" -ne 0 ]; then
        failed="$failed $t"
        echo "---- fuzz_$t found a problem; the end of its log:"
        # The report, the stack and the "Test unit written to" line.
        grep -v -E '^#[0-9]+ +(NEW|REDUCE|pulse|INITED)' "$log" | tail -n 60
        sed -n 's/.*Test unit written to /artifact: /p' "$log"
        echo "---- reproduce: $bin <artifact>"
    fi
done
echo "fuzzing took $(($(date +%s) - start))s"

if [ -n "$failed" ]; then
    echo "fuzz: problems found by:$failed (inputs in $artifacts)" >&2
    exit 1
fi
echo "fuzz: no crashes"
