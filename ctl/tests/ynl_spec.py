#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Documentation/netlink/specs/ztbond.yaml (the YNL spec) and
# uapi/linux/ztbond.h (the ABI) must describe the same family: the family
# name, version and multicast group, every constant, every enum (names,
# values, order), every attribute set and every command. Names follow YNL's
# rules: the upper-cased name-prefix + name, '-' as '_'.
#
#   python3 tests/ynl_spec.py [SPEC] [HEADER]
#
# With a kernel tree (ZTBOND_YNL_TREE, or build/ynl of this repository:
# Documentation/netlink and tools/net/ynl of linux-source-6.12), also: the
# spec validates against YNL's genetlink-legacy schema, and the uapi header
# ynl-gen-c.py renders from it agrees with ours the same way.
#
# One case per item compared; prints "N passed, N failed" last.

import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import yaml
except ImportError:
    print("ynl_spec.py: python3-yaml missing, skipped")
    print("0 passed, 0 failed")
    sys.exit(0)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC = sys.argv[1] if len(sys.argv) > 1 else \
    os.path.join(ROOT, "Documentation/netlink/specs/ztbond.yaml")
HDR = sys.argv[2] if len(sys.argv) > 2 else \
    os.path.join(ROOT, "uapi/linux/ztbond.h")

passed = 0
failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL: " + what)


def c_upper(name):
    return name.upper().replace("-", "_")


def enum_value(expr, known):
    """A member's initializer: a number, or (MEMBER - 1) as YNL writes."""
    m = re.fullmatch(r"\(?\s*(\w+)\s*(?:([-+])\s*(\d+))?\s*\)?", expr)
    if not m:
        raise ValueError(f"cannot evaluate enum value {expr}")
    try:
        base = int(m.group(1), 0)
    except ValueError:
        base = known[m.group(1)]
    off = int(m.group(3) or 0)
    return base - off if m.group(2) == "-" else base + off


def parse_header(path):
    """#defines (name -> value or string) and enums (name -> [(member, value)])."""
    text = open(path).read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    defines = {}
    for m in re.finditer(r"^#define[ \t]+(\w+)[ \t]+(.+?)[ \t]*$", text, flags=re.M):
        name, val = m.group(1), m.group(2)
        if val.startswith('"'):
            defines[name] = val.strip('"')
            continue
        num = re.fullmatch(r"\(?\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*\s*\)?", val)
        defines[name] = int(num.group(1), 0) if num else val
    enums = {}
    for m in re.finditer(r"enum\s+(\w+)\s*\{(.*?)\}\s*;", text, flags=re.S):
        members, nxt = [], 0
        for item in m.group(2).split(","):
            item = item.strip()
            if not item:
                continue
            if "=" in item:
                name, val = (s.strip() for s in item.split("=", 1))
                val = enum_value(val, dict(members))
            else:
                name, val = item, nxt
            members.append((name, val))
            nxt = val + 1
        enums[m.group(1)] = members
    return defines, enums


def spec_members(prefix, items, first=0):
    """[(C name, value)] of enum entries / attributes / operations."""
    out, nxt = [], first
    for it in items:
        if isinstance(it, str):
            it = {"name": it}
        val = it.get("value", nxt)
        out.append((c_upper(prefix + it["name"]), val))
        nxt = val + 1
    return out


def same_enum(what, enum_name, spec, hdr_enums, private):
    """The header's enum is the spec's, plus only the private MAX members."""
    c_name = c_upper(enum_name).lower()
    hdr = hdr_enums.get(c_name)
    check(hdr is not None, f"{what}: enum {c_name} not in the header")
    if hdr is None:
        return
    extra = [m for m in hdr if m not in spec]
    check(all(re.fullmatch(private, n) for n, _ in extra),
          f"{what}: header members not in the spec: {extra}")
    missing = [m for m in spec if m not in hdr]
    check(not missing, f"{what}: spec members not in the header "
          f"(or with other values): {missing}")
    order = [m for m in hdr if m in spec]
    check(order == spec, f"{what}: order differs")


def compare(spec, hdr_path):
    defines, enums = parse_header(hdr_path)
    covered = set()
    fam = spec["name"]

    name_def = c_upper(spec.get("c-family-name", fam + "-family-name"))
    ver_def = c_upper(spec.get("c-version-name", fam + "-family-version"))
    check(defines.get(name_def) == fam, f"{name_def} is not \"{fam}\"")
    check(defines.get(ver_def) == spec.get("version", 1),
          f"{ver_def} is not {spec.get('version', 1)}")
    covered |= {name_def, ver_def}

    for grp in spec.get("mcast-groups", {}).get("list", []):
        d = c_upper(grp.get("c-define-name",
                            f"{fam}-mcgrp-{grp['name']}"))
        check(defines.get(d) == grp["name"],
              f"multicast group {grp['name']}: {d} is "
              f"{defines.get(d)!r}")
        covered.add(d)

    for d in spec.get("definitions", []):
        if d["type"] == "const":
            c = c_upper(f"{fam}-{d['name']}")
            check(defines.get(c) == d["value"],
                  f"const {d['name']}: {c} is {defines.get(c)!r}, "
                  f"spec {d['value']}")
            covered.add(c)
        elif d["type"] == "enum":
            prefix = d.get("name-prefix", f"{fam}-{d['name']}-")
            ename = d.get("enum-name", f"{fam}-{d['name']}")
            members = spec_members(prefix, d["entries"],
                                   d.get("value-start", 0))
            same_enum(f"enum {d['name']}", ename, members, enums,
                      r"__\w+_MAX|\w+_MAX")
            covered.add(c_upper(ename).lower())
            covered.add(c_upper(prefix + "max"))

    for s in spec["attribute-sets"]:
        if "subset-of" in s:
            continue
        prefix = s.get("name-prefix", f"{fam}-a-{s['name']}-")
        ename = s.get("enum-name", f"{fam}-{s['name']}-attrs")
        same_enum(f"attribute set {s['name']}", ename,
                  spec_members(prefix, s["attributes"], 1), enums,
                  r"__\w+_MAX")
        covered.add(c_upper(ename).lower())
        covered.add(c_upper(prefix + "max"))

    ops = spec["operations"]
    prefix = ops.get("name-prefix", f"{fam}-cmd-")
    ename = ops.get("enum-name", f"{fam}-cmd")
    same_enum("operations", ename, spec_members(prefix, ops["list"], 1),
              enums, r"\w+_UNSPEC|__\w+_MAX")
    covered.add(c_upper(ename).lower())
    covered.add(c_upper(prefix + "max"))

    for e in enums:
        check(e in covered, f"header enum {e} is not in the spec")
    for d in defines:
        # IFLA_ZTBOND_*: rtnetlink link info (ip -d link), not this
        # family; in-tree it would be a sub-message of rt_link.yaml
        if d.startswith("_UAPI_") or d.startswith("IFLA_ZTBOND_"):
            continue
        check(d in covered, f"header define {d} is not in the spec")


def with_kernel_tree(spec):
    """Schema validation and ynl-gen-c's header, given a kernel tree."""
    tree = os.environ.get("ZTBOND_YNL_TREE", os.path.join(ROOT, "build/ynl"))
    schema = os.path.join(tree, "Documentation/netlink/genetlink-legacy.yaml")
    gen = os.path.join(tree, "tools/net/ynl/ynl-gen-c.py")
    if not os.path.exists(schema) or not os.path.exists(gen):
        print(f"ynl_spec.py: no kernel tree at {tree} (ZTBOND_YNL_TREE): "
              "schema and ynl-gen-c checks skipped")
        return
    try:
        import jsonschema
        jsonschema.validate(spec, yaml.safe_load(open(schema)))
        check(True, "")
    except ImportError:
        print("ynl_spec.py: python3-jsonschema missing, schema check skipped")
    except jsonschema.ValidationError as e:
        check(False, f"spec does not validate: {e.message}")
    # ynl-gen-c finds the schema next to the spec, and the tree's root by
    # its MAINTAINERS file.
    with tempfile.TemporaryDirectory() as tmp:
        specs = os.path.join(tmp, "Documentation/netlink/specs")
        os.makedirs(specs)
        shutil.copy(schema, os.path.dirname(specs))
        shutil.copy(SPEC, specs)
        open(os.path.join(tmp, "MAINTAINERS"), "w").close()
        out = os.path.join(tmp, "ztbond.h")
        r = subprocess.run([sys.executable, gen, "--mode", "uapi", "--header",
                            "--spec", os.path.join(specs, os.path.basename(SPEC)),
                            "-o", out], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0 and os.path.exists(out),
              f"ynl-gen-c.py failed: {r.stderr[-500:]}")
        if r.returncode == 0 and os.path.exists(out):
            compare(spec, out)


def main():
    spec = yaml.safe_load(open(SPEC))
    compare(spec, HDR)
    with_kernel_tree(spec)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
