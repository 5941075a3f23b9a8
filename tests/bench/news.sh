#!/usr/bin/env bash
# Benchmark of the public front with 100 and with 10,000 published posts: requests per second
# (wrk, Debian's package) for the home page, page 200 of /news (the deepest page with 100
# posts), an article and a search, and the server's peak memory. Not a test: run it by hand
#   bash tests/bench/news.sh
# against the release binary; compare the ratios, absolute figures drift on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
DURATION="${DURATION:-10s}"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

run() {
  local posts=$1 port=$2 dir="$WORK/$1"
  mkdir -p "$dir"
  # demo makes 6 posts; the rest are generated.
  "$BIN" demo --data-dir "$dir" --extra-posts $((posts - 6)) >/dev/null
  RUST_LOG=warn "$BIN" serve --data-dir "$dir" --bind "127.0.0.1:$port" --base-url "http://127.0.0.1:$port" 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  # Follow "Older posts" to page 200, or to the last page when there are fewer.
  local path="/news" page=1 next
  while [ $page -lt 200 ]; do
    next=$(curl -fs "http://127.0.0.1:$port$path" | grep -o 'href="/news?after=[0-9-]*" rel="next"' | sed 's/href="\([^"]*\)".*/\1/' || true)
    [ -z "$next" ] && break
    path=$next; page=$((page + 1))
  done
  local deep=$path
  for target in "/" "/news" "$deep" "/news/city-data-and-pandemic-response" "/search?q=water+affordability"; do
    local rps
    rps=$(wrk -t2 -c16 -d"$DURATION" "http://127.0.0.1:$port$target" | awk '/Requests\/sec/ {print $2}')
    local label=$target
    [ "$target" = "$deep" ] && label="/news page $page ($(curl -fs "http://127.0.0.1:$port$deep" | grep -c 'class="card"') cards)"
    printf '%-8s %-44s %10s req/s\n' "$posts" "$label" "$rps"
    echo "$posts|$target|$rps" >> "$WORK/results"
  done
  printf '%-8s peak memory %s\n' "$posts" "$(grep VmHWM /proc/$pid/status | awk '{print $2, $3}')"
  kill $pid; wait $pid 2>/dev/null || true
}

echo "posts    page                                         throughput"
run 100 3911
run 10000 3912
