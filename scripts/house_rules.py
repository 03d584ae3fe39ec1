#!/usr/bin/env python3
"""Checks two house rules of STYLE.md on every C source file under src/.

1. Every `.c` file opens with a comment saying what it implements: the
   words "This module implements" within its first 15 lines.
2. No function is longer than MAX_BODY_LINES lines between its braces.
   A function body is what lies between a line that is exactly "{" at
   column 0 and the next line starting with "}" at column 0 (the layout
   clang-format gives every function in this tree: .clang-format).

Usage: scripts/house_rules.py [repository root]   (default: the parent of
this script's directory). Prints every break as "path:line: why", then the
counts; exit 0 only when there is none. ctest runs it as lint.house_rules,
and on the fixture tests/lint/house (which breaks each rule once) as
lint.house_rules_fixture, so the check itself can fail.
"""

import os
import re
import sys

MAX_BODY_LINES = 70
OPENING_LINES = 15
OPENING = "This module implements"
NAME_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def function_name(lines, brace):
    """The name before the parameter list that ends above line `brace`."""
    for i in range(brace - 1, max(brace - 8, -1), -1):
        m = NAME_RE.search(lines[i])
        if m:
            return m.group(1)
    return "?"


def check_file(path, rel, breaks):
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    if not any(OPENING in l for l in lines[:OPENING_LINES]):
        breaks["opening"].append(f"{rel}:1: does not open with \"{OPENING} ...\"")
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line.startswith("}") and start is not None:
            body = i - start - 1
            if body > MAX_BODY_LINES:
                breaks["length"].append(
                    f"{rel}:{start + 1}: {function_name(lines, start)}() has {body} lines "
                    f"(at most {MAX_BODY_LINES})")
            start = None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    breaks = {"opening": [], "length": []}
    files = 0
    for d, dirs, names in os.walk(os.path.join(root, "src")):
        dirs.sort()
        for name in sorted(names):
            if name.endswith(".c"):
                path = os.path.join(d, name)
                check_file(path, os.path.relpath(path, root), breaks)
                files += 1
    for kind in ("opening", "length"):
        for b in breaks[kind]:
            print(b)
    print(f"files: {files}")
    print(f"files without an opening: {len(breaks['opening']) or 'none'}")
    print(f"functions over {MAX_BODY_LINES} lines: {len(breaks['length']) or 'none'}")
    return 1 if breaks["opening"] or breaks["length"] else 0


if __name__ == "__main__":
    sys.exit(main())
