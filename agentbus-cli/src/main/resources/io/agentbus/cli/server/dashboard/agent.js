// The agent page (#/agent/<id>): its figures and history, its consumers and pending entries, a peek at its
// messages (read without consuming), and its dead letters with redrive and purge, each confirmed first.
"use strict";

const AGENT_FIGURES = [
  ["status", "status"], ["live", "live"], ["unread", "backlog"], ["oldest_unread_age_ms", "oldest unread"],
  ["pending", "pending"], ["oldest_pending_age_ms", "oldest pending"], ["length", "retained"],
  ["dead_letters", "dead letters"], ["delayed", "delayed"], ["consumers", "consumers"], ["sent", "sent"],
  ["acked", "acked"], ["dead_lettered", "dead-lettered"], ["redriven", "redriven"],
];

let currentAgent = null;
// Whether the open agent's messages were shown once: if the first peek failed (the agent was created a moment ago
// and the server has not sampled it yet), the next successful poll peeks again.
let peekShown = false;

function agentUrl(suffix) {
  return "/api/agents/" + encodeURIComponent(currentAgent) + suffix;
}

function dlqUrl(suffix) {
  return "/api/dlq/" + encodeURIComponent(currentAgent) + suffix;
}

// Called by the router with the agent of #/agent/<id>, or null when another view is shown.
function openAgent(agent) {
  if (agent === currentAgent) { return; }
  currentAgent = agent;
  peekShown = false;
  if (agent === null) { return; }
  $("agent-id").textContent = agent;
  $("agent-status").textContent = "";
  $("agent-figures").replaceChildren();
  ["agent-consumers", "agent-pending"].forEach(id => $(id).tBodies[0].replaceChildren());
  ["peek-list", "dlq-list"].forEach(id => $(id).replaceChildren());
  ["peek-result", "dlq-result"].forEach(id => { $(id).textContent = ""; });
  setFigure("dlq-count", null);
  pollAgent();
  pollAgentHistory();
  pollAgentDeadLetters();
  peek();
}

async function pollAgent() {
  const agent = currentAgent;
  if (agent === null) { return; }
  try {
    const [summary, pending] = await Promise.all([getJson(agentUrl("")), getJson(agentUrl("/pending"))]);
    if (agent !== currentAgent) { return; } // another agent was opened meanwhile
    renderAgentSummary(summary.agent);
    renderConsumers(summary.consumers);
    renderPending(pending.pending);
    if (!peekShown) { peek(); }
  } catch (error) {
    if (agent === currentAgent) { $("agent-status").textContent = "· " + (error.message || error); }
  }
}

function renderAgentSummary(agent) {
  const values = agentValues(agent);
  const status = $("agent-status");
  status.dataset.status = values.status || "";
  status.textContent = values.status ? values.status : "";
  if (STATUS_SEVERITY[values.status]) {
    status.dataset.severity = STATUS_SEVERITY[values.status];
  } else {
    delete status.dataset.severity;
  }
  $("agent-figures").replaceChildren(...AGENT_FIGURES.map(([field, label]) => {
    const figure = document.createElement("div");
    figure.className = "figure";
    const name = document.createElement("span");
    name.className = "label";
    name.textContent = label;
    const value = document.createElement("span");
    value.id = "agent-figure-" + field;
    value.dataset.value = values[field] === undefined || values[field] === null ? "" : String(values[field]);
    value.textContent = formatField(field, values[field]);
    if (field === "status" && STATUS_SEVERITY[values.status]) { value.dataset.severity = STATUS_SEVERITY[values.status]; }
    figure.append(name, value);
    return figure;
  }));
}

function renderConsumers(consumers) {
  $("agent-consumers").tBodies[0].replaceChildren(...consumers.map(consumer => {
    const tr = document.createElement("tr");
    tr.dataset.consumer = consumer.name;
    tr.append(cell(consumer.name), cell(String(consumer.pending), "pending"), cell(age(consumer.idle_ms), "idle"));
    // Marked only when the server says so: the page does not guess who is dead from idle time.
    const dead = consumer.dead === true;
    tr.dataset.dead = String(dead);
    tr.appendChild(cell(dead ? "dead" : "", "dead"));
    return tr;
  }));
}

function renderPending(entries) {
  $("agent-pending").tBodies[0].replaceChildren(...entries.map(entry => {
    const tr = document.createElement("tr");
    tr.dataset.entryId = entry.entry_id;
    tr.append(cell(entry.entry_id), cell(entry.band), cell(entry.consumer), cell(age(entry.idle_ms), "idle"),
      cell(String(entry.deliveries), "deliveries"));
    return tr;
  }));
}

async function pollAgentHistory() {
  const agent = currentAgent;
  if (agent === null) { return; }
  try {
    const history = await getJson("/api/history?agent=" + encodeURIComponent(agent));
    if (agent !== currentAgent) { return; }
    drawHistoryChart($("chart-agent-rates"), history, RATE_SERIES, "messages / s");
    drawHistoryChart($("chart-agent-depth"), history, DEPTH_SERIES, "messages");
  } catch (error) {
    // An agent seen for less than one history period has none yet; the charts fill in.
  }
}

function prettyPayload(payload) {
  if (payload === undefined) { return ""; }
  return typeof payload === "string" ? payload : JSON.stringify(payload, null, 2);
}

function entryItem(dataset, heading, detail, payload) {
  const li = document.createElement("li");
  Object.entries(dataset).forEach(([key, value]) => { li.dataset[key] = value; });
  const head = document.createElement("div");
  head.className = "entry-head";
  head.textContent = heading;
  li.appendChild(head);
  if (detail) {
    const line = document.createElement("div");
    line.className = "entry-detail";
    line.textContent = detail;
    li.appendChild(line);
  }
  const pre = document.createElement("pre");
  pre.textContent = payload;
  li.appendChild(pre);
  return li;
}

async function peek() {
  const agent = currentAgent;
  const from = $("peek-from").value;
  const n = $("peek-n").value;
  try {
    const result = await getJson(agentUrl("/messages?from=" + from + "&n=" + encodeURIComponent(n)));
    if (agent !== currentAgent) { return; }
    peekShown = true;
    $("peek-result").dataset.count = String(result.messages.length);
    $("peek-result").textContent = result.messages.length + " shown, " + from + " first, at "
      + new Date().toLocaleTimeString();
    $("peek-list").replaceChildren(...result.messages.map(message => entryItem(
      {entryId: message.entry_id, messageId: message.message_id || "", unread: String(message.unread)},
      [message.entry_id, message.band, message.timestamp || "-", (message.from_agent || "-") + " → " + (message.to_agent || "-"),
        message.message_type || "-", "p" + (message.priority || "-"), message.message_id || "-",
        message.unread ? "unread" : "delivered"].join("  ·  "),
      null, prettyPayload(message.payload))));
  } catch (error) {
    $("peek-result").textContent = "peek failed: " + (error.message || error);
  }
}

async function pollAgentDeadLetters() {
  const agent = currentAgent;
  if (agent === null) { return; }
  try {
    const dlq = await getJson(dlqUrl(""));
    if (agent !== currentAgent) { return; }
    setFigure("dlq-count", dlq.count, "· " + dlq.count);
    $("dlq-redrive-all").disabled = dlq.count === 0;
    $("dlq-purge").disabled = dlq.count === 0;
    $("dlq-list").replaceChildren(...dlq.dead_letters.map(deadLetterItem));
  } catch (error) {
    $("dlq-result").textContent = String(error.message || error);
  }
}

function deadLetterItem(dead) {
  let payload = dead.fields.payload;
  try { payload = JSON.parse(payload); } catch (notJson) { /* shown as the text it is */ }
  const li = entryItem({id: dead.id},
    [dead.last_failed_at, dead.reason, dead.attempts + " attempts", dead.message_id || "-", dead.message_type || "-",
      "from " + (dead.from_agent || "-")].join("  ·  "),
    dead.detail + (dead.field ? " (field " + dead.field + ")" : "") + (dead.consumer ? "  · consumer " + dead.consumer : ""),
    prettyPayload(payload));
  const button = document.createElement("button");
  button.type = "button";
  button.className = "dlq-redrive";
  button.dataset.id = dead.id;
  button.textContent = "Redrive…";
  button.addEventListener("click", () => redrive({ids: [dead.id]},
    "Redrive dead letter " + (dead.message_id || dead.id) + " into " + currentAgent + "'s inbox?"));
  li.querySelector(".entry-head").appendChild(button);
  return li;
}

async function redrive(body, question) {
  if (!await confirmAction(question, "Redrive")) { return; }
  try {
    const result = await postJson(dlqUrl("/redrive"), body);
    $("dlq-result").dataset.redriven = String(result.redriven);
    $("dlq-result").textContent = "redriven " + result.redriven
      + (result.missing && result.missing.length ? ", missing " + result.missing.join(", ") : "");
  } catch (error) {
    $("dlq-result").textContent = "redrive failed: " + (error.message || error);
  }
  pollAgentDeadLetters();
}

async function purge() {
  const count = $("dlq-count").dataset.value;
  if (!await confirmAction("Delete all " + count + " dead letters of " + currentAgent + "? They cannot be recovered.",
    "Purge")) { return; }
  try {
    const result = await postJson(dlqUrl("/purge"), {all: true});
    $("dlq-result").dataset.purged = String(result.purged);
    $("dlq-result").textContent = "purged " + result.purged;
  } catch (error) {
    $("dlq-result").textContent = "purge failed: " + (error.message || error);
  }
  pollAgentDeadLetters();
}

$("peek-button").addEventListener("click", peek);
$("dlq-redrive-all").addEventListener("click", () => redrive({all: true},
  "Redrive all " + $("dlq-count").dataset.value + " dead letters of " + currentAgent + " into its inbox?"));
$("dlq-purge").addEventListener("click", purge);
window.addEventListener("resize", pollAgentHistory);
window.addEventListener("load", () => {
  every(POLL_MS, pollAgent);
  every(POLL_MS, pollAgentDeadLetters);
  every(HISTORY_POLL_MS, pollAgentHistory);
});
