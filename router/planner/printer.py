"""Render a query plan as Apollo-style text and as Apollo's JSON shape."""

from __future__ import annotations

from typing import Any

from graphql import FieldNode, OperationDefinitionNode, SelectionSetNode, parse, print_ast

from router.planner.plan import (
    ConditionNode,
    FetchNode,
    Field,
    FlattenNode,
    InlineFragment,
    KeyRenamer,
    ParallelNode,
    PlanNode,
    QueryPlan,
    Rewrite,
    Selection,
    SequenceNode,
)

INDENT = "  "


def print_plan(plan: QueryPlan) -> str:
    """The plan as indented text a person can follow."""
    lines = ["QueryPlan {"]
    if plan.primary is not None:
        lines.extend([f"{INDENT}Subscription {{", f"{INDENT * 2}Primary: {{"])
        lines.extend(_fetch_lines(plan.primary, 3))
        lines.append(f"{INDENT * 2}}},")
        if plan.node is not None:
            lines.append(f"{INDENT * 2}Rest: {{")
            lines.extend(_node_lines(plan.node, 3))
            lines.append(f"{INDENT * 2}}},")
        lines.append(f"{INDENT}}},")
    elif plan.node is not None:
        lines.extend(_node_lines(plan.node, 1))
    lines.append("}")
    return "\n".join(lines)


def _node_lines(node: PlanNode, depth: int) -> list[str]:
    pad = INDENT * depth
    if isinstance(node, FetchNode):
        return _fetch_lines(node, depth)
    if isinstance(node, FlattenNode):
        path = ".".join(node.path)
        inner = _node_lines(node.node, depth + 1)
        return [f'{pad}Flatten(path: "{path}") {{', *inner, f"{pad}}},"]
    if isinstance(node, SequenceNode | ParallelNode):
        title = "Sequence" if isinstance(node, SequenceNode) else "Parallel"
        body = [line for child in node.nodes for line in _node_lines(child, depth + 1)]
        return [f"{pad}{title} {{", *body, f"{pad}}},"]
    return _condition_lines(node, depth)


def _condition_lines(node: ConditionNode, depth: int) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    if node.if_clause is not None:
        lines.append(f"{pad}Include(if: ${node.condition}) {{")
        lines.extend(_node_lines(node.if_clause, depth + 1))
        lines.append(f"{pad}}}" + (" Else {" if node.else_clause is not None else ","))
        if node.else_clause is not None:
            lines.extend(_node_lines(node.else_clause, depth + 1))
            lines.append(f"{pad}}},")
    elif node.else_clause is not None:
        lines.append(f"{pad}Skip(if: ${node.condition}) {{")
        lines.extend(_node_lines(node.else_clause, depth + 1))
        lines.append(f"{pad}}},")
    return lines


def _fetch_lines(node: FetchNode, depth: int) -> list[str]:
    pad = INDENT * depth
    body_pad = INDENT * (depth + 1)
    lines = [f'{pad}Fetch(service: "{node.service_name}") {{']
    if node.requires is not None:
        lines.extend(_indent(_selection_text(node.requires), body_pad))
        lines[-1] += " =>"
    lines.extend(_indent(_operation_body(node), body_pad))
    lines.append(f"{pad}}},")
    return lines


def _indent(text: str, pad: str) -> list[str]:
    return [pad + line for line in text.splitlines()]


def _operation_body(node: FetchNode) -> str:
    operation = parse(node.operation, no_location=True).definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    selection_set = operation.selection_set
    if node.requires is not None:
        entities = selection_set.selections[0]
        assert isinstance(entities, FieldNode)
        assert entities.selection_set is not None
        return _print_selection_set(entities.selection_set)
    kind = operation.operation.value
    prefix = f"{kind} " if kind != "query" else ""
    if operation.variable_definitions:
        variables = ", ".join(print_ast(v) for v in operation.variable_definitions)
        prefix = f"{prefix or 'query '}({variables}) "
    return prefix + _print_selection_set(selection_set)


def _print_selection_set(selection_set: SelectionSetNode) -> str:
    return print_ast(selection_set)


def _selection_text(selections: tuple[Selection, ...]) -> str:
    lines = ["{", *_selection_lines(selections, 1), "}"]
    return "\n".join(lines)


def _selection_lines(selections: tuple[Selection, ...], depth: int) -> list[str]:
    pad = INDENT * depth
    lines: list[str] = []
    for selection in selections:
        if isinstance(selection, Field):
            head = f"{selection.alias}: {selection.name}" if selection.alias else selection.name
        else:
            head = f"... on {selection.type_condition}" if selection.type_condition else "..."
        if selection.selections:
            lines.append(f"{pad}{head} {{")
            lines.extend(_selection_lines(selection.selections, depth + 1))
            lines.append(f"{pad}}}")
        else:
            lines.append(pad + head)
    return lines


def plan_to_json(plan: QueryPlan) -> dict[str, Any]:
    """The plan in Apollo's JSON field names (kind, serviceName, operation, …)."""
    node = None if plan.node is None else _node_json(plan.node)
    if plan.primary is not None:
        primary = _fetch_json(plan.primary)
        node = {"kind": "Subscription", "primary": primary, "rest": node}
    return {"kind": "QueryPlan", "node": node}


def _node_json(node: PlanNode) -> dict[str, Any]:
    if isinstance(node, FetchNode):
        return _fetch_json(node)
    if isinstance(node, FlattenNode):
        return {"kind": "Flatten", "path": list(node.path), "node": _node_json(node.node)}
    if isinstance(node, SequenceNode | ParallelNode):
        kind = "Sequence" if isinstance(node, SequenceNode) else "Parallel"
        return {"kind": kind, "nodes": [_node_json(child) for child in node.nodes]}
    return {
        "kind": "Condition",
        "condition": node.condition,
        "ifClause": None if node.if_clause is None else _node_json(node.if_clause),
        "elseClause": None if node.else_clause is None else _node_json(node.else_clause),
    }


def _fetch_json(node: FetchNode) -> dict[str, Any]:
    result: dict[str, Any] = {
        "kind": "Fetch",
        "serviceName": node.service_name,
        "variableUsages": list(node.variable_usages),
        "operation": node.operation,
        "operationKind": node.operation_kind,
    }
    if node.operation_name is not None:
        result["operationName"] = node.operation_name
    if node.requires is not None:
        result["requires"] = [_selection_json(s) for s in node.requires]
    if node.input_rewrites:
        result["inputRewrites"] = [_rewrite_json(r) for r in node.input_rewrites]
    if node.output_rewrites:
        result["outputRewrites"] = [_rewrite_json(r) for r in node.output_rewrites]
    if node.id is not None:
        result["id"] = node.id
    return result


def _selection_json(selection: Selection) -> dict[str, Any]:
    if isinstance(selection, InlineFragment):
        return {
            "kind": "InlineFragment",
            "typeCondition": selection.type_condition,
            "selections": [_selection_json(s) for s in selection.selections],
        }
    result: dict[str, Any] = {"kind": "Field", "name": selection.name}
    if selection.alias:
        result["alias"] = selection.alias
    if selection.selections:
        result["selections"] = [_selection_json(s) for s in selection.selections]
    return result


def _rewrite_json(rewrite: Rewrite) -> dict[str, Any]:
    if isinstance(rewrite, KeyRenamer):
        return {
            "kind": "KeyRenamer",
            "path": list(rewrite.path),
            "renameKeyTo": rewrite.rename_key_to,
        }
    return {"kind": "ValueSetter", "path": list(rewrite.path), "setValueTo": rewrite.set_value_to}
