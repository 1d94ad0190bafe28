#!/usr/bin/env bash
# e2e: the docs cannot drift from the loader - every ```yaml block of
# README.md, docs/*.md and docs/internals/*.md, and every examples/*.yaml,
# passes `floe config check`. A block that is partial or wrong on purpose
# is marked by the line before its fence:
#   <!-- config-check: skip (why) -->
# and listed here as skipped (keep them rare). Also: the flow-collection
# rule docs/config.md states - inside [ ] and { } YAML cuts an unquoted
# value at each comma, floe refuses the cut value with the quoting to use,
# quoted and block-style values stay whole.
set -euo pipefail
FLOE=${FLOE_BIN:?FLOE_BIN must point at the floe binary}
SRC=${FLOE_SRC:?}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $1" >&2; fi; }

# each block to T/blocks/FILE-LINE.yaml (LINE: the block's first line);
# skipped ones listed in T/skipped
mkdir "$T/blocks"
python3 - "$T" "$SRC" <<'PY'
import glob, os, re, sys
t, src = sys.argv[1], sys.argv[2]
mds = [os.path.join(src, 'README.md')] + sorted(glob.glob(os.path.join(src, 'docs', '*.md'))) \
    + sorted(glob.glob(os.path.join(src, 'docs', 'internals', '*.md')))
skipped = open(os.path.join(t, 'skipped'), 'w')
for md in mds:
    if not os.path.exists(md):
        continue
    rel = os.path.relpath(md, src)
    lines = open(md).read().split('\n')
    i = 0
    while i < len(lines):
        if lines[i].strip() == '```yaml':
            j = i + 1
            while j < len(lines) and lines[j].strip() != '```':
                j += 1
            prev = next((l for l in reversed(lines[:i]) if l.strip()), '')
            m = re.match(r'\s*<!--\s*config-check:\s*skip\s*(.*?)\s*-->', prev)
            if m:
                skipped.write('%s:%d %s\n' % (rel, i + 2, m.group(1)))
            else:
                name = rel.replace('/', '_')[:-3] + '-%d.yaml' % (i + 2)
                open(os.path.join(t, 'blocks', name), 'w').write('\n'.join(lines[i + 1:j]) + '\n')
            i = j
        i += 1
PY
n=0
for f in "$T"/blocks/*.yaml "$SRC"/examples/*.yaml; do
    n=$((n + 1))
    check "config check $(basename "$f")" '"$FLOE" config check "$f" > "$T/out" 2>&1 || { cat "$T/out" >&2; false; }'
done
check "found the docs' blocks and the examples" '[ "$(ls "$T"/blocks | wc -l)" -ge 9 ] && [ "$n" -ge 14 ]'
if [ -s "$T/skipped" ]; then echo "skipped (marked config-check: skip):"; sed 's/^/  /' "$T/skipped"; fi

# the flow-collection rule, as docs/config.md states it
cat > "$T/cut.yaml" <<'Y'
tables:
  - name: t
    schema:
      - {name: id, type: long, required: true}
      - {name: amount, type: decimal(10,2)}
Y
set +e; "$FLOE" config check "$T/cut.yaml" 2> "$T/err"; st=$?; set -e
check "cut type refused (exit 1)" '[ "$st" = 1 ]'
check "cut type: line, key and quoting" "grep -qF \"cut.yaml:5: tables[].schema[].type: \\\"decimal(10\\\" was cut at a comma\" \"\$T/err\" && grep -qF \"quote it: 'decimal(10,2)'\" \"\$T/err\""
printf 'tables:\n  - name: t\n    schema: [{name: id, type: long, required: true}]\n    partition: [day(id), bucket(16, id)]\n' > "$T/cut2.yaml"
set +e; "$FLOE" config check "$T/cut2.yaml" 2> "$T/err"; st=$?; set -e
check "cut term refused with its quoting" "[ \"\$st\" = 1 ] && grep -qF \"cut2.yaml:4: tables[].partition: \\\"bucket(16\\\" was cut at a comma\" \"\$T/err\" && grep -qF \"quote it: 'bucket(16, id)'\" \"\$T/err\""
cat > "$T/whole.yaml" <<'Y'
tables:
  - name: t
    schema:
      - {name: id, type: long, required: true}
      - {name: a, type: 'decimal(10,2)'}
      - {name: b, type: "decimal(12, 3)"}
      - name: c
        type: decimal(9,2)
      - {name: f, type: 'fixed[16]'}
    partition: [id, 'bucket(16, id)']
  - name: u
    schema: [{name: id, type: long, required: true}]
    partition:
      - bucket(8, id)
      - truncate(4, id)
Y
check "quoted and block-style values stay whole" '"$FLOE" config check "$T/whole.yaml" >/dev/null'
"$FLOE" config show -c "$T/whole.yaml" > "$T/shown.yaml"
check "show keeps them whole" 'grep -qF "\"bucket(16, id)\"" "$T/shown.yaml" && grep -qF "\"decimal(9,2)\"" "$T/shown.yaml"'
check "show round-trips" '"$FLOE" config check "$T/shown.yaml" >/dev/null'
printf 'tables:\n  - {name: t, schema: [{name: f, type: fixed[16]}]}\n' > "$T/brackets.yaml"
set +e; "$FLOE" config check "$T/brackets.yaml" 2> "$T/err"; st=$?; set -e
check "unquoted [ ] in { }: a syntax error that says to quote" '[ "$st" = 1 ] && grep -qF "quote a value that holds" "$T/err"'
echo "docs_yaml: $pass passed, $fail failed"
[ "$fail" = 0 ]
