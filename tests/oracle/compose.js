// Compose subgraphs with Apollo's own composition: the reference our tests compare against.
// stdin:  [{"name": "...", "url": "...", "sdl": "..."}, ...]
//         or {"services": [...], "options": {"maxValidationSubgraphPaths": N}}
// stdout: {"supergraphSdl": "..."} or {"errors": [{"code": "...", "message": "..."}]}
const { composeServices } = require("@apollo/composition");
const { parse } = require("graphql");

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const request = JSON.parse(input);
  const services = Array.isArray(request) ? request : request.services;
  const options = Array.isArray(request) ? {} : request.options || {};
  let result;
  try {
    const subgraphs = services.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) }));
    result = composeServices(subgraphs, options);
  } catch (error) {
    const code = (error.extensions && error.extensions.code) || "INVALID_GRAPHQL";
    process.stdout.write(JSON.stringify({ errors: [{ code, message: String(error.message) }] }));
    return;
  }
  if (result.errors && result.errors.length) {
    const errors = result.errors.map((e) => ({
      code: (e.extensions && e.extensions.code) || "UNKNOWN",
      message: e.message,
    }));
    process.stdout.write(JSON.stringify({ errors }));
    return;
  }
  const hints = (result.hints || []).map((h) => ({ code: h.definition.code, message: h.message }));
  process.stdout.write(JSON.stringify({ supergraphSdl: result.supergraphSdl, hints }));
});
