#!/usr/bin/python3
# avro_dump.py - reads Avro object container files (Iceberg manifests and
# manifest lists) with Debian's python3-avro, a reader no one here wrote,
# for iceberg_duckdb_avro.test.mjs.
#
#   /usr/bin/python3 avro_dump.py FILE...
#
# prints one JSON object per file, one per line: the file metadata (every
# key but avro.schema, values as text), every field-id, element-id,
# key-id and value-id of the parsed writer schema (in schema order), and
# the records (bytes as hex, decimals as text, dates as ISO text).
import decimal
import json
import sys
import warnings

import avro.datafile
import avro.io
import avro.schema

warnings.simplefilter("ignore")  # "Unknown map, using array": Iceberg's logicalType map


def ids_of(schema, ids, seen):
    if isinstance(schema, avro.schema.RecordSchema):
        if schema.fullname in seen:
            return
        seen.add(schema.fullname)
        for f in schema.fields:
            if f.get_prop("field-id") is not None:
                ids["field-id"].append(f.get_prop("field-id"))
            ids_of(f.type, ids, seen)
    elif isinstance(schema, avro.schema.ArraySchema):
        if schema.get_prop("element-id") is not None:
            ids["element-id"].append(schema.get_prop("element-id"))
        ids_of(schema.items, ids, seen)
    elif isinstance(schema, avro.schema.MapSchema):
        for k in ("key-id", "value-id"):
            if schema.get_prop(k) is not None:
                ids[k].append(schema.get_prop(k))
        ids_of(schema.values, ids, seen)
    elif isinstance(schema, avro.schema.UnionSchema):
        for b in schema.schemas:
            ids_of(b, ids, seen)


def plain(v):
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)  # 64-bit ids survive JSON.parse on the node side
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def dump(path):
    with open(path, "rb") as f:
        r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
        meta = {k: v.decode("utf-8", "replace") for k, v in r.meta.items() if k != "avro.schema"}
        ids = {"field-id": [], "element-id": [], "key-id": [], "value-id": []}
        ids_of(r.datum_reader.writers_schema, ids, set())
        records = [plain(x) for x in r]
        r.close()
    return {"path": path, "meta": meta, "ids": ids, "records": records}


for p in sys.argv[1:]:
    print(json.dumps(dump(p)))
