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

A second rule, for the layering (docs/architecture.md): a file includes
only headers of its own layer and of the layers below it, per the table
LAYERS below (http -> api -> core -> store / sec / out -> base; the shared
headers limits.h, status.h and model.h are everyone's). The store is
core's alone: only src/core/ may include a store header, never a public
core header (core's face speaks the domain types of
include/payout/model.h), nor api, http or the command line.

Usage: scripts/include_cycles.py [repository root]   (default: the parent
of this script's directory). Prints every cycle with the includes that make
it and every layering break, then the counts ("none" when clean); exit 0
only when both rules hold. ctest runs it as lint.include_cycles.
"""

import os
import re
import sys

INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
SOURCE_EXTS = (".c", ".h")


# Which layers each layer's files may include. "top" is the shared headers
# directly under include/payout/ (limits.h, status.h, model.h) and the
# model headers under include/payout/model/.
LAYERS = {
    "base": {"base", "top"},
    "sec": {"sec", "base", "top"},
    "store": {"store", "base", "top"},
    "out": {"out", "sec", "base", "top"},
    "core": {"core", "store", "sec", "out", "base", "top"},
    "api": {"api", "core", "sec", "base", "top"},
    "http": {"http", "api", "core", "base", "top"},
    "cli": {"cli", "http", "api", "core", "sec", "out", "base", "top"},
    "top": {"base", "top"},
}


def layer_of(rel):
    """The layer of a repository-relative file (src/main.c is the command line)."""
    if rel == "src/main.c":
        return "cli"
    parts = rel.split("/")
    if parts[0] == "include" and (len(parts) == 3 or parts[2] == "model"):
        return "top"
    if parts[0] == "include":
        return parts[2]
    return parts[1] if len(parts) > 2 else "top"


def layer_violations(edges):
    """Includes that break the layer table, or a public core header
    including a store header."""
    bad = []
    for src, dst in edges:
        a, b = layer_of(src), layer_of(dst)
        if a in LAYERS and b not in LAYERS[a]:
            bad.append((src, dst, f"{a} may not include {b}"))
        elif src.startswith("include/payout/core/") and b == "store":
            bad.append((src, dst, "a core header may not include a store header"))
    return bad


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
    layering = layer_violations(edges)
    for src, dst, why_not in layering:
        print(f"layering: {src} -> {dst}: {why_not}")
    print(f"modules: {len(graph)}, includes between files: {len(edges)}")
    print(f"include cycles: {len(cycles) if cycles else 'none'}")
    print(f"layering breaks: {len(layering) if layering else 'none'}")
    return 1 if cycles or layering else 0


if __name__ == "__main__":
    sys.exit(main())
