// Compose many subgraph sets in one process, with Apollo's composition, for the schema tests.
// stdin:  {"case name": [{"name": "...", "url": "...", "sdl": "..."}, ...], ...}
// stdout: {"case name": {"supergraphSdl": "..."} | {"errors": [{"code": "...", "message": "..."}]}}
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

function composeOne(services) {
  try {
    const subgraphs = services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
    const result = composeServices(subgraphs);
    if (result.errors && result.errors.length) {
      return {
        errors: result.errors.map((e) => ({
          code: (e.extensions && e.extensions.code) || "UNKNOWN",
          message: e.message,
        })),
      };
    }
    return { supergraphSdl: result.supergraphSdl };
  } catch (error) {
    const code = (error.extensions && error.extensions.code) || "INVALID_GRAPHQL";
    return { errors: [{ code, message: String(error.message) }] };
  }
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const cases = JSON.parse(input);
  const results = {};
  for (const [name, services] of Object.entries(cases)) {
    results[name] = composeOne(services);
  }
  process.stdout.write(JSON.stringify(results));
});
