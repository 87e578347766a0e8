// Transcripts: what a recording transcribes to, per tenant (the mock never listens to audio). Register one: an audio
// file read as base64 and its text, POST /_mock/tenants/{tenant}/transcripts, which answers the audio's sha256; list
// a tenant's, GET /_mock/tenants/{tenant}/transcripts. The tenant may come in the route: #/transcripts/<tenant>.
// Also what a doctor does in the Haidy app: approve a consultation from its transcript, for the PIS to fetch
// (POST /_mock/tenants/{tenant}/haidy/consultations).

import { call, get } from "../api.js";
import { copyable, errorLine, fill, h, table } from "../dom.js";

const LIST_EVERY_MS = 3000;

/** The file's bytes as base64 (FileReader: a data: URL, whose part after the comma is the base64). */
function readBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(",") + 1));
    };
    reader.onerror = () => reject(new Error(`Could not read ${file.name}: ${reader.error && reader.error.message}`));
    reader.readAsDataURL(file);
  });
}

const path = (tenant) => `/_mock/tenants/${encodeURIComponent(tenant)}/transcripts`;

export function render(main, scope, [routeTenant] = []) {
  const problem = h("div", { class: "problem", id: "transcript-error" });
  const result = h("div", { id: "transcript-result" });
  const tenants = h("datalist", { id: "transcript-tenants" });
  const tenantInput = h("input", { name: "tenant", id: "transcript-tenant", list: "transcript-tenants", required: true,
    placeholder: "test-token", size: 26, autocomplete: "off", value: routeTenant || "" });
  const fileInput = h("input", { type: "file", name: "audio", id: "transcript-file", accept: "audio/*,.wav,.mp3,.m4a,.ogg,.webm,.flac" });
  const textInput = h("textarea", { name: "text", id: "transcript-text", rows: 4,
    placeholder: "Patient reports chest pain since yesterday." });
  const form = h("form", { id: "transcript-form", class: "grid-form", novalidate: true },
    h("label", null, "Tenant (in open auth, the token or Heidi API key) ", tenantInput), tenants,
    h("label", null, "Audio file ", fileInput),
    h("label", { class: "wide" }, "What it says ", textInput),
    h("div", { class: "wide" }, h("button", { type: "submit", id: "register-transcript" }, "Register the transcript")),
    h("div", { class: "wide" }, problem, result));
  const approval = approvalCard(() => tenantInput.value.trim());
  const listTitle = h("h2", null, "Registered transcripts");
  const list = h("div", { id: "transcript-list" });

  // The list follows the tenant chosen (the route's, or one entered: on change or on submit), never a half-typed
  // one: even a read makes the tenant exist in the state.
  let chosen = (routeTenant || "").trim();
  let shown = null; // the tenant whose list is shown
  let listed = null; // the text of its last answer, to redraw only on a change
  const refresh = async () => {
    const tenant = chosen;
    if (!tenant) {
      if (shown === "") return;
      [shown, listed] = ["", null];
      fill(listTitle, "Registered transcripts");
      fill(list, h("p", { class: "muted" }, "Choose a tenant to see what is registered for it."));
      return;
    }
    const answer = await get(path(tenant));
    const text = JSON.stringify(answer);
    if (tenant !== chosen || (tenant === shown && text === listed)) return;
    [shown, listed] = [tenant, text];
    fill(listTitle, "Registered transcripts of ", h("code", null, tenant));
    const items = (answer && answer.transcripts) || [];
    fill(list, items.length
      ? table(["Audio sha256", "Text"], items.map((item) => h("tr", { dataset: { sha256: item.sha256 } },
        h("td", { style: { whiteSpace: "nowrap" } }, copyable(item.sha256)),
        h("td", { class: "text", style: { whiteSpace: "pre-wrap", width: "100%" } }, item.text))),
      { class: "transcripts" })
      : h("p", { class: "muted" }, "None: its recordings transcribe to a placeholder that names their sha256."));
  };
  const show = () => refresh().catch((error) => fill(list, errorLine(error.message)));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(result);
    const tenant = tenantInput.value.trim();
    const file = fileInput.files[0];
    if (!tenant) {
      fill(problem, errorLine("Give the tenant the transcript is for."));
      return;
    }
    if (!file) {
      fill(problem, errorLine("Choose the audio file the text is a transcript of."));
      return;
    }
    chosen = tenant;
    try {
      const answer = await call("POST", path(tenant), { json: { audio_base64: await readBase64(file), text: textInput.value } });
      fill(problem);
      fill(result, h("p", null, `Registered for ${file.name}: its sha256 is `, h("span", { id: "transcript-sha256" }, copyable(answer.sha256))));
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
    await show();
  });
  tenantInput.addEventListener("change", () => {
    chosen = tenantInput.value.trim();
    show();
  });

  main.append(h("h1", null, "Transcripts"),
    h("p", { class: "muted" }, "The mock never listens to audio: a recording transcribes to the text registered for its bytes ",
      "(by sha256), per tenant, in Haidy's structure API and Heidi's transcript."),
    h("section", { class: "card", id: "transcript-register" }, h("h2", null, "Register what a recording says"), form),
    h("section", { class: "card", id: "transcripts" }, listTitle, list), approval);

  // Tenants to pick from: those the state holds (a tenant can also be typed).
  get("/_mock/state").then((state) => {
    const names = Object.keys((state && state.tenants) || {});
    fill(tenants, names.map((name) => h("option", { value: name })));
    if (!tenantInput.value && names.length && !scope.closed) {
      tenantInput.value = chosen = names[0];
      show();
    }
  }).catch(() => {});
  scope.every(LIST_EVERY_MS, refresh);
}

/** The form that approves a Haidy consultation for the tenant `tenantOf()` gives, as a doctor would in the app. */
function approvalCard(tenantOf) {
  const problem = h("div", { class: "problem", id: "consultation-error" });
  const result = h("div", { id: "consultation-result" });
  const uniqueId = h("input", { name: "unique_id", id: "consultation-unique-id", required: true, size: 26,
    placeholder: "patient-12345", autocomplete: "off" });
  const title = h("input", { name: "title", id: "consultation-title", size: 26, autocomplete: "off",
    placeholder: "Consultation" });
  const said = h("textarea", { name: "transcript", id: "consultation-transcript", rows: 4,
    placeholder: "Patient has hypertension and takes lisinopril 10 mg daily." });
  const form = h("form", { id: "consultation-form", class: "grid-form", novalidate: true },
    h("label", null, "unique_id (the patient's external_id) ", uniqueId),
    h("label", null, "Title ", title),
    h("label", { class: "wide" }, "Transcript ", said),
    h("div", { class: "wide" }, h("button", { type: "submit", id: "approve-consultation" }, "Approve the consultation")),
    h("div", { class: "wide" }, problem, result));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    fill(result);
    const tenant = tenantOf();
    if (!tenant) {
      fill(problem, errorLine("Give the tenant (above) the consultation is for."));
      return;
    }
    const json = { unique_id: uniqueId.value.trim(), transcript: said.value };
    if (title.value.trim()) json.title = title.value.trim();
    try {
      const answer = await call("POST", `/_mock/tenants/${encodeURIComponent(tenant)}/haidy/consultations`, { json });
      fill(problem);
      fill(result, h("p", null, "Approved: ", h("span", { id: "consultation-id" }, copyable(answer.id)),
        ` for ${answer.unique_id}; GET /v2/consultations lists it, and its report is at `,
        h("code", null, `/v2/consultation/${answer.id}/report/PDF`), " (DOCX, TXT, JSON)."));
    } catch (error) {
      fill(problem, errorLine(error.message));
    }
  });
  return h("section", { class: "card", id: "consultation-approve" },
    h("h2", null, "Approve a Haidy consultation"),
    h("p", { class: "muted" }, "As a doctor does in the Haidy app: the PIS then finds it in GET /v2/consultations."),
    form);
}
