// API reference: Swagger UI (vendored, static/vendor/swagger-ui/) on one family's part of /openapi.json, or on
// the admin document. "Try it out" calls this mock: servers are this origin, credentials are filled in
// (preauthorized); for Heidi a button buys the JWT from GET /jwt with the API key first.

import { ADMIN_DOC, call, get, openapi, optional, VENDOR_DOC } from "../api.js";
import { errorLine, fill, h } from "../dom.js";
import { baseOf, familiesOf, familySpec, onThisOrigin, tokensFor } from "../families.js";

let loading = null;

function loadSwaggerUi() {
  loading ||= new Promise((resolve, reject) => {
    document.head.append(h("link", { rel: "stylesheet", href: "vendor/swagger-ui/swagger-ui.css" }));
    const script = h("script", { src: "vendor/swagger-ui/swagger-ui-bundle.js" });
    script.addEventListener("load", () => resolve(window.SwaggerUIBundle));
    script.addEventListener("error", () => {
      loading = null;
      reject(new Error("Swagger UI did not load"));
    });
    document.head.append(script);
  });
  return loading;
}

function field(label, name, value, props = {}) {
  return h("label", null, label, " ", h("input", { name, value, size: 28, ...props }));
}

/** The form above Swagger UI that fills in its credentials: one per family, as the family authenticates. */
function credentialsForm(family, ui, defaults) {
  const status = h("span", { class: "muted", id: "credentials-status" });
  const problem = h("div", { class: "problem" });
  const form = h("form", { class: "credentials card", id: "credentials" });
  const say = (text) => { fill(problem); fill(status, text); };

  if (family.name === "heidi") {
    form.append(
      h("h2", null, "Credentials"),
      h("div", { class: "row" },
        field("Heidi-Api-Key", "api_key", defaults.apiKey),
        field("email", "email", defaults.email, { type: "email" }),
        field("third_party_internal_id", "user_id", defaults.userId)),
      h("div", { class: "row" },
        h("button", { type: "submit", id: "get-jwt" }, "Get a JWT and use it"), " ", status),
      problem);
    const authorizeKey = () => ui.preauthorizeApiKey("heidiApiKey", form.elements.api_key.value);
    authorizeKey();
    form.elements.api_key.addEventListener("change", authorizeKey);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      authorizeKey();
      const query = new URLSearchParams({ email: form.elements.email.value, third_party_internal_id: form.elements.user_id.value });
      try {
        const jwt = await call("GET", `${baseOf(family)}/jwt?${query}`, { headers: { "Heidi-Api-Key": form.elements.api_key.value } });
        ui.preauthorizeApiKey("heidiBearer", jwt.token);
        say(`JWT in use until ${jwt.expiration_time}`);
        form.dataset.jwt = "ready";
      } catch (error) {
        fill(problem, errorLine(`GET /jwt: ${error.message}`));
      }
    });
    return form;
  }
  const scheme = family.schemes[0];
  const label = family.name === "esteem" ? "X-User-Token" : "Bearer token";
  form.append(
    h("h2", null, "Credentials"),
    h("div", { class: "row" }, field(label, "token", defaults.token), " ",
      h("button", { type: "submit" }, "Use"), " ", status),
    problem);
  const authorize = () => {
    ui.preauthorizeApiKey(scheme, form.elements.token.value);
    say(`try it out sends ${label === "Bearer token" ? "Authorization: Bearer" : label} ${form.elements.token.value}`);
  };
  authorize();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    authorize();
  });
  return form;
}

function defaultsFor(name, listed, state, auth) {
  const found = tokensFor(name, listed, state, auth);
  if (name === "heidi") {
    const first = found[0];
    const user = first && first.users[0];
    return {
      apiKey: first ? first.token : "test-api-key",
      email: user ? user.email : "console@example.com",
      userId: user ? user.third_party_internal_id : "console-user",
    };
  }
  if (name === "esteem") {
    const admin = found.find((item) => item.role === "admin") || found[0];
    return { token: admin ? admin.token : "test-user-token" };
  }
  return { token: found[0] ? found[0].token : "test-token" };
}

export async function render(main, scope, [wanted]) {
  const [doc, health] = await Promise.all([openapi(VENDOR_DOC), get("/_mock/health")]);
  const families = familiesOf(doc);
  const name = wanted || families[0].name;
  const tabs = [...families.map((f) => [f.name, f.name]), ["admin", "admin API"]];
  main.append(
    h("h1", null, "API reference"),
    h("nav", { class: "tabs", "aria-label": "Families" }, tabs.map(([key, label]) =>
      h("a", { href: `#/reference/${key}`, class: key === name ? "active" : null, id: `tab-${key}` }, label))));
  const family = families.find((f) => f.name === name);
  if (!family && name !== "admin") {
    main.append(errorLine(`No family "${name}" in ${VENDOR_DOC}`));
    return;
  }
  const holder = h("div", { id: "credentials-holder" });
  const swagger = h("div", { id: "swagger", class: "swagger" }, h("p", { class: "muted" }, "Loading Swagger UI…"));
  main.append(holder, swagger);
  const [SwaggerUIBundle, spec, state] = await Promise.all([
    loadSwaggerUi(),
    name === "admin"
      ? openapi(ADMIN_DOC).then((admin) => ({ ...structuredClone(admin), servers: [{ url: onThisOrigin("/"), description: "This mock" }] }))
      : familySpec(doc, name),
    family ? get("/_mock/state") : null,
  ]);
  const listed = family ? await optional("/_mock/credentials") : null;
  if (scope.closed) return;
  fill(swagger);
  const ui = SwaggerUIBundle({
    spec,
    domNode: swagger,
    deepLinking: false, // the console's hash routes stay the console's
    validatorUrl: null, // no call to validator.swagger.io: nothing leaves this origin
    tryItOutEnabled: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: -1,
    docExpansion: "list",
    persistAuthorization: false,
    requestInterceptor: (request) => {
      request.credentials = "same-origin"; // the admin session cookie of strict auth
      return request;
    },
    onComplete: () => { swagger.dataset.ready = "true"; },
  });
  if (family) holder.append(credentialsForm(family, ui, defaultsFor(name, listed, state, health.auth)));
}
