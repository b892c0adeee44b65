// The agent's pages: new messages appear without reloading (text only, never HTML);
// the queue shows itself afresh when someone joins, is taken or leaves.
"use strict";

const POLL_MS = 2000;

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

function watchConversation(list) {
  const tick = async () => {
    try {
      const data = await getJSON(`${list.dataset.poll}?after=${list.dataset.after}`);
      for (const m of data.messages) {
        const item = document.createElement("li");
        item.className = m.author;
        const who = document.createElement("span");
        who.className = "who";
        who.textContent = `${m.who} ${m.at}`;
        item.append(who, document.createTextNode(m.text));
        list.append(item);
        list.dataset.after = String(m.id);
      }
      document.getElementById("state").textContent = data.state_name;
      if (!data.mine) {
        for (const id of ["reply", "hand-back"]) {
          const form = document.getElementById(id);
          if (form) form.remove();
        }
      }
    } catch (e) { /* try again at the next tick */ }
  };
  setInterval(tick, POLL_MS);
}

function watchQueue(queue) {
  setInterval(async () => {
    try {
      const data = await getJSON(queue.dataset.poll);
      if (data.version !== queue.dataset.version) window.location.reload();
    } catch (e) { /* try again at the next tick */ }
  }, POLL_MS);
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("messages");
  if (list) watchConversation(list);
  const queue = document.getElementById("queue");
  if (queue) watchQueue(queue);
});
