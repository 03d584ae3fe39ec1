#!/usr/bin/env python3
"""Lists include cycles between the modules of src/ and include/; exits 1 on any.

The rule. A *module* is a source file together with its header: the path
without its extension and without the leading `src/` or `include/payout/`,
so `src/core/app.c` and `include/payout/core/app.h` are the module
`core/app`, and a private header such as `src/core/internal.h` is the module
`core/internal` of its own. Module A *depends on* module B when a file of A
includes a file of B with `#include "..."` (resolved the way the build
resolves it: next to the including file, then under include/ and src/;
system headers in <...> and files outside the tree are not followed).

A cycle is a set of two or more modules that reach each other through these
edges. This is stricter than a header that includes itself through others:
`a.c` including `b.h` while `b.c` includes `a.h` is a cycle (the two modules
call each other), and so is a private header that includes a module's
header while that module's source includes the private header.

A second rule, for the layering: no header under include/payout/core/
includes a header under include/payout/store/ (core's public face speaks
the domain types of include/payout/model.h, never the store's).

Usage: scripts/include_cycles.py [repository root]   (default: the parent
of this script's directory). Prints every cycle with the includes that make
it, then "include cycles: none" or the count; exit 0 only when both rules
hold.
"""

import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_EXTS = (".c", ".h")


def module_of(rel):
    """The module name of a repository-relative path."""
    stem = os.path.splitext(rel)[0]
    for prefix in ("include/payout/", "include/", "src/"):
        if stem.startswith(prefix):
            return stem[len(prefix):]
    return stem


def source_files(root):
    """Every .c and .h under src/ and include/, repository-relative, sorted."""
    found = []
    for top in ("src", "include"):
        for dirpath, _dirs, files in os.walk(os.path.join(root, top)):
            for name in files:
                if name.endswith(SOURCE_EXTS):
                    found.append(os.path.relpath(os.path.join(dirpath, name), root))
    return sorted(found)


def resolve(root, including, target, known):
    """The repository-relative file `#include "target"` in `including` names, or None."""
    candidates = [
        os.path.normpath(os.path.join(os.path.dirname(including), target)),
        os.path.normpath(os.path.join("include", target)),
        os.path.normpath(os.path.join("src", target)),
    ]
    for c in candidates:
        if c in known:
            return c
    return None


def include_edges(root):
    """(including file, included file) pairs between files of the tree."""
    files = source_files(root)
    known = set(files)
    edges = []
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
            text = fh.read()
        for target in INCLUDE_RE.findall(text):
            to = resolve(root, f, target, known)
            if to is not None and to != f:
                edges.append((f, to))
    return edges


def strongly_connected(graph):
    """Tarjan's algorithm, iterative (no recursion limit): lists of nodes."""
    index = {}
    low = {}
    on_stack = set()
    stack = []
    result = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    component.append(n)
                    if n == node:
                        break
                if len(component) > 1:
                    result.append(sorted(component))
    return result


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))
    edges = include_edges(root)
    graph = {}
    why = {}
    for src, dst in edges:
        a, b = module_of(src), module_of(dst)
        graph.setdefault(a, set())
        graph.setdefault(b, set())
        if a != b:
            graph[a].add(b)
            why.setdefault((a, b), []).append(f"{src} -> {dst}")
    cycles = strongly_connected(graph)
    for n, members in enumerate(cycles, 1):
        inside = set(members)
        print(f"cycle {n}: {' '.join(members)}")
        for a in members:
            for b in sorted(graph[a] & inside):
                for line in why[(a, b)]:
                    print(f"    {line}")
    layering = [(s, d) for s, d in edges
                if s.startswith("include/payout/core/") and d.startswith("include/payout/store/")]
    for s, d in layering:
        print(f"core header includes a store header: {s} -> {d}")
    print(f"modules: {len(graph)}, includes between files: {len(edges)}")
    print(f"include cycles: {len(cycles) if cycles else 'none'}")
    print(f"core headers including store headers: {len(layering) if layering else 'none'}")
    return 1 if cycles or layering else 0


if __name__ == "__main__":
    sys.exit(main())
