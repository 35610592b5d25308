// @apollo/gateway behind @apollo/server (standalone), static supergraph, no polling.
// With --propagate-authorization it forwards the client's `authorization` header to subgraphs.
const { ApolloGateway, RemoteGraphQLDataSource } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { parseArgs, announce, fail } = require("./serve");

async function main() {
  const { supergraphSdl, port } = parseArgs();
  const quiet = { debug() {}, info() {}, warn: console.error, error: console.error };
  const propagate = process.argv.includes("--propagate-authorization");
  class Forwarding extends RemoteGraphQLDataSource {
    willSendRequest({ request, context }) {
      if (context.authorization) request.http.headers.set("authorization", context.authorization);
    }
  }
  const buildService = propagate ? ({ url }) => new Forwarding({ url }) : undefined;
  const server = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl, logger: quiet, buildService }),
    logger: quiet,
    csrfPrevention: false,
    includeStacktraceInErrorResponses: false,
  });
  const context = async ({ req }) => ({ authorization: req.headers.authorization });
  await startStandaloneServer(server, { listen: { host: "127.0.0.1", port }, context });
  announce(port, () => server.stop());
}

main().catch(fail);
