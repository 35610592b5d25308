"""Seeded random subgraph sets for comparing composition verdicts with Apollo's.

Two families: entities and value types spread over 2 to 4 subgraphs (keys resolvable or not,
second keys, shared fields, @external + @requires), and entities behind interfaces and
unions (entity interfaces, @interfaceObject, @provides, @override with and without labels).
Many sets are unsatisfiable on purpose: types reachable only where they have no usable key.
"""

from __future__ import annotations

import random
import re

HEAD = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", '
    '"@shareable", "@external", "@requires", "@provides", "@override", "@inaccessible", '
    '"@interfaceObject"])\n'
)
Services = list[dict[str, str]]


def _services(sdl: dict[str, str]) -> Services:
    return [{"name": s, "url": f"http://{s}.example/graphql", "sdl": t} for s, t in sdl.items()]


def entities_and_values(rng: random.Random) -> Services:
    subs = [chr(ord("a") + i) for i in range(rng.randint(2, 4))]
    ents = [f"E{i}" for i in range(rng.randint(1, 4))]
    vals = [f"V{i}" for i in range(rng.randint(0, 2))]
    types = ents + vals
    defined = {t: set(rng.sample(subs, rng.randint(1, len(subs)))) for t in types}
    second_key = {e: rng.random() < 0.3 for e in ents}
    fields: dict[str, dict[str, tuple[str, set[str]]]] = {}
    for t in types:
        fields[t] = {}
        for j in range(rng.randint(1, 3)):
            kind = rng.choice(["Int", "Int", "String", *types])
            owners = set(rng.sample(sorted(defined[t]), rng.randint(1, len(defined[t]))))
            fields[t][f"f{j}"] = (kind, owners)
    roots: dict[str, list[str]] = {s: [] for s in subs}
    for i in range(rng.randint(1, 3)):
        t = rng.choice(types)
        owners = rng.sample(sorted(defined[t]), rng.randint(1, len(defined[t])))
        for s in owners:
            roots[s].append(f"  q{i}: {t}" + (" @shareable" if len(owners) > 1 else ""))
    sdl = {}
    for s in subs:
        printed = {
            t: _entity_or_value(rng, s, defined[t], t, t in ents, second_key, fields) for t in types
        }
        lines = [line for line in printed.values() if line]
        text = "\n".join(lines + roots[s])
        for t in sorted(
            set(re.findall(r": \[?([EV]\d)", text)) - {t for t in printed if printed[t]}
        ):
            lines.append(_stub(rng, s, t, t in ents, fields))
        if roots[s]:
            lines.insert(0, "type Query {\n" + "\n".join(roots[s]) + "\n}")
        sdl[s] = HEAD + "\n".join(lines) + "\n"
    return _services(sdl)


def _entity_or_value(
    rng: random.Random,
    s: str,
    defined_in: set[str],
    t: str,
    entity: bool,
    second_key: dict[str, bool],
    fields: dict[str, dict[str, tuple[str, set[str]]]],
) -> str:
    if s not in defined_in:
        return ""
    keys, body = "", []
    if entity:
        resolvable = rng.random() < 0.85
        keys = ' @key(fields: "id"' + ("" if resolvable else ", resolvable: false") + ")"
        body.append("  id: ID!")
        if second_key[t]:
            body.append("  k: ID!")
            if rng.random() < 0.6:
                keys += ' @key(fields: "k")'
    for name, (kind, owners) in fields[t].items():
        if s in owners:
            shared = " @shareable" if len(owners) > 1 and entity else ""
            body.append(f"  {name}: {kind}{shared}")
        elif entity and kind in ("Int", "String") and rng.random() < 0.25:
            body.append(f"  {name}: {kind} @external")
            body.append(f'  r{name}: Int @requires(fields: "{name}")')
    if not entity and not any(s in owners for _, owners in fields[t].values()):
        return ""
    shareable = "" if entity else " @shareable"
    return f"type {t}{keys}{shareable} {{\n" + "\n".join(body) + "\n}"


def _stub(
    rng: random.Random,
    s: str,
    t: str,
    entity: bool,
    fields: dict[str, dict[str, tuple[str, set[str]]]],
) -> str:
    if entity:
        return f'type {t} @key(fields: "id", resolvable: false) {{ id: ID! }}'
    leaves = [f for f, (k, _) in fields[t].items() if k in ("Int", "String")]
    if not leaves:
        return f"type {t} @shareable {{ z{s}: Int }}"
    name = rng.choice(leaves)
    return f"type {t} @shareable {{ {name}: {fields[t][name][0]} }}"


def abstract_types(rng: random.Random) -> Services:
    subs = [chr(ord("a") + i) for i in range(rng.randint(2, 4))]
    ents = [f"E{i}" for i in range(rng.randint(2, 4))]
    defined = {e: set(rng.sample(subs, rng.randint(1, len(subs)))) for e in ents}
    owner = {
        e: {f"f{j}": rng.choice(sorted(defined[e])) for j in range(rng.randint(1, 3))} for e in ents
    }
    shared = {e: {f: rng.random() < 0.3 for f in owner[e]} for e in ents}
    world = _World(rng, subs, ents, defined, owner, shared)
    roots = world.roots()
    return _services({s: world.subgraph(s, roots[s]) for s in subs})


class _World:
    """One random abstract-types scenario, printed per subgraph."""

    def __init__(
        self,
        rng: random.Random,
        subs: list[str],
        ents: list[str],
        defined: dict[str, set[str]],
        owner: dict[str, dict[str, str]],
        shared: dict[str, dict[str, bool]],
    ) -> None:
        self.rng, self.subs, self.ents = rng, subs, ents
        self.defined, self.owner, self.shared = defined, owner, shared
        self.impl = [e for e in ents if rng.random() < 0.6]
        self.itf_subs = set(rng.sample(subs, rng.randint(1, len(subs))))
        self.entity_itf = rng.random() < 0.4
        candidate = rng.choice(subs) if self.entity_itf and rng.random() < 0.5 else None
        self.itf_obj_sub = None if candidate in self.itf_subs else candidate
        self.members = [e for e in ents if rng.random() < 0.5]
        self.union_subs = set(rng.sample(subs, rng.randint(1, len(subs))))
        self.overrides: dict[tuple[str, str], tuple[str, str | None]] = {}
        for e in ents:
            for f, o in owner[e].items():
                others = sorted(defined[e] - {o})
                if others and rng.random() < 0.2:
                    self.overrides[(e, f)] = (rng.choice(others), rng.choice([None, "percent(50)"]))
        self.provided: set[tuple[str, str, str]] = set()

    def roots(self) -> dict[str, list[str]]:
        rng = self.rng
        roots: dict[str, list[str]] = {s: [] for s in self.subs}
        for i in range(rng.randint(1, 4)):
            kind = rng.choice(["E", "E", "I", "U"])
            if kind == "I" and self.impl:
                where = rng.sample(sorted(self.itf_subs), rng.randint(1, len(self.itf_subs)))
                for s in where:
                    roots[s].append(f"  qi{i}: [I]" + (" @shareable" if len(where) > 1 else ""))
            elif kind == "U" and self.members:
                where = rng.sample(sorted(self.union_subs), rng.randint(1, len(self.union_subs)))
                for s in where:
                    roots[s].append(f"  qu{i}: U" + (" @shareable" if len(where) > 1 else ""))
            else:
                roots_entity = rng.choice(self.ents)
                s = rng.choice(sorted(self.defined[roots_entity]))
                roots[s].append(f"  qe{i}: {roots_entity}" + self._provides(s, roots_entity))
        return roots

    def _provides(self, s: str, e: str) -> str:
        external = [f for f, o in self.owner[e].items() if o != s and (e, f) not in self.overrides]
        if not external or self.rng.random() >= 0.3:
            return ""
        f = self.rng.choice(external)
        self.shared[e][f] = True
        self.provided.add((s, e, f))
        return f' @provides(fields: "{f}")'

    def subgraph(self, s: str, roots: list[str]) -> str:
        lines = [self._entity(s, e) for e in self.ents]
        lines = [line for line in lines if line]
        if s in self.itf_subs and self.impl:
            key = ' @key(fields: "id")' if self.entity_itf else ""
            lines.append(f"interface I{key} {{\n  id: ID!\n  name: String\n}}")
        if self.itf_obj_sub == s:
            lines.append('type I @key(fields: "id") @interfaceObject {\n  id: ID!\n  score: Int\n}')
        if s in self.union_subs and self.members:
            lines.append("union U = " + " | ".join(self.members))
        if roots:
            lines.insert(0, "type Query {\n" + "\n".join(roots) + "\n}")
        return HEAD + "\n".join(lines) + "\n"

    def _entity(self, s: str, e: str) -> str:
        implements = e in self.impl and s in self.itf_subs
        member = e in self.members and s in self.union_subs
        if s not in self.defined[e] and not implements and not member:
            return ""
        resolvable = (s in self.defined[e] and self.rng.random() < 0.7) or self.rng.random() < 0.2
        key = '@key(fields: "id"' + ("" if resolvable else ", resolvable: false") + ")"
        body = ["  id: ID!"]
        for f, o in self.owner[e].items() if s in self.defined[e] else ():
            override = self.overrides.get((e, f))
            if o == s:
                body.append(f"  {f}: Int" + (" @shareable" if self.shared[e][f] else ""))
            elif override and override[0] == s:
                label = f', label: "{override[1]}"' if override[1] else ""
                body.append(f'  {f}: Int @override(from: "{o}"{label})')
            elif (s, e, f) in self.provided:
                body.append(f"  {f}: Int @external")
        if implements:
            body.append("  name: String @shareable")
        head = f"type {e}" + (" implements I" if implements else "")
        return f"{head} {key} {{\n" + "\n".join(body) + "\n}"


def shared_entities(rng: random.Random, subgraphs: int = 7, types: int = 12) -> Services:
    """Every type an entity keyed by id, every field served by 3 to 5 subgraphs (issue 16's
    planner stress shape): Apollo's validation gives up on it (more than a million paths)."""
    subs = [f"s{i}" for i in range(subgraphs)]
    names = [f"T{i}" for i in range(types)]

    def some() -> list[str]:
        return rng.sample(subs, rng.randint(min(3, subgraphs), min(5, subgraphs)))

    fields = {
        t: {f"f{j}": (rng.choice([*names, "Int", "String"]), some()) for j in range(6)}
        for t in names
    }
    roots = {f"r{i}": (rng.choice(names), some()) for i in range(5)}
    sdl = {}
    for s in subs:
        query = [f"  {n}: {t} @shareable" for n, (t, owners) in roots.items() if s in owners]
        lines = ["type Query {\n" + "\n".join(query) + "\n}"] if query else []
        for t in names:
            body = ["  id: ID!"] + [
                f"  {f}: {kind} @shareable"
                for f, (kind, owners) in fields[t].items()
                if s in owners
            ]
            lines.append(f'type {t} @key(fields: "id") {{\n' + "\n".join(body) + "\n}")
        sdl[s] = HEAD + "\n".join(lines) + "\n"
    return _services(sdl)


_SCOPES = ("read", "write", "admin", "billing")


def _dnf(rng: random.Random) -> str:
    clauses = [
        "[" + ", ".join(f'"{s}"' for s in rng.sample(_SCOPES, rng.randint(1, 2))) + "]"
        for _ in range(rng.randint(1, 2))
    ]
    return "[" + ", ".join(clauses) + "]"


class _Access:
    """Random access-control directives, spelled the way this scenario imports them."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.version = rng.choice([5, 6, 6, 7, 9])
        style = rng.choice(["import", "import", "rename", "namespace"])
        names = {"authenticated": "auth", "requiresScopes": "scopes", "policy": "pol"}
        self.names = {
            d: (n if style == "rename" else f"federation__{d}" if style == "namespace" else d)
            for d, n in names.items()
        }
        wanted = ["authenticated", "requiresScopes"] + (["policy"] if self.version >= 6 else [])
        imports = ['"@key"', '"@shareable"', '"@interfaceObject"']
        for d in wanted if style != "namespace" else ():
            local = self.names[d]
            imports.append(f'{{name: "@{d}", as: "@{local}"}}' if local != d else f'"@{d}"')
        self.head = (
            f'extend schema @link(url: "https://specs.apollo.dev/federation/v2.{self.version}", '
            f"import: [{', '.join(imports)}])\n"
        )
        self.available = wanted

    def some(self, chance: float = 0.35) -> str:
        found = []
        for d in self.available:
            if self.rng.random() >= chance:
                continue
            local = self.names[d]
            if d == "authenticated":
                found.append(f" @{local}")
            else:
                arg = "scopes" if d == "requiresScopes" else "policies"
                found.append(f" @{local}({arg}: {_dnf(self.rng)})")
        self.rng.shuffle(found)
        return "".join(found)


def access_control(rng: random.Random) -> Services:
    """Entities, an interface, an @interfaceObject, a scalar and an enum over 2 or 3 subgraphs,
    with random @authenticated/@requiresScopes/@policy (sometimes where they are refused)."""
    subs = [chr(ord("a") + i) for i in range(rng.randint(2, 3))]
    access = _Access(rng)
    ents = [f"E{i}" for i in range(rng.randint(1, 3))]
    itf_sub = rng.choice(subs)
    itf_obj = rng.choice([s for s in subs if s != itf_sub]) if rng.random() < 0.5 else None
    others = [s for s in subs if s != itf_obj]
    where = {e: set(rng.sample(others, rng.randint(1, len(others)))) for e in ents}
    sdl = {}
    for s in subs:
        lines = [
            "type Query {\n"
            + "".join(
                f"  q{s}{e}: {e}{access.some(0.2)} @shareable\n" for e in ents if s in where[e]
            )
            + f"  s{s}: Secret{access.some(0.2)}\n  l{s}: Level\n"
            + (f"  n{s}: [Node]\n" if s == itf_sub else "")
            + "}",
            f"scalar Secret{access.some()}",
            f"enum Level{access.some()} {{ LOW HIGH }}",
        ]
        for e in ents:
            if s not in where[e] and s != itf_sub:
                continue
            implements = " implements Node" if s == itf_sub else ""
            shared = f"  shared: Int @shareable{access.some()}\n"
            own = f"  f{s}: Int{access.some()}\n"
            name = f"  name: String @shareable{access.some(0.2)}\n" if s == itf_sub else ""
            lines.append(
                f'type {e}{implements} @key(fields: "id"){access.some()} {{\n  id: ID!\n'
                + shared
                + own
                + name
                + "}"
            )
        if s == itf_sub:
            lines.append(
                f'interface Node @key(fields: "id"){access.some(0.02)} {{\n  id: ID!\n'
                f"  name: String{access.some(0.02)}\n}}"
            )
        if s == itf_obj:
            lines.append(
                f'type Node @key(fields: "id") @interfaceObject{access.some(0.02)} {{\n  id: ID!\n'
                f"  score: Int{access.some()}\n}}"
            )
        sdl[s] = access.head + "\n".join(lines) + "\n"
    return _services(sdl)
