#!/usr/bin/env bash
# Benchmark of a cohort's space as a logged-in member sees it, on the demo network and on the
# same network with 5,000 more threads (25,000 posts) in the cohort: requests per second (wrk)
# for the member home, the list of cohorts, the overview, the discussion, a thread, the
# sessions, the resources and the calendar feed, beside the public /news in the same run,
# and the server's peak memory. Not a test: run it by hand
#   bash tests/bench/cohorts.sh
# against the release binary; compare the ratios, absolute figures drift on a shared machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3 >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
DURATION="${DURATION:-10s}"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
SLUG=water-affordability

run() {
  local label=$1 extra=$2 port=$3 dir="$WORK/$1"
  mkdir -p "$dir"
  local out; out=$("$BIN" demo --data-dir "$dir")
  local email password
  read -r email password < <(echo "$out" | awk '/Samuel Okafor/ {print $(NF-1), $NF}')
  if [ "$extra" -gt 0 ]; then
    # More threads in the cohort, each with an opening post and four replies, by its members.
    sqlite3 "$dir/portal.db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $extra)
INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at)
SELECT (SELECT id FROM cohorts WHERE slug = '$SLUG'),
       (SELECT person_id FROM cohort_members WHERE cohort_id = (SELECT id FROM cohorts WHERE slug = '$SLUG') LIMIT 1),
       'Generated thread ' || i, 1700000000 + i * 60, 1700000000 + i * 60 + 240 FROM n;
WITH RECURSIVE k(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM k WHERE j < 4)
INSERT INTO cohort_posts (thread_id, author_id, body, created_at)
SELECT t.id, t.author_id, 'A post about rates, tiers and **shut-offs**, number ' || k.j, t.created_at + k.j * 60
FROM cohort_threads t, k WHERE t.title LIKE 'Generated thread %';
SQL
  fi
  RUST_LOG=warn "$BIN" serve --data-dir "$dir" --bind "127.0.0.1:$port" --base-url "http://127.0.0.1:$port" 2>/dev/null &
  local pid=$!
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
  local jar="$dir/jar"
  curl -fs -c "$jar" -o /dev/null -H "Origin: http://127.0.0.1:$port" \
    --data-urlencode "email=$email" --data-urlencode "password=$password" "http://127.0.0.1:$port/login"
  local cookie; cookie=$(awk '$6 == "portal_session" {print $6 "=" $7}' "$jar")
  local thread; thread=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/cohorts/$SLUG/discussion" \
    | grep -o "href=\"/cohorts/$SLUG/discussion/[0-9]*\"" | head -1 | sed 's/href="\([^"]*\)"/\1/')
  local feed; feed=$(curl -fs -H "Cookie: $cookie" "http://127.0.0.1:$port/cohorts/$SLUG" \
    | grep -o 'value="http[^"]*\.ics"' | sed 's/value="http:\/\/[^/]*\([^"]*\)"/\1/')
  for target in "/news" "/home" "/cohorts" "/cohorts/$SLUG" "/cohorts/$SLUG/discussion" "$thread" \
      "/cohorts/$SLUG/sessions" "/cohorts/$SLUG/resources" "$feed" "/search?q=shut-offs"; do
    local rps
    rps=$(wrk -t2 -c16 -d"$DURATION" -H "Cookie: $cookie" "http://127.0.0.1:$port$target" | awk '/Requests\/sec/ {print $2}')
    local name=$target
    [ "$target" = "$thread" ] && name="a thread"
    [ "$target" = "$feed" ] && name="the calendar feed"
    printf '%-10s %-44s %10s req/s\n' "$label" "$name" "$rps"
  done
  printf '%-10s %-44s %10s MB\n' "$label" "peak memory" "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true
}

run demo 0 3811
run "+5000" 5000 3812
