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
#
#   ONLY=connected-latency [LBS_RATE=41000] [MQTT_RATE=23000] bash docs/perf/throughput.sh [SECONDS] [ROUNDS]
#
# the same loads at a fixed rate with the server's event lines on (its stdout into a FIFO the
# load reads with --events-from): per-uplink latency "sent -> event line" for both protocols
# (results in docs/perf/connected-latency.jsonl).
#
#   DATAGRAM_LEN=321 bash docs/perf/throughput.sh ...
#
# makes every PUSH_DATA of the UDP runs that many bytes (default: the simulator's, 180);
#
#   ONLY=udp DATAGRAM_LEN=321 bash docs/perf/throughput.sh [SECONDS] [ROUNDS]
#
# runs only the minimal server and `gateway-server --events none`, side by side, as fast as
# acknowledged with 64 in flight (results in docs/perf/udp-datagram-len-321.jsonl, or
# udp-datagram-len-default.jsonl without DATAGRAM_LEN).
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
rounds=${2:-3}
bin=target/release

if [ "${ONLY:-}" = connected ] || [ "${ONLY:-}" = connected-latency ]; then
    ulimit -n 4096 2> /dev/null || true # 1,000 sockets on each side
    key=NNSXS.LOAD-THROUGHPUT-KEY
    config=/tmp/loragw-connected-server.toml
    cp docs/perf/connected-server.toml "$config"
    echo >> "$config"
    "$bin/gateway-forwarder" load --gateways 1000 --key "$key" --print-registry >> "$config"
    results=docs/perf/connected.jsonl
    events=(--events none)
    fifo=/tmp/loragw-throughput-events.fifo
    if [ "$ONLY" = connected-latency ]; then
        results=docs/perf/connected-latency.jsonl
        events=()
    fi
    : > "$results"
    for _ in $(seq "$rounds"); do
        for target in lbs=127.0.0.1:1887 mqtt-v3=127.0.0.1:1882; do
            protocol=${target%%=*}
            load_args=()
            if [ "$ONLY" = connected-latency ]; then
                rate=${LBS_RATE:-41000}
                if [ "$protocol" = mqtt-v3 ]; then rate=${MQTT_RATE:-23000}; fi
                load_args=(--rate "$rate" --events-from "$fifo")
                out=$fifo
                # The server's event lines go into a fresh FIFO the load reads. This script
                # holds it open too (read-write: opening does not wait), so the server starts
                # before the load opens it and never writes into a closed pipe after the load.
                rm -f "$fifo"
                mkfifo "$fifo"
                exec 3<> "$fifo"
            else
                out=/dev/null
            fi
            "$bin/gateway-server" --config "$config" "${events[@]}" \
                > "$out" 2> /tmp/throughput-connected-server.log 3>&- &
            pid=$!
            sleep 1
            "$bin/gateway-forwarder" load --protocol "$protocol" --server "${target#*=}" \
                --gateways 1000 --key "$key" --metrics http://127.0.0.1:19091/metrics \
                --duration "$secs" --server-pid "$pid" --label "$protocol" \
                "${load_args[@]}" --json "$results" --quiet \
                > /dev/null 2>> /tmp/throughput-connected-load.log || true
            drain=
            if [ "$ONLY" = connected-latency ]; then
                # The server's last lines (disconnections) must not fill the FIFO: a
                # gateway-server whose stdout blocks does not exit.
                cat <&3 > /dev/null &
                drain=$!
            fi
            kill "$pid"
            wait "$pid" 2> /dev/null || true
            if [ -n "$drain" ]; then kill "$drain"; fi
            exec 3>&-
        done
    done
    rm -f "$fifo"
    exit 0
fi
datagram_len=()
if [ -n "${DATAGRAM_LEN:-}" ]; then datagram_len=(--datagram-len "$DATAGRAM_LEN"); fi
results=docs/perf/results.jsonl

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
        --in-flight "$in_flight" "${rate_arg[@]}" "${datagram_len[@]}" --duration "$secs" \
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
if [ "${ONLY:-}" = udp ]; then
    results=docs/perf/udp-datagram-len-${DATAGRAM_LEN:-default}.jsonl
    : > "$results"
    : > /tmp/throughput-load.log
    for _ in $(seq "$rounds"); do
        run minimal 64 - -- "${minimal[@]}"
        run events-none 64 - -- "${server[@]}" --events none
    done
    exit 0
fi
: > "$results"
: > docs/perf/upstream.txt
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
