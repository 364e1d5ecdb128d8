// The review page. Plain JavaScript, no libraries, nothing fetched from elsewhere.
// Every change is saved at once to selections.json through the local server.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const STEP = 0.5; // seconds an in or out point moves per press
const SVG = "http://www.w3.org/2000/svg";
const COLOURS = { open: "#d69e2e", chosen: "#2f855a", "set aside": "#9aa5b1" };

const state = { film: null, moments: [], tracks: [], current: null, mark: null, saving: null };
const $ = (id) => document.getElementById(id);
const video = () => $("video");

// Where the page is served: "" by `vigvision review`, a film's own place in the app.
const BASE = location.pathname.replace(/\/+$/, "");

function withToken(path) {
  return BASE + path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Vigvision-Token": TOKEN },
    body: JSON.stringify(body),
  };
  const response = await fetch(withToken(path), options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function clock(seconds) {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(1).padStart(4, "0")}`;
}

function status(text, error = false) {
  const el = $("status");
  el.textContent = text;
  el.classList.toggle("error", error);
}

// ---------------------------------------------------------------- saving

// Saves go one after another (never two at once, so the server gets them in order), and
// "saved" shows only when the newest change has reached the disk.
let version = 0;
let savedVersion = 0;
let queue = Promise.resolve();

function save(delay = 0) {
  version += 1;
  const mine = version;
  clearTimeout(state.saving);
  status("Saving…");
  state.saving = setTimeout(() => {
    const snapshot = structuredClone(state.moments);
    queue = queue.then(async () => {
      try {
        await api("/api/selections", { moments: snapshot });
        savedVersion = Math.max(savedVersion, mine);
        if (savedVersion === version) status("All changes saved");
      } catch (error) {
        status("Not saved: " + error.message + " (is vigvision review still running?)", true);
      }
    });
  }, delay);
}

window.addEventListener("beforeunload", (e) => {
  if (savedVersion < version) e.preventDefault(); // a note still on its way to the disk
});

// Leaving (a reload, the tab closed) while a change waits for its turn: send it now, in a
// request the browser finishes even as the page goes.
window.addEventListener("pagehide", () => {
  if (savedVersion >= version) return;
  clearTimeout(state.saving);
  fetch(withToken("/api/selections"), {
    method: "POST", keepalive: true,
    headers: { "Content-Type": "application/json", "X-Vigvision-Token": TOKEN },
    body: JSON.stringify({ moments: state.moments }),
  });
});

// ---------------------------------------------------------------- moments

function change(moment, fields) {
  Object.assign(moment, fields);
  render();
  save();
}

function nudge(moment, which, by) {
  const duration = state.film.duration_s;
  if (which === "start") {
    moment.start_s = Math.max(0, Math.min(moment.end_s - 1, +(moment.start_s + by).toFixed(2)));
  } else {
    moment.end_s = Math.min(duration, Math.max(moment.start_s + 1, +(moment.end_s + by).toFixed(2)));
  }
  render();
  save(300);
  play(moment);
}

function play(moment) {
  state.current = moment;
  const v = video();
  v.currentTime = moment.start_s;
  v.play().catch(() => {});
  render();
}

function addMoment(start, end) {
  if (end - start < 1) return;
  const moment = {
    id: "g" + Date.now(), start_s: +start.toFixed(2), end_s: +end.toFixed(2), status: "open",
    note: "", source: "guider", rank: null, explanation: "",
  };
  state.moments.push(moment);
  state.moments = inCardOrder(state.moments);
  play(moment);
  save();
  // Added moments come after the suggestions: show the guider where it went.
  document.querySelector(`.moment[data-id="${CSS.escape(moment.id)}"]`)?.scrollIntoView({ block: "nearest" });
  status(`Moment ${label(moment)} added: choose it if it shows what works`);
}

// As the server orders them (selections.in_card_order): suggestions by rank, then the
// moments the guider added and those kept from an earlier run, by time.
function inCardOrder(moments) {
  const key = (m) => [m.rank === null || m.rank === undefined ? 1 : 0, m.rank ?? 0, m.start_s];
  return [...moments].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });
}

// What a card calls its moment, as exported files are named (selections.card_labels):
// its rank, "added 1", "earlier 1"...
function label(moment) {
  if (moment.rank !== null && moment.rank !== undefined) return String(moment.rank);
  const kind = moment.source === "guider" ? "added" : "earlier";
  const same = state.moments
    .filter((m) => (m.rank === null || m.rank === undefined) && (m.source === "guider") === (kind === "added"))
    .sort((a, b) => a.start_s - b.start_s);
  return `${kind} ${same.indexOf(moment) + 1}`;
}

function card(moment) {
  const number = label(moment);
  const li = document.createElement("li");
  li.className = "moment" + (moment.status === "chosen" ? " chosen" : "")
    + (moment.status === "set aside" ? " aside" : "")
    + (state.current === moment ? " playing" : "");
  li.dataset.id = moment.id;

  const img = document.createElement("img");
  img.alt = "";
  img.loading = "lazy";
  img.src = withToken(`/media/still?start=${moment.start_s}&end=${moment.end_s}`);
  li.append(img);

  const body = document.createElement("div");
  const head = document.createElement("div");
  head.className = "head";
  const num = document.createElement("span");
  num.className = "number";
  num.textContent = /^\d+$/.test(number) ? number : number[0].toUpperCase() + number.slice(1);
  const times = document.createElement("span");
  times.className = "times";
  times.textContent = `${clock(moment.start_s)} – ${clock(moment.end_s)}`;
  const st = document.createElement("span");
  st.className = "state";
  st.textContent = { open: "to look at", chosen: "chosen", "set aside": "set aside" }[moment.status];
  head.append(num, times, st);
  body.append(head);

  if (moment.explanation) {
    const p = document.createElement("p");
    p.className = "explanation";
    p.textContent = moment.explanation;
    body.append(p);
  }
  if (moment.evidence) {
    const e = document.createElement("p");
    e.className = "evidence";
    e.textContent = moment.evidence;
    body.append(e);
  }
  body.append(miniTimeline(moment), miniLegend(moment));

  const buttons = document.createElement("div");
  buttons.className = "buttons";
  buttons.append(
    button("▶ Play", () => play(moment), `Play moment ${number} (loops)`),
    pressed(button(moment.status === "chosen" ? "✓ Chosen" : "Choose",
      () => change(moment, { status: moment.status === "chosen" ? "open" : "chosen" }),
      "Choose this moment", moment.status === "chosen" ? "primary" : ""), moment.status === "chosen"),
    button(moment.status === "set aside" ? "Bring back" : "Set aside",
      () => change(moment, { status: moment.status === "set aside" ? "open" : "set aside" }),
      "Set this moment aside"),
  );
  const controls = document.createElement("div");
  controls.className = "controls";
  controls.append(buttons);

  const nudges = document.createElement("div");
  nudges.className = "nudge";
  nudges.append(
    "Start",
    button("−0.5 s", () => nudge(moment, "start", -STEP), "Start half a second earlier"),
    button("+0.5 s", () => nudge(moment, "start", STEP), "Start half a second later"),
    " End",
    button("−0.5 s", () => nudge(moment, "end", -STEP), "End half a second earlier"),
    button("+0.5 s", () => nudge(moment, "end", STEP), "End half a second later"),
  );
  controls.append(nudges);
  body.append(controls);
  li.append(body);

  const noteLabel = document.createElement("label");
  noteLabel.textContent = "What is working";
  const note = document.createElement("textarea");
  note.value = moment.note;
  note.placeholder = "e.g. You wait, and she shows you the toy";
  note.addEventListener("input", () => { moment.note = note.value; save(500); });
  noteLabel.append(note);
  li.append(noteLabel);
  li.addEventListener("focusin", () => { state.focused = moment; });
  return li;
}

// A toggle says to a screen reader whether it is on ("Choose this moment, pressed").
function pressed(b, on) {
  b.setAttribute("aria-pressed", String(on));
  return b;
}

function button(text, action, label, kind = "") {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = text;
  b.setAttribute("aria-label", label);
  if (kind) b.className = kind;
  b.addEventListener("click", action);
  return b;
}

function miniTimeline(moment) {
  // The main cues inside the moment, one thin row each.
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "mini");
  svg.setAttribute("viewBox", "0 0 100 18");
  svg.setAttribute("preserveAspectRatio", "none");
  svg.setAttribute("aria-hidden", "true");
  const rows = state.tracks.slice(0, 3);
  rows.forEach((track, row) => {
    const [first, last] = binsOf(track, moment);
    const width = 100 / Math.max(1, last - first);
    for (let i = first; i < last; i++) {
      const v = track.values[i];
      if (!drawn(v)) continue;
      const r = document.createElementNS(SVG, "rect");
      r.setAttribute("x", (i - first) * width);
      r.setAttribute("y", row * 6);
      r.setAttribute("width", width);
      r.setAttribute("height", 5);
      r.setAttribute("fill", trackColour(row));
      r.setAttribute("opacity", 0.25 + 0.75 * v);
      svg.append(r);
    }
  });
  return svg;
}

function miniLegend(moment) {
  // What the rows above are, and the moment's two ends: the bars mean nothing without it.
  const legend = document.createElement("p");
  legend.className = "legend";
  const ends = document.createElement("span");
  ends.className = "ends";
  ends.textContent = `${clock(moment.start_s)} … ${clock(moment.end_s)}`;
  legend.append(ends);
  state.tracks.slice(0, 3).forEach((track, row) => {
    if (!shownIn(track, moment)) return; // a key to nothing drawn would mislead
    const key = document.createElement("span");
    key.className = "key";
    const swatch = document.createElement("i");
    swatch.style.background = trackColour(row);
    key.append(swatch, track.label);
    legend.append(key);
  });
  return legend;
}

function binsOf(track, moment) {
  // The track's bins the moment covers: [first, last).
  return [Math.floor(moment.start_s / track.step), Math.ceil(moment.end_s / track.step)];
}

function drawn(v) {
  // Levels above 0 are drawn; 0 and not observed (null) are not.
  return v !== null && v !== undefined && v > 0;
}

function shownIn(track, moment) {
  // Whether the moment's small timeline draws anything of this track.
  const [first, last] = binsOf(track, moment);
  return track.values.slice(first, last).some(drawn);
}

function trackColour(row) {
  return ["#3182ce", "#dd6b20", "#38a169", "#805ad5", "#d53f8c", "#319795", "#718096"][row % 7];
}

// ---------------------------------------------------------------- timeline

const LABEL_W = 150;
const ROW_H = 16;
const AXIS_H = 20;

function timeline() {
  const el = $("timeline");
  const width = Math.max(400, el.clientWidth || 800);
  const rows = state.tracks.length;
  const lanes = 22 + rows * ROW_H;
  const height = lanes + AXIS_H;
  const duration = state.film.duration_s;
  const x = (t) => LABEL_W + (width - LABEL_W - 8) * t / duration;
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("height", height);
  const rect = (attrs) => {
    const r = document.createElementNS(SVG, "rect");
    for (const [k, v] of Object.entries(attrs)) r.setAttribute(k, v);
    svg.append(r);
    return r;
  };
  const text = (content, tx, ty) => {
    const t = document.createElementNS(SVG, "text");
    t.setAttribute("x", tx);
    t.setAttribute("y", ty);
    t.textContent = content;
    svg.append(t);
  };
  state.moments.forEach((m) => {
    rect({ x: x(m.start_s), y: 2, width: Math.max(2, x(m.end_s) - x(m.start_s)), height: lanes - 4,
           fill: COLOURS[m.status], opacity: 0.28 });
  });
  text("Moments", 4, 14);
  // The time axis: a tick every round number of minutes (or seconds in a short film).
  // At least 48 pixels apart, so that their times never run into each other.
  const room = (width - LABEL_W - 8) / 48;
  const every = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900].find((s) => duration / s <= room) || 1800;
  for (let t = 0; t <= duration; t += every) {
    rect({ x: x(t), y: lanes, width: 1, height: 4, fill: "#829ab1" });
    if (x(t) + 24 <= width) text(clock(t).replace(/\.0$/, ""), x(t) - (t === 0 ? 0 : 10), lanes + 15);
  }
  text("Time", 4, lanes + 15);
  state.tracks.forEach((track, row) => {
    const y = 22 + row * ROW_H;
    text(track.label, 4, y + 10);
    const w = (width - LABEL_W - 8) * track.step / duration;
    track.values.forEach((v, i) => {
      if (v === null || v <= 0) return;
      rect({ x: x(i * track.step), y, width: Math.max(w, 0.5), height: ROW_H - 3,
             fill: trackColour(row), opacity: 0.2 + 0.8 * v });
    });
  });
  state.moments.forEach((m) => {
    const name = label(m);
    text(/^\d+$/.test(name) ? name : "+", x(m.start_s) + 2, 14);
  });
  if (state.mark !== null) {
    rect({ x: x(state.mark), y: 0, width: 2, height, fill: "#c53030" });
  }
  const head = rect({ id: "playhead", x: x(video().currentTime || 0), y: 0, width: 2, height,
                      fill: "#1a202c" });
  head.setAttribute("pointer-events", "none");
  el.replaceChildren(svg);
  el.setAttribute("aria-valuemax", String(Math.round(duration)));
  // A time for a point of the lanes, or null on the labels at their left (not 0:00).
  state.toTime = (clientX, onLanes = false) => {
    const box = svg.getBoundingClientRect();
    const px = (clientX - box.left) * width / box.width;
    if (onLanes && px < LABEL_W) return null;
    return Math.max(0, Math.min(duration, (px - LABEL_W) * duration / (width - LABEL_W - 8)));
  };
  state.toX = x;
}

function movePlayhead() {
  const head = document.getElementById("playhead");
  if (head && state.toX) head.setAttribute("x", state.toX(video().currentTime || 0));
  $("timeline").setAttribute("aria-valuenow", String(Math.round(video().currentTime || 0)));
}

function setUpTimeline() {
  const el = $("timeline");
  let down = null;
  el.addEventListener("pointerdown", (e) => { down = state.toTime(e.clientX, true); });
  el.addEventListener("pointerup", (e) => {
    if (down === null) return;
    const up = state.toTime(e.clientX);
    if (Math.abs(up - down) >= 1) addMoment(Math.min(up, down), Math.max(up, down));
    else { state.current = null; video().currentTime = up; render(); }
    down = null;
  });
  el.addEventListener("keydown", (e) => {
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      video().currentTime = Math.max(0, video().currentTime + (e.key === "ArrowLeft" ? -5 : 5));
      e.preventDefault();
    }
  });
}

// ---------------------------------------------------------------- keys

function keys(e) {
  const typing = ["TEXTAREA", "INPUT"].includes(document.activeElement?.tagName);
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  const v = video();
  const ordered = state.moments;
  const target = state.current || state.focused || ordered[0];
  const index = ordered.indexOf(target);
  const go = (i) => {
    const m = ordered[Math.max(0, Math.min(ordered.length - 1, i))];
    if (!m) return;
    play(m);
    document.querySelector(`.moment[data-id="${CSS.escape(m.id)}"] button`)?.focus();
  };
  const handlers = {
    " ": () => (v.paused ? v.play().catch(() => {}) : v.pause()),
    j: () => go(index + 1),
    k: () => go(index - 1),
    c: () => target && change(target, { status: target.status === "chosen" ? "open" : "chosen" }),
    x: () => target && change(target, { status: "set aside" }),
    "[": () => target && nudge(target, "start", -STEP),
    "]": () => target && nudge(target, "start", STEP),
    ",": () => target && nudge(target, "end", -STEP),
    ".": () => target && nudge(target, "end", STEP),
    m: () => {
      if (state.mark === null) { state.mark = v.currentTime; status("Start marked: press M at the end"); timeline(); }
      else { const start = state.mark; state.mark = null; addMoment(Math.min(start, v.currentTime), Math.max(start, v.currentTime)); }
    },
  };
  const handler = handlers[e.key.length === 1 ? e.key.toLowerCase() : e.key];
  if (handler && !(e.key === " " && document.activeElement?.tagName === "BUTTON")) {
    handler();
    e.preventDefault();
  }
}

// ---------------------------------------------------------------- film and proxy

async function loadFilm(data) {
  const v = video();
  if (data.needs_proxy && data.proxy.state !== "ready") {
    $("proxy").hidden = false;
    let proxy = await api("/api/proxy", {});
    while (proxy.state === "making") {
      $("proxy-progress").value = proxy.progress;
      await new Promise((r) => setTimeout(r, 700));
      proxy = await api("/api/proxy");
    }
    $("proxy").hidden = true;
    if (proxy.state === "failed") status("The film could not be prepared for this browser: " + proxy.error, true);
  }
  // A picture of the first moment while nothing plays (a black box tells a guider nothing).
  const first = state.moments[0];
  if (first) v.poster = withToken(`/media/still?start=${first.start_s}&end=${first.end_s}`);
  v.src = withToken("/media/film");
  v.addEventListener("timeupdate", () => {
    const m = state.current;
    if (m && !v.paused && v.currentTime >= m.end_s - 0.05) v.currentTime = m.start_s; // loop the moment
    movePlayhead();
  });
}

// ---------------------------------------------------------------- export

async function exportChosen(kind) {
  const out = $("exported");
  if (!state.moments.some((m) => m.status === "chosen")) {
    out.textContent = "Choose a moment first.";
    return;
  }
  out.textContent = "Saving files…";
  try {
    const done = await api("/api/export", { kinds: [kind] });
    out.replaceChildren(`Saved in ${done.folder}: `, ...done.files.map((name) => {
      const a = document.createElement("a");
      a.href = withToken("/exports/" + encodeURIComponent(name));
      a.textContent = name;
      a.target = "_blank";
      return a;
    }));
  } catch (error) {
    out.textContent = "Not saved: " + error.message;
  }
}

// ---------------------------------------------------------------- start

function render() {
  const list = $("list");
  const focusedId = document.activeElement?.closest?.(".moment")?.dataset.id;
  const typing = document.activeElement?.tagName === "TEXTAREA";
  if (typing) { timeline(); countChosen(); return; } // never rebuild under the guider's typing
  list.replaceChildren(...state.moments.map((m) => card(m)));
  if (focusedId) list.querySelector(`.moment[data-id="${CSS.escape(focusedId)}"] button`)?.focus({ preventScroll: true });
  timeline();
  countChosen();
}

function countChosen() {
  const n = state.moments.filter((m) => m.status === "chosen").length;
  $("chosen-count").textContent = `(${n} chosen)`;
}

async function filmPicker(caseName) {
  const response = await fetch(`/api/cases/${caseName}?token=${encodeURIComponent(TOKEN)}`);
  if (!response.ok) return;
  const films = (await response.json()).films.filter((f) => f.analysed);
  if (films.length < 2) return;
  const picker = $("film-picker");
  const here = BASE.split("/")[4];
  picker.replaceChildren(...films.map((f) => {
    const option = document.createElement("option");
    option.value = f.id;
    option.textContent = `Film ${f.cycle}: ${f.name}`;
    option.selected = f.id === here;
    return option;
  }));
  picker.addEventListener("change", () => {
    location.href = `/cases/${caseName}/films/${picker.value}/review/?token=${encodeURIComponent(TOKEN)}`;
  });
  $("other-films").hidden = false;
}

async function start() {
  if (!TOKEN) { status("Open the address vigvision printed (it holds the access key).", true); return; }
  const inApp = BASE.match(/^\/cases\/([^/]+)\/films\//);
  if (inApp) { // opened from the app: back to the case's page, or to another of its films
    $("back").href = "/?token=" + encodeURIComponent(TOKEN) + "#case=" + inApp[1];
    $("back").hidden = false;
    filmPicker(inApp[1]).catch(() => {});
  }
  try {
    const data = await api("/api/review");
    state.film = data.film;
    state.moments = inCardOrder(data.moments);
    state.tracks = data.tracks;
    $("film-name").textContent = "· " + data.film.name;
    document.title = "vigvision · " + data.film.name;
    render();
    setUpTimeline();
    status("All changes saved");
    await loadFilm(data);
  } catch (error) {
    status("Could not load: " + error.message, true);
  }
  document.addEventListener("keydown", keys);
  document.querySelectorAll("[data-export]").forEach((b) =>
    b.addEventListener("click", () => exportChosen(b.dataset.export)));
  $("help-button").addEventListener("click", () => {
    const help = $("help");
    help.hidden = !help.hidden;
    $("help-button").setAttribute("aria-expanded", String(!help.hidden));
  });
  window.addEventListener("resize", timeline);
}

document.addEventListener("DOMContentLoaded", start);
