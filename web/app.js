// Serenade's pages: create (the story form), the song page (composing, then the player; also the share link
// /s/{id}), failed (try again under the same link), not found, and out of service. Plain ES modules, no build.
import { setupForm, refusalSentence, ownerTokenOf, forgetOwnerToken } from "/form.js";
import { follow, isFinished } from "/follow.js";
import { SongPlayer, formatTime } from "/player.js";

const $ = (id) => document.getElementById(id);
const VIEWS = ["create", "song", "failed", "not-found", "deleted", "unavailable"];

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

// ---------------------------------------------------------------------------------------------------- the song

let song = null; // { id, follower, state, clock, startedAt }

function closeSong() {
  if (!song) return;
  song.follower?.stop();
  clearInterval(song.clock);
  song = null;
  player.stop();
}

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
  document.title = `A song for ${state.recipient} — Serenade`;
  $("song-from").textContent = `A song from ${state.sender}`;
  $("song-title").textContent = `For ${state.recipient}`;
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
  if (complete && !song.downloadAsked) {
    song.downloadAsked = true;
    offerDownloadOnceKept(song);
  }
  player.update(state);
  if (first) showView("song", { focus: song.focusOnShow });
  if ("mediaSession" in navigator && typeof MediaMetadata === "function" && state.stream_ready) {
    try {
      navigator.mediaSession.metadata = new MediaMetadata({ title: `For ${state.recipient}`, artist: "Serenade", album: `A song from ${state.sender}` });
    } catch { /* optional */ }
  }
}

// The download (named and tagged by the server) is offered once the server keeps the finished song: it answers
// 409 until then, a few seconds after the song ends.
async function offerDownloadOnceKept(current) {
  const url = `/api/stream/${encodeURIComponent(current.id)}/download`;
  for (let attempt = 0; attempt < 60 && song === current; attempt += 1) {
    try {
      const answer = await fetch(url, { method: "HEAD", cache: "no-store" });
      if (song !== current) return;
      if (answer.ok) {
        $("download").href = url;
        $("download-line").hidden = false;
        return;
      }
      if (answer.status !== 409) return;
    } catch { /* the connection dropped for a moment: ask again */ }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

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
  $("take-back-box").hidden = true;
  $("delete-confirm").hidden = true;
  $("delete-button").hidden = false;
  $("delete-error").textContent = "";
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
  if ($("view-song").hidden && song.state) showView("song", { focus: true });
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
  song = { id, follower: null, state: null, clock: 0, startedAt: performance.now(), focusOnShow: focus };
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
