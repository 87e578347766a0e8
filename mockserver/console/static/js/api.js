// The console's one way to the mock: HTTP to the admin API (/_mock/...) and the OpenAPI documents, same origin.
// In strict auth the admin API answers 401 until the admin token is given: the console then asks for it
// (POST /_mock/session sets a cookie) and repeats the call.

export class ApiError extends Error {
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

let askForToken = null;
let pendingLogin = null;

/** `handler()` shows the token form and resolves once the session is open (app.js installs it). */
export function onLoginRequired(handler) {
  askForToken = handler;
}

function login() {
  pendingLogin ||= askForToken().finally(() => { pendingLogin = null; });
  return pendingLogin;
}

/** What an error answer says, in the admin API's words (FastAPI's `detail`, or the vendor's shapes). */
export function describe(body, status) {
  if (body && typeof body === "object") {
    const { detail } = body;
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map((item) => {
        const where = Array.isArray(item.loc) ? item.loc.join(".") : "";
        return where ? `${where}: ${item.msg}` : String(item.msg ?? JSON.stringify(item));
      }).join("; ");
    }
    if (detail && typeof detail === "object" && detail.msg) return String(detail.msg);
    if (body.errors) return typeof body.errors === "string" ? body.errors : JSON.stringify(body.errors);
    if (body.error) return String(body.error);
    if (body.message) return String(body.message);
    return JSON.stringify(body);
  }
  if (typeof body === "string" && body.trim()) return body.trim().slice(0, 500);
  return `HTTP ${status}`;
}

async function readBody(response) {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * One call. `json`: a value sent as JSON; `text`: a body sent as it is, as JSON (a file's content, so a file
 * that is not JSON gets the API's own message). Answers the parsed JSON (or text, or null for 204); throws
 * ApiError with the API's message on an error status.
 */
export async function call(method, url, { json, text, headers = {}, raw = false } = {}) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const init = { method, headers: { ...headers }, credentials: "same-origin", cache: "no-store" };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (text !== undefined) {
      init.body = text;
      init.headers["Content-Type"] = "application/json";
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, `The mock does not answer (${error.message})`);
    }
    if (response.status === 401 && url.startsWith("/_mock/") && askForToken) {
      await login();
      continue;
    }
    if (!response.ok && response.status !== 304) { // 304: the caller sent If-None-Match and reads the status
      const body = await readBody(response);
      throw new ApiError(response.status, describe(body, response.status), body);
    }
    if (raw) return response;
    if (response.status === 204 || response.status === 304) return null;
    const type = response.headers.get("Content-Type") || "";
    return type.includes("json") ? response.json() : response.text();
  }
  throw new ApiError(401, "The admin token was not accepted");
}

export const get = (url, options) => call("GET", url, options);

const documents = new Map();

/** An OpenAPI document, fetched once per page. */
export function openapi(url) {
  if (!documents.has(url)) {
    documents.set(url, get(url).catch((error) => {
      documents.delete(url);
      throw error;
    }));
  }
  return documents.get(url);
}

export const VENDOR_DOC = "/openapi.json";
export const ADMIN_DOC = "/_mock/openapi.json";

/** GET /_mock/<path>, or `fallback` when this server has no such endpoint (404): features added later. */
export async function optional(url, fallback = null) {
  try {
    return await get(url);
  } catch (error) {
    if (error.status === 404 || error.status === 405) return fallback;
    throw error;
  }
}
