#!/usr/bin/env bash
# .local resolution latency: this library's multicast DNS resolver against
# glibc's getaddrinfo through nss-mdns and avahi, the path every other
# stack on Debian takes, in one BEAM, in the same run. Run by bench/run
# inside the testbed (the testbed must be up). avahi-daemon in sip6-a
# answers for peer-a.local (fe80::2, a static host); a second avahi-daemon
# in sip6-host, on linkA only, is the one nss-mdns asks. bench/mdns.exs
# runs in that avahi's mount namespace (its /run, where nss-mdns finds the
# daemon's socket, and an nsswitch.conf with mdns6_minimal).
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

avahi() { # NS NAME ALLOW HOSTS
    local dir=$work/$1
    mkdir -p "$dir"
    printf '%b' "$4" >"$dir/hosts"
    ip netns exec "$1" test/peers/avahi.sh "$dir" "$2" "$3" >"$dir/log" 2>&1 &
    pids+=($!)
    for _ in $(seq 150); do grep -q "Server startup complete" "$dir/log" && return 0; sleep 0.1; done
    cat "$dir/log" >&2
    return 1
}

avahi sip6-a avahi-bench-a eth0 'fe80::2 peer-a.local\n'
for _ in $(seq 150); do grep -q '"peer-a.local" successfully established' "$work/sip6-a/log" && break; sleep 0.1; done
avahi sip6-host avahi-bench-host linkA ''
host_avahi=${pids[1]}
nsenter -t "$host_avahi" -m -n -r --wd="$PWD" env MIX_ENV=prod BENCH_QUICK="${BENCH_QUICK:-}" \
    mix run --no-compile bench/mdns.exs
