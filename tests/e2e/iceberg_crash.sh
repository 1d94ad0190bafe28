#!/usr/bin/env bash
# iceberg_crash.sh - kill -9 floe at random points of a stream of
# `floe table append` commits, then check what readers see.
#
# Each append writes one batch whose rows all carry the batch number, so
# afterwards we know exactly which batches a table holds. Verified rules:
#  - every table opens: `floe table describe` and `floe table scan` exit 0;
#  - atomicity: each batch is in the table whole or not at all;
#  - durability: every append that reported success is in the table, and
#    its snapshot is the current snapshot or an ancestor of it;
#  - a killed append (in flight) may or may not have committed: the row
#    count is the sum of the successful appends plus the sizes of some of
#    the killed ones (so at most the sum of successes plus every killed
#    batch) - a commit is atomic at the catalog swap, so one killed after
#    the swap but before printing counts as committed;
#  - no batch that never ran is there;
#  - no reader sees a half-written file: every file `floe table files`
#    lists exists with its recorded size and `floe parquet meta` reads it;
#    version-hint.text names a vN.metadata.json that parses as JSON.
# Then a race: two appenders on one table, end count = sum of both.
set -u
FLOE=${FLOE_BIN:?FLOE_BIN}
export ASAN_OPTIONS=detect_leaks=0:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=98
T=$(mktemp -d)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

WH=$T/wh
cat >"$T/s.json" <<'EOF'
{"type":"struct","schema-id":0,"fields":[{"id":1,"name":"id","required":true,"type":"long"},{"id":2,"name":"batch","required":true,"type":"int"},{"id":3,"name":"s","required":false,"type":"string"}]}
EOF
"$FLOE" table --warehouse "$WH" create db.t --schema "$T/s.json" --partition 'bucket(4, id)' >/dev/null || fail create
"$FLOE" table --warehouse "$WH" create db.race --schema "$T/s.json" >/dev/null || fail create race

# batch k has 20 + (k*37 % 300) rows
size() { echo $((20 + ($1 * 37) % 300)); }
mkbatch() {
    local k=$1 n
    n=$(size "$k")
    awk -v k="$k" -v n="$n" 'BEGIN { for (i = 0; i < n; i++) printf "{\"id\":%d,\"batch\":%d,\"s\":\"row %d of batch %d\"}\n", k * 100000 + i, k, i, k }' >"$T/b$k.ndjson"
}

declare -A status snap
start=$SECONDS
k=0
killed=0
while ((SECONDS - start < 10 && k < 200)); do
    k=$((k + 1))
    mkbatch $k
    "$FLOE" table --warehouse "$WH" append db.t "$T/b$k.ndjson" >"$T/out$k" 2>"$T/err$k" &
    p=$!
    pids=("$p")
    # 0..249 ms; about one in four appends is left to run to the end
    sleep "0.$(printf "%03d" $((RANDOM % 250)))"
    if ((RANDOM % 4)) && kill -0 "$p" 2>/dev/null; then
        kill -9 "$p" 2>/dev/null
    fi
    wait "$p"
    rc=$?
    pids=()
    if ((rc == 0)); then
        status[$k]=ok
        snap[$k]=$(sed -n 's/.*in snapshot \(-\?[0-9]\+\).*/\1/p' "$T/out$k")
        [[ -n ${snap[$k]} ]] || fail "append $k exited 0 without a snapshot: $(cat "$T/out$k")"
    elif ((rc == 137)); then
        status[$k]=killed
        killed=$((killed + 1))
    else
        fail "append $k exited $rc without being killed: $(head -c 2000 "$T/err$k")"
    fi
done
nok=0
for i in $(seq 1 $k); do [[ ${status[$i]} == ok ]] && nok=$((nok + 1)); done
echo "appends: $k, succeeded: $nok, killed: $killed"
((killed > 0)) || fail "no append was killed; the test proved nothing"

"$FLOE" table --warehouse "$WH" describe db.t >"$T/describe" 2>"$T/derr" || fail "describe: $(cat "$T/derr")"
"$FLOE" table --warehouse "$WH" scan db.t >"$T/scan" 2>"$T/serr" || fail "scan: $(cat "$T/serr")"
"$FLOE" table --warehouse "$WH" history db.t >"$T/history" 2>"$T/herr" || fail "history: $(cat "$T/herr")"
total=$(wc -l <"$T/scan")
# rows per batch present
sed -n 's/.*"batch":\([0-9]\+\).*/\1/p' "$T/scan" | sort -n | uniq -c >"$T/counts"
declare -A have
while read -r c b; do have[$b]=$c; done <"$T/counts"
sum_ok=0
sum_killed_in=0
for i in $(seq 1 $k); do
    n=$(size "$i")
    h=${have[$i]:-0}
    ((h == 0 || h == n)) || fail "batch $i is half there: $h of $n rows"
    if [[ ${status[$i]} == ok ]]; then
        ((h == n)) || fail "batch $i reported success (snapshot ${snap[$i]}) but is not in the table"
        grep -q "\"snapshot_id\":${snap[$i]},.*\"is_current_ancestor\":true" "$T/history" ||
            fail "snapshot ${snap[$i]} of successful append $i is not the current snapshot or an ancestor"
        sum_ok=$((sum_ok + n))
    else
        ((h == n)) && sum_killed_in=$((sum_killed_in + n))
    fi
    unset "have[$i]"
done
((${#have[@]} == 0)) || fail "rows of batches that never ran: ${!have[*]}"
((total == sum_ok + sum_killed_in)) || fail "row count $total != $sum_ok (successful) + $sum_killed_in (killed but committed)"
echo "rows: $total = $sum_ok from successful appends + $sum_killed_in from killed appends that had committed"
cur=$(sed -n 's/.*"current_snapshot_id":\(-\?[0-9]\+\).*/\1/p' "$T/describe")
grep -q "\"snapshot_id\":$cur,.*\"is_current_ancestor\":true" "$T/history" || fail "current snapshot $cur is not in the history"

# no half-written files visible to readers
nfiles=0
while IFS= read -r line; do
    p=$(sed -n 's/.*"file_path":"file:\/\/\([^"]*\)".*/\1/p' <<<"$line")
    sz=$(sed -n 's/.*"file_size_in_bytes":\([0-9]\+\).*/\1/p' <<<"$line")
    [[ -f $p ]] || fail "listed file missing: $p"
    (($(stat -c %s "$p") == sz)) || fail "listed file $p has $(stat -c %s "$p") bytes, manifest says $sz"
    "$FLOE" parquet meta "$p" >/dev/null 2>"$T/merr" || fail "floe parquet meta $p: $(cat "$T/merr")"
    nfiles=$((nfiles + 1))
done < <("$FLOE" table --warehouse "$WH" files db.t)
echo "files: $nfiles listed, all complete"
hint=$(cat "$WH/db/t/metadata/version-hint.text")
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$WH/db/t/metadata/v$hint.metadata.json" ||
    fail "version-hint names v$hint.metadata.json, which does not parse"
# the next commit works
mkbatch 999
"$FLOE" table --warehouse "$WH" append db.t "$T/b999.ndjson" >/dev/null 2>"$T/err999" || fail "append after the crashes: $(cat "$T/err999")"

# race: two appenders on one table
race() {
    local who=$1 i
    for i in 1 2 3 4 5 6; do
        if "$FLOE" table --warehouse "$WH" append db.race "$T/b$i.ndjson" >>"$T/race$who.out" 2>>"$T/race$who.err"; then
            echo "$(size "$i")" >>"$T/race$who.ok"
        fi
    done
}
for i in 1 2 3 4 5 6; do [[ -f $T/b$i.ndjson ]] || mkbatch $i; done
race a &
pa=$!
race b &
pb=$!
pids=("$pa" "$pb")
wait "$pa" "$pb"
pids=()
oka=$(cat "$T/racea.ok" 2>/dev/null | wc -l)
okb=$(cat "$T/raceb.ok" 2>/dev/null | wc -l)
((oka == 6 && okb == 6)) || fail "racing appends failed: a $oka/6, b $okb/6: $(cat "$T/racea.err" "$T/raceb.err" | head -c 2000)"
want=$(cat "$T/racea.ok" "$T/raceb.ok" | awk '{ s += $1 } END { print s }')
got=$("$FLOE" table --warehouse "$WH" scan db.race | wc -l)
((got == want)) || fail "race: $got rows, want $want (sum of both appenders)"
echo "race: 12 appends from 2 processes, $got rows"
echo PASS
