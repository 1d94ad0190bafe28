#!/usr/bin/env python3
# rest_openapi.py - floe's Iceberg REST catalog checked against the
# OpenAPI document itself (tests/e2e/spec/rest-catalog-open-api.yaml,
# apache/iceberg, Apache-2.0): the document's request examples are sent
# as they are, every request body built here is first validated against
# the schema the document names for it, and every response body against
# the schema of the response the document lists for that status
# (jsonschema, draft 2020-12, $refs resolved inside the document). Error
# replies must also carry the type and code of the document's error
# examples (NoSuchTableError, NamespaceAlreadyExistsError, ...).
# Usage: rest_openapi.py URL [TOKEN_URL TOKEN]
import json, os, sys, urllib.request, urllib.error
import yaml
from jsonschema import Draft202012Validator

SPEC = yaml.safe_load(open(os.path.join(os.path.dirname(__file__), "spec/rest-catalog-open-api.yaml")))
COMP = SPEC["components"]


def nullable(node):
    """OpenAPI 3.0's `nullable: true` (PageToken uses it) as JSON Schema's type list."""
    if isinstance(node, dict):
        if node.get("nullable") is True and isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
        for v in node.values():
            nullable(v)
    elif isinstance(node, list):
        for v in node:
            nullable(v)


nullable(COMP)
EX = {k: v.get("value") for k, v in COMP["examples"].items()}
URL = sys.argv[1]
fails = 0
passes = 0


def check(name, cond, detail=""):
    global fails, passes
    if cond:
        passes += 1
    else:
        fails += 1
        print("FAIL:", name, detail, file=sys.stderr)


def validator(ref):
    return Draft202012Validator({"$ref": ref, "components": COMP})


def valid(ref, doc, name):
    errs = sorted(validator(ref).iter_errors(doc), key=lambda e: list(e.path))
    check(name + " matches " + ref.split("/")[-1], not errs, "; ".join(e.message[:200] for e in errs[:3]))


def response_ref(path, method, status):
    """The schema $ref the document gives for path/method/status."""
    op = SPEC["paths"][path][method]
    r = op["responses"].get(status) or op["responses"].get(str(status))
    if r is None:
        return None
    if "$ref" in r:
        r = COMP["responses"][r["$ref"].split("/")[-1]]
    content = r.get("content", {}).get("application/json")
    return content["schema"]["$ref"] if content else None


def request_ref(path, method):
    return SPEC["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]["$ref"]


def call(method, spec_path, real_path, body=None, headers=None, expect=None):
    """Sends a request; checks the body against the schema for its status."""
    if body is not None:
        valid(request_ref(spec_path, method), body, f"{method} {spec_path} request")
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(URL + real_path, data=data, method=method.upper(), headers=headers or {})
    if data:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req) as r:
            status, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, raw = e.code, e.read()
    doc = json.loads(raw) if raw else None
    name = f"{method.upper()} {real_path}"
    if expect is not None:
        check(name + f" status {expect}", status == expect, f"got {status}: {raw[:300]!r}")
    ref = response_ref(spec_path, method, status)
    if method == "head":
        check(name + ": HEAD has no body", not raw)
    elif ref:
        valid(ref, doc, f"{name} {status} reply")
    elif status != 204:
        check(name + f": status {status} is one the document lists", False)
    return status, doc


def error_like(doc, example, name):
    e = EX[example]["error"]
    check(name + " error type/code as " + example,
          doc and doc["error"]["type"] == e["type"] and doc["error"]["code"] == e["code"], json.dumps(doc))


NS = "/v1/{prefix}/namespaces"
NS1 = NS + "/{namespace}"
TBL = NS1 + "/tables"
TBL1 = TBL + "/{table}"
P = "/v1"

call("get", "/v1/config", "/v1/config", expect=200)

# namespaces: accounting, accounting.tax (the document's multipart example)
call("post", NS, P + "/namespaces", {"namespace": ["accounting"], "properties": {"owner": "ada"}}, expect=200)
call("post", NS, P + "/namespaces", {"namespace": ["accounting", "tax"]}, expect=200)
call("post", NS, P + "/namespaces", {"namespace": ["accounting", "credits"]}, expect=200)
s, d = call("post", NS, P + "/namespaces", {"namespace": ["accounting"]}, expect=409)
error_like(d, "NamespaceAlreadyExistsError", "create twice")
mp = EX["MultipartNamespaceAsPathVariable"]  # "accounting%1Ftax"
s, d = call("get", NS, P + "/namespaces?parent=accounting", expect=200)
check("children of accounting as the document's example",
      sorted(d["namespaces"]) == sorted(EX["ListNamespacesNonEmptyExample"]["namespaces"]), json.dumps(d))
s, d = call("get", NS1, P + "/namespaces/" + mp, expect=200)
check("multipart namespace loads", d["namespace"] == ["accounting", "tax"])
call("head", NS1, P + "/namespaces/" + mp, expect=204)
s, d = call("get", NS1, P + "/namespaces/nope", expect=404)
error_like(d, "NoSuchNamespaceError", "unknown namespace")
call("head", NS1, P + "/namespaces/nope", expect=404)
s, d = call("get", NS, P + "/namespaces?parent=nope", expect=404)

# the document's request example for namespace properties, as it is
body = COMP["examples"]["UpdateAndRemoveNamespacePropertiesRequest"]["value"]
s, d = call("post", NS1 + "/properties", P + "/namespaces/" + mp + "/properties", body, expect=200)
check("properties reply", d and d["updated"] == ["owner"] and sorted(d["missing"]) == ["bar", "foo"] and d["removed"] == [], json.dumps(d))

# tables: paid and owed as in ListTablesNonEmptyExample
schema = {"type": "struct", "schema-id": 0, "fields": [
    {"id": 1, "name": "id", "type": "long", "required": True},
    {"id": 2, "name": "amount", "type": "decimal(10,2)", "required": False}]}
call("post", TBL, P + f"/namespaces/{mp}/tables", {"name": "paid", "schema": schema}, expect=200)
s, d = call("post", TBL, P + f"/namespaces/{mp}/tables", {"name": "paid", "schema": schema}, expect=409)
error_like(d, "TableAlreadyExistsError", "create table twice")
s, d = call("post", TBL, P + "/namespaces/nope/tables", {"name": "x", "schema": schema}, expect=404)
error_like(d, "NoSuchNamespaceError", "create table in unknown namespace")
s, d = call("get", TBL1, P + f"/namespaces/{mp}/tables/nope", expect=404)
error_like(d, "NoSuchTableError", "unknown table")
call("head", TBL1, P + f"/namespaces/{mp}/tables/paid", expect=204)

# the document's rename example, as it is: accounting.tax.paid -> owed
body = EX["RenameTableSameNamespace"]
call("post", "/v1/{prefix}/tables/rename", P + "/tables/rename", body, expect=204)
call("head", TBL1, P + f"/namespaces/{mp}/tables/paid", expect=404)
s, d = call("get", TBL1, P + f"/namespaces/{mp}/tables/owed", expect=200)
owed_loc = d["metadata-location"]
uuid = d["metadata"]["table-uuid"]
s, d = call("post", "/v1/{prefix}/tables/rename", P + "/tables/rename", body, expect=404)
error_like(d, "NoSuchTableError", "rename of a missing table")
body2 = {"source": body["destination"], "destination": {"namespace": ["nope"], "name": "x"}}
s, d = call("post", "/v1/{prefix}/tables/rename", P + "/tables/rename", body2, expect=404)
error_like(d, "NoSuchNamespaceError", "rename into a missing namespace")

# register: the renamed table's metadata file under a second name, then paid again
reg = NS1 + "/register"
call("post", reg, P + f"/namespaces/{mp}/register", {"name": "paid", "metadata-location": owed_loc}, expect=200)
s, d = call("post", reg, P + f"/namespaces/{mp}/register", {"name": "paid", "metadata-location": owed_loc}, expect=409)
error_like(d, "TableAlreadyExistsError", "register over an existing table")
call("post", reg, P + f"/namespaces/{mp}/register", {"name": "paid", "metadata-location": owed_loc, "overwrite": True}, expect=200)
call("post", reg, P + f"/namespaces/{mp}/register", {"name": "x", "metadata-location": "file:///etc/passwd"}, expect=400)
s, d = call("get", TBL, P + f"/namespaces/{mp}/tables", expect=200)
check("tables as the document's example", sorted(map(json.dumps, d["identifiers"])) ==
      sorted(map(json.dumps, EX["ListTablesNonEmptyExample"]["identifiers"])), json.dumps(d))

# pagination: pageSize=1 walks every table once
names, tok, pages = [], None, 0
while pages < 10:
    q = "?pageSize=1&pageToken=" + (tok or "")
    s, d = call("get", TBL, P + f"/namespaces/{mp}/tables{q}", expect=200)
    names += [i["name"] for i in d["identifiers"]]
    pages += 1
    tok = d.get("next-page-token")
    if not tok:
        break
check("pages of one", sorted(names) == ["owed", "paid"] and pages == 2, f"{names} {pages}")
call("get", TBL, P + f"/namespaces/{mp}/tables?pageSize=0", expect=400)
call("get", NS, P + "/namespaces?pageToken=zz", expect=400)
s, d = call("get", NS, P + "/namespaces?pageSize=1&pageToken=", expect=200)
s, all_ns = call("get", NS, P + "/namespaces?pageSize=1", expect=200)
check("first namespace page", len(d["namespaces"]) == 1 and d["next-page-token"] == "1", json.dumps(d))
check("no pageToken: all, null token", len(all_ns["namespaces"]) >= 2 and all_ns["next-page-token"] is None, json.dumps(all_ns))

# commits: requirements and updates from the document's schemas
commit = {"requirements": [{"type": "assert-table-uuid", "uuid": uuid},
                           {"type": "assert-current-schema-id", "current-schema-id": 0}],
          "updates": [{"action": "set-properties", "updates": {"k": "v"}}]}
s, d = call("post", TBL1, P + f"/namespaces/{mp}/tables/owed", commit, expect=200)
check("committed property", d and d["metadata"]["properties"].get("k") == "v")
stale = {"requirements": [{"type": "assert-table-uuid", "uuid": "00000000-0000-0000-0000-000000000000"}],
         "updates": [{"action": "set-properties", "updates": {"k": "w"}}]}
s, d = call("post", TBL1, P + f"/namespaces/{mp}/tables/owed", stale, expect=409)
check("stale requirement: CommitFailedException", d and d["error"]["type"] == "CommitFailedException")
s, d = call("get", TBL1, P + f"/namespaces/{mp}/tables/owed", expect=200)
check("the table is unchanged after a 409", d["metadata"]["properties"].get("k") == "v")
req = urllib.request.Request(URL + P + f"/namespaces/{mp}/tables/owed", method="POST",
                             data=json.dumps({"requirements": [], "updates": [{"action": "frobnicate"}]}).encode())
try:
    urllib.request.urlopen(req)
    check("unknown update: 400", False)
except urllib.error.HTTPError as e:
    d = json.loads(e.read())
    check("unknown update: 400", e.code == 400, str(e.code))
    valid("#/components/schemas/IcebergErrorResponse", d, "unknown update reply")
# a member of the wrong type is 400, never read as 0: the "snapshot-id": "123"
# (sent raw: the document's schema would refuse it before it left)
for bad in ({"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": "123"},
            {"type": "assert-current-schema-id", "current-schema-id": "0"}):
    req = urllib.request.Request(URL + P + f"/namespaces/{mp}/tables/owed", method="POST",
                                 data=json.dumps({"requirements": [bad], "updates": []}).encode())
    try:
        urllib.request.urlopen(req)
        check(bad["type"] + " with a string: 400", False)
    except urllib.error.HTTPError as e:
        d = json.loads(e.read())
        check(bad["type"] + " with a string: 400", e.code == 400 and d["error"]["type"] == "BadRequestException",
              f"{e.code} {d}")
        valid("#/components/schemas/IcebergErrorResponse", d, "typed member reply")
call("post", TBL1 + "/metrics", P + f"/namespaces/{mp}/tables/owed/metrics",
     {"report-type": "commit-report", "table-name": "accounting.tax.owed", "snapshot-id": 1,
      "sequence-number": 1, "operation": "append", "metrics": {}}, expect=204)

# drop: a namespace that holds tables is not empty
s, d = call("delete", NS1, P + "/namespaces/" + mp, expect=409)
error_like(d, "NamespaceNotEmptyError", "drop a namespace with tables")
call("delete", TBL1, P + f"/namespaces/{mp}/tables/paid", expect=204)
call("delete", TBL1, P + f"/namespaces/{mp}/tables/owed", expect=204)
call("delete", NS1, P + "/namespaces/" + mp, expect=204)

# bearer token: the second server requires one
if len(sys.argv) >= 4:
    URL, token = sys.argv[2], sys.argv[3]
    s, d = call("get", "/v1/config", "/v1/config", expect=401)
    check("401 type", d and d["error"]["code"] == 401)
    s, d = call("get", NS, P + "/namespaces", headers={"Authorization": "Bearer wrong"}, expect=401)
    call("get", NS, P + "/namespaces", headers={"Authorization": "Bearer " + token}, expect=200)

print(f"rest_openapi: {passes} passed, {fails} failed")
sys.exit(1 if fails else 0)
