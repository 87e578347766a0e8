// Building the page with DOM APIs only: every value is a text node or an attribute, never parsed as markup.
// No markup is ever parsed from data in the console: a patient named <img src=x onerror=alert(1)> shows as those characters.

const SVG_NS = "http://www.w3.org/2000/svg";
const URL_ATTRIBUTES = new Set(["href", "src", "action", "xlink:href"]);

/** A URL attribute only from this origin or a fragment: data never becomes a javascript: link. */
export function safeUrl(value) {
  const text = String(value);
  if (/^(\/(?![/\\])|#|\.\/|blob:)/.test(text)) return text; // not "//host" nor "/\host": those lead elsewhere
  try {
    const url = new URL(text, location.href);
    return url.origin === location.origin ? url.href : "#";
  } catch {
    return "#";
  }
}

function setProps(el, props) {
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", Array.isArray(value) ? value.filter(Boolean).join(" ") : value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "value" || key === "checked" || key === "selected" || key === "disabled") el[key] = value;
    else if (URL_ATTRIBUTES.has(key)) el.setAttribute(key, safeUrl(value));
    else el.setAttribute(key, value === true ? "" : String(value));
  }
}

function appendAll(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child)); // a string becomes a text node
  }
}

/** An HTML element: h("td", {class: "id"}, value, ...). Strings are text. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  setProps(el, props);
  appendAll(el, children);
  return el;
}

/** An SVG element, as h(). */
export function svg(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.setAttribute("class", value);
    else el.setAttribute(key, String(value));
  }
  appendAll(el, children);
  return el;
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  appendAll(el, children);
  return el;
}

/** A button that copies `text` to the clipboard (with a fallback where the Clipboard API is not offered). */
export function copyButton(text, label = "copy") {
  const button = h("button", { type: "button", class: "copy", title: `Copy ${text}` }, label);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = h("textarea", { class: "offscreen" });
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    button.textContent = "copied";
    setTimeout(() => { button.textContent = label; }, 1200);
  });
  return button;
}

/** A value with a copy button. */
export function copyable(text) {
  return h("span", { class: "copyable" }, h("code", null, text), copyButton(text));
}

/** A definition list from [term, value] pairs; a value may be a node. */
export function dl(pairs, props) {
  return h("dl", props, pairs.flatMap(([term, value]) => [h("dt", null, term), h("dd", null, value)]));
}

/** A table with a header row; `rows` are arrays of cells (strings or nodes) or ready <tr> elements. */
export function table(headers, rows, props) {
  return h("table", props,
    h("thead", null, h("tr", null, headers.map((name) => h("th", null, name)))),
    h("tbody", null, rows.map((row) => (row instanceof Node ? row : h("tr", null, row.map((c) => h("td", null, c)))))));
}

/** A short "what went wrong" line next to a form. */
export function errorLine(message) {
  return h("p", { class: "error", role: "alert" }, message);
}

/** A local time of an ISO timestamp, with the timestamp itself as a tooltip. */
export function time(iso) {
  if (!iso) return "";
  const at = new Date(iso);
  const text = Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
  return h("time", { datetime: iso, title: iso }, text);
}

/** JSON pretty printed, or the text as it came when it is not JSON. */
export function pretty(text) {
  if (text === null || text === undefined || text === "") return "";
  if (typeof text !== "string") return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Does `value` (anything JSON) contain `needle` (already lower case) in any string or number? */
export function matches(value, needle) {
  if (!needle) return true;
  if (value === null || value === undefined) return false;
  if (typeof value === "object") return Object.values(value).some((v) => matches(v, needle));
  return String(value).toLowerCase().includes(needle);
}
