#!/usr/bin/env bash
# Fails unless Cargo.toml's `rust-version` equals the highest `rust-version` any package in the
# locked dependency tree declares (all targets and platforms, dev-dependencies included):
# lower would promise a compiler the tree cannot be built with; higher would ask for more
# than needed. Run from anywhere; needs cargo and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo metadata --format-version 1 --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
members = set(meta["workspace_members"])
def key(v):
    parts = [int(x) for x in v.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))
ours = [p for p in meta["packages"] if p["id"] in members]
deps = [p for p in meta["packages"] if p["id"] not in members and p.get("rust_version")]
need = max(deps, key=lambda p: key(p["rust_version"]))
top = [p for p in deps if key(p["rust_version"]) == key(need["rust_version"])]
names = ", ".join(sorted("%s %s" % (p["name"], p["version"]) for p in top))
status = 0
for p in ours:
    declared = p.get("rust_version")
    if declared is None:
        print("rust-version: %s declares none; the dependency tree needs %s (%s)" % (p["name"], need["rust_version"], names))
        status = 1
    elif key(declared) != key(need["rust_version"]):
        print("rust-version: %s declares %s but the dependency tree needs %s (%s); set rust-version = \"%s\" in Cargo.toml and the README" % (p["name"], declared, need["rust_version"], names, need["rust_version"]))
        status = 1
    else:
        print("rust-version: %s declares %s = the most the dependency tree needs (%s)" % (p["name"], declared, names))
sys.exit(status)
'
