// Hive Router's Rust query planner as a second oracle (where Apollo's is wrong or throws):
// stdin {"supergraphSdl", "operations": [text, ...]} → stdout {"results": [{"node"} | {"error"}]}.
const { QueryPlanner } = require("@graphql-hive/router-query-planner");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  let planner;
  try {
    planner = new QueryPlanner(request.supergraphSdl);
  } catch (error) {
    process.stdout.write(JSON.stringify({ error: String(error && error.message || error) }));
    return;
  }
  const results = request.operations.map((text) => {
    try {
      const plan = planner.plan(text, null, new Set(), 0);
      return { node: plan.node || null };
    } catch (error) {
      return { error: String(error && error.message || error) };
    }
  });
  process.stdout.write(JSON.stringify({ results }));
});
