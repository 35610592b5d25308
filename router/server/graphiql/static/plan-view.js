/*
 * Switchboard's query plan view for GraphiQL: the plan of the active tab's result
 * (the router's `extensions.queryPlan`, exposed in dev mode) as a tree and as text.
 * Plain React (the UMD build the router serves); no build step.
 */
(function () {
  "use strict";

  const h = React.createElement;
  const graphql = window.GraphiQL && window.GraphiQL.GraphQL;

  /** A value with subscribers, for React.useSyncExternalStore. */
  function createStore(initial) {
    let value = initial;
    const listeners = new Set();
    return {
      get: () => value,
      set(next) {
        value = next;
        listeners.forEach((listener) => listener());
      },
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  }

  /** What the panel can say about a result shown in GraphiQL's response editor. */
  function planFromResponse(responseText) {
    if (!responseText) return { state: "empty" };
    let body;
    try {
      body = JSON.parse(responseText);
    } catch (_error) {
      return { state: "unparsable" };
    }
    const plan = body && body.extensions && body.extensions.queryPlan;
    if (!plan) return { state: "missing" };
    return { state: "ok", text: plan.text, json: plan.json };
  }

  // --- facts about a plan -------------------------------------------------------------

  function children(node) {
    switch (node.kind) {
      case "Sequence":
      case "Parallel":
        return node.nodes;
      case "Flatten":
        return [node.node];
      case "Condition":
        return [node.ifClause, node.elseClause].filter(Boolean);
      case "Subscription":
        return [node.primary, node.rest].filter(Boolean);
      default:
        return [];
    }
  }

  function fetches(node) {
    if (!node) return [];
    if (node.kind === "Fetch") return [node];
    return children(node).flatMap(fetches);
  }

  /** The longest chain of fetches that must run one after another. */
  function steps(node) {
    if (!node) return 0;
    switch (node.kind) {
      case "Fetch":
        return 1;
      case "Sequence":
        return node.nodes.reduce((total, child) => total + steps(child), 0);
      case "Subscription":
        return 1 + steps(node.rest);
      default:
        return Math.max(0, ...children(node).map(steps));
    }
  }

  function plural(count, one, many) {
    return `${count} ${count === 1 ? one : many}`;
  }

  function summary(json) {
    const all = fetches(json.node);
    const services = new Set(all.map((fetch) => fetch.serviceName));
    return [
      plural(all.length, "fetch", "fetches"),
      plural(services.size, "subgraph", "subgraphs"),
      plural(steps(json.node), "sequential step", "sequential steps"),
    ].join(" · ");
  }

  // Distinct hues; a subgraph's colour is its place among the supergraph's subgraphs.
  const HUES = [212, 330, 28, 145, 268, 188, 0, 48];

  function serviceHue(name, subgraphs) {
    const index = subgraphs.indexOf(name);
    if (index >= 0) return HUES[index % HUES.length];
    let hash = 0;
    for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 9973;
    return HUES[hash % HUES.length];
  }

  /** The fields one fetch asks its subgraph for (inside `_entities` for entity fetches). */
  function fetchedFields(operation) {
    if (!graphql) return [];
    try {
      const definition = graphql.parse(operation).definitions[0];
      let selections = definition.selectionSet.selections;
      const only = selections.length === 1 ? selections[0] : null;
      if (only && only.kind === "Field" && only.name.value === "_entities") {
        selections = only.selectionSet.selections.flatMap((selection) =>
          selection.kind === "InlineFragment" ? selection.selectionSet.selections : [selection],
        );
      }
      return selections
        .filter((s) => s.kind === "Field" && s.name.value !== "__typename")
        .map((s) => (s.alias ? `${s.alias.value}: ` : "") + s.name.value);
    } catch (_error) {
      return [];
    }
  }

  function pretty(operation) {
    if (!graphql) return operation;
    try {
      return graphql.print(graphql.parse(operation));
    } catch (_error) {
      return operation;
    }
  }

  function selectionText(selections) {
    return selections
      .map((s) => {
        const head =
          s.kind === "InlineFragment"
            ? `... on ${s.typeCondition}`
            : (s.alias ? `${s.alias}: ` : "") + s.name;
        return s.selections && s.selections.length
          ? `${head} { ${selectionText(s.selections)} }`
          : head;
      })
      .join(" ");
  }

  // --- the tree -----------------------------------------------------------------------

  const Subgraphs = React.createContext([]);

  function Service({ name }) {
    const hue = serviceHue(name, React.useContext(Subgraphs));
    return h(
      "span",
      { className: "sb-service", style: { backgroundColor: `hsl(${hue}, 55%, 42%)` } },
      name,
    );
  }

  function FetchNode({ node }) {
    const entity = node.requires && node.requires[0];
    const fields = fetchedFields(node.operation);
    return h(
      "div",
      { className: "sb-node sb-fetch" },
      h(
        "div",
        { className: "sb-fetch-head" },
        h("span", { className: "sb-kind" }, "Fetch"),
        h(Service, { name: node.serviceName }),
        entity
          ? h(
              "span",
              { className: "sb-entity", title: selectionText(node.requires) },
              `${entity.typeCondition || "entity"} entities`,
            )
          : h("span", { className: "sb-entity" }, node.operationKind || "query"),
      ),
      fields.length ? h("div", { className: "sb-fields" }, fields.join(", ")) : null,
      h(
        "details",
        { className: "sb-operation" },
        h("summary", null, "subgraph operation"),
        entity ? h("div", { className: "sb-requires" }, `requires ${selectionText(node.requires)}`) : null,
        h("pre", null, pretty(node.operation)),
      ),
    );
  }

  function Group({ label, detail, className, items }) {
    return h(
      "div",
      { className: `sb-node ${className}` },
      h(
        "div",
        { className: "sb-group-head" },
        h("span", { className: "sb-kind" }, label),
        detail ? h("code", { className: "sb-path" }, detail) : null,
      ),
      h(
        "ol",
        { className: "sb-children" },
        items.map(([key, child]) => h("li", { key }, key ? h("div", { className: "sb-branch" }, key) : null, child)),
      ),
    );
  }

  function PlanNode({ node }) {
    switch (node.kind) {
      case "Fetch":
        return h(FetchNode, { node });
      case "Flatten":
        return h(Group, {
          label: "Flatten",
          detail: node.path.join("."),
          className: "sb-flatten",
          items: [["", h(PlanNode, { node: node.node })]],
        });
      case "Sequence":
      case "Parallel":
        return h(Group, {
          label: node.kind,
          className: `sb-${node.kind.toLowerCase()}`,
          items: node.nodes.map((child, index) => [
            node.kind === "Sequence" ? `${index + 1}` : `∥ ${index + 1}`,
            h(PlanNode, { node: child }),
          ]),
        });
      case "Subscription":
        return h(Group, {
          label: "Subscription",
          className: "sb-sequence",
          items: [
            ["primary (stream)", h(PlanNode, { node: node.primary })],
            node.rest ? ["rest (per event)", h(PlanNode, { node: node.rest })] : null,
          ].filter(Boolean),
        });
      case "Condition":
        return h(Group, {
          label: "Condition",
          detail: `$${node.condition}`,
          className: "sb-condition",
          items: [
            node.ifClause ? ["if true", h(PlanNode, { node: node.ifClause })] : null,
            node.elseClause ? ["if false", h(PlanNode, { node: node.elseClause })] : null,
          ].filter(Boolean),
        });
      default:
        return h("div", { className: "sb-node" }, `Unknown plan node ${node.kind}`);
    }
  }

  function PlanTree({ json }) {
    if (!json || !json.node) {
      return h("p", { className: "sb-note" }, "Nothing to fetch: the router answers this operation itself.");
    }
    return h("div", { className: "sb-plan-tree", role: "tree" }, h(PlanNode, { node: json.node }));
  }

  // --- the panel ----------------------------------------------------------------------

  function Message({ found, exposePlan }) {
    if (!exposePlan) {
      return "This router runs in production mode, where query plans are not exposed.";
    }
    switch (found.state) {
      case "empty":
        return "Run an operation (Ctrl-Enter) to see how the router plans it.";
      case "unparsable":
        return "The result is not a GraphQL response, so there is no plan to show.";
      default:
        return "This result carries no query plan: the operation was rejected before planning.";
    }
  }

  function PlanPanel({ source, exposePlan, subgraphs }) {
    const responseText = React.useSyncExternalStore(source.subscribe, source.get);
    const [view, setView] = React.useState("tree");
    const [open, setOpen] = React.useState(true);
    const found = React.useMemo(() => planFromResponse(responseText), [responseText]);
    const viewButton = (name, label) =>
      h(
        "button",
        {
          type: "button",
          className: "sb-view-button",
          "aria-pressed": view === name,
          onClick: () => setView(name),
        },
        label,
      );
    const toggle = h(
      "button",
      {
        type: "button",
        className: "sb-toggle",
        title: open ? "Hide the query plan" : "Show the query plan",
        "aria-expanded": open,
        onClick: () => setOpen(!open),
      },
      open ? "»" : "«",
    );
    if (!open) {
      return h("aside", { className: "graphiql-container sb-plan sb-closed" }, toggle);
    }
    const body =
      found.state !== "ok"
        ? h("p", { className: "sb-note" }, h(Message, { found, exposePlan }))
        : view === "tree"
          ? h(Subgraphs.Provider, { value: subgraphs || [] }, h(PlanTree, { json: found.json }))
          : h("pre", { className: "sb-plan-text" }, found.text);
    return h(
      "aside",
      { className: "graphiql-container sb-plan", "aria-label": "Query plan" },
      h(
        "header",
        { className: "sb-plan-head" },
        toggle,
        h("h2", null, "Query plan"),
        h("div", { className: "sb-views" }, viewButton("tree", "Tree"), viewButton("text", "Text")),
      ),
      found.state === "ok" && found.json
        ? h("div", { className: "sb-summary" }, summary(found.json))
        : null,
      h("div", { className: "sb-plan-body" }, body),
    );
  }

  window.SwitchboardPlanView = { PlanPanel, createStore, planFromResponse };
})();
