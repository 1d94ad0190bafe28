#!/usr/bin/env bash
# e2e: `floe table clean-orphans`. A table with 8 appends, a compact, 2
# appends and an expiry gets strays aged with `touch -d`: a data file never
# committed, a manifest list and a manifest an interrupted expiry left,
# a lost commit attempt's metadata file, a temporary file of a killed
# write, and a fresh stray; beside it a sibling folder and a file outside
# the table. The default age (3 days) spares 2-day-old strays; a dry run
# lists path, size and age and deletes nothing; --older-than 1d deletes
# exactly the old unreferenced files; --older-than 0s then takes the
# fresh one too. Every snapshot reads the same rows after, and every
# file `floe table files` lists exists. The table by path cleans the
# same way. --uploads removes the .floe-tmp-* files (8 MiB each) a kill
# -9 during POST /upload/file leaves under the warehouse's uploads/, by
# the same age rule, never a real upload.
set -euo pipefail
. "$(dirname "$0")/lib/table_cli.bash"
export FLOE_WAREHOUSE=$T/wh

"$FLOE" table create db.t --schema s.json >/dev/null
for i in $(seq 1 8); do append_row db.t "$i" "c$((i % 3))"; done
"$FLOE" table compact db.t >/dev/null
for i in 9 10; do append_row db.t "$i" late; done
TB=wh/db/t
# an interrupted expiry: keep copies of what it deletes, put them back after
cp -r $TB/metadata saved_meta
"$FLOE" table expire db.t --older-than now --retain-last 3 >/dev/null
CRASH_LIST=$(cd saved_meta && ls snap-*.avro | while read -r f; do [ -e "../$TB/metadata/$f" ] || echo "$f"; done | sed -n 1p)
CRASH_MANIFEST=$(cd saved_meta && ls *-m*.avro | while read -r f; do [ -e "../$TB/metadata/$f" ] || echo "$f"; done | sed -n 1p)
check "the expiry deleted a manifest list and a manifest" '[ -n "$CRASH_LIST" ] && [ -n "$CRASH_MANIFEST" ]'
cp "saved_meta/$CRASH_LIST" "saved_meta/$CRASH_MANIFEST" $TB/metadata/

counts() { for s in $(snap_ids "$1"); do echo "$s $("$FLOE" table scan "$1" --snapshot "$s" | wc -l)"; done; }
counts db.t > counts_before.txt
check "3 snapshots kept" '[ "$(wc -l < counts_before.txt)" = 3 ]'
files_exist() { "$FLOE" table files "$1" | python3 -c '
import json, os, sys
for l in sys.stdin:
    p = json.loads(l)["file_path"].replace("file://", "", 1)
    if not os.path.exists(p):
        print("missing", p, file=sys.stderr); sys.exit(1)'; }

# strays
V=$(cat $TB/metadata/version-hint.text)
DATA1=$(ls $TB/data/*.parquet | sed -n 1p)
cp "$DATA1" $TB/data/never-committed.parquet
LOST=$(printf '%05d-00000000-0000-4000-8000-000000000000.metadata.json' $((V - 1)))
echo '{}' > "$TB/metadata/$LOST"
head -c 1000 /dev/zero > $TB/data/.floe-tmp-killed
echo fresh > $TB/data/fresh.parquet
mkdir -p wh/db/t2 && echo x > wh/db/t2/x.parquet && echo y > wh/db/outside.bin
ln -s "$T/wh/db/outside.bin" $TB/data/link.parquet
find wh -type f -exec touch -h -d '2 days ago' {} +
touch -d '1 minute ago' $TB/data/fresh.parquet
OLD="$TB/data/never-committed.parquet $TB/metadata/$CRASH_LIST $TB/metadata/$CRASH_MANIFEST $TB/metadata/$LOST $TB/data/.floe-tmp-killed"

"$FLOE" table clean-orphans db.t > default.txt
cat default.txt
check "the default age (3 days) spares 2-day-old strays" 'grep -q "^table: deleted 0 files, 0 bytes" default.txt'

"$FLOE" table clean-orphans db.t --older-than 1d --dry-run > dry.txt
cat dry.txt
check "dry run counts 5" 'grep -q "^table: would delete 5 files" dry.txt'
check "dry run lists path, size and age" 'grep -q "never-committed.parquet	$(stat -c %s $TB/data/never-committed.parquet) bytes	age 1728[0-9][0-9]s" dry.txt'
for f in $OLD; do
    check "dry run lists $f" 'grep -qF "$(basename "$f")" dry.txt'
    check "dry run keeps $f" '[ -e "$f" ]'
done
check "dry run lists only those" '[ "$(grep -c "^file://" dry.txt)" = 5 ]'

"$FLOE" table clean-orphans db.t --older-than 1d > out.txt
cat out.txt
check "deleted 5" 'grep -q "^table: deleted 5 files" out.txt'
for f in $OLD; do check "deleted $f" '[ ! -e "$f" ]'; done
check "the fresh stray stays" '[ -e $TB/data/fresh.parquet ]'
check "the link stays, its target too" '[ -L $TB/data/link.parquet ] && [ -e wh/db/outside.bin ]'
check "the sibling folder stays" '[ -e wh/db/t2/x.parquet ]'
check "version-hint.text stays" '[ -e $TB/metadata/version-hint.text ]'
check "every snapshot reads the same rows" '[ "$(counts db.t)" = "$(cat counts_before.txt)" ]'
check "every listed file exists" 'files_exist db.t'

"$FLOE" table clean-orphans "$T/$TB" --older-than 0s > zero.txt
cat zero.txt
check "by path, --older-than 0s takes the fresh stray" 'grep -q "^table: deleted 1 files" zero.txt && [ ! -e $TB/data/fresh.parquet ]'
check "and nothing the table reads" '[ "$(counts db.t)" = "$(cat counts_before.txt)" ] && files_exist db.t'
check "a second run finds nothing" '"$FLOE" table clean-orphans db.t --older-than 0s | grep -q "^table: deleted 0 files"'
check "a bad age is refused" '! "$FLOE" table clean-orphans db.t --older-than 3x 2>/dev/null'

# upload leftovers
mkdir -p wh/uploads/sessions wh/uploads/clients
echo '{}' > wh/uploads/sessions/sessions_1.json
head -c 8388608 /dev/zero > wh/uploads/sessions/.floe-tmp-a1b2c3
head -c 8388608 /dev/zero > wh/uploads/clients/.floe-tmp-d4e5f6
head -c 100 /dev/zero > wh/uploads/clients/.floe-tmp-fresh
touch -d '2 days ago' wh/uploads/sessions/.floe-tmp-a1b2c3 wh/uploads/clients/.floe-tmp-d4e5f6 wh/uploads/sessions/sessions_1.json
"$FLOE" table clean-orphans --uploads --older-than 1d --dry-run > up_dry.txt
cat up_dry.txt
check "uploads dry run: 2 files, 16 MiB" 'grep -q "^uploads: would delete 2 files, 16777216 bytes" up_dry.txt'
check "uploads dry run deletes nothing" '[ -e wh/uploads/sessions/.floe-tmp-a1b2c3 ]'
"$FLOE" table clean-orphans --uploads --older-than 1d > up.txt
check "uploads: deleted 2" 'grep -q "^uploads: deleted 2 files, 16777216 bytes" up.txt'
check "old temp files gone" '[ ! -e wh/uploads/sessions/.floe-tmp-a1b2c3 ] && [ ! -e wh/uploads/clients/.floe-tmp-d4e5f6 ]'
check "the fresh temp file and the upload stay" '[ -e wh/uploads/clients/.floe-tmp-fresh ] && [ -e wh/uploads/sessions/sessions_1.json ]'

echo "table_orphans: $pass passed, $fail failed"
[ "$fail" = 0 ]
