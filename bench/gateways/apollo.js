// @apollo/gateway behind @apollo/server (standalone), static supergraph, no polling.
const { ApolloGateway } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { parseArgs, announce, fail } = require("./serve");

async function main() {
  const { supergraphSdl, port } = parseArgs();
  const quiet = { debug() {}, info() {}, warn: console.error, error: console.error };
  const server = new ApolloServer({
    gateway: new ApolloGateway({ supergraphSdl, logger: quiet }),
    logger: quiet,
    csrfPrevention: false,
    includeStacktraceInErrorResponses: false,
  });
  await startStandaloneServer(server, { listen: { host: "127.0.0.1", port } });
  announce(port, () => server.stop());
}

main().catch(fail);
