// The agentbus dashboard: polls the JSON API of agentbus server and writes the figures into elements with
// stable ids and data attributes (tests read them). Text goes in with textContent only, so an agent id or
// payload can never inject markup. Two views on one page, chosen by the URL's hash: the overview (#/) and
// one agent (#/agent/<id>, agent.js), so a link to an agent can be shared and survives a reload.
"use strict";

const POLL_MS = 1000;
const HISTORY_POLL_MS = 5000;
const TAIL_KEEP = 200;
// Figures older than this are marked stale even without an error (the sampler runs every second).
const STALE_AFTER_MS = 5000;
const AGENT_FIELDS = ["status", "live", "unread", "oldest_unread_age_ms", "pending", "oldest_pending_age_ms", "length",
  "dead_letters", "delayed", "consumers", "sent", "acked", "retried", "dead_lettered", "expired", "redriven"];
// Colour only for problems: a busy healthy agent (pending work, status ok) stays uncoloured.
const STATUS_SEVERITY = {backlog: "red", stuck: "red", failing: "amber"};

let tailCursor = null;
let updates = 0;
let latestAgents = [];
const agentSort = {field: "agent", descending: false};

function $(id) { return document.getElementById(id); }

function setFigure(id, value, text) {
  const element = $(id);
  element.dataset.value = value === undefined || value === null ? "" : String(value);
  element.textContent = text === undefined ? (value === undefined || value === null ? "–" : String(value)) : text;
}

function cell(text, field) {
  const td = document.createElement("td");
  if (field) { td.dataset.field = field; }
  td.textContent = text;
  return td;
}

function age(ms) {
  if (ms === null || ms === undefined) { return "–"; }
  return ms < 1000 ? ms + " ms" : ms < 120000 ? (ms / 1000).toFixed(1) + " s"
    : ms < 7200000 ? Math.round(ms / 60000) + " min" : (ms / 3600000).toFixed(1) + " h";
}

function agentLink(id) {
  const link = document.createElement("a");
  link.href = "#/agent/" + encodeURIComponent(id);
  link.textContent = id;
  return link;
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) { throw new Error(body.error || response.statusText); }
  return body;
}

function postJson(url, body) {
  return getJson(url, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
}

// Asks before a redrive or a purge, in a modal <dialog>; resolves true on Confirm.
function confirmAction(text, confirmLabel) {
  const dialog = $("confirm");
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = confirmLabel;
  return new Promise(resolve => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), {once: true});
    dialog.returnValue = "";
    dialog.showModal();
  });
}

// Marks the page stale (banner, greyed figures) while the server serves its last good sample, or is unreachable.
function showFreshness(stats, unreachable) {
  const banner = $("stale-banner");
  let why = null;
  if (unreachable) {
    why = "The dashboard server is unreachable (" + unreachable + "): the figures below are the last ones it served.";
  } else if (stats.sample_error || stats.sample_age_ms > STALE_AFTER_MS) {
    why = "Redis cannot be read" + (stats.sample_error ? " (" + stats.sample_error + ")" : "")
      + ": the figures below are " + age(stats.sample_age_ms) + " old, from " + new Date(stats.at).toLocaleTimeString() + ".";
  }
  document.body.dataset.stale = String(why !== null);
  banner.hidden = why === null;
  banner.textContent = why || "";
}

function renderStats(stats) {
  setFigure("rate-sent", stats.rate.sent_per_second, stats.rate.sent_per_second.toFixed(1));
  setFigure("rate-acked", stats.rate.acked_per_second, stats.rate.acked_per_second.toFixed(1));
  const totals = stats.totals;
  setFigure("total-agents", totals.agents);
  setFigure("total-live", totals.live_agents);
  setFigure("total-sent", totals.sent);
  setFigure("total-acked", totals.acked);
  setFigure("total-length", totals.length);
  setFigure("total-pending", totals.pending);
  setFigure("total-dead-letters", totals.dead_letters);
  latestAgents = stats.agents;
  renderAgents();
  renderList("live-agents", stats.live, card => card.id,
    card => card.id + (card.role ? " · " + card.role : "") + (card.capabilities.length ? " [" + card.capabilities.join(", ") + "]" : ""));
  renderList("swarms", stats.swarms, swarm => swarm.swarm,
    swarm => swarm.swarm + (swarm.interrupted ? " · interrupted" : " · coordinator " + swarm.coordinator) + " · v" + swarm.version);
  $("stats-at").dataset.at = stats.at;
  $("stats-at").textContent = "sampled " + new Date(stats.at).toLocaleTimeString();
}

function agentValues(agent) {
  return Object.assign({}, agent, agent.counters);
}

function sortValue(values, field) {
  const value = values[field];
  if (value === undefined || value === null) { return -Infinity; }
  return typeof value === "boolean" ? Number(value) : value;
}

function renderAgents() {
  const filter = $("agent-filter").value.trim().toLowerCase();
  const shown = latestAgents.map(agentValues)
    .filter(values => !filter || values.agent.toLowerCase().includes(filter)
      || String(values.status || "").toLowerCase().includes(filter));
  const direction = agentSort.descending ? -1 : 1;
  shown.sort((a, b) => {
    const x = sortValue(a, agentSort.field);
    const y = sortValue(b, agentSort.field);
    const order = typeof x === "string" && typeof y === "string" ? x.localeCompare(y) : x < y ? -1 : x > y ? 1 : 0;
    return order * direction || a.agent.localeCompare(b.agent);
  });
  $("agents-shown").textContent = filter ? shown.length + " of " + latestAgents.length : "";
  document.querySelectorAll("#agents th[data-sort]").forEach(th => {
    th.setAttribute("aria-sort", th.dataset.sort !== agentSort.field ? "none"
      : agentSort.descending ? "descending" : "ascending");
  });
  document.querySelector("#agents tbody").replaceChildren(...shown.map(agentRow));
}

function agentRow(values) {
  const tr = document.createElement("tr");
  tr.dataset.agent = values.agent;
  const severity = STATUS_SEVERITY[values.status];
  if (severity) { tr.dataset.severity = severity; }
  const name = cell("", "agent");
  name.appendChild(agentLink(values.agent));
  tr.appendChild(name);
  for (const field of AGENT_FIELDS) {
    const value = values[field];
    const td = cell(formatField(field, value), field);
    td.dataset.value = value === undefined || value === null ? "" : String(value);
    if (field === "status" && value) { td.dataset.status = value; }
    if (field === "dead_letters" && value > 0) { td.classList.add("attention"); }
    tr.appendChild(td);
  }
  return tr;
}

function formatField(field, value) {
  if (value === undefined || value === null) { return "–"; }
  if (field === "live") { return value ? "yes" : "no"; }
  if (field.endsWith("_age_ms")) { return age(value); }
  return String(value);
}

function renderList(id, items, key, text) {
  $(id).replaceChildren(...items.map(item => {
    const li = document.createElement("li");
    li.dataset.key = key(item);
    li.textContent = text(item);
    return li;
  }));
}

async function pollStats() {
  const status = $("status");
  try {
    const stats = await getJson("/api/stats");
    renderStats(stats);
    updates++;
    status.dataset.updates = String(updates);
    status.dataset.error = stats.sample_error || "";
    status.textContent = stats.sample_error ? "Redis: " + stats.sample_error : "live";
    showFreshness(stats, null);
  } catch (error) {
    status.dataset.error = String(error.message || error);
    status.textContent = "server unreachable";
    showFreshness(null, status.dataset.error);
  }
}

async function pollTail() {
  try {
    const tail = await getJson("/api/tail" + (tailCursor ? "?after=" + encodeURIComponent(tailCursor) : ""));
    tailCursor = tail.cursor;
    const list = $("tail");
    for (const entry of tail.entries) {
      const li = document.createElement("li");
      li.dataset.event = entry.event;
      li.dataset.messageId = entry.message_id || "";
      li.textContent = new Date(entry.at).toLocaleTimeString() + "  " + entry.event.padEnd(13) + " "
        + (entry.message_type || entry.audit_decision || "-") + "  " + (entry.from_agent || "-") + " → "
        + (entry.to_agent || "-") + "  " + (entry.message_id || "") + (entry.audit_reason ? "  " + entry.audit_reason : "");
      list.prepend(li);
    }
    while (list.children.length > TAIL_KEEP) { list.lastElementChild.remove(); }
  } catch (error) {
    // The status line reports an unreachable server already.
  }
}

async function pollOverviewHistory() {
  if ($("overview").hidden) { return; }
  try {
    const history = await getJson("/api/history");
    drawHistoryChart($("chart-rates"), history, RATE_SERIES, "messages / s");
    drawHistoryChart($("chart-depth"), history, DEPTH_SERIES, "messages");
  } catch (error) {
    // Charts keep their last drawing; the banner says why.
  }
}

function every(ms, task) {
  // setTimeout after each run, not setInterval: a slow answer never piles up requests.
  const run = async () => { await task(); setTimeout(run, ms); };
  run();
}

// #/agent/<id> opens the agent's page; anything else the overview.
function route() {
  const match = /^#\/agent\/([^/]+)$/.exec(location.hash);
  const agent = match ? decodeURIComponent(match[1]) : null;
  $("overview").hidden = agent !== null;
  $("agent-page").hidden = agent === null;
  openAgent(agent);
  if (agent === null) { pollOverviewHistory(); }
}

document.querySelectorAll("#agents th[data-sort]").forEach(th => th.addEventListener("click", () => {
  agentSort.descending = agentSort.field === th.dataset.sort ? !agentSort.descending : false;
  agentSort.field = th.dataset.sort;
  renderAgents();
}));
$("agent-filter").addEventListener("input", renderAgents);
window.addEventListener("hashchange", route);
window.addEventListener("resize", pollOverviewHistory);

// After every script has loaded (agent.js defines openAgent).
window.addEventListener("load", () => {
  route();
  every(POLL_MS, pollStats);
  every(POLL_MS, pollTail);
  every(HISTORY_POLL_MS, pollOverviewHistory);
});
