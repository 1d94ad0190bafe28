#!/usr/bin/env bash
# compact_crash.sh - kill -9 `floe table compact` at random moments (its
# plan, its file writes, one of its group commits), 20 rounds, each on a
# fresh copy of a table partitioned by city (30 one-row appends over 3
# cities and a row-level delete). After each kill:
#  - the table opens and `floe table scan` gives the same rows as before;
#  - no dangling reference: every snapshot from before still reads its old
#    row count, every snapshot since (a committed group's replace) reads
#    the current rows, and every file `floe table files` lists exists;
#  - a second, complete compaction then succeeds, leaves one data file per
#    partition and the same rows.
# The copies are read by path (no catalog).
set -euo pipefail
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
. "$(dirname "$0")/lib/table_cli.bash"

export FLOE_WAREHOUSE=$T/orig/wh
"$FLOE" table create db.t --schema s.json --partition city >/dev/null
for i in $(seq 1 30); do append_row db.t "$i" "c$((i % 3))"; done
"$FLOE" table delete db.t --where "id = 4" >/dev/null
unset FLOE_WAREHOUSE
SRC=$T/orig/wh/db/t
"$FLOE" table scan "$SRC" | sort > rows.txt
snap_ids "$SRC" > snaps.txt
while read -r s; do echo "$s $("$FLOE" table scan "$SRC" --snapshot "$s" | wc -l)"; done < snaps.txt > counts.txt

# the table at $1 reads as before and names no missing file
consistent() {
    local t=$1 s want
    [ "$("$FLOE" table scan "$t" | sort | md5sum)" = "$(md5sum < rows.txt)" ] || return 1
    [ "${2:-}" = quick ] || for s in $(snap_ids "$t"); do
        want=$(grep "^$s " counts.txt | cut -d' ' -f2)
        [ -n "$want" ] || want=$(wc -l < rows.txt) # a replace since: the same rows
        [ "$("$FLOE" table scan "$t" --snapshot "$s" | wc -l)" = "$want" ] || return 1
    done
    "$FLOE" table files "$t" | python3 -c '
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
for l in sys.stdin:
    p = json.loads(l)["file_path"].replace("file://" + src, dst)
    p = p[len("file://"):] if p.startswith("file://") else p  # written in the copy
    if not os.path.exists(p):
        print("missing", p, file=sys.stderr); sys.exit(1)' "$SRC" "$t"
}
data_files() { "$FLOE" table files "$1" | grep -c '"content":0'; }

killed=0
for round in $(seq 1 20); do
    C=$T/copy$round
    cp -r "$SRC" "$C"
    "$FLOE" table compact "$C" >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 900)))"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
    wait "$pid" 2>/dev/null || true
    check "round $round: consistent after kill -9" 'consistent "$C"'
    check "round $round: a full compaction then completes" \
        '"$FLOE" table compact "$C" >/dev/null && consistent "$C" quick && [ "$(data_files "$C")" = 3 ]'
    rm -rf "$C"
done
echo "compact_crash: $killed of 20 compactions killed in flight"
echo "compact_crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
