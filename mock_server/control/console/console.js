// discard-mock console: polls the control API and renders it; plain DOM, no framework, no build step.
// Every value from the mock is inserted as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "discard-mock-control-token";
const TOKEN_HEADER = "X-Mock-Control-Token";
const POLL_MS = 1000;
const JOURNAL_LIMIT = 200;
const INSTANCE_ROWS = 500;
const DISCARD_PATH = "/v1/accounts/{accountGroupId}/campaigns/{campaignId}/workflow-instances/{workflowInstanceId}/discard";
const CURL_SKIPPED = new Set(["host", "content-length", "connection", "accept-encoding", "user-agent",
  "accept-language", "cookie", "referer", "pragma", "cache-control"]);

const $ = (selector) => document.querySelector(selector);
const state = { paused: false, timer: null, journal: new Map(), journalSignature: "", selected: null,
  accountGroups: new Set(), campaigns: new Set(), needsToken: false,
  // traceId -> the key typed into the discard form for that request ("" for none): the user's own input,
  // kept in this page only, so the curl line of a request sent from here can be run as it is.
  sentKeys: new Map() };

// --- HTTP --------------------------------------------------------------------------------------

class NeedsToken extends Error {}

async function call(method, path, body, extraHeaders) {
  const headers = Object.assign({}, extraHeaders || {});
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token && path.startsWith("/__mock/")) headers[TOKEN_HEADER] = token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-store" });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
  if (response.status === 401 && path.startsWith("/__mock/")) throw new NeedsToken(json && json.error ? json.error.message : "");
  return { status: response.status, headers: response.headers, json, text };
}

async function control(method, path, body) {
  const answer = await call(method, path, body);
  if (answer.status >= 400) {
    const message = answer.json && answer.json.error ? answer.json.error.message : `HTTP ${answer.status}`;
    throw new Error(message);
  }
  return answer.json;
}

// --- rendering helpers ---------------------------------------------------------------------------

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function badge(status) {
  return el("span", { class: `badge s${String(status)[0]}`, text: String(status) });
}

function short(id) {
  return id && id.length > 12 ? `${id.slice(0, 6)}…${id.slice(-4)}` : id || "";
}

function header(headers, name) {
  for (const [key, value] of Object.entries(headers || {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

// The journal's credentials come masked by the mock (mock_server/redaction.py): shown as they come.
function keyOf(entry) {
  const value = header(entry.headers, "authorization");
  if (!value) return "";
  const [scheme, ...rest] = value.trim().split(/\s+/);
  return scheme.toLowerCase() === "bearer" && rest.length ? rest.join(" ") : value;
}

function notify(message, isError) {
  const notice = $("#notice");
  notice.textContent = message;
  notice.classList.toggle("error", Boolean(isError));
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text || ""; }
}

function shellQuote(text) {
  return `'${String(text).replace(/'/g, "'\\''")}'`;
}

// A masked value (mock_server/redaction.py) is not the credential: a curl line must not send it.
function isMasked(value) {
  return String(value).includes("…") || String(value).includes("[redacted]");
}

// The credential of an Authorization field in a curl line: the key typed into this page's form for that
// request, else $API_KEY (in double quotes, so the shell puts the variable's value in).
function authorizationArgument(entry, value) {
  const typed = state.sentKeys.get(entry.traceId);
  if (typed) return shellQuote(`Authorization: Bearer ${typed}`);
  const words = String(value).trim().split(/\s+/);
  const scheme = words.length > 1 && /^[A-Za-z][A-Za-z0-9-]*$/.test(words[0]) ? `${words[0]} ` : "";
  return `"Authorization: ${scheme}$API_KEY"`;
}

// Every part quoted for a POSIX shell; a credential the journal masked is left out (Authorization: see above).
function curlLine(entry) {
  const url = location.origin + entry.path + (entry.query ? `?${entry.query}` : "");
  const parts = ["curl", "-i", "-X", shellQuote(entry.method), shellQuote(url)];
  for (const [name, value] of Object.entries(entry.headers || {})) {
    const lower = name.toLowerCase();
    if (CURL_SKIPPED.has(lower) || lower.startsWith("sec-")) continue;
    if (lower === "authorization") parts.push("-H", authorizationArgument(entry, value));
    else if (!isMasked(value)) parts.push("-H", shellQuote(`${name}: ${value}`));
  }
  return parts.join(" ");
}

// --- instances -----------------------------------------------------------------------------------

function instanceQuery() {
  const params = new URLSearchParams();
  for (const field of $("#filters").elements) {
    if (field.name && field.value.trim()) params.set(field.name, field.value.trim());
  }
  const query = params.toString();
  return query ? `?${query}` : "";
}

function fillDatalist(selector, values) {
  const list = $(selector);
  if (list.options.length === values.size) return;
  list.replaceChildren(...[...values].sort().map((value) => el("option", { value })));
}

async function loadInstances() {
  const query = instanceQuery();
  const { instances, total } = await control(
    "GET", `/__mock/instances${query ? `${query}&` : "?"}limit=${INSTANCE_ROWS}`);
  for (const doc of instances) {
    state.accountGroups.add(doc.accountGroupId);
    state.campaigns.add(doc.campaignId);
  }
  fillDatalist("#account-groups", state.accountGroups);
  fillDatalist("#campaigns", state.campaigns);
  $("#instances-count").textContent = total > instances.length
    ? `${total} instances (first ${instances.length} shown; narrow the filters)`
    : `${total} instance${total === 1 ? "" : "s"}`;
  const rows = instances.map((doc) => el("tr", { "data-id": doc.workflowInstanceId },
    el("td", { class: "id", text: doc.workflowInstanceId }),
    el("td", { text: doc.accountGroupId }),
    el("td", { class: "id", title: doc.campaignId, text: short(doc.campaignId) }),
    el("td", { text: doc.workflowStatus }),
    el("td", { text: doc.hasPendingApproval ? "yes" : "no" }),
    el("td", { text: doc.latestStep || "" }),
    el("td", {}, el("button", { type: "button", class: "secondary small",
      "aria-label": `Discard ${doc.workflowInstanceId}…`, onclick: () => prepareDiscard(doc) }, "Discard…"))));
  $("#instances tbody").replaceChildren(...rows);
}

function prepareDiscard(doc) {
  $("#d-account").value = doc.accountGroupId;
  $("#d-campaign").value = doc.campaignId;
  $("#d-instance").value = doc.workflowInstanceId;
  $("#d-key").focus();
  $("#d-key").select();
}

async function createInstance(event) {
  event.preventDefault();
  const form = event.target;
  const pending = form.elements.pending.value === "true";
  const params = {};
  if (!pending) params.workflowStatus = form.elements.workflowStatus.value;
  if (form.elements.accountGroupId.value.trim()) params.accountGroupId = form.elements.accountGroupId.value.trim();
  const stateName = pending ? "a workflow instance pending approval" : "a workflow instance not pending approval";
  const result = $("#create-result");
  try {
    const ids = await control("POST", "/__mock/provider-states", { state: stateName, params, action: "setup" });
    result.className = "result";
    result.textContent = `Created ${ids.workflowInstanceId} in ${ids.accountGroupId}, campaign ${ids.campaignId}.`;
    await refresh();
  } catch (error) {
    handleError(error, result);
  }
}

async function sendDiscard(event) {
  event.preventDefault();
  const form = event.target.elements;
  const ids = { accountGroupId: form.accountGroupId.value.trim(), campaignId: form.campaignId.value.trim(),
    workflowInstanceId: form.workflowInstanceId.value.trim() };
  const path = DISCARD_PATH.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(ids[name]));
  const key = form.key.value.trim();
  const out = $("#discard-result");
  try {
    const answer = await call("POST", path, undefined, key ? { Authorization: `Bearer ${key}` } : {});
    if (answer.json && answer.json.traceId) state.sentKeys.set(answer.json.traceId, key);
    if (state.sentKeys.size > JOURNAL_LIMIT) state.sentKeys.delete(state.sentKeys.keys().next().value);
    const retryAfter = answer.headers.get("Retry-After");
    out.replaceChildren(el("p", {}, badge(answer.status),
      ` ${answer.json && answer.json.error ? answer.json.error.code : "discarded"}`,
      retryAfter ? ` · Retry-After: ${retryAfter}` : ""), el("pre", { text: pretty(answer.text) }));
    await refresh();
  } catch (error) {
    handleError(error, out);
  }
}

// --- journal -------------------------------------------------------------------------------------

async function loadJournal() {
  const { requests, capacity, scope } = await control("GET", `/__mock/requests?limit=${JOURNAL_LIMIT}`);
  const signature = requests.length ? `${requests.length}:${requests[requests.length - 1].id}` : "0";
  $("#journal-count").textContent = `${requests.length} request${requests.length === 1 ? "" : "s"}` +
    ` (the journal keeps ${capacity}${scope ? `; ${scope}` : ""})`;
  if (signature === state.journalSignature) return;
  state.journalSignature = signature;
  state.journal = new Map(requests.map((entry) => [entry.id, entry]));
  const rows = requests.slice().reverse().map((entry) => el("tr", { class: entry.id === state.selected ? "selected" : null },
    el("td", { text: new Date(entry.time).toLocaleTimeString() }),
    el("td", { class: "wrap" }, el("button", { type: "button", class: "link", "aria-label": `Show exchange ${entry.id}: ${entry.method} ${entry.path}`,
      onclick: () => showExchange(entry.id) }, `${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`)),
    el("td", {}, badge(entry.status), ...violationMarks(entry)),
    el("td", { text: `${Number(entry.durationMs).toFixed(1)} ms` }),
    el("td", { class: "id", text: keyOf(entry) || "—" }),
    el("td", { class: "id", text: entry.traceId })));
  $("#journal tbody").replaceChildren(...rows);
}

// The rules a proxied exchange broke (discard-mock proxy marks its journal entries), one mark each.
function violationMarks(entry) {
  return (entry.violations || []).map((v) => el("span", { class: "badge s5", title: v.why, text: ` ${v.rule}` }));
}

function showExchange(id) {
  const entry = state.journal.get(id);
  if (!entry) return;
  state.selected = id;
  state.journalSignature = "";  // re-render to mark the row
  const requestLines = [`${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ""}`];
  for (const [name, value] of Object.entries(entry.headers || {})) requestLines.push(`${name}: ${value}`);
  const responseLines = [`HTTP ${entry.status}   (${Number(entry.durationMs).toFixed(1)} ms, traceId ${entry.traceId})`];
  for (const [name, value] of Object.entries(entry.responseHeaders || {})) responseLines.push(`${name}: ${value}`);
  responseLines.push("", pretty(entry.responseBody));
  for (const v of entry.violations || []) responseLines.push("", `VIOLATION [${v.rule}]: ${v.why}`);
  $("#ex-request").textContent = requestLines.join("\n");
  $("#ex-response").textContent = responseLines.join("\n");
  $("#curl").textContent = curlLine(entry);
  $("#exchange-title").textContent = `Exchange #${entry.id}: ${entry.method} ${entry.path} → ${entry.status}`;
  const panel = $("#exchange");
  panel.hidden = false;
  panel.focus();
}

// --- faults --------------------------------------------------------------------------------------

async function loadFaults() {
  const { faults } = await control("GET", "/__mock/faults");
  const rows = faults.map((fault) => el("tr", {},
    el("td", {}, el("button", { type: "button", class: "secondary small", "aria-label": `Remove fault ${fault.id}`,
      onclick: () => removeFault(fault.id) }, "Remove")),
    el("td", {}, ...(fault.status ? [badge(fault.status)] : []), fault.kind ? ` ${fault.kind}` : fault.status ? "" : "—"),
    el("td", { text: fault.latencyMs ? `${fault.latencyMs} ms` : "—" }),
    el("td", { text: fault.count !== null ? `${fault.count} left` : fault.probability !== null ? `${fault.probability * 100}%` : "all" }),
    el("td", { class: "id", title: fault.workflowInstanceId || "", text: fault.workflowInstanceId ? short(fault.workflowInstanceId) : "any" }),
    el("td", { class: "id", text: fault.id })));
  if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "6", text: "No faults: every request is answered by the rules." })));
  $("#faults tbody").replaceChildren(...rows);
}

async function addFault(event) {
  event.preventDefault();
  const form = event.target.elements;
  const doc = {};
  const number = (field) => (field.value.trim() === "" ? null : Number(field.value));
  if (number(form.status) !== null) doc.status = number(form.status);
  if (form.kind.value) doc.kind = form.kind.value;
  if (number(form.latencyMs)) doc.latencyMs = number(form.latencyMs);
  if (form.mode.value === "count") doc.count = number(form.count);
  if (form.mode.value === "probability") doc.probability = number(form.probability);
  if (form.workflowInstanceId.value.trim()) doc.workflowInstanceId = form.workflowInstanceId.value.trim();
  if (number(form.retryAfterSeconds) !== null) doc.retryAfterSeconds = number(form.retryAfterSeconds);
  const result = $("#fault-result");
  try {
    const fault = await control("POST", "/__mock/faults", doc);
    result.className = "result";
    result.textContent = `Added ${fault.id}.`;
    await refresh();
  } catch (error) {
    handleError(error, result);
  }
}

async function removeFault(id) {
  try {
    await control("DELETE", `/__mock/faults/${encodeURIComponent(id)}`);
    notify(`Removed fault ${id}.`);
    await refresh();
  } catch (error) {
    handleError(error);
  }
}

// --- page-wide -----------------------------------------------------------------------------------

function handleError(error, place) {
  if (error instanceof NeedsToken) return askForToken(error.message);
  const target = place || $("#notice");
  target.className = place ? "result error" : "notice error";
  target.textContent = error.message;
}

function askForToken(message) {
  state.needsToken = true;
  const hadToken = Boolean(sessionStorage.getItem(TOKEN_KEY));
  $("#token-form").hidden = false;
  $("#console").hidden = true;
  $("#token-error").textContent = hadToken ? "That token was refused; enter the one the mock was started with." : "";
  $("#live").textContent = "needs the control token";
  if (message && !hadToken) notify(message);
  $("#token").focus();
}

async function refresh() {
  if (state.needsToken) return;
  try {
    await Promise.all([loadInstances(), loadJournal(), loadFaults()]);
    $("#live").textContent = `${state.paused ? "paused" : "live"} · updated ${new Date().toLocaleTimeString()}`;
    $("#live").classList.remove("down");
  } catch (error) {
    if (error instanceof NeedsToken) return askForToken(error.message);
    $("#live").textContent = `mock unreachable (${error.message}); retrying`;
    $("#live").classList.add("down");
  }
}

async function loop() {
  clearTimeout(state.timer);
  if (!state.paused && !document.hidden) await refresh();
  state.timer = setTimeout(loop, POLL_MS);
}

function wire() {
  $("#filters").addEventListener("input", () => refresh());
  $("#filters").addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  $("#create").addEventListener("submit", createInstance);
  $("#discard").addEventListener("submit", sendDiscard);
  $("#fault").addEventListener("submit", addFault);
  $("#clear-faults").addEventListener("click", async () => {
    try { await control("DELETE", "/__mock/faults"); notify("Removed every fault."); await refresh(); } catch (e) { handleError(e); }
  });
  $("#clear-journal").addEventListener("click", async () => {
    try { await control("DELETE", "/__mock/requests"); notify("Journal cleared."); await refresh(); } catch (e) { handleError(e); }
  });
  $("#reset").addEventListener("click", async () => {
    try {
      const answer = await control("POST", "/__mock/reset");
      notify(`Reset: ${answer.instances} seeded instances.`);
      await refresh();
    } catch (e) { handleError(e); }
  });
  $("#pause").addEventListener("click", () => {
    state.paused = !state.paused;
    $("#pause").setAttribute("aria-pressed", String(state.paused));
    $("#pause").textContent = state.paused ? "Resume updates" : "Pause updates";
    loop();
  });
  $("#close-exchange").addEventListener("click", () => {
    $("#exchange").hidden = true;
    state.selected = null;
    state.journalSignature = "";
  });
  $("#copy-curl").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText($("#curl").textContent); notify("curl line copied."); }
    catch (_) { notify("Copying needs clipboard access; select the line instead.", true); }
  });
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("#token").value);
    $("#token").value = "";
    $("#token-form").hidden = true;
    $("#console").hidden = false;
    state.needsToken = false;
    notify("");
    loop();
  });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) loop(); });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#exchange").hidden) $("#close-exchange").click();
  });
}

wire();
loop();
