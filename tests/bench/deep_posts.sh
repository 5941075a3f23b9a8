#!/usr/bin/env bash
# Benchmark of the attack of issue 16, point 9, against the release binary on the demo network:
# a member posts 11 replies of 20,000 characters each nested as deep as the portal accepts
# (16 levels of quotes on every line) into one thread, then the thread is read by 16 clients
# at once while the public /news is measured beside it. Prints how long each reply took to be
# accepted (rendered once, off the async threads), the thread's and /news's requests per
# second and mean latency, whether a reply 17 levels deep is refused, and the peak memory.
# Not a test: run it by hand
#   bash tests/bench/deep_posts.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
DURATION="${DURATION:-10s}"
PORT="${PORT:-3821}"
SLUG=water-affordability
BASE="http://127.0.0.1:$PORT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

out=$("$BIN" demo --data-dir "$WORK")
read -r email password < <(echo "$out" | awk '/Samuel Okafor/ {print $(NF-1), $NF}')
RUST_LOG=warn "$BIN" serve --data-dir "$WORK" --bind "127.0.0.1:$PORT" --base-url "$BASE" 2>/dev/null &
pid=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
jar="$WORK/jar"
curl -fs -c "$jar" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode "email=$email" --data-urlencode "password=$password" "$BASE/login"
cookie=$(awk '$6 == "portal_session" {print $6 "=" $7}' "$jar")
thread=$(curl -fs -H "Cookie: $cookie" "$BASE/cohorts/$SLUG/discussion" \
  | grep -o "href=\"/cohorts/$SLUG/discussion/[0-9]*" | head -1 | sed 's/href="//')

# Every line quoted 16 deep, up to the reply's 20,000 characters.
python3 - "$WORK/deep.txt" "$WORK/deeper.txt" <<'PY'
import sys
line = "> " * 16 + "rates and shut-offs\n"
open(sys.argv[1], "w").write((line * (20000 // len(line)))[:19990])
open(sys.argv[2], "w").write(">" * 17 + " one level too deep")
PY
for n in $(seq 11); do
  printf 'reply %2d accepted in %s s\n' "$n" "$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: $cookie" \
    -H "Origin: $BASE" --data-urlencode "body@$WORK/deep.txt" "$BASE$thread")"
done
printf 'a reply 17 levels deep: HTTP %s\n' "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" \
  -H "Origin: $BASE" --data-urlencode "body@$WORK/deeper.txt" "$BASE$thread")"
last="$BASE$thread?page=1"
printf 'the thread page: %s bytes\n' "$(curl -fs -H "Cookie: $cookie" "$last" | wc -c)"
wrk -t2 -c16 -d"$DURATION" -H "Cookie: $cookie" "$last" > "$WORK/thread.txt" &
reader=$!
wrk -t1 -c4 -d"$DURATION" "$BASE/news" > "$WORK/news.txt"
wait $reader
for f in thread news; do
  printf '%-8s %10s req/s, mean latency %s\n' "$f" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/$f.txt")" "$(awk '/Latency/ {print $2; exit}' "$WORK/$f.txt")"
done
printf 'peak memory %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"
