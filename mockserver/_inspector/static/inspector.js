// suno-mock inspector: reads the admin API only (/_mock/...); live updates from GET /_mock/events.
"use strict";

const TOKEN_KEY = "suno-mock-admin-token";
const ui = {
  token: sessionStorage.getItem(TOKEN_KEY),
  tab: "tasks",
  tasks: { offset: 0, limit: 50, total: 0 },
  requests: { offset: 0, limit: 50, total: 0 },
  selected: null,
  now: 0,
  refreshTimer: null,
};

const query = new URLSearchParams(location.search);
if (query.has("token")) {
  ui.token = query.get("token");
  sessionStorage.setItem(TOKEN_KEY, ui.token);
  history.replaceState(null, "", location.pathname); // the token does not stay in the address bar
}

const $ = (selector, root = document) => root.querySelector(selector);

/** An element with attributes and children (strings become text: nothing from the mock is parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "onclick") node.addEventListener("click", value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const mockTime = (at) => new Date(at * 1000).toISOString().replace("T", " ").slice(0, 19);
const codeClass = (code) => (code === 200 ? "code-ok" : code >= 400 && code < 500 ? "code-warn" : "code-bad");
function statusClass(status) {
  if (/SUCCESS$|^success$|^1$/.test(status)) return "status success";
  if (/FAIL|ERROR|EXCEPTION|^fail$|^[23]$/.test(status)) return "status failed";
  return "status";
}

class Unauthorized extends Error {}

async function api(method, path, body, contentType = "application/json") {
  const headers = {};
  if (ui.token) headers["X-Mock-Admin-Token"] = ui.token;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = contentType;
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const answer = await response.json();
  if (answer.code === 401) {
    showLogin(answer.msg);
    throw new Unauthorized(answer.msg);
  }
  return answer;
}

// login ---------------------------------------------------------------------------------------
function showLogin(message) {
  $("#main").hidden = true;
  $("#login").hidden = false;
  $("#login-message").textContent = message;
}

$("#login").addEventListener("submit", (event) => {
  event.preventDefault();
  ui.token = $("#login-token").value;
  sessionStorage.setItem(TOKEN_KEY, ui.token);
  $("#login").hidden = true;
  $("#main").hidden = false;
  start();
});

// tabs ----------------------------------------------------------------------------------------
for (const button of document.querySelectorAll("nav button")) {
  button.addEventListener("click", () => {
    ui.tab = button.dataset.tab;
    for (const other of document.querySelectorAll("nav button")) other.classList.toggle("active", other === button);
    for (const tab of document.querySelectorAll(".tab")) tab.hidden = tab.id !== `tab-${ui.tab}`;
    refresh();
  });
}

// tasks ---------------------------------------------------------------------------------------
function fillSelect(select, values) {
  if (select.options.length > 1) return;
  for (const value of values) select.append(el("option", { value }, value));
}

async function loadTasks() {
  const form = $("#task-filters");
  const params = new URLSearchParams({ limit: ui.tasks.limit, offset: ui.tasks.offset });
  for (const name of ["operation", "status", "key"]) if (form[name].value) params.set(name, form[name].value.trim());
  const answer = await api("GET", `/_mock/tasks?${params}`);
  const data = answer.data;
  fillSelect(form.operation, data.operations);
  fillSelect(form.status, data.statuses);
  fillSelect($("#request-filters").operation, data.operations);
  ui.tasks.total = data.total;
  ui.now = data.now;
  $("#clock").textContent = `mock ${mockTime(data.now)}${data.virtualClock ? " (virtual)" : ""}`;
  const rows = data.tasks.map((task) =>
    el(
      "tr",
      { "data-task-id": task.taskId, class: task.taskId === ui.selected ? "selected" : null, onclick: () => openTask(task.taskId) },
      el("td", { class: "mono" }, mockTime(task.createdAt)),
      el("td", { class: "mono" }, task.taskId),
      el("td", {}, task.market || task.operation),
      el("td", {}, el("span", { class: statusClass(task.status), "data-status": task.status }, task.status)),
      el("td", { class: "mono" }, task.key || "seeded"),
    ),
  );
  $("#tasks tbody").replaceChildren(...rows);
  pagerText("#task-pager", ui.tasks, data.tasks.length);
}

function pagerText(selector, page, shown) {
  const pager = $(selector);
  const first = page.total ? page.offset + 1 : 0;
  $(".range", pager).textContent = `${first}–${page.offset + shown} of ${page.total.toLocaleString("en")}`;
  pager.querySelector('[data-step="-1"]').disabled = page.offset === 0;
  pager.querySelector('[data-step="1"]').disabled = page.offset + shown >= page.total;
}

function pager(selector, page) {
  for (const button of document.querySelectorAll(`${selector} button`)) {
    button.addEventListener("click", () => {
      page.offset = Math.max(0, page.offset + Number(button.dataset.step) * page.limit);
      refresh();
    });
  }
}
pager("#task-pager", ui.tasks);
pager("#request-pager", ui.requests);

for (const form of [$("#task-filters"), $("#request-filters")]) {
  form.addEventListener("input", () => {
    ui.tasks.offset = 0;
    ui.requests.offset = 0;
    refreshSoon();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
}

async function openTask(taskId) {
  ui.selected = taskId;
  for (const row of document.querySelectorAll("#tasks tbody tr")) row.classList.toggle("selected", row.dataset.taskId === taskId);
  await loadTask();
}

async function loadTask() {
  if (!ui.selected) return;
  const answer = await api("GET", `/_mock/tasks/${encodeURIComponent(ui.selected)}`);
  const panel = $("#task");
  panel.hidden = false;
  if (answer.code !== 200) {
    panel.replaceChildren(el("p", { class: "code-bad" }, answer.msg));
    return;
  }
  const task = answer.data;
  const created = task.createdAt;
  const stages = task.stages.map((stage) =>
    el(
      "li",
      { class: stage.reached ? "reached" : null, "data-stage": stage.stage || stage.status },
      `+${Math.round(stage.at - created)} s  ${mockTime(stage.at)}  `,
      el("b", {}, stage.status),
      stage.stage ? ` (${stage.stage} callback)` : "",
    ),
  );
  const attempts = task.callbacks.map((attempt) =>
    el(
      "tr",
      { "data-stage": attempt.stage, "data-delivered": String(attempt.delivered) },
      el("td", {}, attempt.stage, " #", attempt.attempt),
      el("td", { class: "mono" }, `+${Math.round(attempt.at - created)} s`),
      el(
        "td",
        { class: attempt.delivered ? "code-ok" : "code-bad" },
        attempt.status_code === null ? attempt.error : `HTTP ${attempt.status_code}`,
        attempt.delivered ? " delivered" : attempt.final ? " gave up" : " retry",
      ),
      el("td", {}, `${attempt.duration_ms.toFixed(1)} ms`),
      el(
        "td",
        {},
        el("details", {}, el("summary", {}, "payload"), el("pre", {}, JSON.stringify(attempt.payload, null, 2))),
        attempt.error && attempt.status_code !== null ? el("div", { class: "mono" }, attempt.error) : null,
      ),
    ),
  );
  const tracks = task.tracks.map((track) =>
    el(
      "div",
      { class: "track", "data-track-id": track.id },
      el("img", { src: track.image, alt: "" }),
      el("div", {}, el("div", {}, track.title || track.id, ` (${track.duration} s)`), el("audio", { controls: true, preload: "none", src: track.audio })),
    ),
  );
  const files = task.files.map((path) => el("li", {}, el("a", { href: path, target: "_blank" }, path.split("/").slice(-1)[0])));
  const parts = [
    el("h2", { class: "mono" }, task.taskId),
    el("p", {}, task.market || task.operation, " · ", task.kind, " · ", el("span", { class: statusClass(task.status), id: "task-status" }, task.status), task.key ? ` · key ${task.key}` : ""),
    el("h3", {}, "Timeline (mock clock)"),
    el("ol", { class: "stages" }, stages),
    el("h3", {}, "Callbacks", task.callbackUrl ? ` to ${task.callbackUrl}` : " (no callBackUrl)"),
    attempts.length
      ? el("table", { id: "attempts" }, el("thead", {}, el("tr", {}, ["attempt", "at", "answer", "took", ""].map((h) => el("th", {}, h)))), el("tbody", {}, attempts))
      : el("p", {}, "none yet"),
    tracks.length ? [el("h3", {}, "Tracks"), tracks] : null,
    files.length ? [el("h3", {}, "Files"), el("ul", {}, files)] : null,
    task.curl ? [el("h3", {}, "Creating request"), el("pre", { id: "curl" }, task.curl)] : null,
    el("details", {}, el("summary", {}, "details answer"), el("pre", {}, JSON.stringify(task.details, null, 2))),
  ];
  panel.replaceChildren(...parts.flat(2).filter((part) => part !== null));
}

// requests ------------------------------------------------------------------------------------
async function loadRequests() {
  const form = $("#request-filters");
  const params = new URLSearchParams({ limit: ui.requests.limit, offset: ui.requests.offset });
  for (const name of ["code", "operation", "q"]) if (form[name].value.trim()) params.set(name, form[name].value.trim());
  const answer = await api("GET", `/_mock/requests?${params}`);
  if (answer.code !== 200) {
    $("#requests tbody").replaceChildren(el("tr", {}, el("td", { colspan: 4, class: "code-bad" }, answer.msg)));
    return;
  }
  ui.requests.total = answer.data.total;
  const rows = answer.data.requests.map((record) => {
    const prefix = "Validation error: ";
    const problems =
      record.code === 422 && record.msg.startsWith(prefix)
        ? el("ul", { class: "problems" }, record.msg.slice(prefix.length).split("; ").map((p) => el("li", {}, p)))
        : record.msg;
    return el(
      "tr",
      {},
      el("td", { class: "mono" }, mockTime(record.at)),
      el("td", { class: "mono" }, `${record.method} ${record.path}`),
      el("td", { class: codeClass(record.code) }, record.code),
      el("td", {}, problems),
    );
  });
  $("#requests tbody").replaceChildren(...rows);
  pagerText("#request-pager", ui.requests, answer.data.requests.length);
}

// controls ------------------------------------------------------------------------------------
function said(form, answer, ok) {
  const output = $("output", form);
  output.className = answer.code === 200 ? "ok" : "error";
  output.textContent = answer.code === 200 ? ok(answer.data) : answer.msg;
}

function control(selector, action) {
  $(selector).addEventListener("submit", async (event) => {
    event.preventDefault();
    await action(event.target);
    refresh();
  });
}

control("#advance", async (form) => {
  const answer = await api("POST", "/_mock/clock/advance", { seconds: Number(form.seconds.value) });
  said(form, answer, (data) => `mock time is now ${mockTime(data.time)}`);
});
control("#balance", async (form) => {
  const answer = await api("POST", "/_mock/credits", { token: form.token.value, balance: Number(form.balance.value) });
  said(form, answer, (data) => `key ${data.token} now has ${data.balance} credits`);
});
control("#fault", async (form) => {
  const answer = await api("POST", "/_mock/faults", form.rule.value, "application/yaml");
  said(form, answer, () => "rule added");
  if (answer.code === 200) showRules(answer.data);
});
control("#reset", async (form) => {
  const answer = await api("POST", "/_mock/reset");
  ui.selected = null;
  $("#task").hidden = true;
  said(form, answer, () => "the mock was reset");
});

function showRules(data) {
  const rows = data.rules.map((rule) =>
    el(
      "tr",
      { "data-rule": rule.name },
      el("td", {}, rule.level),
      el("td", {}, rule.name),
      el("td", { class: "mono" }, JSON.stringify(rule.rule)),
      el("td", {}, rule.calls),
      el("td", {}, rule.fired),
      el(
        "td",
        {},
        rule.level === "admin"
          ? el("button", { type: "button", onclick: () => removeRule(rule.name) }, "remove")
          : null,
      ),
    ),
  );
  $("#rules tbody").replaceChildren(...rows);
}

async function removeRule(name) {
  const answer = await api("DELETE", `/_mock/faults?name=${encodeURIComponent(name)}`);
  said($("#fault"), answer, () => `rule ${name} removed`);
  if (answer.code === 200) showRules(answer.data);
}

async function loadControls() {
  const answer = await api("GET", "/_mock/faults");
  if (answer.code === 200) showRules(answer.data);
}

// refresh and the live feed -------------------------------------------------------------------
async function refresh() {
  try {
    const health = await api("GET", "/_mock/health");
    $("#provider").textContent = `${health.data.provider} · ${health.data.tasks.toLocaleString("en")} tasks`;
    if (ui.tab === "tasks") await Promise.all([loadTasks(), loadTask()]);
    else if (ui.tab === "requests") await loadRequests();
    else await Promise.all([loadTasks(), loadControls()]);
  } catch (error) {
    if (!(error instanceof Unauthorized)) console.error(error);
  }
}

function refreshSoon() {
  if (ui.refreshTimer !== null) return;
  ui.refreshTimer = setTimeout(() => {
    ui.refreshTimer = null;
    refresh();
  }, 150);
}

async function follow() {
  const headers = ui.token ? { "X-Mock-Admin-Token": ui.token } : {};
  try {
    const response = await fetch("/_mock/events", { headers });
    if (response.status === 401 || !response.ok || !response.body) throw new Error(`events: HTTP ${response.status}`);
    $("#live").className = "";
    $("#live").textContent = "live";
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (frame.split("\n").some((line) => line.startsWith("data:"))) refreshSoon();
      }
    }
  } catch (error) {
    console.warn(error);
  }
  $("#live").className = "off";
  $("#live").textContent = "offline";
  setTimeout(follow, 1000);
}

let started = false;
function start() {
  refresh();
  if (!started) {
    started = true;
    follow();
  }
}
start();
