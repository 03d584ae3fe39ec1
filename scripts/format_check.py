#!/usr/bin/env python3
"""Checks that every C file of the tree is laid out as clang-format lays it
out with the checked-in .clang-format (STYLE.md: 4 spaces, 100 columns,
braces always).

The files are the .c and .h files under src/, include/, tests/ and bench/,
except tests/lint/ (fixtures that break the house rules on purpose).

Usage: scripts/format_check.py [repository root]   (default: the parent of
this script's directory). Prints each file clang-format would change, then
the count; exit 0 only when there is none. A missing clang-format is an
error, never a pass.

The layout is clang-format 14's (Debian 12's `clang-format`): another
major version lays some constructs out differently, so it is refused with
a message rather than trusted. The tool is $CLANG_FORMAT when set, else
`clang-format-14`, else `clang-format`.

ctest runs it as lint.format, on the fixture tests/lint/format (one file
laid out by hand) as lint.format_fixture, and with a stand-in that says it
is version 15 as lint.format_version, so the check itself can fail.
"""

import os
import re
import shutil
import subprocess
import sys

DIRS = ("src", "include", "tests", "bench")
SKIP = os.path.join("tests", "lint")
BATCH = 64
MAJOR = 14  # Debian 12's clang-format


def sources(root):
    """The C files to check, as paths relative to root, sorted."""
    found = []
    for top in DIRS:
        for d, dirs, names in os.walk(os.path.join(root, top)):
            dirs.sort()
            rel_dir = os.path.relpath(d, root)
            if rel_dir == SKIP or rel_dir.startswith(SKIP + os.sep):
                dirs[:] = []
                continue
            found += [os.path.join(rel_dir, n) for n in sorted(names) if n.endswith((".c", ".h"))]
    return found


def unformatted(root, files, tool):
    """The files of `files` clang-format would change."""
    bad = []
    for i in range(0, len(files), BATCH):
        batch = files[i:i + BATCH]
        run = subprocess.run([tool, "--style=file", "--dry-run", "--Werror"] + batch,
                             cwd=root, capture_output=True, text=True)
        if run.returncode == 0:
            continue
        # One file at a time, to name each one that differs.
        for f in batch:
            one = subprocess.run([tool, "--style=file", "--dry-run", "--Werror", f], cwd=root,
                                 capture_output=True, text=True)
            if one.returncode != 0:
                bad.append(f)
    return bad


def find_tool():
    """The clang-format to run, or None."""
    named = os.environ.get("CLANG_FORMAT")
    if named:
        return shutil.which(named)
    return shutil.which(f"clang-format-{MAJOR}") or shutil.which("clang-format")


def major_version(tool):
    """The major version `tool --version` names, or None."""
    run = subprocess.run([tool, "--version"], capture_output=True, text=True)
    m = re.search(r"version (\d+)\.", run.stdout)
    return int(m.group(1)) if run.returncode == 0 and m else None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    tool = find_tool()
    if tool is None:
        print("clang-format is not installed (scripts/deps.sh --test installs it)")
        return 2
    major = major_version(tool)
    if major != MAJOR:
        print(f"{tool} is clang-format {major if major is not None else '(unknown version)'}; "
              f"the layout is checked with clang-format {MAJOR} (Debian 12's), as another "
              f"version lays some code out differently: install clang-format-{MAJOR}, or name "
              f"it in CLANG_FORMAT")
        return 2
    files = sources(root)
    bad = unformatted(root, files, tool)
    for f in bad:
        print(f"{f}: not as clang-format lays it out (run: clang-format -i {f})")
    print(f"files: {len(files)}")
    print(f"files not formatted: {len(bad) if bad else 'none'}")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
