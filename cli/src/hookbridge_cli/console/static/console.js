// Progressive enhancement only: every page is whole without this script. With it, the subscriptions
// page fills in each subscription's last event, and the live page adds the bus's events as they arrive.
"use strict";

function cell(row, text, code) {
  const td = document.createElement("td");
  const inner = document.createElement(code ? "code" : "span");
  inner.textContent = text == null ? "" : String(text);
  td.appendChild(inner);
  row.appendChild(td);
  return td;
}

async function fillLastEvents() {
  const cells = Array.from(document.querySelectorAll("td.last-event[data-source]"));
  async function fill(td) {
    try {
      const answer = await fetch(td.dataset.source, { credentials: "same-origin" });
      if (!answer.ok) throw new Error(String(answer.status));
      const found = await answer.json();
      const link = td.querySelector("a");
      link.textContent = found.last_event_at || `none in ${td.dataset.days} days`;
      td.classList.add("filled");
    } catch (error) {
      td.title = `could not read the last event (${error.message})`;
    }
  }
  // A few at a time: each is a query per index shard.
  const workers = Array.from({ length: 4 }, async () => {
    while (cells.length) await fill(cells.shift());
  });
  await Promise.all(workers);
}

function liveRow(event) {
  const row = document.createElement("tr");
  cell(row, event.arrived_at);
  cell(row, event.source, true);
  cell(row, event.detail_type);
  cell(row, `${event.provider}/${event.subscription}`);
  const td = document.createElement("td");
  const link = document.createElement("a");
  const stored = event.batch_id || event.id;
  const path = [event.provider, event.subscription, stored].map(encodeURIComponent).join("/");
  link.href = `/events/${path}?at=${encodeURIComponent(event.received_at || "")}`;
  const code = document.createElement("code");
  code.textContent = event.id;
  link.appendChild(code);
  td.appendChild(link);
  row.appendChild(td);
  return row;
}

function followLive() {
  const table = document.getElementById("live");
  const status = document.getElementById("live-status");
  let after = Number(table.dataset.after || "0");
  status.hidden = false;
  status.textContent = "Adding new events as they arrive.";
  async function poll() {
    try {
      const answer = await fetch(`/api/live?after=${after}`, { credentials: "same-origin" });
      if (!answer.ok) throw new Error(`the console answered ${answer.status}`);
      const got = await answer.json();
      const body = table.tBodies[0];
      for (const event of got.events) {
        body.insertBefore(liveRow(event), body.firstChild);
        after = Math.max(after, event.number);
      }
      if (got.events.length) document.getElementById("nothing-yet")?.remove();
      table.dataset.after = String(after);
      status.textContent = got.error
        ? `Reading the tap failed: ${got.error} (trying again)`
        : "Adding new events as they arrive.";
    } catch (error) {
      status.textContent = `Not updating: ${error.message}. Is the console still running?`;
    }
    setTimeout(poll, 1000);
  }
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  if (document.querySelector("td.last-event[data-source]")) fillLastEvents();
  if (document.getElementById("live")) followLive();
});
