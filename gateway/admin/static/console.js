// The admin page: every action is a call to the management API under /v0/management, made
// with the secret the operator typed once (kept in sessionStorage, this tab only).
"use strict";

const API = "/v0/management";
const SECRET_KEY = "llm-gateway-management-secret";
const $ = (id) => document.getElementById(id);

const state = {
  secret: sessionStorage.getItem(SECRET_KEY),
  catalog: [],
  providers: [],
  testing: new Set(),   // model ids whose test is running
  banners: {},          // model id -> {ok, text}
  tab: "providers",
  editing: null,        // the provider being edited, or null when adding
  healthTimer: null,
};

class SignedOut extends Error {}

// --- the API ---------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = { authorization: "Bearer " + state.secret };
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(API + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) {
    signOut("The gateway refused that secret. Use remote-management.secret-key from its config.");
    throw new SignedOut();
  }
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!response.ok) {
    const message = data && data.error ? data.error.message : `HTTP ${response.status}`;
    throw new Error(message);
  }
  return data;
}

// --- small DOM helpers -----------------------------------------------------------------------

function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function showError(id, message) {
  const node = $(id);
  node.textContent = message || "";
  node.hidden = !message;
}

function money(perThousand) {
  if (perThousand === null || perThousand === undefined) return null;
  const perMillion = perThousand * 1000;
  return "$" + (perMillion >= 1 ? perMillion.toFixed(2) : perMillion.toPrecision(2));
}

function sizeText(bytes) {
  if (!bytes) return null;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes, unit = 0;
  while (value >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  return `${value.toFixed(1)} ${units[unit]}`;
}

// --- signing in and out ----------------------------------------------------------------------

function signOut(message) {
  state.secret = null;
  sessionStorage.removeItem(SECRET_KEY);
  stopHealth();
  for (const id of ["providers", "usage", "health"]) $(id).hidden = true;
  $("tabs").hidden = true;
  $("header-actions").hidden = true;
  $("login").hidden = false;
  showError("login-error", message);
  $("secret").focus();
}

async function signIn(secret) {
  state.secret = secret;
  try {
    state.catalog = (await api("GET", "/catalog")).data;
  } catch (error) {
    if (!(error instanceof SignedOut)) signOut(error.message);
    return;
  }
  sessionStorage.setItem(SECRET_KEY, secret);
  $("login").hidden = true;
  $("tabs").hidden = false;
  $("header-actions").hidden = false;
  showError("login-error", "");
  show("providers");
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  signIn($("secret").value.trim());
});
$("sign-out").addEventListener("click", () => signOut(""));

// --- tabs ------------------------------------------------------------------------------------

function show(tab) {
  state.tab = tab;
  for (const button of document.querySelectorAll(".tab")) {
    if (button.dataset.tab === tab) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const id of ["providers", "usage", "health"]) $(id).hidden = id !== tab;
  stopHealth();
  if (tab === "providers") loadProviders();
  if (tab === "usage") loadUsage();
  if (tab === "health") startHealth();
}

for (const button of document.querySelectorAll(".tab")) {
  button.addEventListener("click", () => show(button.dataset.tab));
}

// --- providers -------------------------------------------------------------------------------

function typeOf(key) {
  return state.catalog.find((t) => t.key === key);
}

async function loadProviders() {
  try {
    const [providers, active] = await Promise.all([api("GET", "/providers"), api("GET", "/settings/active-model")]);
    state.providers = providers.data;
    state.activeModel = active.model;
    showError("providers-error", "");
    renderProviders();
  } catch (error) {
    if (!(error instanceof SignedOut)) showError("providers-error", error.message);
  }
}

function renderProviders() {
  const body = $("providers-body");
  body.replaceChildren();
  if (!state.providers.length) {
    body.append(h("div", { class: "empty" },
      h("p", { text: "No providers configured yet. Add one to get started." }),
      h("button", { type: "button", class: "primary", onclick: () => openDialog(null) }, "Add Provider")));
    return;
  }
  const rows = [];
  const sorted = [...state.providers].sort((a, b) => a.name.localeCompare(b.name));
  for (const provider of sorted) {
    rows.push(providerRow(provider));
    const models = provider.models;
    for (const model of models) {
      rows.push(modelRow(provider, model));
      const banner = state.banners[model.id];
      if (banner) {
        rows.push(h("tr", { class: "banner-row", "data-banner-for": model.model_id },
          h("td", { colspan: "5" }, h("div", { class: "banner " + (banner.ok ? "ok" : "error"), role: "status" },
            banner.text))));
      }
    }
  }
  body.append(h("div", { class: "scroll" }, h("table", { class: "grid providers" },
    h("thead", {}, h("tr", {},
      h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Cost (per 1M tokens, in / out)"),
      h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Actions")))),
    h("tbody", {}, rows))));
}

function servesActive(provider) {
  return provider.models.some((m) => m.active);
}

function providerRow(provider) {
  const kind = typeOf(provider.provider_type);
  const label = (kind ? kind.name : provider.provider_type) + (kind && kind.auth_type === "oauth" ? " · OAuth" : "");
  const readOnly = provider.read_only;
  const items = readOnly ? [] : [
    { label: "Edit", run: () => openDialog(provider) },
    {
      label: "Delete",
      disabled: servesActive(provider)
        ? "This provider serves the active model; make another model active first." : null,
      run: () => confirmThen(`Delete provider "${provider.name}"? Its models stop serving at once.`,
        () => change(() => api("DELETE", `/providers/${provider.id}`))),
    },
  ];
  return h("tr", { class: "provider", "data-provider": provider.name },
    h("td", { class: "name" }, provider.name, " ", h("span", { class: "type" }, label),
      readOnly ? h("span", { class: "readonly-note" }, "from config.yaml, read-only: edit the file to change it") : null,
      !provider.enabled ? h("span", { class: "readonly-note" }, "(disabled)") : null),
    h("td", { class: "cost" }), h("td", { class: "status" }),
    h("td", { class: "menu-cell" }, items.length ? menu(`Actions for provider ${provider.name}`, items) : null));
}

function modelRow(provider, model) {
  const cost = money(model.cost_per_1k_input);
  const costText = cost ? `${cost} / ${money(model.cost_per_1k_output)}` : "—";
  let status;
  if (state.testing.has(model.id)) {
    status = h("span", { class: "testing", role: "status" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Testing…");
  } else {
    const names = { untested: "Untested", connected: "Connected", error: "Error" };
    status = h("span", { class: "status-" + model.test.status }, names[model.test.status] || model.test.status);
  }
  const readOnly = provider.read_only;
  const items = readOnly ? [] : modelMenu(provider, model);
  return h("tr", { class: "model", "data-model": model.model_id },
    h("td", { class: "name" }, "└ ", model.model,
      model.active ? h("span", { class: "badge active" }, "Active") : null,
      model.fallback ? h("span", { class: "badge fallback" }, "Fallback") : null),
    h("td", { class: "cost" }, costText),
    h("td", { class: "status" }, status),
    h("td", { class: "menu-cell" }, items.length ? menu(`Actions for model ${model.model_id}`, items) : null));
}

function modelMenu(provider, model) {
  const items = [{ label: "Test Connection", run: () => testModel(provider, model) }];
  if (!model.active) {
    items.push({ label: "Set Active", run: () => change(() => api("PUT", "/settings/active-model", { model: model.model_id })) });
  }
  if (!model.active && !model.fallback) {
    items.push({
      label: "Set Fallback",
      disabled: state.activeModel ? null : "Set an active model first.",
      run: () => change(() => api("PUT", "/settings/fallback-model", { model: model.model_id })),
    });
  }
  if (model.fallback) {
    items.push({ label: "Remove Fallback", run: () => change(() => api("DELETE", "/settings/fallback-model")) });
  }
  let guard = null;
  if (provider.models.length === 1) guard = "The last model of a provider cannot be removed; delete the provider instead.";
  else if (model.active) guard = "The active model cannot be removed; make another model active first.";
  items.push({
    label: "Remove Model",
    disabled: guard,
    run: () => confirmThen(`Remove model "${model.model}" from "${provider.name}"?`,
      () => change(() => api("DELETE", `/providers/${provider.id}/models/${model.id}`))),
  });
  return items;
}

async function change(work) {
  try {
    await work();
    showError("providers-error", "");
  } catch (error) {
    if (error instanceof SignedOut) return;
    showError("providers-error", error.message);
  }
  await loadProviders();
}

async function testModel(provider, model) {
  state.testing.add(model.id);
  delete state.banners[model.id];
  renderProviders();
  try {
    const tested = await api("POST", `/providers/${provider.id}/models/${model.id}/test`);
    state.banners[model.id] = tested.test.status === "connected"
      ? { ok: true, text: `Connected in ${Math.round(tested.test.latency_ms)} ms` }
      : { ok: false, text: tested.test.message || "The test failed." };
  } catch (error) {
    if (error instanceof SignedOut) return;
    state.banners[model.id] = { ok: false, text: error.message };
  } finally {
    state.testing.delete(model.id);
  }
  await loadProviders();
}

// --- menus (keyboard: Enter/Space opens, arrows move, Escape closes) --------------------------

function closeMenus(except) {
  for (const open of document.querySelectorAll(".menu")) {
    if (open === except) continue;
    open.remove();
    const trigger = document.querySelector('[aria-expanded="true"]');
    if (trigger) trigger.setAttribute("aria-expanded", "false");
  }
}

function menu(label, items) {
  const wrap = h("div", { class: "menu-wrap" });
  const trigger = h("button", { type: "button", class: "menu-trigger", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-label": label }, "⋯");
  trigger.addEventListener("click", (event) => {
    event.stopPropagation();
    const open = wrap.querySelector(".menu");
    closeMenus();
    if (open) return;
    const list = h("ul", { class: "menu", role: "menu", "aria-label": label });
    for (const item of items) {
      const button = h("button", { type: "button", role: "menuitem", disabled: Boolean(item.disabled),
        title: item.disabled || null, "aria-disabled": item.disabled ? "true" : null }, item.label);
      button.addEventListener("click", () => { closeMenus(); trigger.focus(); item.run(); });
      list.append(h("li", { role: "none" }, button));
    }
    list.addEventListener("keydown", (key) => {
      const buttons = [...list.querySelectorAll("button:not(:disabled)")];
      const at = buttons.indexOf(document.activeElement);
      if (key.key === "ArrowDown") { buttons[(at + 1) % buttons.length].focus(); key.preventDefault(); }
      else if (key.key === "ArrowUp") { buttons[(at - 1 + buttons.length) % buttons.length].focus(); key.preventDefault(); }
      else if (key.key === "Escape") { closeMenus(); trigger.focus(); key.preventDefault(); }
      else if (key.key === "Tab") closeMenus();
    });
    wrap.append(list);
    trigger.setAttribute("aria-expanded", "true");
    const first = list.querySelector("button:not(:disabled)");
    if (first) first.focus();
  });
  wrap.append(trigger);
  return wrap;
}

document.addEventListener("click", () => closeMenus());

// --- confirmations ---------------------------------------------------------------------------

function confirmThen(text, then) {
  const dialog = $("confirm-dialog");
  $("confirm-text").textContent = text;
  dialog.returnValue = "";
  dialog.onclose = () => { if (dialog.returnValue === "ok") then(); };
  dialog.showModal();
  $("confirm-cancel").focus();
}

// --- the Add / Edit dialog -------------------------------------------------------------------

function fillTypes(selected) {
  const select = $("f-type");
  select.replaceChildren();
  const groups = [["API Key", (t) => t.auth_type !== "oauth"], ["Subscription / OAuth", (t) => t.auth_type === "oauth"]];
  for (const [label, test] of groups) {
    const members = state.catalog.filter(test);
    const group = h("optgroup", { label });
    if (!members.length) group.append(h("option", { disabled: true, value: "" }, "None available yet"));
    for (const kind of members) group.append(h("option", { value: kind.key, selected: kind.key === selected }, kind.name));
    select.append(group);
  }
}

function openDialog(provider) {
  state.editing = provider;
  $("dialog-title").textContent = provider ? `Edit ${provider.name}` : "Add Provider";
  $("f-name").value = provider ? provider.name : "";
  fillTypes(provider ? provider.provider_type : "openai-compatible");
  $("f-type").disabled = Boolean(provider);
  $("f-threshold").value = provider ? provider.degraded_threshold_ms : 5000;
  $("f-base-url").value = provider && provider.base_url ? provider.base_url : "";
  $("f-api-key").value = "";
  $("f-api-key").placeholder = provider ? "Leave empty to keep existing key" : "";
  $("f-models").value = "";
  $("ollama-models").replaceChildren();
  $("ollama-error").hidden = true;
  $("ollama-progress").hidden = true;
  showError("dialog-error", "");
  adaptDialog();
  $("provider-dialog").showModal();
  $("f-name").focus();
}

function adaptDialog() {
  const kind = typeOf($("f-type").value) || {};
  const current = state.editing ? state.editing.models.map((m) => m.model) : [];
  $("base-url-field").hidden = kind.base_url_editable === false;
  $("f-base-url").placeholder = kind.default_base_url || "https://...";
  $("api-key-field").hidden = kind.auth_type === "none";
  const ollama = kind.key === "ollama";
  $("ollama-panel").hidden = !ollama;
  if (ollama && !$("f-base-url").value) $("f-base-url").value = kind.default_base_url || "";
  const known = $("known-models");
  known.replaceChildren();
  const curated = (kind.known_models || []).length > 0;
  if (curated) {
    const names = [...new Set([...kind.known_models, ...current])];
    known.append(h("div", { class: "checks" }, names.map((name) =>
      h("label", {}, h("input", { type: "checkbox", value: name, checked: current.includes(name) }), name))));
    $("f-models-label").textContent = "Other models (comma-separated)";
  } else {
    $("f-models-label").textContent = ollama ? "Other models (comma-separated)" : "Models (one per line or comma-separated)";
    // The provider's models stay listed (and kept on save) whatever the Ollama server says.
    $("f-models").value = current.join(ollama ? ", " : "\n");
  }
  if (ollama) refreshOllama(current);
}

$("f-type").addEventListener("change", () => adaptDialog());
$("dialog-cancel").addEventListener("click", () => $("provider-dialog").close());

function chosenModels() {
  const picked = [...document.querySelectorAll("#known-models input:checked, #ollama-models input:checked")]
    .map((input) => input.value);
  const typed = $("f-models").value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  return [...new Set([...picked, ...typed])];
}

$("provider-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const editing = state.editing;
  const models = chosenModels();
  const fields = {
    name: $("f-name").value.trim(),
    degraded_threshold_ms: Number($("f-threshold").value) || 5000,
  };
  const baseUrl = $("f-base-url").value.trim();
  if (!$("base-url-field").hidden && baseUrl) fields.base_url = baseUrl;
  const key = $("f-api-key").value;
  if (key) fields.api_key = key;
  $("dialog-save").disabled = true;
  try {
    if (editing) {
      await api("PATCH", `/providers/${editing.id}`, fields);
      const had = editing.models.map((m) => m.model);
      for (const name of models.filter((m) => !had.includes(m))) {
        await api("POST", `/providers/${editing.id}/models`, { model: name });
      }
      for (const gone of editing.models.filter((m) => !models.includes(m.model))) {
        await api("DELETE", `/providers/${editing.id}/models/${gone.id}`);
      }
    } else {
      await api("POST", "/providers", { ...fields, provider_type: $("f-type").value, models });
    }
    $("provider-dialog").close();
    await loadProviders();
  } catch (error) {
    if (!(error instanceof SignedOut)) showError("dialog-error", error.message);
  } finally {
    $("dialog-save").disabled = false;
  }
});

$("add-provider").addEventListener("click", () => { show("providers"); openDialog(null); });

// --- the Ollama panel ------------------------------------------------------------------------

async function refreshOllama(checked) {
  const baseUrl = $("f-base-url").value.trim();
  const list = $("ollama-models");
  list.replaceChildren(h("span", { class: "hint" }, h("span", { class: "spinner", "aria-hidden": "true" }), "Loading…"));
  try {
    const found = (await api("POST", "/ollama/models", { base_url: baseUrl })).data;
    $("ollama-error").hidden = true;
    list.replaceChildren(h("div", { class: "checks" }, found.length ? found.map((m) => {
      const details = [m.parameter_size, m.quantization, sizeText(m.size_bytes)].filter(Boolean).join(" · ");
      return h("label", {}, h("input", { type: "checkbox", value: m.id, checked: (checked || []).includes(m.id) }),
        m.id, details ? h("span", { class: "hint" }, ` — ${details}`) : null);
    }) : h("span", { class: "hint" }, "No models installed yet: pull one below.")));
  } catch (error) {
    if (error instanceof SignedOut) return;
    list.replaceChildren();
    $("ollama-error-text").textContent = `Could not reach Ollama at ${baseUrl || "its base URL"}. ${error.message}`;
    $("ollama-error").hidden = false;
  }
}

$("ollama-refresh").addEventListener("click", () => refreshOllama(chosenModels()));
$("ollama-retry").addEventListener("click", () => refreshOllama(chosenModels()));

$("ollama-pull").addEventListener("click", async () => {
  const model = $("ollama-pull-name").value.trim();
  if (!model) { $("ollama-pull-name").focus(); return; }
  const bar = $("ollama-progress-bar");
  const stage = $("ollama-stage");
  $("ollama-progress").hidden = false;
  bar.removeAttribute("value");
  stage.textContent = "Starting…";
  $("ollama-pull").disabled = true;
  try {
    const response = await fetch(API + "/ollama/pull", {
      method: "POST",
      headers: { authorization: "Bearer " + state.secret, "content-type": "application/json" },
      body: JSON.stringify({ base_url: $("f-base-url").value.trim(), model }),
    });
    if (!response.ok) {
      const data = await response.json().catch(() => null);
      throw new Error(data && data.error ? data.error.message : `HTTP ${response.status}`);
    }
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let pending = "", failed = null;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split("\n");
      pending = lines.pop();
      for (const line of lines.filter(Boolean)) {
        const update = JSON.parse(line);
        if (update.error) { failed = update.error; continue; }
        stage.textContent = update.status || "";
        if (update.total) { bar.max = update.total; bar.value = update.completed || 0; }
      }
    }
    if (failed) throw new Error(failed);
    bar.max = 1; bar.value = 1;
    stage.textContent = "success";
    await refreshOllama([...chosenModels(), model]);
  } catch (error) {
    stage.textContent = "Pull failed: " + error.message;
  } finally {
    $("ollama-pull").disabled = false;
  }
});

// --- token usage -----------------------------------------------------------------------------

async function loadUsage() {
  const since = $("usage-period").value;
  try {
    const [byModel, byDay] = await Promise.all([
      api("GET", `/usage?since=${since}&group_by=provider,model`),
      api("GET", `/usage?since=${since}&group_by=day`),
    ]);
    showError("usage-error", "");
    const cost = (value) => (value === null || value === undefined ? "—" : "$" + value.toFixed(4));
    const row = (cells) => h("tr", {}, cells.map(([text, cls]) => h("td", { class: cls || null }, text)));
    $("usage-table").tBodies[0].replaceChildren(...byModel.rows.map((r) => row([
      [r.provider], [r.model], [r.requests, "num"], [r.input_tokens, "num"], [r.output_tokens, "num"], [cost(r.cost_usd), "num"],
    ])));
    const t = byModel.totals;
    $("usage-table").tFoot.replaceChildren(h("tr", { class: "totals" },
      h("th", { scope: "row", colspan: "2" }, "Total"), h("td", { class: "num" }, t.requests),
      h("td", { class: "num" }, t.input_tokens), h("td", { class: "num" }, t.output_tokens),
      h("td", { class: "num" }, cost(t.cost_usd))));
    drawChart(everyDay(byDay.rows, since));
  } catch (error) {
    if (!(error instanceof SignedOut)) showError("usage-error", error.message);
  }
}

const PERIOD_DAYS = { "24h": 2, "7d": 7, "30d": 30, "90d": 90 };

// One entry per calendar day (UTC) of the period, zero where the ledger has no row.
function everyDay(rows, since) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const days = [];
  const today = new Date();
  for (let back = (PERIOD_DAYS[since] || 7) - 1; back >= 0; back -= 1) {
    const day = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - back))
      .toISOString().slice(0, 10);
    days.push(byDay.get(day) || { day, requests: 0, input_tokens: 0, output_tokens: 0, cost_usd: null });
  }
  return days;
}

function drawChart(days) {
  const figure = $("usage-chart");
  const NS = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 600 180");
  svg.setAttribute("role", "img");
  const useCost = days.some((d) => d.cost_usd);
  const value = (d) => (useCost ? d.cost_usd || 0 : d.input_tokens + d.output_tokens);
  const top = Math.max(...days.map(value), 0);
  const title = document.createElementNS(NS, "title");
  title.textContent = useCost ? "Cost per day (USD)" : "Tokens per day";
  svg.append(title);
  const width = days.length ? 560 / days.length : 0;
  days.forEach((day, i) => {
    const height = top ? (value(day) / top) * 140 : 0;
    const bar = document.createElementNS(NS, "rect");
    bar.setAttribute("x", String(30 + i * width + width * 0.15));
    bar.setAttribute("y", String(150 - height));
    bar.setAttribute("width", String(width * 0.7));
    bar.setAttribute("height", String(height));
    const tip = document.createElementNS(NS, "title");
    tip.textContent = `${day.day}: ${useCost ? "$" + (day.cost_usd || 0).toFixed(4) : value(day) + " tokens"}`;
    bar.append(tip);
    svg.append(bar);
    if (i % Math.ceil(days.length / 10) !== 0 && i !== days.length - 1) return;
    const label = document.createElementNS(NS, "text");
    label.setAttribute("x", String(30 + i * width + width / 2));
    label.setAttribute("y", "168");
    label.setAttribute("text-anchor", "middle");
    label.textContent = day.day.slice(5);
    svg.append(label);
  });
  const quiet = !days.some((d) => d.requests);
  const caption = h("figcaption", { class: "hint" }, quiet
    ? "No traffic in this period." : (useCost ? "Cost per day (USD)" : "Tokens per day"));
  figure.replaceChildren(svg, caption);
}

$("usage-period").addEventListener("change", () => loadUsage());
$("usage-csv").addEventListener("click", async () => {
  const since = $("usage-period").value;
  const response = await fetch(`${API}/usage?since=${since}&group_by=provider,model,day&format=csv`, {
    headers: { authorization: "Bearer " + state.secret },
  });
  if (!response.ok) { showError("usage-error", `The CSV could not be read (HTTP ${response.status}).`); return; }
  const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `usage-${since}.csv` });
  document.body.append(link);
  link.click();
  link.remove();
});

// --- health ----------------------------------------------------------------------------------

const STATES = { healthy: "Healthy", degraded: "Degraded", down: "Down", cooling: "Cooling", circuit_open: "Circuit open" };

async function loadHealth() {
  try {
    const targets = (await api("GET", "/health")).data;
    showError("health-error", "");
    $("health-table").tBodies[0].replaceChildren(...targets.map((t) => h("tr", {},
      h("td", {}, t.provider), h("td", {}, t.credential), h("td", {}, t.upstream_model),
      h("td", { class: "state-" + t.state }, STATES[t.state] || t.state,
        t.cooling_for_seconds ? ` (${t.cooling_for_seconds} s)` : ""),
      h("td", { class: "num" }, t.latency_ms === null ? "—" : Math.round(t.latency_ms)),
      h("td", { class: "num" }, t.consecutive_failures),
      h("td", {}, t.last_error
        ? `${t.last_error} (${new Date(t.last_error_at * 1000).toLocaleTimeString()})` : "—"))));
  } catch (error) {
    if (!(error instanceof SignedOut)) showError("health-error", error.message);
  }
}

function startHealth() {
  loadHealth();
  state.healthTimer = setInterval(loadHealth, 2000);
}

function stopHealth() {
  if (state.healthTimer) clearInterval(state.healthTimer);
  state.healthTimer = null;
}

// --- start -----------------------------------------------------------------------------------

if (state.secret) signIn(state.secret);
else signOut("");
