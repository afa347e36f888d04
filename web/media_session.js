// The lock screen, the notification shade and headphone buttons (the Media Session API, in the engines that have
// it): the song's names and its card as artwork, and play, pause and seeking routed to the <audio> element.
// Engines without the API, or without one of its actions, simply get less; nothing here is required to play.

const SEEK_STEP_S = 10;

const supported = () => "mediaSession" in navigator;

// An action the engine may not know: setActionHandler throws for those.
function handle(action, handler) {
  try {
    navigator.mediaSession.setActionHandler(action, handler);
  } catch { /* not offered by this engine */ }
}

// Names the song ("For Ben", "Ana · Serenade") and its card.
export function describeSong(state) {
  if (!supported() || typeof MediaMetadata !== "function") return;
  const artwork = [];
  if (state.card_url) {
    try {
      artwork.push({ src: new URL(state.card_url, location.href).href, sizes: "1200x630", type: "image/png" });
    } catch { /* no artwork */ }
  }
  try {
    navigator.mediaSession.metadata = new MediaMetadata({
      title: `For ${state.recipient}`,
      artist: `${state.sender} · Serenade`,
      album: "Serenade",
      artwork,
    });
  } catch { /* an engine that refuses the artwork still plays */ }
}

export function forgetSong() {
  if (!supported()) return;
  navigator.mediaSession.metadata = null;
  try { navigator.mediaSession.playbackState = "none"; } catch { /* read-only in some engines */ }
}

// Routes the system's controls to `audio`. `seekable()` says whether the song can be sought in now: a song
// still being sung is one stream from its start, with no ranges.
export function connectControls(audio, { play, seekable }) {
  if (!supported()) return;
  const seekTo = (time) => {
    if (!seekable() || !Number.isFinite(time)) return;
    const end = Number.isFinite(audio.duration) ? audio.duration : time;
    audio.currentTime = Math.max(0, Math.min(time, end));
  };
  handle("play", () => play());
  handle("pause", () => audio.pause());
  handle("stop", () => audio.pause());
  handle("seekto", (details) => seekTo(details.seekTime));
  handle("seekbackward", (details) => seekTo(audio.currentTime - (details.seekOffset || SEEK_STEP_S)));
  handle("seekforward", (details) => seekTo(audio.currentTime + (details.seekOffset || SEEK_STEP_S)));

  const state = (value) => { try { navigator.mediaSession.playbackState = value; } catch { /* read-only */ } };
  audio.addEventListener("playing", () => state("playing"));
  audio.addEventListener("pause", () => state("paused"));
  // The position bar: only for a song with a known length (a live stream has none).
  const position = () => {
    if (typeof navigator.mediaSession.setPositionState !== "function") return;
    const duration = audio.duration;
    if (!seekable() || !Number.isFinite(duration) || duration <= 0) return;
    try {
      navigator.mediaSession.setPositionState({
        duration, playbackRate: audio.playbackRate || 1, position: Math.min(audio.currentTime, duration),
      });
    } catch { /* a position the engine will not take: no bar */ }
  };
  for (const event of ["durationchange", "seeked", "playing", "pause", "ratechange"]) {
    audio.addEventListener(event, position);
  }
}
