// What the OpenAPI document says about each family (base URLs, how to authenticate) and which tokens the state
// shows, for the overview and the API reference.

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:\/\//i;
const METHODS = ["get", "put", "post", "delete", "patch"];

/** A server URL of the document made absolute on this origin (no trailing slash: paths start with one). */
export function onThisOrigin(url) {
  return new URL(url, location.origin).href.replace(/\/$/, "");
}

/**
 * Per tag of the document: its description, the mock's base URLs (the document's relative servers; a family
 * under a base path "answers at the root too", as its server's description says), the vendor's own base URLs
 * (which interception answers), and the security schemes its operations use, in order of first use.
 */
export function familiesOf(doc) {
  const families = new Map();
  for (const tag of doc.tags || []) {
    families.set(tag.name, { name: tag.name, title: tag.description || tag.name, mock: [], vendor: [], schemes: [] });
  }
  const add = (list, value) => { if (!list.includes(value)) list.push(value); };
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const servers = item.servers || doc.servers || [{ url: "/" }];
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const family = families.get((op.tags || [])[0]);
      if (!family) continue;
      for (const server of servers) {
        if (ABSOLUTE.test(server.url)) {
          add(family.vendor, server.url.replace(/\/$/, ""));
        } else {
          add(family.mock, onThisOrigin(server.url));
          if (/root too/.test(server.description || "")) add(family.mock, onThisOrigin("/"));
        }
      }
      for (const requirement of op.security || doc.security || []) {
        for (const scheme of Object.keys(requirement)) add(family.schemes, scheme);
      }
      if (!family.firstPath) family.firstPath = path;
    }
  }
  return [...families.values()];
}

/** How a scheme of the document is sent, in words: "Authorization: Bearer <token>". */
export function howToSend(doc, scheme) {
  const spec = ((doc.components || {}).securitySchemes || {})[scheme] || {};
  if (spec.type === "http" && String(spec.scheme).toLowerCase() === "bearer") {
    return `Authorization: Bearer <${spec.bearerFormat === "JWT" ? "JWT" : "token"}>`;
  }
  if (spec.type === "apiKey") return `${spec.in === "header" ? "" : `${spec.in} `}${spec.name}: <${scheme}>`;
  return scheme;
}

/** The Heidi prefix to call GET /jwt under: the first mock base URL of the family. */
export function baseOf(family) {
  return family.mock[0] || location.origin;
}

/**
 * Credentials the state shows, per family: in open auth a tenant's name is also a token that reaches it.
 * Haidy: tenants with Haidy data; Heidi: tenants (as API keys) with their API users; Esteem: the users of its
 * world with their roles.
 */
export function credentialsFrom(state, auth) {
  const out = { haidy: [], heidi: [], esteem: [] };
  const tenants = (state && state.tenants) || {};
  for (const [tenant, families] of Object.entries(tenants)) {
    if (families.haidy && auth === "open") {
      out.haidy.push({ token: tenant, note: `tenant ${tenant}: ${(families.haidy.patient_contexts || []).length} patient contexts` });
    }
    if (families.heidi && auth === "open") {
      const users = families.heidi.users || [];
      out.heidi.push({ token: tenant, users, note: `API key of tenant ${tenant}: ${users.length} API users` });
    }
    if (families.esteem) {
      const practices = new Map((families.esteem.practices || []).map((p) => [p.id, p.name]));
      for (const user of families.esteem.users || []) {
        out.esteem.push({
          token: user.token, role: user.role,
          note: `${user.role}${user.name ? `, ${user.name}` : ""}, ${practices.get(user.practice_id) || `practice ${user.practice_id}`}`,
        });
      }
    }
  }
  return out;
}

/** A spec for one family: its paths, its tag and schemes, and servers on this origin only (try it reaches the mock). */
export function familySpec(doc, name) {
  const spec = structuredClone(doc);
  spec.tags = (doc.tags || []).filter((tag) => tag.name === name);
  spec.paths = {};
  const used = new Set();
  for (const [path, item] of Object.entries(doc.paths || {})) {
    const ops = METHODS.filter((m) => item[m] && (item[m].tags || []).includes(name));
    if (!ops.length) continue;
    const copy = structuredClone(item);
    for (const method of METHODS) if (!ops.includes(method)) delete copy[method];
    if (copy.servers) {
      copy.servers = copy.servers.filter((s) => !ABSOLUTE.test(s.url)).map((s) => ({ ...s, url: onThisOrigin(s.url) }));
      if (!copy.servers.length) delete copy.servers;
    }
    for (const method of ops) for (const req of copy[method].security || []) Object.keys(req).forEach((k) => used.add(k));
    spec.paths[path] = copy;
  }
  spec.servers = [{ url: onThisOrigin("/"), description: "This mock" }];
  const schemes = (doc.components || {}).securitySchemes;
  if (schemes) {
    spec.components.securitySchemes = Object.fromEntries(Object.entries(schemes).filter(([key]) => used.has(key)));
  }
  if (spec.tags[0]) spec.info = { ...spec.info, title: spec.tags[0].description };
  return spec;
}

/**
 * The credentials to offer per family: the tenants file's (GET /_mock/credentials `configured`: strict auth takes
 * only these), the start data's (`data`), then those the current state shows (credentialsFrom), each once, with a
 * note of where it comes from. `listed` may be null (a server without /_mock/credentials).
 */
export function tokensFor(name, listed, state, auth) {
  const fromState = new Map((credentialsFrom(state, auth)[name] || []).map((item) => [item.token, item]));
  const out = new Map();
  const add = (token, note) => {
    if (!out.has(token)) out.set(token, fromState.get(token) || { token, note, users: [] });
  };
  const family = listed && listed.families && listed.families[name];
  for (const token of (family && family.configured) || []) add(token, "from the tenants file");
  for (const token of (family && family.data) || []) add(token, "from the data set");
  for (const item of fromState.values()) add(item.token, item.note);
  return [...out.values()];
}
