// The kiosk page: every piece of text goes into the page with textContent, never as HTML.
"use strict";

const UNAVAILABLE = "抱歉，暂时无法查询，请稍后再试。如需帮助，请到咨询台找工作人员。";
const state = { session: "", idleSeconds: 120, countdownSeconds: 15, lastActivity: Date.now(),
                used: false, countdown: null, busy: false,
                handover: null, pollSeconds: 2, poller: null, polling: false }; // handover: waiting | with_agent
const HANDOVER_STATUS = {
  waiting: "正在为您联系工作人员…您可以先输入问题，工作人员接入后会看到。",
  with_agent: "工作人员正在为您服务，请直接输入文字交流。",
};
const $ = (id) => document.getElementById(id);

function newSessionId() {
  if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function element(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

function scrollToEnd() {
  const box = $("conversation");
  box.scrollTop = box.scrollHeight;
}

function addUser(text) {
  const bubble = element("div", "message user", text);
  $("conversation").append(bubble);
  scrollToEnd();
  return bubble;
}

function addBot(message, isFirst) {
  if (message.from === "agent") return addAgent(message.text || "");
  const bubble = element("div", "message bot" + (isFirst ? " suggestions" : ""), message.text || "");
  if (message.buttons && message.buttons.length) {
    const row = element("div", "buttons");
    for (const b of message.buttons) {
      const button = element("button", "", b.title);
      button.type = "button";
      button.addEventListener("click", () => {
        bubble.classList.add("answered");
        ask(b.payload, b.title);
      });
      row.append(button);
    }
    bubble.append(row);
  }
  if (message.checklist && message.checklist.html) {
    const print = element("button", "print-sheet", "打印清单");
    print.type = "button";
    print.addEventListener("click", () => printSheet(message.checklist.html));
    bubble.append(print);
  }
  if (message.takeAway) bubble.append(takeAway(message.takeAway, message.checklist ? "这份清单" : "这份办事指南"));
  bubble.append(readAloudButton(bubble, message));
  $("conversation").append(bubble);
  scrollToEnd();
  return bubble;
}

// 扫码带走: the same sheet on the citizen's phone; it goes with the screen when the kiosk resets.
function takeAway(code, what) {
  const figure = element("figure", "take-away");
  const image = document.createElement("img");
  image.src = code.qr;
  image.alt = `二维码：用手机扫码，带走${what}`;
  figure.append(image, element("figcaption", "", `用手机扫码，带走${what}（链接 ${code.days} 天内有效）`));
  return figure;
}

// 读给我听: the reply read aloud in a Chinese voice. Without one the button stays hidden (CSS: .can-speak).
function chineseVoice() {
  if (!("speechSynthesis" in window)) return null;
  return speechSynthesis.getVoices().find((v) => /^(zh|cmn)/i.test(v.lang || "")) || null;
}

function noteVoices() {
  document.body.classList.toggle("can-speak", Boolean(chineseVoice()));
}

function spokenText(message) {
  const options = (message.buttons || []).map((b) => b.title);
  return (message.text || "") + (options.length ? `。可以选择：${options.join("，")}` : "");
}

function readAloudButton(bubble, message) {
  const button = element("button", "read-aloud", "读给我听");
  button.type = "button";
  button.setAttribute("aria-label", "读给我听：朗读这条回复");
  button.addEventListener("click", () => {
    const voice = chineseVoice();
    if (!voice) return;
    const speaking = speechSynthesis.speaking;
    speechSynthesis.cancel();
    if (speaking && bubble.dataset.speaking === "1") { // a second press stops it
      bubble.dataset.speaking = "";
      return;
    }
    document.querySelectorAll("[data-speaking='1']").forEach((b) => { b.dataset.speaking = ""; });
    const utterance = new SpeechSynthesisUtterance(spokenText(message));
    utterance.voice = voice;
    utterance.lang = voice.lang;
    utterance.rate = 0.9; // a little slower than the default, for older citizens
    utterance.onend = () => { bubble.dataset.speaking = ""; };
    bubble.dataset.speaking = "1";
    speechSynthesis.speak(utterance);
  });
  return button;
}

// A person's reply (人工帮办), marked as theirs so nobody takes it for the assistant.
function addAgent(text) {
  const bubble = element("div", "message agent");
  bubble.append(element("span", "author", "工作人员"), element("div", "", text));
  $("conversation").append(bubble);
  scrollToEnd();
  return bubble;
}

// While a person is involved the page asks every few seconds for their replies.
function setHandover(handover) {
  state.handover = handover || null;
  const banner = $("handover-status");
  banner.hidden = !state.handover;
  banner.textContent = state.handover ? HANDOVER_STATUS[state.handover] || "" : "";
  document.body.dataset.handover = state.handover || "";
  if (state.handover && !state.poller) {
    state.poller = setInterval(poll, state.pollSeconds * 1000);
  } else if (!state.handover && state.poller) {
    clearInterval(state.poller);
    state.poller = null;
  }
}

async function poll() {
  if (state.polling) return;
  state.polling = true;
  const session = state.session;
  try {
    const data = await post("/api/poll", { session });
    if (session !== state.session) return; // the screen was reset meanwhile
    if (data.messages.length) state.lastActivity = Date.now(); // a reply arriving is not idling
    data.messages.forEach((m) => addBot(m, false));
    setHandover(data.handover);
  } catch (err) {
    /* try again at the next tick */
  } finally {
    state.polling = false;
  }
}

function addError(text) {
  $("conversation").append(element("div", "message bot error", text));
  scrollToEnd();
}

// The sheet is a page of its own, made by the assistant with every value escaped;
// it is shown only inside a sandboxed frame where no script can run.
function printSheet(html) {
  const frame = $("print-frame");
  frame.onload = () => {
    frame.onload = null;
    frame.dataset.loaded = "1";
    try { frame.contentWindow.print(); } catch (e) { window.print(); }
  };
  frame.srcdoc = html;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (e) { /* not JSON: treat as unavailable */ }
  if (!response.ok) throw new Error(data.error || UNAVAILABLE);
  return data;
}

async function ask(text, shownAs, quiet) {
  if (state.busy || !text.trim()) return;
  state.busy = true;
  $("send").disabled = true;
  const said = quiet ? null : addUser(shownAs || text);
  if (!quiet) state.used = true;
  const pending = element("div", "message bot pending", "正在查询…");
  $("conversation").append(pending);
  scrollToEnd();
  const session = state.session;
  try {
    const data = await post("/api/message", { session, text });
    if (session !== state.session) return; // the screen was reset meanwhile
    pending.remove();
    if (said && !shownAs && data.said) said.textContent = data.said; // a number typed shows masked
    data.messages.forEach((m, i) => addBot(m, quiet && i === 0));
    if (!data.messages.length && !data.handover) addError("没有查到相关内容，请换个说法再问一次。");
    setHandover(data.handover);
  } catch (err) {
    pending.remove();
    if (session === state.session) addError(err.message || UNAVAILABLE);
  } finally {
    state.busy = false;
    $("send").disabled = false;
    state.lastActivity = Date.now();
  }
}

function startSession() {
  state.session = newSessionId();
  document.body.dataset.session = state.session;
  state.used = false;
  ask("/greet", "", true); // the greeting carries the most common items as buttons
}

// Privacy on a shared screen: after idling, count down, then forget everything.
function resetScreen() {
  const old = state.session;
  hideCountdown();
  $("conversation").replaceChildren();
  $("question").value = "";
  $("print-frame").srcdoc = "";
  delete $("print-frame").dataset.loaded;
  if ("speechSynthesis" in window) speechSynthesis.cancel();
  setTextSize(0);
  setToggle("contrast-toggle", "contrast", false);
  state.busy = false;
  setHandover(null);
  post("/api/forget", { session: old }).catch(() => {}); // also takes the citizen out of the queue
  startSession();
}

function showCountdown() {
  let left = state.countdownSeconds;
  $("idle-countdown").textContent = String(left);
  $("idle-overlay").hidden = false;
  $("idle-continue").focus(); // a keyboard or screen-reader user lands on the one thing to do
  state.countdown = setInterval(() => {
    left -= 1;
    $("idle-countdown").textContent = String(Math.max(left, 0));
    if (left <= 0) resetScreen();
  }, 1000);
}

function hideCountdown() {
  if (state.countdown) clearInterval(state.countdown);
  state.countdown = null;
  $("idle-overlay").hidden = true;
}

function noteActivity() {
  state.lastActivity = Date.now();
  if (state.countdown) hideCountdown();
}

// 字号: three steps (标准, 大, 特大), kept for the whole conversation.
function setTextSize(step) {
  document.body.dataset.textSize = String(step);
  document.querySelectorAll("#text-size button").forEach((b) => {
    b.setAttribute("aria-pressed", String(b.dataset.size === String(step)));
  });
  scrollToEnd(); // the newest reply stays in view at any size
}

function setToggle(id, bodyClass, on) {
  document.body.classList.toggle(bodyClass, on);
  $(id).setAttribute("aria-pressed", String(on));
}

async function main() {
  try {
    const config = await (await fetch("/config.json")).json();
    state.idleSeconds = config.idleSeconds;
    state.countdownSeconds = config.countdownSeconds;
    state.pollSeconds = config.pollSeconds || state.pollSeconds;
  } catch (e) { /* keep the defaults */ }

  $("ask").addEventListener("submit", (event) => {
    event.preventDefault();
    const text = $("question").value;
    if (!text.trim()) return;
    $("question").value = "";
    ask(text);
  });
  $("call-staff").addEventListener("click", () => ask("/request_human", "呼叫工作人员"));
  document.querySelectorAll("#text-size button").forEach((b) => {
    b.addEventListener("click", () => {
      state.used = true;
      setTextSize(Number(b.dataset.size));
    });
  });
  $("contrast-toggle").addEventListener("click", () => {
    state.used = true;
    setToggle("contrast-toggle", "contrast", !document.body.classList.contains("contrast"));
  });
  $("idle-continue").addEventListener("click", noteActivity);
  for (const type of ["pointerdown", "keydown", "input", "touchstart"]) {
    document.addEventListener(type, noteActivity, { passive: true });
  }
  setInterval(() => {
    if ("speechSynthesis" in window && speechSynthesis.speaking) state.lastActivity = Date.now(); // listening
    const idle = (Date.now() - state.lastActivity) / 1000;
    if (state.used && !state.countdown && !state.busy && idle >= state.idleSeconds) showCountdown();
  }, 500);
  // A page reloaded or closed by hand is a reset too: the citizen leaves the queue (a beacon still
  // goes out while the page unloads, which a fetch may not).
  window.addEventListener("pagehide", () => {
    const body = new Blob([JSON.stringify({ session: state.session })], { type: "application/json" });
    navigator.sendBeacon("/api/forget", body);
  });
  if ("speechSynthesis" in window) speechSynthesis.addEventListener("voiceschanged", noteVoices);
  noteVoices();
  setTextSize(0);
  startSession();
}

document.addEventListener("DOMContentLoaded", main);
