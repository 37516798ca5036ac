#!/usr/bin/env python3
"""Checks the Rust crates' module graph: no import cycle between files, no `super::super`.

A file's edges are the modules its `use` declarations and inline `crate::`/`super::` paths
name, resolved to the file that defines the longest matching module path (`mod` declarations
are not edges; a file's inline `#[cfg(test)] mod tests` is left out). Prints each cycle found
and exits 1; prints the files and edges counted otherwise.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CRATE_ROOTS = [p.parent for p in ROOT.glob("*/src/lib.rs")] + [
    p.parent for p in ROOT.glob("*/*/src/lib.rs") if "node_modules" not in p.parts
]


def module_files(src: Path) -> dict[tuple[str, ...], Path]:
    """Module path → file, for every .rs file of a crate's library (binaries left out)."""
    files = {}
    for path in src.rglob("*.rs"):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[0] == "bin" or parts[-1] == "main":
            continue
        if parts[-1] in ("lib", "mod"):
            parts = parts[:-1]
        files[tuple(parts)] = path
    return files


def code_of(path: Path) -> str:
    text = path.read_text()
    text = re.split(r"#\[cfg\(test\)\]\s*mod \w+\s*\{", text)[0]
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def expand(tree: str) -> list[str]:
    """`a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`."""
    tree = re.sub(r"\s+", "", tree)
    start = tree.find("{")
    if start < 0:
        return [tree]
    prefix, depth, items, current = tree[:start], 0, [], ""
    for char in tree[start + 1 : -1]:
        if char == "," and depth == 0:
            items.append(current)
            current = ""
            continue
        depth += (char == "{") - (char == "}")
        current += char
    items.append(current)
    return [path for item in items if item for path in expand(prefix + item)]


def paths_in(code: str) -> list[str]:
    uses = re.findall(r"\buse\s+([^;]+);", code)
    paths = [path for use in uses for path in expand(use)]
    body = re.sub(r"\buse\s+[^;]+;", "", code)
    paths += re.findall(r"\b(?:crate|super)(?:::\w+)+", body)
    return paths


def resolve(path: str, here: tuple[str, ...], is_mod: bool, files, children) -> tuple | None:
    parts = [p for p in path.split(" as ")[0].split("::") if p]
    if parts[0] == "crate":
        target = parts[1:]
    elif parts[0] == "super":
        base = list(here if is_mod else here[:-1])
        if parts[1:2] == ["super"]:
            raise ValueError(f"super::super in {path}")
        target = base[:-1] + parts[1:] if is_mod else base + parts[1:]
    elif parts[0] == "self":
        target = list(here if is_mod else here[:-1]) + parts[1:]
    elif parts[0] in children:
        target = list(here) + parts
    else:
        return None
    target = [p for p in target if p != "*"]
    while tuple(target) not in files and target:
        target.pop()
    return tuple(target)


def cycles(edges: dict) -> list[list]:
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in list(edges):
        if node not in index:
            visit(node)
    return found


def main() -> int:
    sys.setrecursionlimit(10000)
    problems, file_count, edge_count = [], 0, 0
    for src in CRATE_ROOTS:
        files = module_files(src)
        edges = {}
        for module, path in files.items():
            is_mod = path.name in ("lib.rs", "mod.rs")
            code = code_of(path)
            children = set(re.findall(r"\bmod\s+(\w+)\s*;", code))
            targets = set()
            for used in paths_in(code):
                try:
                    target = resolve(used, module, is_mod, files, children)
                except ValueError as err:
                    problems.append(f"{path.relative_to(ROOT)}: {err}")
                    continue
                if target is not None and target != module:
                    targets.add(target)
            edges[module] = targets
            file_count += 1
            edge_count += len(targets)
        for component in cycles(edges):
            names = sorted(str(files[m].relative_to(ROOT)) for m in component)
            problems.append("import cycle: " + " ↔ ".join(names))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"no import cycle: {file_count} files, {edge_count} edges, {len(CRATE_ROOTS)} crates")
    return 0


if __name__ == "__main__":
    sys.exit(main())
