// The guider's app. Plain JavaScript, no libraries, nothing fetched from elsewhere.
// Every change goes to the local app at once; analyses run there, not in this page.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token") || "";
const $ = (id) => document.getElementById(id);
const state = { case: null, polling: null, folder: null };

function withToken(path) {
  return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(TOKEN);
}

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Vigvision-Token": TOKEN },
    body: JSON.stringify(body),
  };
  const response = await fetch(withToken(path), options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const said = data.error || data.detail || response.statusText;
    throw new Error(said.charAt(0).toUpperCase() + said.slice(1));
  }
  return data;
}

function status(text, error = false) {
  $("status").textContent = text;
  $("status").classList.toggle("error", error);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "onclick") node.addEventListener("click", v);
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

function count(n, one, many = one + "s") {
  return `${n} ${n === 1 ? one : many}`;
}

function size(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes >= 1e6 ? `${Math.round(bytes / 1e6)} MB`
    : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

function minutes(seconds) {
  if (seconds === null || seconds === undefined) return "";
  return seconds < 90 ? `about ${Math.max(1, Math.round(seconds))} s left`
    : `about ${Math.round(seconds / 60)} min left`;
}

// ---------------------------------------------------------------- cases

async function showCases() {
  clearInterval(state.polling);
  state.case = null;
  $("case-view").hidden = true;
  $("cases-view").hidden = false;
  $("where").textContent = "";
  document.title = "vigvision · cases";
  const data = await api("/api/cases");
  const body = $("cases").querySelector("tbody");
  body.replaceChildren(...data.cases.map((c) => el("tr", {},
    el("td", { text: c.name }),
    el("td", { text: `${c.consent_ref}, ${c.consent_date}` }),
    el("td", { text: String(c.films) }),
    el("td", { text: c.retain_until }),
    el("td", {}, el("a", { href: `#case=${encodeURIComponent(c.name)}`, text: "Open",
                           "aria-label": `Open case ${c.name}` })),
  )));
  $("cases").hidden = data.cases.length === 0;
  $("no-cases").hidden = data.cases.length > 0;
  status(state.said || "Ready");
  state.said = null;
}

async function newCase(event) {
  event.preventDefault();
  const form = new FormData($("new-case"));
  $("new-case-error").textContent = "";
  try {
    const made = await api("/api/cases", Object.fromEntries(form));
    location.hash = `case=${encodeURIComponent(made.name)}`;
  } catch (error) {
    $("new-case-error").textContent = error.message;
  }
}

// ---------------------------------------------------------------- one case

async function showCase(name) {
  $("cases-view").hidden = true;
  $("case-view").hidden = false;
  const data = await api(`/api/cases/${encodeURIComponent(name)}`);
  const first = state.case === null || state.case.name !== data.name;
  state.case = data;
  $("where").textContent = "· " + data.name;
  document.title = "vigvision · " + data.name;
  $("case-title").textContent = `Case ${data.name}`;
  $("case-consent").textContent = `Consent ${data.consent_ref} given on ${data.consent_date}. ` +
    `Its files are kept until ${data.retain_until} (counted from the last work on it).`;
  if (first) {
    goalsForm(data);
    $("letter-link").replaceChildren();
    // The next film is, most often, of the next cycle.
    $("cycle").value = String(Math.min(6, Math.max(0, ...data.films.map((f) => f.cycle)) + 1));
  }
  films(data);
  const growth = $("growth");
  growth.replaceChildren(...data.growth.map((line) => el("li", { text: line })));
  const compared = new Set(data.films.filter((f) => f.analysed && f.candidates).map((f) => f.cycle));
  $("no-growth").hidden = data.growth.length > 0;
  $("no-growth").textContent = compared.size < 2
    ? "Once films of two cycles are analysed, this says what there is more of in the latest one."
    : "The films analysed so far show too little of these to compare: look at the moments instead.";
  if (data.letter) letterLink();
  const busy = data.films.some((f) => f.analysis && ["queued", "running"].includes(f.analysis.state));
  clearInterval(state.polling);
  if (busy) state.polling = setInterval(() => refresh(), 1000);
  status("All changes saved");
}

async function refresh() {
  if (state.case === null) return;
  try {
    await showCase(state.case.name);
  } catch (error) {
    if (!(error instanceof TypeError)) { status("Not up to date: " + error.message, true); return; }
    // The app does not answer at all: stopped. This page comes back by itself when it is
    // started again (the same address).
    clearInterval(state.polling);
    state.polling = setInterval(refresh, 3000);
    status("The app has stopped. Start it again (vigvision app): this page comes back by " +
      "itself, and nothing done so far is lost.", true);
  }
}

function goalsForm(data) {
  $("goal-words").value = data.goals_in_words;
  const box = $("goal-choices");
  box.replaceChildren(box.querySelector("legend"), ...data.goal_choices.map((choice) => {
    const input = el("input", { type: "checkbox", value: choice.goal });
    input.checked = data.goals.includes(choice.goal);
    input.addEventListener("change", saveGoals);
    return el("label", {}, input, " " + choice.name);
  }));
}

let goalsTimer = null;
function saveGoals() {
  clearTimeout(goalsTimer);
  $("goals-saved").textContent = "Saving…";
  goalsTimer = setTimeout(async () => {
    const goals = [...$("goal-choices").querySelectorAll("input:checked")].map((i) => i.value);
    try {
      await api(`/api/cases/${encodeURIComponent(state.case.name)}/goals`,
        { goals, words: $("goal-words").value });
      $("goals-saved").textContent = "Saved. The next analysis of a film leans on these goals.";
    } catch (error) {
      $("goals-saved").textContent = "Not saved: " + error.message;
    }
  }, 400);
}

function films(data) {
  const list = $("films");
  list.replaceChildren(...data.films.map((film) => filmItem(data, film)));
  $("no-films").hidden = data.films.length > 0;
}

function filmItem(data, film) {
  const base = `/api/cases/${encodeURIComponent(data.name)}/films/${film.id}`;
  const item = el("li", { class: "film", "data-id": film.id });
  item.append(el("h4", { text: `Film ${film.cycle}: ${film.name}` }));
  const job = film.analysis;
  const running = job && ["queued", "running"].includes(job.state);
  if (running) {
    const bar = el("progress", { max: "1", value: String(job.fraction),
                                 "aria-label": `Analysis of ${film.name}` });
    const said = job.state === "queued" ? "Waiting for the film before it"
      : `${job.stage || "Starting"}: ${Math.round(job.fraction * 100)}% ${minutes(job.eta_s)}`;
    if (job.adult) item.append(el("p", { class: "note",
      text: "Making the suggestions again, with the adult you chose (what was seen is kept)." }));
    item.append(bar, el("p", { class: "note", text: said }),
      el("button", { type: "button", text: "Stop the analysis",
                     onclick: (e) => { e.target.disabled = true; e.target.textContent = "Stopping…";
                                       post(`${base}/cancel`, {}); } }));
    return item;
  }
  if (job && job.state === "failed") item.append(el("p", { class: "error", text: job.error }));
  if (job && job.state === "cancelled") item.append(el("p", { class: "note", text: "The analysis was stopped." }));
  if (!film.on_disk) {
    item.append(el("p", { class: "error", text: "The film is no longer where it was added from." }));
  }
  const remove = el("button", { type: "button", text: "Remove from the case",
    "aria-label": `Remove film ${film.cycle}: ${film.name} from the case`,
    onclick: () => {
      if (confirm(`Remove ${film.name} from the case, with what vigvision made of it? ` +
                  "The film itself stays where it is.")) post(`${base}/remove`, {});
    } });
  if (!film.analysed) {
    item.append(el("div", { class: "actions" },
      el("button", { type: "button", class: "primary", text: "Analyse",
                     "aria-label": `Analyse film ${film.cycle}: ${film.name}`,
                     onclick: () => post(`${base}/analyse`, {}) }), remove));
    return item;
  }
  if (!film.candidates) {
    item.append(el("p", { text: "No moments to suggest: an adult and a child were not seen " +
      "together in this film." }), el("div", { class: "actions" }, remove));
    return item;
  }
  if (!film.roles_known && film.people.length >= 2) {
    const who = el("div", { class: "who", role: "group", "aria-label": "Who is the adult?" });
    who.append(el("p", { text: "vigvision could not tell the adult from the child. Click the adult once:" }));
    film.people.forEach((person, index) => {
      const img = el("img", { alt: "", src: withToken(
        `/cases/${encodeURIComponent(data.name)}/films/${film.id}/people/${person.person}.jpg`) });
      who.append(el("button", { type: "button", class: "person",
                                "aria-label": `Person ${index + 1} from the left is the adult`,
                                onclick: () => post(`${base}/analyse`, { adult: person.person }) },
        img, el("span", { text: `Person ${index + 1}` })));
    });
    item.append(who);
  }
  const review = withToken(`/cases/${encodeURIComponent(data.name)}/films/${film.id}/review/`);
  item.append(
    el("p", { text: `${count(film.candidates, "moment")} suggested, ${film.chosen} chosen.` }),
    el("div", { class: "actions" },
      el("a", { href: review, class: "button primary", text: "Review the moments",
                "aria-label": `Review the moments of film ${film.cycle}` }), remove),
  );
  return item;
}

async function post(path, body) {
  try {
    await api(path, body);
    await refresh();
  } catch (error) {
    status(error.message, true);
  }
}

// ---------------------------------------------------------------- choosing a film

async function openChooser(folder) {
  $("chooser-error").textContent = "";
  try {
    const found = await api("/api/files" + (folder ? `?folder=${encodeURIComponent(folder)}` : ""));
    state.folder = found.folder;
    $("chooser-folder").textContent = found.folder;
    const items = [];
    if (found.parent) items.push(el("li", {}, el("button", { type: "button", text: "↑ Up a folder",
      onclick: () => openChooser(found.parent) })));
    for (const root of found.roots) {
      if (root !== found.folder && !found.parent) {
        items.push(el("li", {}, el("button", { type: "button", text: "Go to " + root,
          onclick: () => openChooser(root) })));
      }
    }
    for (const name of found.folders) {
      items.push(el("li", {}, el("button", { type: "button", class: "folder", text: `Folder: ${name}`,
        "aria-label": `Folder ${name}`, onclick: () => openChooser(found.folder + "/" + name) })));
    }
    for (const film of found.films) {
      items.push(el("li", {}, el("button", { type: "button", class: "film-file",
        text: `Film: ${film.name} (${size(film.size_bytes)})`,
        "aria-label": `Add film ${film.name}`, onclick: () => addFilm(found.folder + "/" + film.name) })));
    }
    if (!found.folders.length && !found.films.length) items.push(el("li", { class: "note", text: "No folders or films here." }));
    $("chooser-list").replaceChildren(...items);
    if (!$("chooser").open) $("chooser").showModal();
    $("chooser-list").querySelector("button")?.focus();
  } catch (error) {
    $("chooser-error").textContent = error.message;
    if (!$("chooser").open) $("chooser").showModal();
  }
}

async function addFilm(path) {
  try {
    const cycle = Number($("cycle").value);
    await api(`/api/cases/${encodeURIComponent(state.case.name)}/films`, { path, cycle });
    $("chooser").close();
    $("cycle").value = String(Math.min(6, cycle + 1));
    status("Film added: press Analyse when you are ready");
    await refresh();
  } catch (error) {
    $("chooser-error").textContent = error.message;
  }
}

// ---------------------------------------------------------------- letter and purge

function letterLink() {
  $("letter-link").replaceChildren(el("a", { href: withToken(`/cases/${encodeURIComponent(state.case.name)}/letter`),
    target: "_blank", text: "Open the letter" }));
}

async function writeLetter() {
  try {
    await api(`/api/cases/${encodeURIComponent(state.case.name)}/letter`, {});
    letterLink();
    status("The letter is drafted");
  } catch (error) {
    $("letter-link").textContent = error.message;
  }
}

function askPurge() {
  const c = state.case;
  const analysed = c.films.filter((f) => f.analysed).length;
  $("purge-what").textContent = `This deletes every file vigvision made for case ${c.name}: ` +
    `what it made of its ${count(c.films.length, "film")} (${analysed} analysed), the moments ` +
    "chosen and the notes, clips, stills and the letter. The films themselves stay where they are.";
  $("purge-confirm").value = "";
  $("purge-error").textContent = "";
  $("purge-dialog").showModal();
}

async function purgeNow(event) {
  event?.preventDefault(); // Enter in the name field deletes, as the button does
  const reason = new FormData($("purge-form")).get("reason");
  const typed = $("purge-confirm").value;
  if (typed !== state.case.name) {
    $("purge-error").textContent = typed
      ? `"${typed}" is not the case's name: type ${state.case.name} exactly.`
      : `Type the case's name, ${state.case.name}, to confirm.`;
    return;
  }
  try {
    const name = state.case.name;
    const done = await api(`/api/cases/${encodeURIComponent(name)}/purge`, { confirm: typed, reason });
    $("purge-dialog").close();
    state.said = `Case ${name} deleted: ${count(done.files, "file")}. The films stay where they are.`;
    location.hash = "";
  } catch (error) {
    $("purge-error").textContent = error.message;
  }
}

// ---------------------------------------------------------------- start

async function route() {
  const match = location.hash.match(/^#case=(.+)$/);
  try {
    if (match) await showCase(decodeURIComponent(match[1]));
    else await showCases();
  } catch (error) {
    status("Could not load: " + error.message, true);
  }
  $("main").focus({ preventScroll: true });
}

function start() {
  if (!TOKEN) { status("Open the address vigvision printed (it holds the access key).", true); return; }
  $("new-case").addEventListener("submit", newCase);
  $("new-case").elements.consent_date.value = new Date().toISOString().slice(0, 10);
  $("goal-words").addEventListener("input", saveGoals);
  $("choose-film").addEventListener("click", () => openChooser(state.folder));
  $("chooser-close").addEventListener("click", () => $("chooser").close());
  $("write-letter").addEventListener("click", writeLetter);
  $("purge").addEventListener("click", askPurge);
  $("purge-cancel").addEventListener("click", () => $("purge-dialog").close());
  $("purge-go").addEventListener("click", purgeNow);
  $("purge-form").addEventListener("submit", purgeNow);
  $("home").addEventListener("click", (e) => { e.preventDefault(); location.hash = ""; });
  window.addEventListener("hashchange", route);
  route();
}

document.addEventListener("DOMContentLoaded", start);
