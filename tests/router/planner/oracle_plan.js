// Apollo's query planner as an oracle: stdin {"supergraphSdl","operation"} → stdout {"plan"} or {"error"}.
const path = require("path");
const modules = path.join(__dirname, "..", "..", "oracle", "node_modules");
const { Supergraph, operationFromDocument } = require(path.join(modules, "@apollo/federation-internals"));
const { QueryPlanner, prettyFormatQueryPlan } = require(path.join(modules, "@apollo/query-planner"));
const { parse } = require(path.join(modules, "graphql"));

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  try {
    const supergraph = Supergraph.build(request.supergraphSdl);
    const planner = new QueryPlanner(supergraph);
    const results = request.operations.map((text) => {
      const operation = operationFromDocument(supergraph.schema, parse(text), { validate: true });
      const plan = planner.buildQueryPlan(operation);
      return { text: prettyFormatQueryPlan(plan), node: plan.node || null };
    });
    process.stdout.write(JSON.stringify({ results }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }));
  }
});
