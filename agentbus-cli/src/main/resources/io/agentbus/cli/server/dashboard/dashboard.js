// The agentbus dashboard: polls the JSON API of agentbus server every second and writes the figures into
// elements with stable ids and data attributes (tests read them). Text goes in with textContent only, so
// an agent id or payload can never inject markup.
"use strict";

const POLL_MS = 1000;
const TAIL_KEEP = 200;
const CHART_POINTS = 120;
const AGENT_FIELDS = ["live", "length", "pending", "oldest_pending_age_ms", "dead_letters", "delayed", "consumers",
  "sent", "acked", "retried", "dead_lettered", "expired", "redriven"];

const rateHistory = [];
let tailCursor = null;
let updates = 0;

function $(id) { return document.getElementById(id); }

function setFigure(id, value, text) {
  const element = $(id);
  element.dataset.value = String(value);
  element.textContent = text === undefined ? String(value) : text;
}

function cell(text, field) {
  const td = document.createElement("td");
  if (field) { td.dataset.field = field; }
  td.textContent = text;
  return td;
}

function age(ms) {
  if (ms === null) { return "–"; }
  return ms < 1000 ? ms + " ms" : ms < 120000 ? (ms / 1000).toFixed(1) + " s" : Math.round(ms / 60000) + " min";
}

async function getJson(url, options) {
  const response = await fetch(url, options);
  const body = await response.json();
  if (!response.ok) { throw new Error(body.error || response.statusText); }
  return body;
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
  renderAgents(stats.agents);
  renderList("live-agents", stats.live, card => card.id,
    card => card.id + (card.role ? " · " + card.role : "") + (card.capabilities.length ? " [" + card.capabilities.join(", ") + "]" : ""));
  renderList("swarms", stats.swarms, swarm => swarm.swarm,
    swarm => swarm.swarm + (swarm.interrupted ? " · interrupted" : " · coordinator " + swarm.coordinator) + " · v" + swarm.version);
  renderDlqChoices(stats.agents.map(agent => agent.agent));
  rateHistory.push([stats.rate.sent_per_second, stats.rate.acked_per_second]);
  if (rateHistory.length > CHART_POINTS) { rateHistory.shift(); }
  drawChart();
  $("stats-at").dataset.at = stats.at;
  $("stats-at").textContent = "sampled " + new Date(stats.at).toLocaleTimeString();
}

function renderAgents(agents) {
  const body = document.querySelector("#agents tbody");
  const rows = agents.map(agent => {
    const tr = document.createElement("tr");
    tr.dataset.agent = agent.agent;
    tr.appendChild(cell(agent.agent, "agent"));
    const values = Object.assign({}, agent, agent.counters);
    for (const field of AGENT_FIELDS) {
      const value = values[field];
      const text = field === "live" ? (value ? "yes" : "no") : field === "oldest_pending_age_ms" ? age(value) : String(value);
      const td = cell(text, field);
      td.dataset.value = value === null ? "" : String(value);
      if ((field === "dead_letters" || field === "pending") && value > 0) { td.classList.add("nonzero"); }
      tr.appendChild(td);
    }
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderList(id, items, key, text) {
  $(id).replaceChildren(...items.map(item => {
    const li = document.createElement("li");
    li.dataset.key = key(item);
    li.textContent = text(item);
    return li;
  }));
}

function renderDlqChoices(agentIds) {
  const select = $("dlq-agent");
  const present = new Set(Array.from(select.options).map(option => option.value));
  for (const id of agentIds) {
    if (!present.has(id)) { select.add(new Option(id, id)); }
  }
}

function drawChart() {
  const canvas = $("rate-chart");
  const context = canvas.getContext("2d");
  context.clearRect(0, 0, canvas.width, canvas.height);
  const max = Math.max(1, ...rateHistory.flat());
  [["#3b6fd8", 0], ["#2e9d5b", 1]].forEach(([color, index]) => {
    context.strokeStyle = color;
    context.beginPath();
    rateHistory.forEach((point, i) => {
      const x = canvas.width * i / (CHART_POINTS - 1);
      const y = canvas.height - 2 - (canvas.height - 4) * point[index] / max;
      if (i === 0) { context.moveTo(x, y); } else { context.lineTo(x, y); }
    });
    context.stroke();
  });
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
  } catch (error) {
    status.dataset.error = String(error.message || error);
    status.textContent = "server unreachable: " + status.dataset.error;
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

async function pollDeadLetters() {
  const agent = $("dlq-agent").value;
  $("dlq-redrive-all").disabled = !agent;
  if (!agent) { return; }
  try {
    const dlq = await getJson("/api/dlq/" + encodeURIComponent(agent));
    if (dlq.agent !== $("dlq-agent").value) { return; } // the choice changed meanwhile
    setFigure("dlq-count", dlq.count, dlq.count + (dlq.count === 1 ? " dead letter" : " dead letters"));
    $("dlq-redrive-all").disabled = dlq.count === 0;
    $("dlq-list").tBodies[0].replaceChildren(...dlq.dead_letters.map(dead => {
      const tr = document.createElement("tr");
      tr.dataset.id = dead.id;
      [dead.last_failed_at, dead.reason, String(dead.attempts), dead.message_id || "-", dead.message_type || "-"]
        .forEach(text => tr.appendChild(cell(text)));
      const button = document.createElement("button");
      button.type = "button";
      button.className = "dlq-redrive";
      button.dataset.id = dead.id;
      button.textContent = "Redrive";
      button.addEventListener("click", () => redrive({ids: [dead.id]}));
      const td = cell("");
      td.appendChild(button);
      tr.appendChild(td);
      return tr;
    }));
  } catch (error) {
    $("dlq-result").textContent = String(error.message || error);
  }
}

async function redrive(body) {
  const agent = $("dlq-agent").value;
  try {
    const result = await getJson("/api/dlq/" + encodeURIComponent(agent) + "/redrive",
      {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
    $("dlq-result").dataset.redriven = String(result.redriven);
    $("dlq-result").textContent = "redriven " + result.redriven;
  } catch (error) {
    $("dlq-result").textContent = "redrive failed: " + (error.message || error);
  }
  pollDeadLetters();
}

function every(ms, task) {
  // setTimeout after each run, not setInterval: a slow answer never piles up requests.
  const run = async () => { await task(); setTimeout(run, ms); };
  run();
}

$("dlq-agent").addEventListener("change", () => {
  $("dlq-result").textContent = "";
  pollDeadLetters();
});
$("dlq-redrive-all").addEventListener("click", () => redrive({all: true}));
every(POLL_MS, pollStats);
every(POLL_MS, pollTail);
every(POLL_MS, pollDeadLetters);
