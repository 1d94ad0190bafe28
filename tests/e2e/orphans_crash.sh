#!/usr/bin/env bash
# orphans_crash.sh - kill -9 `floe table clean-orphans` at random moments
# (while it reads what the table references, lists, or deletes), 20
# rounds, each on a fresh copy of a table with history (30 appends, a
# compact, 2 appends, an expiry that left 3 snapshots) and 400 aged
# strays (data files never committed, manifests and lists of no
# snapshot, metadata files of no version). After each kill:
#  - the table opens and every snapshot reads the rows it read before;
#  - every file `floe table files` lists exists (no dangling reference);
#  - only strays are gone;
#  - a second, complete clean-orphans deletes the strays left, and the
#    table still reads the same.
# The copies are read by path (no catalog): paths recorded under the
# original location resolve inside the copy.
set -euo pipefail
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
. "$(dirname "$0")/lib/table_cli.bash"

export FLOE_WAREHOUSE=$T/orig/wh
"$FLOE" table create db.t --schema s.json >/dev/null
for i in $(seq 1 30); do append_row db.t "$i" "c$((i % 5))"; done
"$FLOE" table compact db.t >/dev/null
for i in 31 32; do append_row db.t "$i" late; done
"$FLOE" table expire db.t --older-than now --retain-last 3 >/dev/null
unset FLOE_WAREHOUSE
SRC=$T/orig/wh/db/t
DATA1=$(ls "$SRC"/data/*.parquet | sed -n 1p)
for i in $(seq 1 200); do cp "$DATA1" "$SRC/data/stray-$i.parquet"; done
for i in $(seq 1 100); do echo x > "$SRC/metadata/stray-$i-m0.avro"; done
for i in $(seq 1 100); do echo '{}' > "$SRC/metadata/00001-stray-$i.metadata.json"; done
find "$T/orig" -type f -exec touch -d '10 days ago' {} +
(cd "$SRC" && find . -type f | sort) > all_files.txt

counts() { for s in $(snap_ids "$1"); do echo "$s $("$FLOE" table scan "$1" --snapshot "$s" | wc -l)"; done; }
counts "$SRC" > counts.txt
check "3 snapshots" '[ "$(wc -l < counts.txt)" = 3 ]'

# the table at $1 reads as before, names no missing file, lost only strays
consistent() {
    local t=$1
    [ "$(counts "$t")" = "$(cat counts.txt)" ] || { echo "counts differ" >&2; return 1; }
    "$FLOE" table files "$t" | python3 -c '
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
for l in sys.stdin:
    p = json.loads(l)["file_path"].replace("file://" + src, dst)
    if not os.path.exists(p):
        print("missing", p, file=sys.stderr); sys.exit(1)' "$SRC" "$t" || return 1
    (cd "$t" && find . -type f | sort) > now.txt
    comm -23 all_files.txt now.txt | grep -qv "stray" && { echo "a non-stray went" >&2; return 1; }
    return 0
}

killed=0 middle=0
for round in $(seq 1 20); do
    C=$T/copy$round
    cp -a "$SRC" "$C"
    "$FLOE" table clean-orphans "$C" --older-than 1d >/dev/null 2>&1 &
    pid=$!
    sleep "0.$(printf '%03d' $((RANDOM % 300)))"
    kill -9 "$pid" 2>/dev/null && killed=$((killed + 1)) || true
    wait "$pid" 2>/dev/null || true
    left=$(find "$C" -name "*stray*" | wc -l)
    [ "$left" -gt 0 ] && [ "$left" -lt 400 ] && middle=$((middle + 1))
    check "round $round: consistent after kill -9" 'consistent "$C"'
    check "round $round: a full clean-orphans then completes" \
        '"$FLOE" table clean-orphans "$C" --older-than 1d >/dev/null && consistent "$C" &&
         [ "$(find "$C" -name "*stray*" | wc -l)" = 0 ]'
    rm -rf "$C"
done
echo "orphans_crash: $killed of 20 clean-orphans killed in flight, $middle of them among the deletes"
echo "orphans_crash: $pass passed, $fail failed"
[ "$fail" = 0 ]
