// Shared by the gateway entry scripts: argument parsing, the ready line, a clean stop.
// usage:  node ENTRY.js SUPERGRAPH_FILE PORT [--dedupe]
// stdout: one line {"ready": "http://127.0.0.1:PORT/graphql"} once listening; stops on SIGTERM.
const fs = require("fs");

function parseArgs() {
  const args = process.argv.slice(2);
  const [supergraphPath, portText] = args.filter((a) => !a.startsWith("--"));
  if (!supergraphPath || !portText) {
    process.stderr.write("usage: node ENTRY.js SUPERGRAPH_FILE PORT [--dedupe]\n");
    process.exit(2);
  }
  return {
    supergraphSdl: fs.readFileSync(supergraphPath, "utf8"),
    port: Number(portText),
    dedupe: args.includes("--dedupe"),
  };
}

function announce(port, stop) {
  let stopping = false;
  const onSignal = async () => {
    if (stopping) return;
    stopping = true;
    await stop();
    process.exit(0);
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  process.stdout.write(JSON.stringify({ ready: `http://127.0.0.1:${port}/graphql` }) + "\n");
}

function fail(error) {
  process.stderr.write(`${(error && error.stack) || error}\n`);
  process.exit(1);
}

module.exports = { parseArgs, announce, fail };
