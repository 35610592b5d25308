"""Generated supergraphs: a seeded random world of entities, served by 2-4 subgraph slices.

The world comes first: entity types with keys of several shapes (single, composite, nested,
multiple), their fields and instances with values. Each subgraph then declares the part it
serves (its fields, ``@shareable`` copies, ``@external`` fields for ``@requires`` and
``@provides``, non-resolvable stubs, an interface and a union over the entities it knows)
and answers with the world's values, so every subgraph gives the same value for a shared
field. A world is a case folder of the kit (``subgraphs/*.graphql``, ``data/*.json``).
Every name starts with the world's prefix (``g3``, ``G3``), so worlds can be served together.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides", "@interfaceObject"])'
)
KEY_SHAPES = ("single", "composite", "nested", "multiple")
SCALARS = {"id": "ID!", "code": "String!", "name": "String", "size": "Int"}


@dataclass
class Entity:
    """A world type: its keys (field sets), owner subgraph and instances."""

    name: str
    keys: list[str]
    owner: str
    instances: list[dict[str, Any]]
    target: Entity | None = None  # what ``friend`` points at

    @property
    def ref_type(self) -> str:
        return f"{self.name}Ref"

    def key_fields(self, key: str) -> list[str]:
        return [part for part in key.replace("{", " ").replace("}", " ").split() if part != "rid"]


@dataclass
class Declared:
    """One type as a subgraph declares it."""

    keys: list[tuple[str, bool]] = field(default_factory=list)  # (fields, resolvable)
    fields: dict[str, str] = field(default_factory=dict)  # name -> "Type @directives"
    implements: bool = False
    implements_item: str | None = None
    derived: set[str] = field(default_factory=set)  # fields computed from @requires


@dataclass(frozen=True)
class Root:
    """A Query field of a subgraph: a list of one entity, a lookup by id, or abstract."""

    name: str
    sdl: str
    members: tuple[Entity, ...]
    kind: str  # "list", "lookup", "abstract", "fixed" (``value`` as is)
    value: Any = None

    @property
    def shareable(self) -> bool:
        return self.sdl.endswith("@shareable")


@dataclass
class Slice:
    """What one subgraph serves: its declared entities and root fields."""

    name: str
    types: dict[str, Declared] = field(default_factory=dict)
    roots: list[Root] = field(default_factory=list)
    unions: dict[str, list[str]] = field(default_factory=dict)
    value_types: dict[str, str] = field(default_factory=dict)  # name -> SDL
    interface: bool = False
    extra: list[str] = field(default_factory=list)  # more SDL (the entity interface)
    extra_entities: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class World:
    """A generated case: subgraph SDLs and kit data by subgraph name, and its root fields."""

    name: str
    sdls: dict[str, str]
    data: dict[str, dict[str, Any]]

    def write(self, case_dir: Path) -> None:
        (case_dir / "subgraphs").mkdir(parents=True, exist_ok=True)
        (case_dir / "data").mkdir(exist_ok=True)
        for name, sdl in self.sdls.items():
            (case_dir / "subgraphs" / f"{name}.graphql").write_text(sdl)
            (case_dir / "data" / f"{name}.json").write_text(json.dumps(self.data[name], indent=1))

    def services(self, url: str = "http://kit.invalid") -> list[dict[str, str]]:
        return [
            {"name": name, "url": f"{url}/{self.name}/{name}/graphql", "sdl": sdl}
            for name, sdl in self.sdls.items()
        ]


def generate(index: int, seed: int = 0) -> World:
    """World ``g<index>``, the same for the same index and seed."""
    return _Builder(index, random.Random(f"{seed}/{index}")).build()


class _Builder:
    def __init__(self, index: int, rng: random.Random) -> None:
        self.rng = rng
        self.prefix = f"g{index}"
        self.type_prefix = f"G{index}"
        count = rng.randint(2, 4)
        self.slices = {f"{self.prefix}{chr(97 + i)}": Slice(f"{self.prefix}{chr(97 + i)}")
                       for i in range(count)}  # fmt: skip
        self.entities: list[Entity] = []

    def chance(self, percent: int) -> bool:
        return self.rng.randrange(100) < percent

    def build(self) -> World:
        names = list(self.slices)
        for number in range(1, self.rng.randint(2, 4) + 1):
            self.entities.append(self._entity(number, self.rng.choice(names)))
        for position, entity in enumerate(self.entities[:-1]):
            if self.chance(70):
                entity.target = self.rng.choice(self.entities[position + 1 :])
        for entity in self.entities:
            self._declare(entity)
        for entity in self.entities:
            if entity.target is not None:
                self._friend(entity)
        self._interface()
        self._entity_interface()
        self._unions()
        sdls = {name: self._sdl(s) for name, s in self.slices.items() if self._used(s)}
        data = {name: self._data(self.slices[name]) for name in sdls}
        return World(self.prefix, sdls, data)

    def _entity(self, number: int, owner: str) -> Entity:
        name = f"{self.type_prefix}E{number}"
        shape = self.rng.choice(KEY_SHAPES)
        keys = {
            "single": ["id"],
            "composite": ["id code"],
            "nested": ["id ref { rid }"],
            "multiple": ["id", "code"],
        }[shape]
        instances = []
        for item in range(self.rng.randint(2, 3)):
            tag = f"{name.lower()}-{item}"
            instances.append(
                {
                    "id": tag,
                    "code": f"C{item}{number}",
                    "ref": {"rid": f"r{item}"},
                    "name": f"N{number}.{item}",
                    "size": self.rng.randint(1, 99),
                    "info": {"label": f"L{item}", "weight": self.rng.randint(1, 9)},
                }
            )
        return Entity(name, keys, owner, instances)

    def _declared(self, slice_: Slice, entity: Entity, keys: list[tuple[str, bool]]) -> Declared:
        declared = slice_.types.get(entity.name)
        if declared is None:
            declared = slice_.types[entity.name] = Declared(keys=keys)
            for key, _ in keys:
                for part in entity.key_fields(key):
                    self._field(slice_, entity, part)
        return declared

    def _field(self, slice_: Slice, entity: Entity, name: str, directives: str = "") -> None:
        declared = slice_.types[entity.name]
        if name in declared.fields:
            return
        if name == "ref":
            slice_.value_types[entity.ref_type] = (
                f"type {entity.ref_type} @shareable {{ rid: String! }}"
            )
            kind = f"{entity.ref_type}!"
        elif name == "info":
            info = f"{self.type_prefix}Info"
            slice_.value_types[info] = f"type {info} @shareable {{ label: String! weight: Int! }}"
            kind = info
        else:
            kind = SCALARS[name]
        declared.fields[name] = f"{kind}{directives}"

    def _declare(self, entity: Entity) -> None:
        owner = self.slices[entity.owner]
        self._declared(owner, entity, [(key, True) for key in entity.keys])
        shared = [s for s in self.slices.values() if s is not owner and self.chance(50)]
        self._field(owner, entity, "name", " @shareable" if shared else "")
        self._field(owner, entity, "size")
        if self.chance(50):
            self._field(owner, entity, "info", " @shareable")
        self._root_list(owner, entity, shareable=bool(shared) and self.chance(30))
        self._lookup(owner, entity)
        for other in shared:
            keys = [k for k in entity.keys if self.chance(60)] or [self.rng.choice(entity.keys)]
            declared = self._declared(other, entity, [(key, True) for key in keys])
            score = f"{other.name}Score"
            declared.fields[score] = "Int"
            for instance in entity.instances:
                instance.setdefault(score, self.rng.randint(100, 999))
            roll = self.rng.randrange(3)
            if roll == 0:
                self._field(other, entity, "name", " @shareable")
            elif roll == 1:
                self._field(other, entity, "name", " @external")
                tag = f"{other.name}Tag"
                declared.fields[tag] = 'String @requires(fields: "name")'
                declared.derived.add(tag)
            if "info" in owner.types[entity.name].fields and self.chance(50):
                self._field(other, entity, "info", " @shareable")
            if owner.roots[-2].shareable and self.chance(60):
                self._root_list(other, entity, shareable=True)

    def _root_list(self, slice_: Slice, entity: Entity, *, shareable: bool) -> None:
        field_name = f"{entity.name[0].lower()}{entity.name[1:]}s"
        suffix = " @shareable" if shareable else ""
        sdl = f"{field_name}: [{entity.name}!]!{suffix}"
        slice_.roots.append(Root(field_name, sdl, (entity,), "list"))

    def _lookup(self, slice_: Slice, entity: Entity) -> None:
        field_name = f"{entity.name[0].lower()}{entity.name[1:]}"
        sdl = f"{field_name}(id: ID!): {entity.name}"
        slice_.roots.append(Root(field_name, sdl, (entity,), "lookup"))

    def _friend(self, entity: Entity) -> None:
        """``friend`` in one subgraph that knows ``entity``; maybe with ``@provides``."""
        target = entity.target
        assert target is not None
        holders = [
            s
            for s in self.slices.values()
            if entity.name in s.types and any(r for _, r in s.types[entity.name].keys)
        ]
        holder = self.rng.choice(holders)
        declared = holder.types[entity.name]
        known = target.name in holder.types
        if not known:
            key = self.rng.choice(target.keys)
            resolvable = self.chance(50)
            self._declared(holder, target, [(key, resolvable)])
        directives = ""
        if not known and self.chance(50):
            self._field(holder, target, "name", " @external")
            directives = ' @provides(fields: "name")'
            self.slices[target.owner].types[target.name].fields["name"] = "String @shareable"
        if self.chance(30):
            declared.fields["friends"] = f"[{target.name}!]!{directives}"
            for position, instance in enumerate(entity.instances):
                count = len(target.instances)
                instance["friends"] = [(position + step) % count for step in range(2)]
        else:
            declared.fields["friend"] = f"{target.name}{directives}"
            for position, instance in enumerate(entity.instances):
                instance["friend"] = position % len(target.instances)

    def _interface(self) -> None:
        """``interface GNode { id: ID! }`` implemented by some entities, per subgraph."""
        for slice_ in self.slices.values():
            implementers = [
                e
                for e in self.entities
                if e.name in slice_.types
                and "id" in slice_.types[e.name].fields
                and any(r for _, r in slice_.types[e.name].keys)
                and self.chance(60)
            ]
            if not implementers:
                continue
            slice_.interface = True
            for entity in implementers:
                slice_.types[entity.name].implements = True
            if self.chance(60):
                field_name = f"{slice_.name}Nodes"
                sdl = f"{field_name}: [{self.type_prefix}Node!]!"
                slice_.roots.append(Root(field_name, sdl, tuple(implementers), "abstract"))

    def _entity_interface(self) -> None:
        """Maybe ``interface GItem @key(fields: "id")`` in the subgraph owning its
        implementations (entities keyed by ``id`` alone), and ``@interfaceObject GItem``
        with a field of its own (``itemRank``) and a root list in another subgraph."""
        owners = {e.owner for e in self.entities if "id" in e.keys}
        if not owners or len(self.slices) < 2 or not self.chance(50):
            return
        owner = self.slices[self.rng.choice(sorted(owners))]
        implementers = [e for e in self.entities if e.owner == owner.name and "id" in e.keys]
        others = [
            name
            for name, s in self.slices.items()
            if name != owner.name and not any(e.name in s.types for e in implementers)
        ]
        if not others:
            return
        other = self.slices[self.rng.choice(others)]
        item = f"{self.type_prefix}Item"
        owner.extra.append(f'interface {item} @key(fields: "id") {{\n  id: ID!\n}}\n')
        for entity in implementers:
            owner.types[entity.name].implements_item = item
        other.extra.append(
            f'type {item} @key(fields: "id") @interfaceObject {{\n  id: ID!\n  itemRank: Int\n}}\n'
        )
        ranks = [
            {"id": i["id"], "itemRank": self.rng.randint(1, 9)}
            for e in implementers
            for i in e.instances
        ]
        other.extra_entities[item] = ranks
        listed = [{"__typename": item, "id": rank["id"]} for rank in ranks[::2]]
        sdl = f"{other.name}Items: [{item}!]!"
        other.roots.append(Root(f"{other.name}Items", sdl, (), "fixed", listed))

    def _unions(self) -> None:
        """``union GThing`` over entities each subgraph knows; members differ per subgraph."""
        for slice_ in self.slices.values():
            known = [e for e in self.entities if e.name in slice_.types]
            if len(known) < 2 or not self.chance(50):
                continue
            members = self.rng.sample(known, self.rng.randint(2, len(known)))
            slice_.unions[f"{self.type_prefix}Thing"] = [e.name for e in members]
            field_name = f"{slice_.name}Things"
            sdl = f"{field_name}: [{self.type_prefix}Thing!]!"
            slice_.roots.append(Root(field_name, sdl, tuple(members), "abstract"))

    def _value(
        self,
        slice_: Slice,
        entity: Entity,
        instance: dict[str, Any],
        *,
        entities: bool = False,
        provided: bool = False,
    ) -> dict[str, Any]:
        """The instance as the subgraph serves it: its declared fields, world values.

        ``@external`` fields are left out (a gateway must get them elsewhere) unless
        ``provided``; in ``_entities`` answers a ``@requires`` field is computed from the
        representation, elsewhere it holds the world's value."""
        declared = slice_.types[entity.name]
        value: dict[str, Any] = {"__typename": entity.name}
        for name, kind in declared.fields.items():
            if "@external" in kind and not provided:
                continue
            if name in declared.derived:
                value[name] = {"@format": "{name}!"} if entities else f"{instance['name']}!"
            elif name in ("friend", "friends"):
                assert entity.target is not None
                targets = [
                    self._value(slice_, entity.target, entity.target.instances[position],
                                provided="@provides" in kind)
                    for position in (instance["friends"] if name == "friends"
                                     else [instance["friend"]])
                ]  # fmt: skip
                value[name] = targets if name == "friends" else targets[0]
            elif name in instance:
                value[name] = instance[name]
        return value

    def _used(self, slice_: Slice) -> bool:
        return bool(slice_.types or slice_.roots)

    def _sdl(self, slice_: Slice) -> str:
        lines = [LINK, ""]
        if slice_.roots:
            lines += ["type Query {", *(f"  {r.sdl}" for r in slice_.roots), "}", ""]
        if slice_.interface:
            lines += [f"interface {self.type_prefix}Node {{", "  id: ID!", "}", ""]
        lines += slice_.extra
        for name, members in slice_.unions.items():
            lines += [f"union {name} = {' | '.join(members)}", ""]
        for name, declared in slice_.types.items():
            keys = "".join(
                f' @key(fields: "{k}"{"" if r else ", resolvable: false"})'
                for k, r in declared.keys
            )
            interfaces = [f"{self.type_prefix}Node"] if declared.implements else []
            interfaces += [declared.implements_item] if declared.implements_item else []
            implements = f" implements {' & '.join(interfaces)}" if interfaces else ""
            lines.append(f"type {name}{implements}{keys} {{")
            lines += [f"  {f}: {kind}" for f, kind in declared.fields.items()]
            lines += ["}", ""]
        lines += [*slice_.value_types.values(), ""]
        return "\n".join(lines)

    def _data(self, slice_: Slice) -> dict[str, Any]:
        entities = {
            e.name: [self._value(slice_, e, i, entities=True) for i in e.instances]
            for e in self.entities
            if e.name in slice_.types and any(r for _, r in slice_.types[e.name].keys)
        }
        entities.update(slice_.extra_entities)
        return {"Query": {r.name: self._root_value(slice_, r) for r in slice_.roots},
                "@entities": entities}  # fmt: skip

    def _root_value(self, slice_: Slice, root: Root) -> Any:
        if root.kind == "fixed":
            return root.value
        if root.kind == "lookup":
            (entity,) = root.members
            pairs = [[{"id": i["id"]}, self._value(slice_, entity, i)] for i in entity.instances]
            return {"@args": pairs}
        if root.kind == "list":
            return [self._value(slice_, root.members[0], i) for i in root.members[0].instances]
        return [self._value(slice_, e, i) for e in root.members for i in e.instances[:2]]
