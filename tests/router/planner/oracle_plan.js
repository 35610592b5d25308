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
      try {
        const plan = planner.buildQueryPlan(operation);
        return { text: prettyFormatQueryPlan(plan), node: plan.node || null };
      } catch (error) {  // Apollo's planner fails on this operation: reported, not fatal
        return { text: String(error), node: null, error: String(error) };
      }
    });
    process.stdout.write(JSON.stringify({ results }));
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error && error.stack || error) }));
  }
});
