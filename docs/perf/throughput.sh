#!/usr/bin/env bash
# Reproduces the "Server throughput" figures of the README: each server configuration is
# started, loaded by `gateway-forwarder load` (1,000 gateways, loopback), and stopped; the
# minimal server runs right before each one, so every ratio compares runs seconds apart.
# Results are appended to docs/perf/results.jsonl (one JSON line per run) and the chart is
# redrawn from them.
#
#   cargo build --release -p loragw-examples -p loragw-benches --bins
#   bash docs/perf/throughput.sh [SECONDS] [ROUNDS]
#
# The upstream run needs `mosquitto` on PATH (started here on port 18830).
#
#   ONLY=connected bash docs/perf/throughput.sh [SECONDS] [ROUNDS]
#
# runs only the Basics Station and MQTT v3 loads with 1,000 connected gateways instead
# (results in docs/perf/connected.jsonl): the server config is docs/perf/connected-server.toml
# plus the gateways' registry tables, generated into /tmp (a fresh salted hash each).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
rounds=${2:-3}
bin=target/release

if [ "${ONLY:-}" = connected ]; then
    ulimit -n 4096 2> /dev/null || true # 1,000 sockets on each side
    key=NNSXS.LOAD-THROUGHPUT-KEY
    config=/tmp/loragw-connected-server.toml
    cp docs/perf/connected-server.toml "$config"
    echo >> "$config"
    "$bin/gateway-forwarder" load --gateways 1000 --key "$key" --print-registry >> "$config"
    : > docs/perf/connected.jsonl
    for _ in $(seq "$rounds"); do
        for target in lbs=127.0.0.1:1887 mqtt-v3=127.0.0.1:1882; do
            "$bin/gateway-server" --config "$config" --events none \
                > /dev/null 2> /tmp/throughput-connected-server.log &
            pid=$!
            sleep 1
            "$bin/gateway-forwarder" load --protocol "${target%%=*}" --server "${target#*=}" \
                --gateways 1000 --key "$key" --metrics http://127.0.0.1:19091/metrics \
                --duration "$secs" --server-pid "$pid" --label "${target%%=*}" \
                --json docs/perf/connected.jsonl --quiet \
                > /dev/null 2>> /tmp/throughput-connected-load.log || true
            kill "$pid"
            wait "$pid" 2> /dev/null || true
        done
    done
    exit 0
fi
results=docs/perf/results.jsonl
: > "$results"
: > docs/perf/upstream.txt

# run LABEL IN_FLIGHT [RATE] -- SERVER COMMAND...
run() {
    local label=$1 in_flight=$2 rate=$3
    shift 4
    "$@" > /dev/null 2> "/tmp/throughput-$label.log" &
    local pid=$!
    sleep 1
    local rate_arg=()
    if [ "$rate" != "-" ]; then rate_arg=(--rate "$rate"); fi
    "$bin/gateway-forwarder" load --server 127.0.0.1:1700 --gateways 1000 \
        --in-flight "$in_flight" "${rate_arg[@]}" --duration "$secs" \
        --server-pid "$pid" --label "$label" --json "$results" --quiet \
        > /dev/null 2>> /tmp/throughput-load.log || true
    if [ "$label" = upstream ]; then
        # Uplinks handed to the MQTT client and those it had no room for (published = the
        # difference), and the broker's CPU time so far.
        curl -s 127.0.0.1:19090/metrics \
            | grep -E '^ttn_lw_gs_(uplink_forwarded|upstream_publish_failures)' >> docs/perf/upstream.txt || true
        awk '{print "mosquitto_cpu_ticks", $14 + $15}' "/proc/$mosquitto/stat" >> docs/perf/upstream.txt
    fi
    kill "$pid"
    wait "$pid" 2> /dev/null || true
}

minimal=("$bin/udp_minimal_server" 127.0.0.1:1700)
server=("$bin/gateway-server" --config docs/perf/udp-server.toml)
mosquitto -p 18830 > /tmp/throughput-mosquitto.log 2>&1 &
mosquitto=$!
trap 'kill $mosquitto' EXIT
sleep 0.5
kill -0 "$mosquitto" # fails when port 18830 is taken
: > /tmp/throughput-load.log
for _ in $(seq "$rounds"); do
    run minimal 64 - -- "${minimal[@]}"
    run events-none 64 - -- "${server[@]}" --events none
    run minimal 64 - -- "${minimal[@]}"
    run events-json 64 - -- "${server[@]}"
    run minimal 64 - -- "${minimal[@]}"
    run upstream 64 - -- "$bin/gateway-server" --config docs/perf/udp-upstream.toml --events none
done
# No loss at 0.8 times the minimal server's median rate, 64 in flight at most.
target=$(python3 -c '
import json, statistics, sys
rates = [json.loads(l)["acked_per_s"] for l in open(sys.argv[1]) if json.loads(l)["label"] == "minimal"]
print(int(0.8 * statistics.median(rates)))' "$results")
run minimal 64 - -- "${minimal[@]}"
run events-none-at-0.8x 64 "$target" -- "${server[@]}" --events none
# Before this work: BEFORE=path/to/gateway-server built from an older commit.
if [ -n "${BEFORE:-}" ]; then
    run minimal 64 - -- "${minimal[@]}"
    run before-events-json 64 - -- "$BEFORE" --config docs/perf/udp-server.toml
fi
# Loss: 1,024 in flight as fast as acknowledged.
run minimal 1024 - -- "${minimal[@]}"
run events-none-1024 1024 - -- "${server[@]}" --events none
"$bin/throughput_chart" "$results" docs/perf/throughput.svg
