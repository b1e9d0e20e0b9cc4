"""Vendors the Kubernetes JSON schemas tests/deploy.rs validates deploy/*.yaml against (see README.md).

  python3 tests/k8s-schemas/prune.py SOURCE_DIR VERSION KIND_FILE...

SOURCE_DIR is one version's folder of schemas as kubernetes-validate ships them
(kubernetes_validate/kubernetes-json-schema/vVERSION-local-strict). The kinds' files are copied as
they are; _definitions.json keeps only the definitions they reach through $ref, each one unchanged.
Not needed by the tests, only to vendor another version or another kind.
"""
import json
import os
import sys

source, version, kinds = sys.argv[1], sys.argv[2], sys.argv[3:]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"v{version}-local-strict")
os.makedirs(out, exist_ok=True)
with open(os.path.join(source, "_definitions.json")) as f:
    definitions = json.load(f)
PREFIXES = ("/api/_definitions.json#/$defs/", "#/$defs/")


def refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs(value)


needed, todo = set(), []
for kind in kinds:
    with open(os.path.join(source, kind)) as f:
        text = f.read()
    with open(os.path.join(out, kind), "w") as f:
        f.write(text)
    todo.extend(refs(json.loads(text)))
while todo:
    ref = todo.pop()
    prefix = next((p for p in PREFIXES if ref.startswith(p)), None)
    if prefix is None:
        raise SystemExit(f"a $ref this script does not follow: {ref}")
    name = ref[len(prefix):]
    if name not in needed:
        needed.add(name)
        todo.extend(refs(definitions["$defs"][name]))
pruned = dict(definitions)
pruned["$defs"] = {name: definitions["$defs"][name] for name in sorted(needed)}
with open(os.path.join(out, "_definitions.json"), "w") as f:
    json.dump(pruned, f, indent=2)
    f.write("\n")
print(f"{out}: {len(kinds)} kinds, {len(needed)} of {len(definitions['$defs'])} definitions")
