#!/usr/bin/env bash
# Benchmark of publications and the one search (issue 19) against the release binary. First
# /search on the demo network as it is (a rare word, and `water`); then with 10,000 more news
# posts, 2,000 more publications (for members) and 5,000 more cohort threads of five posts
# each (25,000 posts) in the one index: the same searches (for a member, the public and
# staff), the publications list (first and last page), a publication's page, and a 50 MB
# download (throughput and the server's peak memory before and after).
# Not a test: run it by hand
#   bash tests/bench/publications.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
[ -z "${KEEP:-}" ] || echo "data kept in $WORK"
DURATION="${DURATION:-10s}"
PORT="${PORT:-3842}"
BASE="http://127.0.0.1:$PORT"
trap 'kill $(jobs -p) 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

out=$("$BIN" demo --data-dir "$WORK")
read -r staff_email staff_password < <(echo "$out" | awk '/Alex Rivera/ {print $(NF-1), $NF}')
read -r member_email member_password < <(echo "$out" | awk '/Samuel Okafor/ {print $(NF-1), $NF}')

login() {
  local jar="$WORK/jar-$1"
  curl -fs -c "$jar" -o /dev/null -H "Origin: $BASE" --data-urlencode "email=$2" --data-urlencode "password=$3" "$BASE/login"
  awk '$6 == "portal_session" {print $6 "=" $7}' "$jar"
}
start() {
  RUST_LOG=warn "$BIN" serve --data-dir "$WORK" --bind "127.0.0.1:$PORT" --base-url "$BASE" 2>/dev/null &
  pid=$!
  for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
  staff=$(login staff "$staff_email" "$staff_password")
  member=$(login member "$member_email" "$member_password")
}
measure() {
  local label=$1 url=$2 cookie=$3
  wrk -t2 -c8 -d"$DURATION" -H "Cookie: $cookie" "$url" > "$WORK/wrk.txt"
  printf '%-40s %9s req/s, mean latency %s, p99 %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" "$(awk '/Latency/ {print $2; exit}' "$WORK/wrk.txt")" \
    "$(wrk -t1 -c1 -d2s --latency -H "Cookie: $cookie" "$url" | awk '/ 99%/ {print $2}')"
}
start
echo "== the demo network =="
measure "search, a rare word (daycares)" "$BASE/search?q=daycares" "$member"
measure "search, water" "$BASE/search?q=water" "$member"
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "== with 10,000 news posts, 2,000 publications and 25,000 cohort posts =="
python3 - "$WORK/portal.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
(staff,) = db.execute("SELECT id FROM people WHERE role = 'staff' ORDER BY id LIMIT 1").fetchone()
kinds = ["report", "brief", "toolkit", "case_study", "webinar"]
for i in range(2000):
    db.execute("INSERT INTO publications (slug, title, summary, summary_html, authors, published_on, kind, visibility, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, '', ?, ?, 'members', 'published', ?, ?, ?)",
               (f"bench-{i}", f"Bench publication {i} on water budgets", "A summary.", "<p>A summary.</p>", f"{2010 + i % 16}-0{1 + i % 9}-1{i % 10}", kinds[i % 5], staff, now, now))
(cohort,) = db.execute("SELECT id FROM cohorts WHERE slug = 'water-affordability'").fetchone()
(author,) = db.execute("SELECT person_id FROM cohort_members WHERE cohort_id = ? LIMIT 1", (cohort,)).fetchone()
for i in range(5000):
    db.execute("INSERT INTO cohort_threads (cohort_id, author_id, title, created_at, last_post_at) VALUES (?, ?, ?, ?, ?)", (cohort, author, f"Generated thread {i}", now - i, now - i))
    (t,) = db.execute("SELECT last_insert_rowid()").fetchone()
    for j in range(5):
        db.execute("INSERT INTO cohort_posts (thread_id, author_id, body, created_at) VALUES (?, ?, ?, ?)", (t, author, f"A post about water rates and shut-offs, number {j}.", now - i + j))
for i in range(10000):
    db.execute("INSERT INTO posts (slug, title, excerpt, body_md, body_html, body_text, status, publish_at, members_only, author_id, created_at, updated_at) VALUES (?, ?, '', ?, ?, ?, 'published', ?, ?, ?, ?, ?)",
               (f"bench-news-{i}", f"Bench news {i}", "City budgets and water rates this year.", "<p>City budgets and water rates this year.</p>", "City budgets and water rates this year.", now - 86400 - i * 60, i % 5 == 0, staff, now, now))
db.commit()
PY
"$BIN" reindex --data-dir "$WORK"
start

# A 50 MB PDF published by staff through the form.
python3 -c "import sys; sys.stdout.buffer.write(b'%PDF-1.4\n' + b'0' * (50 * 1024 * 1024) + b'\n%%EOF\n')" > "$WORK/big.pdf"
curl -fs -o /dev/null -H "Cookie: $staff" -H "Origin: $BASE" -F title="Fifty megabytes" -F published_on=2026-12-01 -F kind=report \
  -F visibility=members -F status=published -F "file=@$WORK/big.pdf;type=application/pdf" "$BASE/staff/publications/new"
printf 'peak memory before the downloads %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"
for _ in 1 2 3; do
  curl -fs -o /dev/null -w 'download of 50 MB: %{size_download} bytes in %{time_total} s\n' -H "Cookie: $member" "$BASE/publications/fifty-megabytes/download"
done
printf 'peak memory after %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"

measure "publications, page 1 of 101 (member)" "$BASE/publications" "$member"
measure "publications, page 101" "$BASE/publications?page=101" "$member"
measure "a publication's page" "$BASE/publications/tiered-water-rates-toolkit" "$member"
measure "search, a rare word (daycares)" "$BASE/search?q=daycares" "$member"
measure "search, water (17,000 documents)" "$BASE/search?q=water" "$member"
measure "search, water, page 2 (by cursor)" "$BASE/search?q=water&after=$(curl -fs -H "Cookie: $member" "$BASE/search?q=water" | grep -o 'after=[^"&]*' | head -1 | cut -d= -f2)" "$member"
measure "search, water, newest first" "$BASE/search?q=water&sort=new" "$member"
measure "search, water, the public" "$BASE/search?q=water" ""
measure "search, water, staff" "$BASE/search?q=water" "$staff"
