/*
 * Starts GraphiQL on the router's page: the examples as tabs, a fetcher that asks for the
 * query plan, and the plan view beside the result. Settings come from the page's JSON.
 */
(function () {
  "use strict";

  const h = React.createElement;
  const { PlanPanel, createStore } = window.SwitchboardPlanView;
  const settings = JSON.parse(document.getElementById("switchboard-graphiql-settings").textContent);
  const endpoint = new URL(settings.endpoint, window.location.href).toString();
  const PLAN_HEADER = "Switchboard-Expose-Query-Plan";
  const identities = settings.identities || [];
  // The identity the picker acts as (dev mode): its token goes in Authorization unless the
  // headers editor sets one itself.
  // Starts as the identity marked `default` (dev: admin, so every example runs as shown).
  const initialIdentity = Math.max(0, identities.findIndex((identity) => identity.default));
  let currentToken = identities.length ? identities[initialIdentity].token : null;
  const INTROSPECTION = "IntrospectionQuery";

  /**
   * GraphiQL updates its operation name a moment after a tab switch, so a quick run can
   * send the previous tab's name with this tab's document; the document decides.
   */
  function operationNameIn(params) {
    const graphql = GraphiQL.GraphQL;
    if (!params.operationName || !graphql) return params.operationName;
    try {
      const names = graphql
        .parse(params.query)
        .definitions.filter((definition) => definition.kind === "OperationDefinition")
        .map((definition) => (definition.name ? definition.name.value : undefined));
      if (names.includes(params.operationName) || names.length !== 1) return params.operationName;
      return names[0];
    } catch (_error) {
      return params.operationName; // the router reports the syntax error
    }
  }

  async function fetcher(graphiqlParams, options) {
    const params = { ...graphiqlParams, operationName: operationNameIn(graphiqlParams) };
    const headers = {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json",
      ...((options && options.headers) || {}),
    };
    const explicit = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
    if (currentToken && !explicit) {
      headers.authorization = `Bearer ${currentToken}`;
    }
    if (settings.exposePlan && params.operationName !== INTROSPECTION) {
      headers[PLAN_HEADER] = "true";
    }
    if (isSubscription(params)) {
      headers.accept = "text/event-stream";
      return serverSentEvents(headers, params);
    }
    const response = await fetch(endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify(params),
      credentials: "same-origin",
    });
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch (_error) {
      const message = `The router answered HTTP ${response.status} with a body that is not JSON.`;
      return { errors: [{ message, extensions: { body: text.slice(0, 500) } }] };
    }
  }

  function isSubscription(params) {
    const graphql = GraphiQL.GraphQL;
    if (!graphql) return false;
    try {
      return graphql
        .parse(params.query)
        .definitions.some(
          (d) =>
            d.kind === "OperationDefinition" &&
            d.operation === "subscription" &&
            (!params.operationName || (d.name && d.name.value === params.operationName)),
        );
    } catch (_error) {
      return false;
    }
  }

  /** A subscription over GraphQL-over-SSE: each `next` event is one result GraphiQL shows. */
  async function* serverSentEvents(headers, params) {
    const response = await fetch(endpoint, {
      method: "POST",
      headers,
      body: JSON.stringify(params),
      credentials: "same-origin",
    });
    if (!response.ok || !response.body) {
      yield await response.json();
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += value;
        let end;
        while ((end = buffered.indexOf("\n\n")) >= 0) {
          const block = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          const lines = block.split("\n");
          if (lines.includes("event: complete")) return;
          const data = lines.find((line) => line.startsWith("data: "));
          if (lines.includes("event: next") && data) yield JSON.parse(data.slice(6));
        }
      }
    } finally {
      reader.cancel();
    }
  }

  // The active tab's result text; the plan view reads its extensions.queryPlan, so the plan
  // always belongs to the result on screen, whichever tab that is.
  const activeResponse = createStore("");

  function onTabChange(tabState) {
    const tab = tabState.tabs[tabState.activeTabIndex];
    // GraphiQL calls this while updating its own state; publish after that update.
    queueMicrotask(() => activeResponse.set((tab && tab.response) || ""));
  }

  function IdentityPicker() {
    const [chosen, choose] = React.useState(initialIdentity);
    if (identities.length === 0) return null;
    function onChange(event) {
      const index = Number(event.target.value);
      currentToken = identities[index].token;
      choose(index);
    }
    return h(
      "label",
      { className: "sb-identity" },
      "Acting as ",
      h(
        "select",
        { value: chosen, onChange, "aria-label": "Identity" },
        identities.map((identity, index) =>
          h("option", { key: identity.label, value: index }, identity.label),
        ),
      ),
    );
  }

  function App() {
    return h(
      "div",
      { className: "sb-layout" },
      h(IdentityPicker),
      h(
        "div",
        { className: "sb-graphiql" },
        h(
          GraphiQL,
          {
            fetcher,
            defaultTabs: settings.tabs,
            defaultEditorToolsVisibility: true,
            isHeadersEditorEnabled: true,
            shouldPersistHeaders: false,
            onTabChange,
          },
          h(GraphiQL.Logo, null, "Switchboard"),
        ),
      ),
      h(PlanPanel, {
        source: activeResponse,
        exposePlan: settings.exposePlan,
        subgraphs: settings.subgraphs,
      }),
    );
  }

  ReactDOM.createRoot(document.getElementById("switchboard-graphiql")).render(h(App));
})();
