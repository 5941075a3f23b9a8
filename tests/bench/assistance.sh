#!/usr/bin/env bash
# Benchmark of technical assistance (issue 18) against the release binary on the demo network
# with 20,000 more requests from 100 cities in every status, and one request with 200 replies:
# the staff queue (first page, a filtered page, the last page), the CSV of all open requests,
# the request with 200 replies (as staff and as its city's mayor), the city's list, and the
# server's peak memory. Prints requests per second and mean latency per page. Not a test: run
# it by hand
#   bash tests/bench/assistance.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
DURATION="${DURATION:-10s}"
PORT="${PORT:-3832}"
BASE="http://127.0.0.1:$PORT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

out=$("$BIN" demo --data-dir "$WORK")
read -r staff_email staff_password < <(echo "$out" | awk '/Alex Rivera/ {print $(NF-1), $NF}')
read -r mayor_email mayor_password < <(echo "$out" | awk '/Samuel Okafor/ {print $(NF-1), $NF}')

python3 - "$WORK/portal.db" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
(staff,) = db.execute("SELECT id FROM people WHERE role = 'staff' ORDER BY id LIMIT 1").fetchone()
(hash_,) = db.execute("SELECT password_hash FROM people WHERE name = 'Morgan Ellis'").fetchone()
topics = [t for (t,) in db.execute("SELECT id FROM assistance_topics")]
people = []
for c in range(100):
    db.execute("INSERT INTO cities (name, state, population, website, status, member_since, created_at) VALUES (?, 'WI', 1000, '', 'active', '2024-01-01', 0)", (f"Bench {c:03d}",))
    (city,) = db.execute("SELECT last_insert_rowid()").fetchone()
    db.execute("INSERT INTO people (email, email_norm, name, role, password_hash, active, created_at, city_id) VALUES (?, ?, ?, 'mayor', ?, 1, ?, ?)",
               (f"m{c}@bench.example", f"m{c}@bench.example", f"Bench Mayor {c:03d}", hash_, now, city))
    (pid,) = db.execute("SELECT last_insert_rowid()").fetchone()
    people.append((city, pid))
statuses = ["new", "triaged", "in_progress", "waiting", "resolved", "closed"]
urgencies = ["low", "normal", "high"]
rows = []
for i in range(20000):
    city, pid = people[i % 100]
    s = statuses[i % 6]
    created = now - (i % 400) * 3600
    waiting = "city" if s == "waiting" else ("nobody" if s in ("resolved", "closed") else "staff")
    rows.append((city, pid, topics[i % len(topics)], f"Bench request {i} about budgets", "A question.", "<p>A question.</p>",
                 urgencies[i % 3], s, None if s == "new" else staff, created, created + 2 * 86400,
                 None if s in ("new", "triaged") else created + 3600, created + 7200, waiting, f"bench-{i}"))
db.executemany("INSERT INTO assistance_requests (city_id, opened_by, topic_id, title, description, description_html, urgency, needed_by, status, owner_id, created_at, response_due, responded_at, last_activity_at, waiting_on, submission) VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, ?)", rows)
# 200 replies, alternating staff and the city's mayor, on the demo's request in progress.
(req, mayor) = db.execute("SELECT r.id, p.id FROM assistance_requests r JOIN people p ON p.city_id = r.city_id AND p.role = 'mayor' WHERE r.title LIKE 'Building performance%'").fetchone()
for i in range(200):
    author = staff if i % 2 else mayor
    db.execute("INSERT INTO assistance_replies (request_id, author_id, internal, body, body_html, created_at, submission) VALUES (?, ?, ?, ?, ?, ?, ?)",
               (req, author, 1 if i % 10 == 9 else 0, f"Reply {i}: the **ordinance** draft, section {i}.", f"<p>Reply {i}: the <strong>ordinance</strong> draft, section {i}.</p>", now - 86400 + i * 60, f"bench-{i}"))
db.commit()
print(req)
PY
request=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT id FROM assistance_requests WHERE title LIKE 'Building performance%'\").fetchone()[0])" "$WORK/portal.db")

RUST_LOG=warn "$BIN" serve --data-dir "$WORK" --bind "127.0.0.1:$PORT" --base-url "$BASE" 2>/dev/null &
pid=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
login() {
  local jar="$WORK/jar-$1"
  curl -fs -c "$jar" -o /dev/null -H "Origin: $BASE" --data-urlencode "email=$2" --data-urlencode "password=$3" "$BASE/login"
  awk '$6 == "portal_session" {print $6 "=" $7}' "$jar"
}
staff=$(login staff "$staff_email" "$staff_password")
mayor=$(login mayor "$mayor_email" "$mayor_password")
last=$(curl -fs -H "Cookie: $staff" "$BASE/staff/assistance" | grep -o 'Page 1 of [0-9]*' | grep -o '[0-9]*$')

measure() {
  local label=$1 url=$2 cookie=$3
  wrk -t2 -c8 -d"$DURATION" -H "Cookie: $cookie" "$url" > "$WORK/wrk.txt"
  printf '%-36s %9s req/s, mean latency %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" "$(awk '/Latency/ {print $2; exit}' "$WORK/wrk.txt")"
}
measure "queue, page 1 of $last (open)" "$BASE/staff/assistance" "$staff"
measure "queue, high urgency, waiting on staff" "$BASE/staff/assistance?urgency=high&waiting=staff" "$staff"
measure "queue, overdue only" "$BASE/staff/assistance?overdue=1" "$staff"
measure "queue, page $last" "$BASE/staff/assistance?page=$last" "$staff"
measure "request with 200 replies (staff)" "$BASE/assistance/$request" "$staff"
measure "request with 200 replies (mayor)" "$BASE/assistance/$request" "$mayor"
measure "the city's list (mayor)" "$BASE/assistance" "$mayor"
printf 'queue CSV of every request (%s lines): %s s\n' "$(curl -fs -H "Cookie: $staff" "$BASE/staff/assistance.csv?status=all" | wc -l)" \
  "$(curl -fs -o /dev/null -w '%{time_total}' -H "Cookie: $staff" "$BASE/staff/assistance.csv?status=all")"
printf 'peak memory %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"
