// Serenade's pages: create (the story form), the song page (composing, then the player; also the share link
// /s/{id} in the browser that made the song), the gift (the share link opened anywhere else: a greeting and one
// tap, then the song page), failed (try again under the same link), not found, and out of service. Plain ES
// modules, no build.
import { setupForm, refusalSentence, ownerTokenOf, forgetOwnerToken } from "/form.js";
import { follow, isFinished } from "/follow.js";
import { SongPlayer, formatTime } from "/player.js";
import { connectControls, describeSong, forgetSong } from "/media_session.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["create", "gift", "song", "failed", "not-found", "deleted", "unavailable"];

// The song's step (the server's `stage`) in words.
const STEPS = ["lyrics", "compose", "start", "finish"];
const STAGE_WORDS = {
  lyrics: "Writing your lyrics…",
  compose: "Composing…",
  start: "Your song is starting",
  finish: "Finishing your song",
  done: "Your song is ready",
};

function stageOf(state) {
  const step = STAGE_WORDS[state.stage] ? state.stage : "lyrics";
  return [step, STAGE_WORDS[step]];
}

function showView(name, { focus = false } = {}) {
  for (const view of VIEWS) $(`view-${view}`).hidden = view !== name;
  document.body.dataset.view = name;
  if (focus) {
    const heading = $(`view-${name}`).querySelector("h1");
    if (heading) heading.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
}

const player = new SongPlayer($("player"), {
  status: (text) => { $("player-state").textContent = text; },
  showTap: (visible) => { $("tap-to-play").hidden = !visible; },
  duration: (seconds) => { $("duration").textContent = seconds ? `(${formatTime(seconds)})` : ""; },
});
$("tap-button").addEventListener("click", () => player.tap());
connectControls($("player"), { play: () => player.tap(), seekable: () => player.seekable });

// ---------------------------------------------------------------------------------------------------- the song

// gift: opened by the person it is for, who has not tapped yet; tapUrl: what their tap will load.
let song = null; // { id, follower, state, clock, startedAt, gift, tapUrl }

function closeSong() {
  if (!song) return;
  song.follower?.stop();
  clearInterval(song.clock);
  song = null;
  player.stop();
  forgetSong();
}

// Text with people's names in it, each name isolated (<bdi>): a right-to-left name never reorders the words around it.
function showWithNames(element, parts) {
  const nodes = parts.map((part) => (typeof part === "string" ? part : Object.assign(document.createElement("bdi"), { textContent: part.name })));
  element.replaceChildren(...nodes);
}

// The view a song's state is shown in: the gift until its person taps, else the song page.
const songView = () => (song.gift ? "gift" : "song");

function renderGift(state) {
  const recipient = state.recipient;
  const sender = state.sender;
  document.title = `${recipient}, ${sender} wrote you a song — Serenade`;
  showWithNames($("gift-title"), [{ name: recipient }, ", ", { name: sender }, " wrote you a song"]);
  $("gift-style").textContent = state.style ? `In the style of ${state.style}` : "";
  const ready = state.stream_ready;
  $("gift-writing").hidden = ready;
  $("gift-play").hidden = !ready;
  if (ready && !song.tapUrlAsked) {
    song.tapUrlAsked = true;
    const current = song;
    player.tapUrl(state).then((url) => { if (song === current) song.tapUrl = url; });
  }
}

// The tap that opens the gift: play() runs inside this handler, then the gift becomes the song page.
$("gift-play").addEventListener("click", () => {
  if (!song || !song.gift) return;
  song.gift = false;
  player.startFromTap(song.tapUrl || "");
  showView("song");
  $("player").focus();
});

function sessionFromPath(pathname) {
  const match = pathname.match(/^\/s\/([^/]+)\/?$/);
  return match ? match[1] : null;
}

function absoluteShareUrl(state) {
  try {
    return new URL(state.share_url || `/s/${state.session_id}`, location.origin).href;
  } catch {
    return location.href;
  }
}

// Elapsed since the story was sent, by the server's clock when the two clocks roughly agree.
function elapsedSeconds() {
  // created_at is the first attempt's: after "Try again", count from when this page followed the new attempt.
  const created = song.state && song.state.attempt <= 1 && Date.parse(song.state.created_at);
  const byServer = Number.isFinite(created) ? (Date.now() - created) / 1000 : NaN;
  if (Number.isFinite(byServer) && byServer >= 0 && byServer < 6 * 3600) return byServer;
  return (performance.now() - song.startedAt) / 1000;
}

function tick() {
  if (!song || !song.state) return;
  $("elapsed").textContent = formatTime(elapsedSeconds());
}

function renderLyrics(text) {
  const box = $("lyrics");
  if (box.dataset.text === text) return;
  box.dataset.text = text;
  box.replaceChildren();
  let stanza = null;
  for (const raw of text.replace(/\r\n/g, "\n").split("\n")) {
    const line = raw.trim();
    if (!line) { stanza = null; continue; }
    const section = line.match(/^\[(.+)\]$/);
    if (section) {
      const heading = document.createElement("h3");
      heading.textContent = section[1];
      box.append(heading);
      stanza = null;
      continue;
    }
    if (!stanza) {
      stanza = document.createElement("p");
      box.append(stanza);
    } else {
      stanza.append(document.createElement("br"));
    }
    stanza.append(document.createTextNode(line));
  }
}

function renderSong(state) {
  const first = !song.state;
  song.state = state;
  if (song.gift) renderGift(state);
  else document.title = `A song for ${state.recipient} — Serenade`;
  showWithNames($("song-from"), ["A song from ", { name: state.sender }]);
  showWithNames($("song-title"), ["For ", { name: state.recipient }]);
  $("song-style").textContent = state.style ? `In the style of ${state.style}` : "";

  const [step, words] = stageOf(state);
  if ($("stage").textContent !== words) $("stage").textContent = words;
  document.body.dataset.phase = state.phase;
  document.body.dataset.status = state.status;
  const current = STEPS.indexOf(step);
  for (const item of $("steps").children) {
    const index = STEPS.indexOf(item.dataset.step);
    const done = step === "done" || index < current;
    item.classList.toggle("done", done);
    item.classList.toggle("current", index === current);
    if (index === current) item.setAttribute("aria-current", "step");
    else item.removeAttribute("aria-current");
  }

  const finished = isFinished(state);
  if (finished) {
    clearInterval(song.clock);
    song.clock = 0;
    if (state.attempt <= 1 && Date.parse(state.completed_at) && Date.parse(state.created_at)) {
      const took = (Date.parse(state.completed_at) - Date.parse(state.created_at)) / 1000;
      $("elapsed-line").textContent = took > 0 ? `Written and sung in ${formatTime(took)}` : "";
    } else {
      $("elapsed-line").textContent = "";
    }
  } else if (!song.clock) {
    song.clock = setInterval(tick, 1000);
  }
  if (!finished) tick();

  if (state.lyrics) renderLyrics(state.lyrics);
  $("share-url").value = absoluteShareUrl(state);
  $("take-back-box").hidden = !ownerTokenOf(state.session_id);

  $("player-box").hidden = !state.stream_ready;
  const complete = state.phase === "complete";
  if (complete) offerDownload(state);
  player.update(state);
  if (first) showView(songView(), { focus: song.focusOnShow });
  if (state.stream_ready) describeSong(state);
}

// The download (named and tagged by the server) is offered as soon as the song is complete. The server keeps the
// finished song a few seconds later and answers 409 until then: a click that early is told so, rather than
// saving an error as a file. A click that finds it ready clicks the link again, and that click downloads.
function offerDownload(state) {
  $("download").href = `/api/stream/${encodeURIComponent(state.session_id)}/download`;
  $("download-line").hidden = false;
}

$("download").addEventListener("click", async (event) => {
  const link = event.currentTarget;
  if (link.dataset.ready === "yes") {
    delete link.dataset.ready;
    return; // the browser's own download
  }
  event.preventDefault();
  const note = $("download-note");
  note.textContent = "";
  try {
    const answer = await fetch(link.href, { method: "HEAD", cache: "no-store" });
    if (answer.ok) {
      link.dataset.ready = "yes";
      link.click();
      return;
    }
    note.textContent = answer.status === 409
      ? "Your song is being saved; the download is ready in a few seconds."
      : "The download is not available right now. Please try again in a minute.";
  } catch {
    note.textContent = "We could not reach Serenade. Please check your connection and try again.";
  }
});

function resetSongPage() {
  $("stage").textContent = "Opening your song…";
  $("song-title").textContent = "Opening your song…";
  $("song-from").textContent = "Your song";
  $("song-style").textContent = "";
  $("elapsed-line").replaceChildren("Time so far: ", Object.assign(document.createElement("time"), { id: "elapsed", textContent: "0:00" }));
  $("connection-note").textContent = "";
  $("share-note").textContent = "";
  $("player-state").textContent = "";
  $("player-box").hidden = true;
  $("tap-to-play").hidden = true;
  $("download-line").hidden = true;
  $("download-note").textContent = "";
  $("take-back-box").hidden = true;
  $("delete-confirm").hidden = true;
  $("delete-button").hidden = false;
  $("delete-error").textContent = "";
  $("gift-title").textContent = "Someone wrote you a song";
  $("gift-writing").hidden = false;
  $("gift-play").hidden = true;
  $("gift-style").textContent = "";
  $("lyrics").dataset.text = "";
  $("lyrics").replaceChildren(Object.assign(document.createElement("p"), {
    className: "muted", textContent: "The lyrics appear here as soon as they are written.",
  }));
}

function handleState(state) {
  if (!song) return;
  if (state.phase === "failed") {
    song.state = state;
    clearInterval(song.clock);
    song.clock = 0;
    player.stop();
    document.body.dataset.phase = "failed";
    document.title = "This song could not be finished — Serenade";
    $("failed-reason").textContent = state.error ? `What went wrong: ${state.error}` : "";
    $("retry-error").textContent = "";
    $("retry-button").disabled = false;
    showView("failed", { focus: true });
    return;
  }
  if ($(`view-${songView()}`).hidden && song.state) showView(songView(), { focus: true });
  renderSong(state);
}

function followSong(initial) {
  const id = song.id;
  song.follower = follow(id, {
    onState: handleState,
    onGone: (deleted) => {
      if (!song || song.id !== id) return;
      const wasShowing = Boolean(song.state);
      closeSong();
      if (deleted) {
        forgetOwnerToken(id);
        document.title = "This song is no longer here — Serenade";
        showView("deleted", { focus: wasShowing });
        return;
      }
      document.title = "Song not found — Serenade";
      showView("not-found", { focus: wasShowing });
    },
    onUnavailable: (detail) => {
      if (!song || song.id !== id) return;
      closeSong();
      document.title = "Not reachable — Serenade";
      $("unavailable-detail").textContent = detail ||
        "We could not reach Serenade. Please check your connection, or try again in a minute.";
      $("unavailable-button").onclick = () => openSong(id, { focus: true });
      showView("unavailable");
    },
    onConnection: (ok) => {
      $("connection-note").textContent = ok ? "" : "The connection is unsteady; still following your song…";
    },
  }, { initial });
}

function openSong(id, { focus = false, initial = null } = {}) {
  closeSong();
  resetSongPage();
  // Only the browser that made the song holds its owner token: anywhere else, the link is a gift.
  const gift = !ownerTokenOf(id);
  song = { id, follower: null, state: null, clock: 0, startedAt: performance.now(), focusOnShow: focus, gift };
  if (gift) player.holdForTap();
  followSong(initial);
}

// "Try again" after a failed generation: the same link, a new generation, back to composing.
$("retry-button").addEventListener("click", async () => {
  if (!song) return;
  const id = song.id;
  const button = $("retry-button");
  button.disabled = true;
  $("retry-error").textContent = "";
  try {
    const response = await fetch(`/api/submissions/${id}/retry`, { method: "POST" });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    if (!song || song.id !== id) return;
    if (response.ok && body && body.session_id) {
      openSong(id, { focus: true, initial: body });
      return;
    }
    if (response.status === 409) { // someone already tried again: just follow the song
      openSong(id, { focus: true });
      return;
    }
    if (response.status === 404) {
      closeSong();
      showView("not-found", { focus: true });
      return;
    }
    $("retry-error").textContent = refusalSentence(response.status, body, response.headers.get("Retry-After"));
  } catch {
    $("retry-error").textContent = "We could not reach Serenade. Please check your connection and try again.";
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------------------------------------------- taking it back

$("delete-button").addEventListener("click", () => {
  $("delete-button").hidden = true;
  $("delete-confirm").hidden = false;
  $("delete-no").focus();
});
$("delete-no").addEventListener("click", () => {
  $("delete-confirm").hidden = true;
  $("delete-button").hidden = false;
  $("delete-button").focus();
});
$("delete-yes").addEventListener("click", async () => {
  if (!song) return;
  const id = song.id;
  const token = ownerTokenOf(id);
  const button = $("delete-yes");
  button.disabled = true;
  $("delete-error").textContent = "";
  try {
    const response = await fetch(`/api/submissions/${id}`, {
      method: "DELETE",
      headers: { Authorization: `Bearer ${token}` },
    });
    if (response.status === 204 || response.status === 410) {
      forgetOwnerToken(id);
      closeSong();
      document.title = "This song is no longer here — Serenade";
      showView("deleted", { focus: true });
      return;
    }
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    $("delete-error").textContent = (body && body.detail) || "The song could not be deleted. Please try again.";
  } catch {
    $("delete-error").textContent = "We could not reach Serenade. Please check your connection and try again.";
  } finally {
    button.disabled = false;
  }
});

// ---------------------------------------------------------------------------------------------------- sharing

$("share-button").addEventListener("click", async () => {
  const url = $("share-url").value;
  const note = $("share-note");
  note.textContent = "";
  const title = song && song.state ? `A song for ${song.state.recipient}` : "A song for you";
  if (typeof navigator.share === "function") {
    try {
      await navigator.share({ title, text: `${title}, made with Serenade`, url });
      return;
    } catch (error) {
      if (error && error.name === "AbortError") return; // the person closed the share sheet
    }
  }
  if (navigator.clipboard && typeof navigator.clipboard.writeText === "function") {
    try {
      await navigator.clipboard.writeText(url);
      note.textContent = "Link copied. Paste it into a message to send the song.";
      return;
    } catch { /* fall through: select the text */ }
  }
  const field = $("share-url");
  field.focus();
  field.select();
  field.setSelectionRange(0, url.length);
  note.textContent = "The link is selected: copy it (Ctrl+C, or ⌘C on a Mac) and send it.";
});
$("share-url").addEventListener("focus", (event) => event.target.select());

// ---------------------------------------------------------------------------------------------------- routing

function route({ focus = false } = {}) {
  const id = sessionFromPath(location.pathname);
  if (id) {
    openSong(id, { focus });
    return;
  }
  closeSong();
  document.title = "Serenade — a song for someone you love";
  if (location.pathname === "/" || location.pathname === "/index.html") {
    showView("create", { focus });
  } else {
    showView("not-found", { focus });
  }
}

setupForm((id) => {
  history.pushState({ song: id }, "", `/s/${id}`);
  openSong(id, { focus: true });
});
window.addEventListener("popstate", () => route({ focus: true }));
route();
