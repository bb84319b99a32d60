#!/usr/bin/env bash
# Runs every cargo-fuzz target (`cargo fuzz list`) for SECONDS each, one after the other, with
# its seeds (fuzz/seeds/<target>/) and its growing corpus (fuzz/corpus/<target>/, not committed).
# Stops at the first crash with a non-zero exit and prints the crashing input's path; prints per
# target the executions and crashes, then a total.
#
#   fuzz/run.sh 60            # one minute per target
#   fuzz/run.sh 10 json_numbers semtech_udp_forwarder   # only these targets
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`); works on a stable toolchain through
# RUSTC_BOOTSTRAP=1 (libFuzzer needs -Zsanitizer). Builds are cargo-fuzz's default: optimized,
# with debug assertions and overflow checks on, so an arithmetic overflow is a crash.
set -euo pipefail
cd "$(dirname "$0")"

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
secs=$1
shift
export RUSTC_BOOTSTRAP=1

if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi

cargo fuzz build >/dev/null

printf '%-32s %14s %8s\n' target executions crashes
total_execs=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "seeds/$t" "artifacts/$t"
    log=$(mktemp)
    status=0
    cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1 || status=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    execs=${execs:-0}
    total_execs=$((total_execs + execs))
    if [[ $status -ne 0 ]]; then
        printf '%-32s %14s %8s\n' "$t" "$execs" 1
        echo
        grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written to|^thread' "$log" | head -n 20 || tail -n 30 "$log"
        echo "fuzz target $t crashed (or failed to build or run) within ${secs}s; full log: $log" >&2
        exit 1
    fi
    printf '%-32s %14s %8s\n' "$t" "$execs" 0
    rm -f "$log"
done
printf '%-32s %14s %8s\n' total "$total_execs" 0
