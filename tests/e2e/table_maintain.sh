#!/usr/bin/env bash
# e2e: `floe table maintain` (expire, compact, clean-orphans in turn, as
# floe up's maintenance does) on a table of 60 tiny appends whose
# history.expire.max-snapshot-age-ms is 1 ms: a dry run prints every
# step and changes nothing; the run leaves one live data file and the
# same rows; a second run expires the pre-compaction snapshot and
# deletes the 60 small files; the options of the single commands are
# refused; the same works by path.
set -euo pipefail
. "$(dirname "$0")/lib/table_cli.bash"
export FLOE_WAREHOUSE=$T/wh
count() { find "$1" -type f -name "$2" | wc -l; }
live() { "$FLOE" table files db.t | grep -c '"content":0' || true; }
latest() { ls -t wh/db/t/metadata/*-*.metadata.json | head -1; }

"$FLOE" table create db.t --schema s.json >/dev/null
for i in $(seq 1 60); do append_row db.t "$i" "c$((i % 5))"; done
"$FLOE" table alter db.t set history.expire.max-snapshot-age-ms=1 >/dev/null
"$FLOE" table scan db.t | sort > before.txt
check "60 rows, 60 data files" '[ "$(wc -l < before.txt)" = 60 ] && [ "$(live)" = 60 ]'

M=$(latest)
N=$(count wh/db/t "*")
"$FLOE" table maintain db.t --dry-run > dry.txt
check "dry run runs each step" 'grep -q "^expire:" dry.txt && grep -q "^compact:" dry.txt && grep -q "^clean-orphans:" dry.txt'
check "dry run: expiry with the table's age" 'grep -q "would expire 59 snapshots (1 kept)" dry.txt'
check "dry run: compaction plans" 'grep -q "dry run: 1 groups planned" dry.txt'
check "dry run: orphans" 'grep -q "table: would delete 0 files" dry.txt'
check "dry run changes nothing" '[ "$(latest)" = "$M" ] && [ "$(count wh/db/t "*")" = "$N" ] && [ "$(live)" = 60 ]'

"$FLOE" table maintain db.t > out.txt
check "expired with the table's age" 'grep -q "expired 59 snapshots (1 kept)" out.txt'
check "compacted" 'grep -q "compacted 60 data and 0 delete files into 1 files" out.txt'
check "orphans cleaned" 'grep -q "table: deleted 0 files" out.txt'
check "fewer live data files" '[ "$(live)" = 1 ]'
check "the same rows" '"$FLOE" table scan db.t | sort | cmp -s - before.txt'

"$FLOE" table maintain db.t > out2.txt
check "second run expires the pre-compaction snapshot" 'grep -q "expired 1 snapshots (1 kept)" out2.txt && grep -q " 60 data files" out2.txt'
check "second run has nothing to compact" 'grep -q "nothing to compact" out2.txt'
check "one data file left on disk" '[ "$(count wh/db/t/data "*.parquet")" = 1 ]'
check "still the same rows" '"$FLOE" table scan db.t | sort | cmp -s - before.txt'

check "by path" '"$FLOE" table maintain "$T/wh/db/t" --dry-run | grep -q "would expire 0 snapshots"'
check "--older-than refused" '! "$FLOE" table maintain db.t --older-than now 2>err.txt && grep -q "takes only --dry-run" err.txt'
check "--target-size refused" '! "$FLOE" table maintain db.t --target-size 10 2>/dev/null'
check "an unknown table fails" '! "$FLOE" table maintain db.nope 2>/dev/null'

echo "table_maintain: $pass passed, $fail failed"
[ "$fail" = 0 ]
