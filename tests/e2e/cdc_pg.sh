#!/usr/bin/env bash
# e2e: issue 14's change data capture from a real PostgreSQL 15
# (lib/pg_up.bash, wal_level=logical) into Iceberg mirror tables.
# Three tables - accounts (numeric, timestamptz, uuid, jsonb, NULLs),
# notes (a TOASTed text of 3.2 kB stored EXTERNAL, later updated without
# touching it), events (REPLICA IDENTITY FULL, float8, timestamp, bytea)
# - get rows before floe starts (the initial snapshot), then
# multi-statement transactions of inserts, updates, deletes, a primary
# key change and a TRUNCATE while `floe up` mirrors them. Then a stream
# of small transactions during which floe is killed with SIGKILL and
# restarted (and more committed while it is down), then PostgreSQL is
# restarted under the running floe (it reconnects). Checks, read with
# floe's own scan (`floe table scan`), and every snapshot of every mirror
# read by icebird (tests/interop/snapshots_icebird.mjs: id and a text
# column) as floe reads it:
# each mirror table equals SELECT * of its source, one row per key;
# replaying each change topic's Debezium envelopes gives the source table
# and no change is in a topic twice; the envelopes of the known
# statements have the right op, before and after (key-only before for
# REPLICA IDENTITY DEFAULT, the whole row for FULL, Debezium's
# unavailable marker for the untouched TOASTed value); floe status shows
# the source connected with its confirmed LSN; every mirror snapshot's
# recorded topic offset is right after a floe.tx-end record (no source
# transaction split across snapshots); every streamed change equals what
# Debian's postgresql-15-wal2json (format-version 2, on a slot of its
# own over the same LSN range) reports at the same LSN. Before it all,
# the faults found at start (an unsupported type, no primary key, a
# missing table, a publication without the table) stop floe up with an
# error naming the table and column; at the end a slot dropped behind
# floe's back is reported, not silently copied again.
set -euo pipefail
PG_UP_OPTS="-c wal_level=logical -c max_replication_slots=4 -c max_wal_senders=4"
. "$(dirname "$0")/lib/pg_up.bash"
. "$(dirname "$0")/lib/floe_up.bash"
SRC=${FLOE_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CHECK="/usr/bin/python3 $SRC/tests/e2e/cdc_check.py"
loop=
trap '[ -n "$loop" ] && kill "$loop" 2>/dev/null; floe_up_cleanup; pg_up_cleanup' EXIT
pg_up_start
psql_ -c "CREATE DATABASE app" postgres
sql() { PGTZ=UTC psql_ -d app "$@"; }
sql <<'SQL'
CREATE TABLE accounts(id bigint PRIMARY KEY, name text, balance numeric(12,2),
  opened timestamptz, ext uuid, meta jsonb, active boolean);
CREATE TABLE notes(id int PRIMARY KEY, title varchar(50), body text, created date);
ALTER TABLE notes ALTER COLUMN body SET STORAGE EXTERNAL;
CREATE TABLE events(id bigint PRIMARY KEY, kind text, amount float8, at timestamp, payload bytea,
  memo text);
ALTER TABLE events REPLICA IDENTITY FULL;
ALTER TABLE events ALTER COLUMN memo SET STORAGE EXTERNAL;
INSERT INTO accounts SELECT i, 'acct' || i, i * 10.5,
  '2024-01-01 00:00:00+00'::timestamptz + i * interval '1 hour 1.5 second', md5(i::text)::uuid,
  jsonb_build_object('i', i, 'tags', jsonb_build_array('a', 'b')), i % 2 = 0
  FROM generate_series(1, 50) i;
INSERT INTO notes SELECT i, 'note ' || i, repeat(md5(i::text), 100), date '2024-01-01' + i
  FROM generate_series(1, 10) i;
INSERT INTO events SELECT i, 'k' || (i % 3), i * 1.25,
  timestamp '2024-02-01 10:00:00.25' + i * interval '1 minute', decode(md5(i::text), 'hex'),
  CASE WHEN i % 5 = 0 THEN repeat(md5(i::text), 100) END
  FROM generate_series(1, 30) i;
SQL
cat > "$T/cdc.yaml" <<YAML
pipelines: []
sources:
  - postgres:
      uri: "postgresql://postgres@127.0.0.1:$PGPORT/app"
      slot: floe_e2e
      publication: floe_e2e
      tables: [public.accounts, public.notes, events]
      snapshot: initial
      topic_prefix: dbserver1
      commit_interval_ms: 200
YAML
# faults found before any streaming: each stops floe up (exit 1) with an
# error that names the table (and the column)
up_fails() { # config body, expected message
    printf 'pipelines: []\nsources:\n  - postgres: {uri: "postgresql://postgres@127.0.0.1:%s/app", %s}\n' \
        "$PGPORT" "$1" > "$T/bad.yaml"
    local st=0
    timeout 60 "$FLOE" up -c "$T/bad.yaml" --data "$T/bad" --listen 127.0.0.1:0 --kafka-listen 127.0.0.1:0 \
        > "$T/bad.log" 2>&1 || st=$?
    [ "$st" != 0 ] && grep -q "$2" "$T/bad.log" || { cat "$T/bad.log" >&2; return 1; }
}
sql -c "CREATE TABLE shapes(id int PRIMARY KEY, c circle)" -c "CREATE TABLE nokey(id int)" \
    -c "CREATE TABLE other(id int PRIMARY KEY)" -c "CREATE PUBLICATION onlyother FOR TABLE other"
check "an unsupported type: table and column named" \
    'up_fails "slot: bad1, publication: bad1, tables: [shapes]" "table public.shapes, column c: type circle (oid 718) is not supported"'
check "a table without a primary key" \
    'up_fails "slot: bad2, publication: bad2, tables: [nokey]" "table public.nokey has no primary key"'
check "a missing table" 'up_fails "slot: bad3, publication: bad3, tables: [nosuch]" "table public.nosuch does not exist"'
check "a publication without the table" \
    'up_fails "slot: bad4, publication: onlyother, tables: [accounts]" "publication onlyother does not publish table public.accounts"'
sql -c "DROP TABLE shapes, nokey" -c "DROP PUBLICATION onlyother" -c "DROP TABLE other"

# an independent decoder over the same changes: Debian's wal2json on its own slot
sql -c "SELECT pg_create_logical_replication_slot('w2j', 'wal2json')" >/dev/null
check "config check accepts the sources section" '"$FLOE" config check "$T/cdc.yaml" >/dev/null'
floe_up_start -c "$T/cdc.yaml"

# multi-statement transactions while floe streams
sql <<'SQL'
BEGIN;
INSERT INTO accounts VALUES (51, NULL, NULL, NULL, NULL, NULL, NULL),
  (52, 'fifty-two', -0.01, '1999-12-31 23:59:59.999999+00', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
   '{"nested": {"k": [1, 2.5, null, "x\"y"]}}', true);
UPDATE accounts SET balance = balance + 1, meta = NULL WHERE id <= 5;
DELETE FROM accounts WHERE id IN (10, 11);
COMMIT;
BEGIN;
UPDATE notes SET title = 'retitled ' || id WHERE id <= 3;
INSERT INTO notes VALUES (11, 'big', repeat('xyz-' || md5('11'), 90), '2030-06-30');
DELETE FROM notes WHERE id = 10;
COMMIT;
BEGIN;
UPDATE events SET amount = amount * 2, kind = 'changed' WHERE id % 5 = 0;
DELETE FROM events WHERE id > 25;
INSERT INTO events VALUES (100, NULL, 'NaN', NULL, NULL), (101, 'neg', -1e-7, '2024-02-29 00:00:00', '\x00ff');
UPDATE events SET id = 105 WHERE id = 15;
UPDATE accounts SET id = 1000 WHERE id = 20;
COMMIT;
BEGIN;
UPDATE notes SET created = created + 1 WHERE id = 11;
UPDATE notes SET title = NULL WHERE id = 2;
COMMIT;
SQL

dump() { # the source tables and the mirror tables as NDJSON
    for t in accounts notes events; do
        sql -At -c "SELECT row_to_json(t) FROM $t t" > "$T/pg_$t.ndjson"
        "$FLOE" table "${W[@]}" scan "public.$t" > "$T/ice_$t.ndjson" 2>/dev/null || return 1
    done
}
mirrored() {
    dump || return 1
    for t in accounts notes events; do $CHECK table id "$T/pg_$t.ndjson" "$T/ice_$t.ndjson" 2>/dev/null || return 1; done
}
converge() { for _ in $(seq 150); do mirrored && return 0; sleep 0.2; done; return 1; }
check "the mirror tables equal the sources after the snapshot and 4 transactions" converge
dump; for t in accounts notes events; do $CHECK table id "$T/pg_$t.ndjson" "$T/ice_$t.ndjson" || true; done

# a truncate in a transaction with inserts after it
sql -c "BEGIN; TRUNCATE events; INSERT INTO events VALUES (1, 'again', 1, '2024-03-01', '\x01'), (2, 'two', 2, NULL, NULL); UPDATE events SET amount = 3 WHERE id = 2; COMMIT;"
check "the mirror of a truncated table" converge
curl -fs "$URL/status" > "$T/status.json"
check "status shows the source connected with a confirmed LSN" \
    '/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))[\"sources\"][0]; ok=s[\"connected\"] and s[\"confirmed_lsn\"] != \"0/0\" and s[\"snapshot_rows\"] == 90; ok or print(s, file=sys.stderr); sys.exit(0 if ok else 1)" "$T/status.json"'
# the slot's health, read every 5 s on a connection of its own
slot_ok() { curl -fs "$URL/status" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)[\"sources\"][0][\"slot\"]; sys.exit(0 if s and s[\"exists\"] and s[\"active\"] and s[\"wal_status\"] in (\"reserved\", \"extended\") and s[\"healthy\"] and s[\"lag_bytes\"] >= 0 and s[\"problem\"] == \"\" else 1)"; }
check "status shows the slot healthy: exists, active, wal_status reserved, its lag in bytes" \
    'for _ in $(seq 60); do slot_ok && break; sleep 0.25; done; slot_ok'

# schema changes in the middle of the workload, with changes before and
# after them in the same transactions: a column added (int4, later
# widened to int8 while floe is killed), one dropped, numeric(12,2) ->
# numeric(16,2), varchar(50) -> text, float4 -> float8
sql <<'SQL'
BEGIN;
UPDATE accounts SET name = 'before the alter' WHERE id = 6;
ALTER TABLE accounts ADD COLUMN score int;
UPDATE accounts SET score = id * 3 WHERE id <= 8;
COMMIT;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(16,2);
UPDATE accounts SET balance = 12345678901234.56 WHERE id = 7;
BEGIN;
UPDATE notes SET title = 'before the drop' WHERE id = 5;
ALTER TABLE notes ALTER COLUMN title TYPE text;
ALTER TABLE notes DROP COLUMN created;
INSERT INTO notes VALUES (12, 'after the drop: ' || repeat('t', 80), 'short body');
COMMIT;
UPDATE notes SET title = 'updated after the drop' WHERE id = 4;
ALTER TABLE events ADD COLUMN ratio real;
UPDATE events SET ratio = 0.5 WHERE id = 1;
ALTER TABLE events ALTER COLUMN ratio TYPE double precision;
UPDATE events SET ratio = 0.1 WHERE id = 2;
SQL
check "after ADD COLUMN, DROP COLUMN and ALTER TYPE: the mirrors equal the sources" converge
schema_ok() { /usr/bin/python3 - "$FLOE" "$T/d" <<'PY'
import json, subprocess, sys
floe, d = sys.argv[1:3]
def cols(t):
    out = subprocess.run([floe, "sql", "--data", d, "--format", "ndjson", f'SELECT * FROM "public.{t}" LIMIT 1'],
                         capture_output=True, text=True, check=True).stdout
    return set(json.loads(out.splitlines()[0]).keys())
ok = "score" in cols("accounts") and "created" not in cols("notes") and "ratio" in cols("events")
ok or print(cols("accounts"), cols("notes"), cols("events"), file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}
check "floe sql sees the evolved mirror schemas (score and ratio added, created dropped)" schema_ok
curl -fs "$URL/status" > "$T/status_ev.json"
check "status counts the mirror schema changes" \
    '/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))[\"sources\"][0]; sys.exit(0 if s[\"schema_changes\"] >= 5 else 1)" "$T/status_ev.json"'

# small transactions in a loop; floe is killed mid-stream, restarted
( for i in $(seq 1 150); do
      # score widened int4 -> int8 mid-loop (around floe's kill and restart)
      [ "$i" = 40 ] && sql -c "ALTER TABLE accounts ALTER COLUMN score TYPE bigint" >/dev/null
      big=; [ "$i" -gt 40 ] && big="UPDATE accounts SET score = $((5000000000 + i)) WHERE id = $((2000 + i));"
      sql -c "BEGIN; INSERT INTO accounts VALUES ($((2000 + i)), 'loop $i', $i.25, now(), gen_random_uuid(), '{\"i\": $i}', true); $big UPDATE accounts SET balance = balance + 1 WHERE id = $((1 + i % 40)); UPDATE notes SET title = 'loop $i' WHERE id = $((1 + i % 9)); DELETE FROM accounts WHERE id = $((2000 + i - 3)); COMMIT;" >/dev/null
      sleep 0.02
  done ) &
loop=$!
sleep 1.5
kill -9 "$pid"; wait "$pid" 2>/dev/null || true; pid=
sleep 1 # transactions committed while floe is down
floe_up_start -c "$T/cdc.yaml"
wait "$loop"; loop=
check "after kill -9 and restart: the mirrors equal the sources (nothing lost or doubled)" converge
dump; for t in accounts notes events; do $CHECK table id "$T/pg_$t.ndjson" "$T/ice_$t.ndjson" || true; done

# PostgreSQL restarts under a running floe: it reconnects (with backoff)
# and resumes from the confirmed LSN
pg_up_stop
sql_down=0; sql -c "SELECT 1" >/dev/null 2>&1 || sql_down=1
check "postgres is down" '[ "$sql_down" = 1 ]'
sleep 1
pg_up_start
sql -c "BEGIN; INSERT INTO events VALUES (500, 'after restart', 5, '2024-05-05 05:05:05', '\xbeef'); UPDATE events SET kind = 'k-restart' WHERE id = 1; DELETE FROM accounts WHERE id = 3; COMMIT;"
check "after a PostgreSQL restart: the mirrors equal the sources" converge
curl -fs "$URL/status" > "$T/status2.json"
"$FLOE" status --url "$URL" > "$T/status2.txt"
check "floe status prints the source" 'grep -q "^floe_e2e  *streaming  *[0-9A-F]*/[0-9A-F]" "$T/status2.txt"'
check "status counts the reconnect" \
    '/usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1]))[\"sources\"][0]; sys.exit(0 if s[\"reconnects\"] >= 1 and s[\"connected\"] and s[\"lag_ms\"] >= 0 else 1)" "$T/status2.json"'

kill -TERM "$pid"; st=0; wait "$pid" || st=$?; pid=
check "SIGTERM exits 0" '[ "$st" = 0 ]'
check "no sanitizer report" '! grep -q "ERROR: AddressSanitizer\|runtime error:" "$T/up.log"'
# every snapshot ends at a source transaction: the topic offset its
# summary records follows a record marked floe.tx-end
tx_bounds() { $CHECK txbounds "$FLOE" "$T/d" dbserver1 accounts notes events; }
check "every mirror snapshot ends at a source transaction end" tx_bounds
check "every snapshot of every mirror reads in icebird as in floe" \
    'node "$SRC/tests/interop/snapshots_icebird.mjs" "$T/d" public.accounts:id,name public.notes:id,title \
        public.events:id,kind'
for t in accounts notes events; do
    "$FLOE" topic --log-dir "$T/d/log" tail "dbserver1.public.$t" --from-beginning > "$T/topic_$t.ndjson"
    check "replaying topic dbserver1.public.$t gives the source table, no change twice" \
        '$CHECK topic id "$T/pg_$t.ndjson" "$T/topic_$t.ndjson" > "$T/ops_$t"'
    echo "topic $t: $(cat "$T/ops_$t" 2>/dev/null)"
done
sql -At -F "$(printf '\t')" -c "SELECT (lsn - '0/0'::pg_lsn)::bigint, data FROM
    pg_logical_slot_peek_changes('w2j', NULL, NULL, 'format-version', '2')" > "$T/w2j.tsv"
check "every streamed change equals wal2json's at its LSN (op, columns, identity)" \
    '$CHECK wal2json "$T/w2j.tsv" "$T"/topic_accounts.ndjson "$T"/topic_notes.ndjson "$T"/topic_events.ndjson'
# the envelopes of known statements
env_ok() { /usr/bin/python3 - "$T" <<'PY'
import hashlib, json, sys
T = sys.argv[1]
def envs(t):
    vals = [json.loads(l)["value"] for l in open(f"{T}/topic_{t}.ndjson") if l.strip()]
    return [v for v in vals if v is not None]  # not the tombstones
acc, notes, ev = envs("accounts"), envs("notes"), envs("events")
bad = []
def want(cond, what):
    if not cond: bad.append(what)
u1 = [e for e in acc if e["op"] == "u" and e["after"]["id"] == 1]
want(u1 and u1[0]["before"] is None and u1[0]["after"]["balance"] == "11.50" and u1[0]["after"]["meta"] is None,
     "accounts id 1 update: before null (DEFAULT identity), after balance 11.50")
d10 = [e for e in acc if e["op"] == "d" and e["before"]["id"] == 10]
want(d10 and d10[0]["after"] is None and d10[0]["before"]["name"] is None, "accounts delete: key-only before")
pk = [e["op"] for e in acc if (e["before"] or {}).get("id") == 20 or (e["after"] or {}).get("id") == 1000]
want(pk[-2:] == ["d", "c"], f"primary key change: d then c, got {pk}")
r = [e for e in acc if e["op"] == "r"]
want(len(r) == 50 and all(e["source"]["snapshot"] == "true" and e["before"] is None for e in r), "50 snapshot reads")
s = acc[-1]["source"]
want(s["connector"] == "postgresql" and s["name"] == "dbserver1" and s["db"] == "app" and s["schema"] == "public"
     and s["table"] == "accounts" and isinstance(s["txId"], int) and isinstance(s["lsn"], int), f"source block {s}")
t1 = [e for e in notes if e["op"] == "u" and e["after"]["id"] == 1 and e["after"]["title"] == "retitled 1"]
want(t1 and t1[0]["after"]["body"] == "__debezium_unavailable_value", "notes update without the TOASTed body: unavailable marker")
memo5 = hashlib.md5(b"5").hexdigest() * 100
full = [e for e in ev if e["op"] == "u" and e["after"]["id"] == 5]
want(full and full[0]["before"] == {"id": 5, "kind": "k2", "amount": 6.25, "at": "2024-02-01T10:05:00.25",
                                    "payload": "e4da3b7fbbce2345d7772b0674a318d5", "memo": memo5}
     and full[0]["after"]["amount"] == 12.5, f"events FULL update: whole before row, got {str(full[:1])[:300]}")
want(full and full[0]["after"]["memo"] == memo5, "events FULL update: the untouched TOASTed memo taken from the old row")
moved = [e for e in ev if e["op"] == "c" and e["after"]["id"] == 105]
want(moved and moved[0]["after"]["memo"] == hashlib.md5(b"15").hexdigest() * 100,
     "events FULL primary key change: the new key's row keeps the untouched TOASTed memo")
dfull = [e for e in ev if e["op"] == "d" and e["before"]["id"] == 26]
want(dfull and dfull[0]["before"]["kind"] == "k2", "events FULL delete: whole before row")
want(sum(1 for e in ev if e["op"] == "t") == 1, "one truncate event")
def keys(t):
    out = []
    for l in open(f"{T}/topic_{t}.ndjson"):
        if l.strip():
            r = json.loads(l)
            k = r["key"]
            if r["value"] is not None:
                out.append((json.loads(k) if isinstance(k, str) else k, r["value"]))
    return out
ka = keys("accounts")
want(all(k == {"id": (v["after"] or v["before"])["id"]} for k, v in ka), "accounts records keyed {\"id\": ...} as Debezium keys them")
want(all(k is None for k, v in keys("events") if v["op"] == "t"), "a truncate record has a null key")
for b in bad: print("envelope:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
check "the envelopes of the known statements have the right op, before and after" env_ok
# the checks must see a lost row, a changed value and a change applied twice
"$FLOE" table "${W[@]}" delete public.accounts --where "id = 1" >/dev/null
"$FLOE" table "${W[@]}" scan public.accounts > "$T/ice_broken.ndjson"
sed 's/"name":"acct4"/"name":"acct44"/' "$T/ice_broken.ndjson" > "$T/ice_broken2.ndjson"
st=0; $CHECK table id "$T/pg_accounts.ndjson" "$T/ice_broken2.ndjson" 2>"$T/broken" || st=$?
check "the table check fails on a lost row and a changed value" \
    '[ "$st" = 1 ] && grep -q "key 1 missing" "$T/broken" && grep -q "key 4 column name" "$T/broken"'
{ cat "$T/topic_accounts.ndjson"; grep -v '"value":null' "$T/topic_accounts.ndjson" | tail -n 1; } > "$T/topic_dup.ndjson"
st=0; $CHECK topic id "$T/pg_accounts.ndjson" "$T/topic_dup.ndjson" >/dev/null 2>"$T/broken" || st=$?
check "the topic check fails on a change twice" '[ "$st" = 1 ] && grep -q "twice" "$T/broken"'
sed '0,/"op":"u"/s//"op":"c"/; 0,/"kind":"k-restart"/s//"kind":"k-other"/' "$T/topic_events.ndjson" > "$T/topic_bad.ndjson"
st=0; $CHECK wal2json "$T/w2j.tsv" "$T"/topic_accounts.ndjson "$T"/topic_notes.ndjson "$T/topic_bad.ndjson" \
    >/dev/null 2>"$T/broken" || st=$?
check "the wal2json check fails on a wrong op and a wrong value" \
    '[ "$st" = 1 ] && grep -q "wal2json U, floe \[.c.\]" "$T/broken" && grep -q "column kind" "$T/broken"'
# the slot dropped behind floe's back: a clear error, no silent re-copy
sql -c "SELECT pg_drop_replication_slot('floe_e2e')" >/dev/null
floe_up_start -c "$T/cdc.yaml"
slot_err() { curl -fs "$URL/status" | grep -q "replication slot floe_e2e is missing although floe streamed from it"; }
check "a dropped slot is reported in status" 'for _ in $(seq 100); do slot_err && break; sleep 0.1; done; slot_err'
slot_missing() { curl -fs "$URL/status" | grep -q "\"problem\":\"replication slot floe_e2e is missing (dropped behind floe"; }
check "... and by the slot health check" 'for _ in $(seq 150); do slot_missing && break; sleep 0.1; done; slot_missing'
kill -TERM "$pid"; wait "$pid" || true; pid=

# a second source with schema: true (Debezium's JsonConverter
# schemas.enable=true shape) and tombstones: false; a type change Iceberg
# does not allow; then its slot invalidated behind floe's back
sql -c "CREATE TABLE gadgets(id int PRIMARY KEY, label text, qty int)" \
    -c "INSERT INTO gadgets VALUES (1, 'one', 1), (2, 'two', 2), (3, 'three', 3)"
cat > "$T/g.yaml" <<YAML
pipelines: []
sources:
  - postgres: {uri: "postgresql://postgres@127.0.0.1:$PGPORT/app", slot: floe_g, publication: floe_g,
               tables: [{name: gadgets, partition: ["bucket(4, id)"], maintenance: {compact: {enabled: false}}}],
               topic_prefix: g, schema: true, tombstones: false, commit_interval_ms: 200}
YAML
check "a mirror's own maintenance block is its policy" \
    '"$FLOE" config show -c "$T/g.yaml" | grep -q "^#   public.gadgets: {enabled: true, .*compact: {enabled: false,"'
floe_up_start -c "$T/g.yaml"
# the changes below come after the initial snapshot, as the checks of
# their ops and column schemas expect (a rewrite racing the snapshot is
# cdc_pg_rewrite's test)
g_snap() { grep -q "snapshot of public.gadgets: 3 rows" "$T/up.log"; }
check "the initial snapshot of gadgets copied its 3 rows" 'for _ in $(seq 150); do g_snap && break; sleep 0.2; done; g_snap'
sql -c "BEGIN; INSERT INTO gadgets VALUES (4, 'four', 4); UPDATE gadgets SET label = 'uno' WHERE id = 1; DELETE FROM gadgets WHERE id = 2; COMMIT;" \
    -c "ALTER TABLE gadgets ALTER COLUMN qty TYPE bigint" -c "UPDATE gadgets SET qty = 9000000000 WHERE id = 3"
g_mirrored() {
    sql -At -c "SELECT row_to_json(t) FROM gadgets t" > "$T/pg_gadgets.ndjson"
    "$FLOE" table "${W[@]}" scan public.gadgets > "$T/ice_gadgets.ndjson" 2>/dev/null &&
        $CHECK table id "$T/pg_gadgets.ndjson" "$T/ice_gadgets.ndjson" 2>/dev/null
}
check "schema: true: the mirror of gadgets equals the source" 'for _ in $(seq 150); do g_mirrored && break; sleep 0.2; done; g_mirrored'
check "the mirror is partitioned as configured (bucket[4] of id)" \
    '"$FLOE" table "${W[@]}" describe public.gadgets | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); f=d[\"partition_spec\"][\"fields\"]; sys.exit(0 if [(x[\"source-id\"], x[\"transform\"]) for x in f] == [(1, \"bucket[4]\")] else 1)"'
"$FLOE" topic --log-dir "$T/d/log" tail g.public.gadgets --from-beginning > "$T/topic_gadgets.ndjson"
check "schema: true, tombstones: false: replaying g.public.gadgets gives the source, no tombstone" \
    '$CHECK topic id "$T/pg_gadgets.ndjson" "$T/topic_gadgets.ndjson" --no-tombstones'
g_schema() { /usr/bin/python3 - "$T/topic_gadgets.ndjson" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = []
for r in recs:
    v, k = r["value"], r["key"]
    k = json.loads(k) if isinstance(k, str) else k
    if set(v) != {"schema", "payload"} or set(k) != {"schema", "payload"}:
        bad.append(f"not {{schema, payload}}: {str(r)[:200]}")
        continue
    s = v["schema"]
    f = {x["field"]: x for x in s["fields"]}
    if s["name"] != "g.public.gadgets.Envelope" or list(f) != ["before", "after", "source", "op", "ts_ms", "transaction"]:
        bad.append(f"envelope schema {str(s)[:200]}")
    cols = {x["field"]: (x["type"], x["optional"]) for x in f["after"]["fields"]}
    p = v["payload"]
    if cols.get("id") != ("int32", False) or cols.get("label") != ("string", True):
        bad.append(f"column schemas {cols}")
    if (p["after"] or {}).get("qty") == 9000000000 and cols.get("qty") != ("int64", True):
        bad.append(f"qty after the widening: {cols}")
    if p["op"] == "r" and cols.get("qty") != ("int32", True):
        bad.append(f"qty before the widening: {cols}")
    if k["schema"]["name"] != "g.public.gadgets.Key" or k["schema"]["fields"] != [{"type": "int32", "optional": False, "field": "id"}]:
        bad.append(f"key schema {k['schema']}")
    if v["payload"]["source"]["table"] != "gadgets":
        bad.append("payload source")
ops = [json.loads(l)["value"]["payload"]["op"] for l in open(sys.argv[1]) if l.strip()]
if ops.count("r") != 3 or ops.count("d") != 1:
    bad.append(f"ops {ops}")
for b in bad[:10]: print("schema:", b, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
}
check "schema: true: each record is {schema, payload} with Debezium's envelope, column and key schemas" g_schema
sql -c "ALTER TABLE gadgets ALTER COLUMN label TYPE int USING length(label)" -c "UPDATE gadgets SET qty = 5 WHERE id = 1"
type_err() { curl -fs "$URL/status" | grep -q "table public.gadgets, column label: its type changed from string to int, which Iceberg does not allow"; }
check "a type change Iceberg does not allow: a clear error naming table and column" \
    'for _ in $(seq 100); do type_err && break; sleep 0.1; done; type_err'
check "... and in the log" 'grep -q "column label: its type changed from string to int" "$T/up.log"'
kill -TERM "$pid"; wait "$pid" || true; pid=
# the slot invalidated: WAL past max_slot_wal_keep_size removed while floe is down
sql -c "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'" -c "SELECT pg_reload_conf()" >/dev/null
for _ in 1 2 3 4; do
    sql -c "CREATE TABLE IF NOT EXISTS junk(x text)" -c "INSERT INTO junk SELECT repeat('x', 900) FROM generate_series(1, 20000)" \
        -c "SELECT pg_switch_wal()" -c "CHECKPOINT" >/dev/null
done
lost=$(sql -At -c "SELECT wal_status FROM pg_replication_slots WHERE slot_name = 'floe_g'")
check "postgres invalidated the slot (wal_status lost)" '[ "$lost" = lost ]'
floe_up_start -c "$T/g.yaml"
lost_st() { curl -fs "$URL/status" | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)[\"sources\"][0]; sl=s[\"slot\"]; sys.exit(0 if sl and sl[\"wal_status\"] == \"lost\" and not sl[\"healthy\"] and \"replication slot floe_g is invalidated (wal_status lost\" in sl[\"problem\"] and \"invalidated\" in s[\"last_error\"] else 1)"; }
check "an invalidated slot: status says so (slot problem and last error)" 'for _ in $(seq 100); do lost_st && break; sleep 0.1; done; lost_st'
"$FLOE" status --url "$URL" > "$T/status_lost.txt"
check "floe status shows the lost slot" 'grep -q "^floe_g .* lost .*replication slot floe_g is invalidated" "$T/status_lost.txt"'
check "the log reports the invalidated slot" 'grep -q "replication slot floe_g is invalidated" "$T/up.log"'
kill -TERM "$pid"; wait "$pid" || true; pid=
check "no sanitizer report at the end" '! grep -q "ERROR: AddressSanitizer\|runtime error:" "$T/up.log"'

[ "$fail" = 0 ] || { grep -i "cdc\|error\|warn" "$T/up.log" | tail -n 40 >&2; cat "$T/status.json" "$T/status2.json" >&2 2>/dev/null || true; }
echo "cdc_pg: $pass passed, $fail failed"
[ "$fail" = 0 ]
