// Hive Gateway (@graphql-hive/gateway runtime) on node:http, static supergraph.
// With --rust-planner it plans with Hive's Rust query planner (@graphql-hive/router-runtime);
// with --dedupe it executes identical in-flight inbound requests once; with
// --propagate-authorization it forwards the client's `authorization` header to every subgraph.
const http = require("http");
const { createGatewayRuntime } = require("@graphql-hive/gateway");
const { parseArgs, announce, fail } = require("./serve");

async function main() {
  const { supergraphSdl, port, dedupe } = parseArgs();
  const config = {
    supergraph: () => supergraphSdl,
    logging: "error",
    graphiql: false,
    landingPage: false,
    inboundInflightRequestDeduplication: dedupe,
  };
  if (process.argv.includes("--propagate-authorization")) {
    config.propagateHeaders = {
      fromClientToSubgraphs: ({ request }) => {
        const authorization = request.headers.get("authorization");
        return authorization ? { authorization } : {};
      },
    };
  }
  if (process.argv.includes("--rust-planner")) {
    config.unifiedGraphHandler = require("@graphql-hive/router-runtime").unifiedGraphHandler;
  }
  const gateway = createGatewayRuntime(config);
  const server = http.createServer(gateway);
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  announce(port, async () => {
    server.close();
    await gateway.dispose();
  });
}

main().catch(fail);
