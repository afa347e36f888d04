// The plain first page: the story form, then the song playing as soon as it can stream.
"use strict";

const $ = (id) => document.getElementById(id);
const fields = ["sender", "recipient", "story", "style"];
const stageWords = {
  composing: "Writing your lyrics and composing…",
  streaming: "Your song is playing while it is being sung…",
  complete: "Your song is ready.",
  failed: "We could not finish this song.",
};

// Any /s/… path is a share link; a malformed one is answered by the server as unknown (not-found page).
function sessionFromPath() {
  const match = location.pathname.match(/^\/s\/([^/]*)$/);
  return match ? encodeURIComponent(match[1]) : null;
}

function showErrors(body) {
  for (const name of fields) $(`${name}-error`).textContent = (body.errors && body.errors[name]) || "";
  $("form-error").textContent = body.detail || "";
}

// One key per form fill: a double click or a retried request finds the same song instead of paying twice.
let idempotencyKey = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2);

async function submitStory(event) {
  event.preventDefault();
  const payload = Object.fromEntries(fields.map((name) => [name, $(name).value]));
  $("submit").disabled = true;
  showErrors({});
  try {
    const response = await fetch("/api/submissions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": idempotencyKey },
      body: JSON.stringify(payload),
    });
    const body = await response.json();
    if (!response.ok) {
      showErrors(body);
      return;
    }
    history.pushState({}, "", body.share_url);
    follow(body.session_id);
  } catch (error) {
    showErrors({ detail: "We could not reach Serenade. Please check your connection and try again." });
  } finally {
    $("submit").disabled = false;
  }
}

async function follow(sessionId) {
  $("create").hidden = true;
  $("song").hidden = false;
  $("share-link").href = $("share-link").textContent = location.origin + "/s/" + sessionId;
  let started = false;
  for (;;) {
    const response = await fetch(`/api/submissions/${sessionId}`);
    if (response.status === 404) {
      $("song").hidden = true;
      $("not-found").hidden = false;
      return;
    }
    const state = await response.json();
    $("song-title").textContent = `A song for ${state.recipient}, from ${state.sender}`;
    $("stage").textContent = state.error || stageWords[state.phase] || "Composing…";
    if (state.stream_ready && !started) {
      started = true;
      startPlayer(state.stream_url);
    }
    if (state.phase === "complete" || state.phase === "failed") return;
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

function startPlayer(url) {
  const player = $("player");
  player.src = url;
  player.load();
  player.addEventListener("playing", () => { $("tap-to-play").hidden = true; });
  player.addEventListener("canplay", () => {
    player.play().catch(() => { $("tap-to-play").hidden = false; });
  }, { once: true });
  $("tap-button").addEventListener("click", () => { player.play(); });
}

$("story-form").addEventListener("submit", submitStory);
const initialSession = sessionFromPath();
if (initialSession) follow(initialSession);
