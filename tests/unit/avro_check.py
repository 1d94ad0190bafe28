#!/usr/bin/python3
# avro_check.py - reads Avro container files with Debian's python3-avro
# (an Avro implementation floe did not write) for tests/unit/test_avro.c.
#
#   avro_check.py describe FILE   one JSON object on stdout: codec, the
#       metadata, every field-id / element-id / key-id / value-id the
#       parsed writer schema carries, the record count and the records
#       (bytes as hex)
#   avro_check.py compare LIST    LIST holds "original<TAB>copy" lines;
#       checks that both files hold the same records and the same schema
#       and metadata (apart from avro.codec); prints "ok N" or the
#       first difference and exits 1
import decimal
import json
import sys
import warnings

import avro.datafile
import avro.io
import avro.schema

warnings.simplefilter("ignore")  # "Unknown map, using array": Iceberg's logical type


def collect_ids(schema, ids, seen):
    if isinstance(schema, avro.schema.RecordSchema):
        if schema.fullname in seen:
            return
        seen.add(schema.fullname)
        for f in schema.fields:
            if f.get_prop("field-id") is not None:
                ids["field-id"].append(f.get_prop("field-id"))
            collect_ids(f.type, ids, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        if schema.get_prop("element-id") is not None:
            ids["element-id"].append(schema.get_prop("element-id"))
        collect_ids(schema.items, ids, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        for k in ("key-id", "value-id"):
            if schema.get_prop(k) is not None:
                ids[k].append(schema.get_prop(k))
        collect_ids(schema.values, ids, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for b in schema.schemas:
            collect_ids(b, ids, seen)


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, float) and v != v:
        return "NaN"
    if isinstance(v, decimal.Decimal):
        return str(v)
    if hasattr(v, "isoformat"):  # logical types python decodes to dates
        return v.isoformat()
    return v


def read(path):
    with open(path, "rb") as f:
        r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        meta = {k: v for k, v in r.meta.items()}
        schema = r.datum_reader.writers_schema
        records = list(r)
        r.close()
    return meta, schema, records


def describe(path):
    meta, schema, records = read(path)
    ids = {"field-id": [], "element-id": [], "key-id": [], "value-id": []}
    collect_ids(schema, ids, set())
    out = {
        "reader": "python3-avro " + getattr(avro, "__version__", "?"),
        "codec": meta.get("avro.codec", b"null").decode(),
        "meta": {k: v.decode("utf-8", "replace") for k, v in meta.items()},
        "ids": ids,
        "count": len(records),
        "records": plain(records),
    }
    print(json.dumps(out, sort_keys=True))


def compare(listfile):
    n = 0
    for line in open(listfile):
        orig, copy = line.rstrip("\n").split("\t")
        m1, s1, r1 = read(orig)
        m2, s2, r2 = read(copy)
        m1.pop("avro.codec", None)
        m2.pop("avro.codec", None)
        if m1 != m2:
            print("DIFF %s: metadata differs" % orig)
            return 1
        if s1.to_json() != s2.to_json():
            print("DIFF %s: schema differs" % orig)
            return 1
        if repr(r1) != repr(r2):
            print("DIFF %s: records differ (%d vs %d)" % (orig, len(r1), len(r2)))
            return 1
        n += 1
    print("ok %d" % n)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "describe":
        describe(sys.argv[2])
    elif sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2]))
    else:
        sys.exit("usage: avro_check.py describe FILE | compare LIST")
