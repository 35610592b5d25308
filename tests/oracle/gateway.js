// Serve a supergraph with Apollo's own gateway: the reference the differential tests compare against.
// usage:  node gateway.js SUPERGRAPH_FILE PORT
// stdout: one line {"ready": "http://127.0.0.1:PORT/"} once it accepts requests; stops on SIGTERM.
// The supergraph is static (no polling, no uplink); subgraph URLs are the @join__graph(url:) ones.
// env SUBGRAPH_HEADERS: optional JSON {"<subgraph name>": {"<header>": "<value>"}} sent with every
// request to that subgraph (our subgraphs refuse requests without the router's identity token).
const fs = require("fs");
const { ApolloGateway, RemoteGraphQLDataSource } = require("@apollo/gateway");
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");

async function main() {
  const [supergraphPath, portText] = process.argv.slice(2);
  if (!supergraphPath || !portText) {
    process.stderr.write("usage: node gateway.js SUPERGRAPH_FILE PORT\n");
    process.exit(2);
  }
  const subgraphHeaders = JSON.parse(process.env.SUBGRAPH_HEADERS || "{}");
  const gateway = new ApolloGateway({
    supergraphSdl: fs.readFileSync(supergraphPath, "utf8"),
    logger: quietLogger(),
    buildService: ({ name, url }) =>
      new RemoteGraphQLDataSource({
        url,
        // Node's own fetch (undici) lets an idle connection go after 4 s, before uvicorn closes
        // it at 5 s; the default fetcher's agent kept it longer, and a request racing the
        // server's close failed with "socket hang up".
        fetcher: (target, init) => fetch(target, init),
        willSendRequest({ request }) {
          for (const [header, value] of Object.entries(subgraphHeaders[name] || {})) {
            request.http.headers.set(header, value);
          }
        },
      }),
  });
  const server = new ApolloServer({
    gateway,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    csrfPrevention: false,
  });
  const { url } = await startStandaloneServer(server, {
    listen: { host: "127.0.0.1", port: Number(portText) },
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdout.write(JSON.stringify({ ready: url }) + "\n");
}

function quietLogger() {
  const write = (level) => (message) => process.stderr.write(`[${level}] ${message}\n`);
  return { debug: () => {}, info: () => {}, warn: write("warn"), error: write("error") };
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
