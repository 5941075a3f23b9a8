#!/usr/bin/env bash
# Benchmark of the annual meeting (issue 17) against the release binary on the demo network
# with 2,000 more registrations: the meeting's page (public), a registration's page (its
# registrant), the staff roster's pages in index order (first, middle, last of 40), the CSV
# of all 2,041, and the latency of 50 registrations sent at once for the last places, with
# how many got a place. Prints requests per second and mean latency per page, and the peak
# memory. Not a test: run it by hand
#   bash tests/bench/meetings.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portal-target}"
cargo build --release -q
BIN="$CARGO_TARGET_DIR/release/portal"
WORK=$(mktemp -d)
DURATION="${DURATION:-10s}"
PORT="${PORT:-3822}"
SLUG=annual-meeting-2027
BASE="http://127.0.0.1:$PORT"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

out=$("$BIN" demo --data-dir "$WORK")
read -r staff_email staff_password < <(echo "$out" | awk '/Alex Rivera/ {print $(NF-1), $NF}')
read -r member_email member_password < <(echo "$out" | awk '/Morgan Ellis/ {print $(NF-1), $NF}')

# 2,000 registrations of guests, and 50 advisors of a new city who will register at once for
# the last 10 places (the meeting's capacity set to what is taken plus 10).
python3 - "$WORK/portal.db" <<'PY'
import sqlite3, sys, time, secrets
db = sqlite3.connect(sys.argv[1])
now = int(time.time())
(mid,) = db.execute("SELECT id FROM meetings WHERE slug = 'annual-meeting-2027'").fetchone()
(guest,) = db.execute("SELECT id FROM meeting_types WHERE meeting_id = ? AND name = 'Guest'", (mid,)).fetchone()
for i in range(2000):
    name = f"Guest {i:04d}"
    db.execute(
        "INSERT INTO meeting_registrations (meeting_id, type_id, person_id, name, name_folded, email, organization, "
        "city_id, status, listed, payment, checkin_code, uid, sequence, created_at, updated_at) "
        "VALUES (?, ?, NULL, ?, ?, ?, 'Bench', NULL, 'registered', 1, 'due', ?, ?, 0, ?, ?)",
        (mid, guest, name, name.lower(), f"guest{i}@bench.example", secrets.token_hex(16), secrets.token_hex(16) + "@bench", now, now))
db.execute("UPDATE meeting_types SET capacity = NULL WHERE meeting_id = ? AND name = 'Advisor'", (mid,))
db.execute("UPDATE meeting_registrations SET status = 'registered', waiting_since = NULL WHERE meeting_id = ?", (mid,))
(taken,) = db.execute("SELECT COUNT(*) FROM meeting_registrations WHERE meeting_id = ? AND status = 'registered'", (mid,)).fetchone()
db.execute("UPDATE meetings SET capacity = ? WHERE id = ?", (taken + 10, mid))
db.execute("INSERT INTO cities (name, state, population, website, status, member_since, created_at) VALUES ('Bench', 'WI', 1000, '', 'active', '2024-01-01', 0)")
(city,) = db.execute("SELECT id FROM cities WHERE name = 'Bench'").fetchone()
(hash_,) = db.execute("SELECT password_hash FROM people WHERE name = 'Morgan Ellis'").fetchone()
for i in range(50):
    db.execute("INSERT INTO people (email, email_norm, name, role, password_hash, active, created_at, city_id) VALUES (?, ?, ?, 'advisor', ?, 1, ?, ?)",
               (f"b{i}@bench.example", f"b{i}@bench.example", f"Bench {i:02d}", hash_, now, city))
db.commit()
PY

RUST_LOG=warn "$BIN" serve --data-dir "$WORK" --bind "127.0.0.1:$PORT" --base-url "$BASE" 2>/dev/null &
pid=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null && break; sleep 0.1; done
login() {
  local jar="$WORK/jar-$1"
  curl -fs -c "$jar" -o /dev/null -H "Origin: $BASE" --data-urlencode "email=$2" --data-urlencode "password=$3" "$BASE/login"
  awk '$6 == "portal_session" {print $6 "=" $7}' "$jar"
}
staff=$(login staff "$staff_email" "$staff_password")
member=$(login member "$member_email" "$member_password")
registration=$(curl -fs -o /dev/null -w '%{redirect_url}' -H "Cookie: $member" "$BASE/meetings/$SLUG/registration")

measure() {
  local label=$1 url=$2 cookie=${3:-}
  if [ -n "$cookie" ]; then
    wrk -t2 -c8 -d"$DURATION" -H "Cookie: $cookie" "$url" > "$WORK/wrk.txt"
  else
    wrk -t2 -c8 -d"$DURATION" "$url" > "$WORK/wrk.txt"
  fi
  printf '%-28s %9s req/s, mean latency %s\n' "$label" \
    "$(awk '/Requests\/sec/ {print $2}' "$WORK/wrk.txt")" "$(awk '/Latency/ {print $2; exit}' "$WORK/wrk.txt")"
}
measure "meeting page (public)" "$BASE/meetings/$SLUG"
measure "registration page" "$registration" "$member"
measure "roster page 1 of 41" "$BASE/staff/meetings/$SLUG" "$staff"
measure "roster page 20" "$BASE/staff/meetings/$SLUG?page=20" "$staff"
measure "roster page 41" "$BASE/staff/meetings/$SLUG?page=41" "$staff"
printf 'roster CSV (%s rows): %s s\n' "$(curl -fs -H "Cookie: $staff" "$BASE/staff/meetings/$SLUG/roster.csv" | wc -l)" \
  "$(curl -fs -o /dev/null -w '%{time_total}' -H "Cookie: $staff" "$BASE/staff/meetings/$SLUG/roster.csv")"

printf 'peak memory before the log-ins below %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"

# 50 advisors register at once for the last 10 places (their 50 log-ins first: argon2 takes
# 19 MiB a hash, four at once, which is most of the peak memory printed at the end).
type_id=$(curl -fs -H "Cookie: $member" "$BASE/meetings/$SLUG/register" | grep -o 'name="type" value="[0-9]*"' | head -2 | tail -1 | grep -o '[0-9][0-9]*')
question=$(curl -fs -H "Cookie: $member" "$BASE/meetings/$SLUG/register" | grep -o 'name="q[0-9]*" value="no"' | head -1 | grep -o 'q[0-9]*')
cookies=()
for i in $(seq 0 49); do cookies+=("$(login "b$i" "b$i@bench.example" "$member_password")"); done
for i in $(seq 0 49); do
  curl -s -o /dev/null -w '%{time_total} %{http_code}\n' -H "Cookie: ${cookies[$i]}" -H "Origin: $BASE" \
    --data-urlencode "type=$type_id" --data-urlencode "$question=no" "$BASE/meetings/$SLUG/register" >> "$WORK/lat.txt" &
done
wait $(jobs -p | grep -v "^$pid$") 2>/dev/null || true
sort -n "$WORK/lat.txt" | awk '{a[NR]=$1; c[$2]++} END {printf "50 registrations at once: median %.3f s, 90th %.3f s, slowest %.3f s; HTTP", a[int(NR/2)], a[int(NR*0.9)], a[NR]; for (k in c) printf " %s x%d", k, c[k]; print ""}'
python3 - "$WORK/portal.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
r = dict(db.execute("SELECT status, COUNT(*) FROM meeting_registrations r JOIN people p ON p.id = r.person_id WHERE p.name LIKE 'Bench %' GROUP BY status").fetchall())
print(f"of the 50: {r.get('registered', 0)} registered, {r.get('waiting', 0)} waiting")
PY
printf 'peak memory at the end %s MB\n' "$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' /proc/$pid/status)"
