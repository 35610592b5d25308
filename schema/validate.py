"""Federation rules inside one subgraph: @key, @requires, @provides, @external, @shareable."""

from __future__ import annotations

from collections.abc import Iterator

from schema.errors import CompositionError, error
from schema.facts import Facts, field_directives, selections
from schema.fieldset import FieldSetError, Selected, parse_fieldset, possible_types
from schema.model import Directive, Field, Subgraph, TypeDef, base_name
from schema.specs import ACCESS_CONTROL
from schema.validate_context import validate_contexts
from schema.validate_cost import validate_cost


def validate_subgraph(subgraph: Subgraph, facts: Facts) -> list[CompositionError]:
    """Every federation-rule violation in ``subgraph``."""
    return [
        *_keys(subgraph, facts),
        *_field_sets(subgraph, facts, "requires"),
        *_field_sets(subgraph, facts, "provides"),
        *_unused_externals(subgraph, facts),
        *_interface_keys(subgraph),
        *_interface_objects(subgraph),
        *_shareable_usage(subgraph),
        *_access_control_on_interfaces(subgraph, facts),
        *validate_contexts(subgraph),
        *validate_cost(subgraph),
    ]


def _err(subgraph: Subgraph, code: str, message: str, coordinate: str) -> CompositionError:
    return error(code, f"[{subgraph.name}] {message}", [subgraph.name], coordinate)


def _describe(d: Directive) -> str:
    return f'@{d.name}(fields: "{d.string("fields")}")'


def _keys(subgraph: Subgraph, facts: Facts) -> Iterator[CompositionError]:
    for t in subgraph.types.values():
        for key in t.applied("key"):
            where = f'On type "{t.name}", for {_describe(key)}'
            if t.kind == "INTERFACE" and subgraph.federation_version < (2, 3):
                yield _err(
                    subgraph,
                    "KEY_UNSUPPORTED_ON_INTERFACE",
                    f'Cannot use @key on interface "{t.name}": @key is not yet supported on '
                    f"interfaces",
                    t.name,
                )
                continue
            yield from _check_selection(subgraph, facts, t, key, where, t.name)


def _check_selection(
    subgraph: Subgraph, facts: Facts, target: TypeDef, d: Directive, where: str, coordinate: str
) -> Iterator[CompositionError]:
    prefix = d.name.upper()
    try:
        selected = parse_fieldset(subgraph, target, d.string("fields") or "")
    except FieldSetError as exc:
        yield _err(subgraph, f"{prefix}_{exc.code_suffix}", f"{where}: {exc}", coordinate)
        return
    for message, suffix in _selection_problems(subgraph, facts, d.name, selected, False):
        yield _err(subgraph, f"{prefix}_{suffix}", f"{where}: {message}", coordinate)


def _selection_problems(
    subgraph: Subgraph,
    facts: Facts,
    directive: str,
    selected: tuple[Selected, ...],
    external_above: bool,
) -> Iterator[tuple[str, str]]:
    for s in selected:
        is_external = facts.is_external(s.parent, s.field.name)
        yield from _one_selection(subgraph, directive, s, is_external or external_above)
        yield from _selection_problems(
            subgraph, facts, directive, s.children, external_above or is_external
        )


def _one_selection(
    subgraph: Subgraph, directive: str, s: Selected, external: bool
) -> Iterator[tuple[str, str]]:
    """(message, code suffix) for each problem with one selected field."""
    coord = f"{s.parent}.{s.field.name}"
    if s.has_directives:
        yield (
            f"cannot have directive applications in the @{directive}(fields:) argument",
            "DIRECTIVE_IN_FIELDS_ARG",
        )
    if directive != "requires" and s.field.args:
        yield (
            f"field {coord} cannot be included because it has arguments (fields with argument are "
            f"not allowed in @{directive})",
            "FIELDS_HAS_ARGS",
        )
    target = subgraph.type(base_name(s.field.type))
    if directive == "key" and target is not None and target.kind in ("UNION", "INTERFACE"):
        kind = target.kind.capitalize()
        yield (
            f'field "{coord}" is a {kind} type which is not allowed in @key',
            "FIELDS_SELECT_INVALID_TYPE",
        )
    elif directive != "key" and not s.children and not external:
        yield (
            f'field "{coord}" should not be part of a @{directive} since it is already provided by '
            f"this subgraph (it is not marked @external)",
            "FIELDS_MISSING_EXTERNAL",
        )


def _field_sets(subgraph: Subgraph, facts: Facts, name: str) -> Iterator[CompositionError]:
    for parent, target, d in field_directives(subgraph, name):
        field = next(f for f in parent.fields if d in f.directives)
        coordinate = f"{parent.name}.{field.name}"
        problem = _field_set_precondition(facts, name, parent, target, field)
        if problem is not None:
            yield _err(subgraph, problem[0], problem[1], coordinate)
            if not problem[0].endswith("_UNSUPPORTED_ON_INTERFACE"):
                continue
        where = f'On field "{coordinate}", for {_describe(d)}'
        yield from _check_selection(subgraph, facts, target, d, where, coordinate)
    for p, f, field_type in _provides_on_unknown(subgraph) if name == "provides" else ():
        yield _err(
            subgraph,
            "PROVIDES_ON_NON_OBJECT_FIELD",
            f'Invalid @provides directive on field "{p}.{f}": field has type "{field_type}" which '
            f"is not a Composite Type",
            f"{p}.{f}",
        )


def _field_set_precondition(
    facts: Facts, name: str, parent: TypeDef, target: TypeDef, field: Field
) -> tuple[str, str] | None:
    """(code, message) when a @requires/@provides cannot apply to this field at all."""
    coordinate = f"{parent.name}.{field.name}"
    if parent.kind == "INTERFACE":
        return (
            f"{name.upper()}_UNSUPPORTED_ON_INTERFACE",
            f'Cannot use @{name} on field "{coordinate}" of parent type "{parent.name}": @{name} '
            f"is not yet supported within interfaces",
        )
    if name == "provides" and facts.is_external(parent.name, field.name):
        return (
            "EXTERNAL_COLLISION_WITH_ANOTHER_DIRECTIVE",
            f'Cannot have both @provides and @external on field "{coordinate}"',
        )
    if name == "provides" and target.kind not in ("OBJECT", "INTERFACE", "UNION"):
        return (
            "PROVIDES_ON_NON_OBJECT_FIELD",
            f'Invalid @provides directive on field "{coordinate}": field has type "{field.type}" '
            f"which is not a Composite Type",
        )
    return None


def _provides_on_unknown(subgraph: Subgraph) -> Iterator[tuple[str, str, str]]:
    for t in subgraph.types.values():
        for f in t.fields if t.kind in ("OBJECT", "INTERFACE") else ():
            if f.has("provides") and subgraph.type(base_name(f.type)) is None:
                yield t.name, f.name, f.type


def _unused_externals(subgraph: Subgraph, facts: Facts) -> Iterator[CompositionError]:
    for t in subgraph.types.values():
        for f in t.fields if t.kind in ("OBJECT", "INTERFACE") else ():
            coordinate = f"{t.name}.{f.name}"
            if t.kind == "INTERFACE" and f.has("external"):
                yield _err(
                    subgraph,
                    "EXTERNAL_ON_INTERFACE",
                    f'Interface type field "{coordinate}" is marked @external but @external is not '
                    f"allowed on interface fields (it is nonsensical).",
                    coordinate,
                )
            if facts.is_external(t.name, f.name) and (t.name, f.name) not in facts.used:
                yield _err(
                    subgraph,
                    "EXTERNAL_UNUSED",
                    f'Field "{coordinate}" is marked @external but is not used in any federation '
                    f"directive (@key, @provides, @requires) or to satisfy an interface; the field "
                    f"declaration has no use and should be removed (or the field should not be "
                    f"@external).",
                    coordinate,
                )


def _key_shape(subgraph: Subgraph, t: TypeDef, d: Directive) -> str:
    return " ".join((d.string("fields") or "").split())


def _interface_keys(subgraph: Subgraph) -> Iterator[CompositionError]:
    for itf in subgraph.types.values():
        if itf.kind != "INTERFACE":
            continue
        for key in itf.applied("key"):
            shape = _key_shape(subgraph, itf, key)
            for impl_name in possible_types(subgraph, itf):
                impl = subgraph.type(impl_name)
                if impl is None or any(
                    _same_key(subgraph, impl, k, key, itf) for k in impl.applied("key")
                ):
                    continue
                yield _err(
                    subgraph,
                    "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
                    f'Key @key(fields: "{shape}") on interface type "{itf.name}" is missing on '
                    f'implementation type "{impl_name}".',
                    impl_name,
                )


def _same_key(
    subgraph: Subgraph, impl: TypeDef, k: Directive, key: Directive, itf: TypeDef
) -> bool:
    def shape(t: TypeDef, d: Directive) -> set[str]:
        return {f"{s.field.name}" for s in selections(subgraph, t, d)}

    return shape(impl, k) == shape(itf, key) and bool(shape(impl, k))


def _interface_objects(subgraph: Subgraph) -> Iterator[CompositionError]:
    for t in subgraph.types.values():
        if t.kind == "OBJECT" and t.has("interfaceObject") and not t.has("key"):
            yield _err(
                subgraph,
                "INTERFACE_OBJECT_USAGE_ERROR",
                f"The @interfaceObject directive can only be applied to entity types but type "
                f'"{t.name}" has no @key in this subgraph.',
                t.name,
            )


def _shareable_usage(subgraph: Subgraph) -> Iterator[CompositionError]:
    for t in subgraph.types.values():
        if t.kind == "INTERFACE":
            for f in t.fields:
                if f.has("shareable"):
                    yield _err(
                        subgraph,
                        "INVALID_SHAREABLE_USAGE",
                        f'Invalid use of @shareable on field "{t.name}.{f.name}": only object type '
                        f"fields can be marked with @shareable",
                        f"{t.name}.{f.name}",
                    )
        if t.kind != "OBJECT":
            continue
        for element, label in [
            (t, f'type "{t.name}"'),
            *((f, f'field "{t.name}.{f.name}"') for f in t.fields),
        ]:
            marks = [d.on_extension for d in element.directives if d.name == "shareable"]
            if len(marks) != len(set(marks)):
                yield _err(
                    subgraph,
                    "INVALID_SHAREABLE_USAGE",
                    f"Invalid duplicate application of @shareable on {label}",
                    label,
                )


def _access_control_on_interfaces(subgraph: Subgraph, facts: Facts) -> Iterator[CompositionError]:
    """@authenticated, @requiresScopes and @policy belong on implementations, not interfaces."""
    for t in subgraph.types.values():
        is_object = t.name in facts.interface_objects
        if t.kind != "INTERFACE" and not is_object:
            continue
        kind = "interface object" if is_object else "interface"
        fields = t.fields if t.kind == "INTERFACE" else ()
        elements = [(t, kind, t.name), *((f, "field", f"{t.name}.{f.name}") for f in fields)]
        for element, what, coordinate in elements:
            for name in ACCESS_CONTROL:
                if element.has(name):
                    local = subgraph.feature_names.get(name, name)
                    yield _err(
                        subgraph,
                        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
                        f'Invalid use of @{local} on {what} "{coordinate}": @{local} cannot be '
                        f"applied on interfaces, interface fields and interface objects",
                        coordinate,
                    )
