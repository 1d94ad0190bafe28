#!/usr/bin/env python3
"""Reads the format 3 tables that Spark and Trino wrote for Apache Impala's
tests (tests/fixtures/iceberg/impala/iceberg_test/iceberg_v3/) with
`floe sql ... iceberg_scan('...')` and compares each answer with the rows
Impala's own tests expect (tests/fixtures/iceberg/impala/queries/*.test).
Every case names the .test file and the query its rows come from; where
floe's answer differs from Impala's on purpose (a value Impala refuses to
show, a spelling of a timestamp) the case says so and why.

Values are read from floe's NDJSON output: SQL NULL is None, numbers are
numbers, text is text; a JSON value (a variant object or array) is
compared as its compact JSON text. Usage: impala_v3_check.py FLOE FIXTURES
"""
import json
import os
import subprocess
import sys
import tempfile

FLOE, FIX = sys.argv[1], sys.argv[2]
V3 = os.path.join(FIX, "iceberg", "impala", "iceberg_test", "iceberg_v3")
fails = []
passed = 0


def scan(table):
    return "iceberg_scan('%s')" % os.path.join(V3, table)


def run(sql, want_error=False):
    env = dict(os.environ)
    env["FLOE_WAREHOUSE"] = WAREHOUSE
    p = subprocess.run([FLOE, "sql", "--format", "ndjson", sql], capture_output=True, text=True,
                       env=env, timeout=300)
    if want_error:
        return p.returncode, p.stderr
    if p.returncode != 0:
        raise RuntimeError("floe sql failed (%d): %s" % (p.returncode, p.stderr.strip()))
    rows = []
    for line in p.stdout.splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        rows.append(tuple(norm(v) for v in obj.values()))
    return rows


def norm(v):
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return v


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    return a == b and type(a) is type(b)


def case(source, sql, want):
    """source: the .test file and query the rows come from."""
    global passed
    want = [tuple(r) if isinstance(r, (tuple, list)) else (r,) for r in want]
    try:
        got = run(sql)
    except Exception as e:  # the error is the failure
        fails.append("%s\n    %s\n    error: %s" % (source, sql, e))
        return
    ok = len(got) == len(want) and all(
        len(g) == len(w) and all(same(x, y) for x, y in zip(g, w)) for g, w in zip(got, want))
    if ok:
        passed += 1
    else:
        fails.append("%s\n    %s\n    want %r\n    got  %r" % (source, sql, want, got))


def error_case(source, sql, needle):
    global passed
    rc, err = run(sql, want_error=True)
    if rc != 0 and needle in err:
        passed += 1
    else:
        fails.append("%s\n    %s\n    want an error with %r, got rc %d: %s" %
                     (source, sql, needle, rc, err.strip()))


with tempfile.TemporaryDirectory() as WAREHOUSE:
    # ---- deletion vectors (Spark-written Puffin DVs) ----
    DV = scan("iceberg_v3_deletion_vectors")
    case("iceberg-v3-delete.test: SELECT * FROM iceberg_v3_deletion_vectors",
         "select * from %s order by i" % DV, [1, 3, 5])
    case("iceberg-v3-delete-existing-dv.test: SELECT * ... ORDER BY i (Spark DVs deleted 2 and 4)",
         "select * from %s order by i" % DV, [1, 3, 5])
    case("iceberg-v3-negative.test: FOR SYSTEM_VERSION AS OF 2700858159721908397 (no DVs yet)",
         "select * from %s FOR VERSION AS OF 2700858159721908397 order by i" % DV,
         [1, 2, 3, 4, 5])
    case("(floe) the same snapshot by t(ID)", "select * from %s(2700858159721908397) order by i" % DV,
         [1, 2, 3, 4, 5])
    case("(floe) count(*) with deletion vectors: the count shortcut must not skip them",
         "select count(*) from %s" % DV, [3])

    # ---- initial-default: Parquet, ORC and Avro data files ----
    for tbl, snap in (("iceberg_v3_default_value", 7752776210164022855),
                      ("iceberg_v3_default_value_orc", 1536392834658079256),
                      ("iceberg_v3_default_value_avro", 2819462914350205316)):
        t = scan(tbl)
        src = "iceberg-v3-default-values.test (%s): " % tbl
        case(src + "SELECT * ORDER BY i", "select * from %s order by i" % t, [(1, -1), (2, 2)])
        case(src + "WHERE j = -1", "select i, j from %s where j = -1 order by i" % t, [(1, -1)])
        case(src + "WHERE j > 0", "select i, j from %s where j > 0 order by i" % t, [(2, 2)])
        case(src + "WHERE j IS NULL", "select i, j from %s where j is null order by i" % t, [])
        case(src + "WHERE j IS NOT NULL", "select i, j from %s where j is not null order by i" % t,
             [(1, -1), (2, 2)])
        case(src + "WHERE i = 1 AND j = -1", "select i, j from %s where i = 1 and j = -1" % t,
             [(1, -1)])
        # the first snapshot's schema has only i
        case(src + "FOR SYSTEM_VERSION AS OF %d" % snap,
             "select * from %s FOR VERSION AS OF %d" % (t, snap), [1])

    # ---- initial-default in a table partitioned later by the column ----
    P = scan("test_default_part")
    src = "iceberg-v3-default-values.test (test_default_part): "
    case(src + "SELECT * ORDER BY i", "select * from %s order by i" % P,
         [(1, -1), (2, -1), (3, 5), (4, 10), (5, None)])
    case(src + "WHERE j = -1", "select i from %s where j = -1 order by i" % P, [1, 2])
    case(src + "WHERE j = 5", "select i from %s where j = 5" % P, [3])
    # Impala sorts NULL last
    case(src + "GROUP BY j", "select j, count(i) from %s group by j order by j is null, j" % P,
         [(-1, 2), (5, 1), (10, 1), (None, 1)])

    # ---- nested and complex defaults ----
    C = scan("test_complex_default")
    src = "iceberg-v3-default-values.test (test_complex_default): "
    case(src + "SELECT i ORDER BY i", "select i from %s order by i" % C, [1, 2])
    case(src + "SELECT j.f2", "select json_extract(j, '$.f2') from %s order by i desc" % C,
         ["hello", None])
    case(src + "SELECT f2 FROM (SELECT j.f1, j.f2 ...) v",
         "select f2 from (select json_extract(j, '$.f1') as f1, json_extract(j, '$.f2') as f2 "
         "from %s order by i desc) v" % C, ["hello", None])
    # Impala refuses j, j.f1 and ts_tz (iceberg-v3-negative.test: "Default
    # values are not supported for nested fields / TIMESTAMPTZ types");
    # floe reads them. Row 1 predates j and ts_tz: j has no initial-default
    # (only its member f1 has), so the struct is null; ts_tz takes its
    # initial-default. Row 2 is what Spark wrote.
    case("(floe, where Impala refuses) test_complex_default: j and ts_tz",
         "select i, j, ts_tz from %s order by i" % C,
         [(1, None, "2024-01-15 10:30:45.123456+00:00"),
          (2, '{"f1":100,"f2":"hello"}', "2024-12-26 02:30:45.123456+00:00")])

    # ---- every primitive type's initial-default ----
    A = scan("iceberg_v3_all_types")
    src = "iceberg-v3-default-values.test (iceberg_v3_all_types): "
    # floe prints timestamps with 6 fraction digits where Impala prints 9
    case(src + "SELECT id, col_timestamp WHERE id = 1",
         "select id, col_timestamp from %s where id = 1" % A, [(1, "1969-12-31 23:59:59.123456")])
    case(src + "all supported primitive types (booleans are 0/1 in floe sql)",
         "select id, col_boolean, col_int, col_bigint, col_float, col_double, col_decimal, "
         "col_string, col_date, col_timestamp, col_timestamp_epoch, col_timestamp_iso "
         "from %s order by id" % A,
         [(1, 0, -1, -1, 1.5, 2.5, 123.45, "initial_default", "2024-01-01",
           "1969-12-31 23:59:59.123456", "1970-01-01 00:00:00.000000",
           "2024-01-15 10:30:45.123456"),
          (2, 1, 42, 9999999999, 3.14, 2.71828, 999.99, "explicit", "2024-12-25",
           "2024-12-25 10:30:45.123456", "1970-01-01 00:00:00.000000",
           "2024-01-15 10:30:45.123456")])
    # Impala refuses col_binary ("Default values are not supported for
    # BINARY/FIXED types"); floe reads it: row 1 the initial-default's
    # bytes 0102030405060708, row 2 what Spark wrote
    case("(floe, where Impala refuses) iceberg_v3_all_types: col_binary",
         "select id, hex(col_binary) from %s order by id" % A,
         [(1, "0102030405060708"), (2, "DEADBEEF")])

    # ---- row lineage ----
    for tbl in ("iceberg_v3_row_lineage", "iceberg_v3_row_lineage_orc"):
        R = scan(tbl)
        src = "iceberg-v3-row-lineage.test (%s): " % tbl
        case(src + "select i", "select i from %s order by i" % R, [1, 2, 3])
        case(src + "hidden columns are not expanded by select *", "select * from %s order by i" % R,
             [1, 2, 3])
        case(src + "select i, _row_id, _last_updated_sequence_number",
             "select i, _row_id, _last_updated_sequence_number from %s order by i" % R,
             [(1, 0, 1), (2, 1, 2), (3, 2, 3)])
        case(src + "select _last_updated_sequence_number",
             "select _last_updated_sequence_number from %s order by 1" % R, [1, 2, 3])
        case(src + "JOIN USING (_row_id)",
             "select a.i, a._row_id from %s a join %s b using (_row_id) order by a.i" % (R, R),
             [(1, 0), (2, 1), (3, 2)])
        case(src + "JOIN ON a._row_id = b._row_id",
             "select a.i, a._row_id from %s a join %s b on a._row_id = b._row_id order by a.i" %
             (R, R), [(1, 0), (2, 1), (3, 2)])
        case(src + "JOIN USING (_last_updated_sequence_number)",
             "select a.i, a._last_updated_sequence_number from %s a join %s b "
             "using (_last_updated_sequence_number) order by a.i" % (R, R),
             [(1, 1), (2, 2), (3, 3)])
        case("(floe) %s: a filter on _row_id" % tbl,
             "select i from %s where _row_id = 1" % R, [2])
    # the snapshot before Spark's compaction stores no lineage: every
    # value is inherited (first_row_id + position, the data sequence number)
    R = scan("iceberg_v3_row_lineage")
    case("iceberg-v3-row-lineage.test: _row_id, _last_updated_sequence_number "
         "for system_version as of 2872597867664652808",
         "select i, _row_id, _last_updated_sequence_number from %s "
         "for version as of 2872597867664652808 order by i" % R, [(1, 0, 1), (2, 1, 2), (3, 2, 3)])
    case("(floe) deletion vectors keep each surviving row's inherited _row_id",
         "select i, _row_id, _last_updated_sequence_number from %s order by i" % DV,
         [(1, 0, 1), (3, 2, 1), (5, 4, 1)])

    # ---- variant (Trino-written, unshredded Parquet) ----
    TV = scan("trino_variant")
    src = "iceberg-v3-variant.test: "
    case(src + "SELECT count(*)", "select count(*) from %s" % TV, [55])
    ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
           24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 50, 51, 52, 53,
           54, 55, 56, 57, 58, 59, 60, 61, 62]
    # Impala's text of each value (its RESULTS with the quoting undone);
    # rows 58, 59, 61 and 62 differ on purpose, see below
    want_v = {
        0: None, 1: "null", 2: "true", 3: "false", 4: "42", 5: "34", 6: "-34", 7: "1000",
        8: "-1234", 9: "100000", 10: "12345", 11: "-12345", 12: "10000000000", 13: "14.3",
        14: "-14.3", 15: '"hello"', 16: '"impala"', 17: '"context"', 18: '"home"',
        19: '"mobile"', 20: '"Alice"', 21: '"iceberg"', 22: '"' + "x" * 102 + '"',  # 102 in the .test, though its descr says x100
        23: r'"a\t\"\\\u0000b"', 24: "[1,2,3]", 25: "[1,2,3,4,10]", 26: "[]",
        27: '["iceberg","string"]', 28: '[["string","iceberg"],["apple","banana"]]',
        29: '[["string","iceberg",34],[34,null],[],["string","iceberg"],34]',
        30: '[{"a":123456789,"c":"string"},{"a":123456789,"c":"string"},"iceberg",34]',
        31: '{"age":30,"name":"Alice"}', 32: '{"active":true,"age":30,"name":"Alice"}',
        33: '{"page":"home","retries":3}', 34: '{"data":{"items":[10,20,30]}}',
        35: '{"context":{"page":"home","retries":3},"device":"mobile",'
            '"int_array":[1,2,3,4,10],"user":"Alice"}',
        36: r'{"a\"b":1,"c\\d":2,"e\nf":3}', 37: r'{"a\bb":10,"c\fd":30,"e\u0001f":20}',
        38: '{"f0":42,"f299":7}', 39: "{}", 40: '{"a":null,"d":"iceberg"}',
        41: '{"a":123456789,"c":["string","iceberg"]}', 50: "3.14", 51: "123456.789",
        52: "-123456789.987654321", 53: "9876543210.123456789", 54: "-10.11",
        55: '"2024-11-07"', 56: '"1957-11-07"', 57: '"CgsMDQ=="',
        # Impala prints "<unsupported-type>" for time, timestamptz and uuid
        # values; floe prints the values. A microsecond timestamp has 6
        # digits in floe (Impala pads it to 9: 12:33:54.123456000).
        58: '"12:33:54.123456"', 59: '"2024-11-07 12:33:54.123456"',
        60: '"1957-11-07 12:33:54.123456789"', 61: '"2024-11-07 12:33:54.123456+00:00"',
        62: '"f24f9b64-81fa-49d1-b74e-8c09a6e31c56"',
    }
    # the variant text exactly: CSV keeps it as floe printed it
    env = dict(os.environ, FLOE_WAREHOUSE=WAREHOUSE)
    p = subprocess.run([FLOE, "sql", "--format", "csv", "--no-header",
                        "select id, v from %s order by id" % TV],
                       capture_output=True, text=True, env=env, timeout=300)
    import csv
    import io
    got = {int(r[0]): r[1] for r in csv.reader(io.StringIO(p.stdout))} if p.returncode == 0 else {}
    if p.returncode != 0:
        fails.append(src + "SELECT id, v ORDER BY id\n    error: " + p.stderr.strip())
    else:
        bad = [(i, want_v[i], got.get(i)) for i in ids
               if (want_v[i] if want_v[i] is not None else "") != got.get(i)]
        if bad or sorted(got) != ids:
            fails.append(src + "SELECT id, v ORDER BY id\n    differences: %r" % bad)
        else:
            passed += 1
    case(src + "SELECT id, v WHERE id = 31", "select id, cast(v as text) from %s where id = 31" % TV,
         [(31, '{"age":30,"name":"Alice"}')])
    case(src + "ORDER BY id LIMIT 5", "select id, cast(v as text) from %s order by id limit 5" % TV,
         [(0, None), (1, "null"), (2, "true"), (3, "false"), (4, "42")])
    case(src + "UNION ALL",
         "select id, cast(v as text) from %s where id < 3 union all "
         "select id, cast(v as text) from %s where id = 2 order by id" % (TV, TV),
         [(0, None), (1, "null"), (2, "true"), (2, "true")])
    case(src + "self join", "select b.id, cast(b.v as text) from %s a join %s b on a.id = b.id "
         "where b.id in (2, 31) order by b.id" % (TV, TV),
         [(2, "true"), (31, '{"age":30,"name":"Alice"}')])
    case(src + "non-variant columns", "select id, descr from %s where id in (0, 1, 62) order by id"
         % TV, [(0, "NULL"), (1, "variant null"), (62, "uuid")])
    NV = scan("trino_nested_variant")
    case(src + "SELECT top_v FROM trino_nested_variant WHERE id = 1",
         "select cast(top_v as text) from %s where id = 1" % NV, ["42"])
    # Impala refuses variants inside arrays, maps and structs ("VARIANT
    # nested inside a complex type"); floe reads them as JSON
    case("(floe, where Impala refuses) trino_nested_variant: nested variants",
         "select id, arr_v, map_v, struct_v, arr_struct_v from %s order by id" % NV,
         [(1, '[1,"a"]', '{"k1":10,"k2":"x"}', '{"a":{"age":30},"b":5}', '[{"v":7}]'),
          (2, "[[1,2,3]]", '{"obj":{"page":"home","retries":3}}',
           '{"a":["iceberg","string"],"b":9}', '[{"v":{"k":1}},{"v":null}]')])

    # ---- every table reads whole (no column refused, no error) ----
    for tbl in sorted(os.listdir(V3)):
        try:
            n = run("select count(*) from (select * from %s)" % scan(tbl))[0][0]
            if n > 0:
                passed += 1
            else:
                fails.append("(floe) %s: select * read no rows" % tbl)
        except Exception as e:
            fails.append("(floe) %s: select * failed: %s" % (tbl, e))

for f in fails:
    print("FAIL: " + f, file=sys.stderr)
print("impala_v3: %d passed, %d failed" % (passed, len(fails)))
sys.exit(1 if fails else 0)
