// The song player around one <audio> element.
//
// - live: the song is still being generated; /api/stream/{id} is a chunked stream of unknown length that always
//   starts at byte 0 (no Range): after a reload the old position is lost and is only found again by buffering
//   up to it (see resumeLive).
// - file: the song is finished; it is a plain file with Range: duration, seeking, reload-and-seek-back. The
//   player asks the song's URL (HEAD) which copy it is now and loads that copy's own URL (`Content-Location`,
//   `?v=`), whose bytes never change: the final copy may replace the live copy at any moment, and ranges of
//   one encode must never be joined to ranges of another. A song that completes while it plays live is switched
//   to the file only at a pause or at its end.
//
// The recipient's gift holds the player (holdForTap) until the person's tap: nothing loads before it, and the
// tap's click handler calls startFromTap, so that play() runs inside the gesture every engine accepts.
//
// Playback is started only on `canplay` (or once after 5 s without it) and on the person's tap; a refused
// autoplay shows the tap button, which `playing` hides however playback started. A stream that stalls (no
// progress, no data) for more than 8 s is reloaded, with doubling patience while reloads bring nothing new;
// it is never revived by calling play() in a loop.

const CANPLAY_FALLBACK_MS = 5000;
const STALL_MS = 8000; // doubled after each reload that brought no new music (at most 64 s)
const SILENT_STALL_MS = 2000; // no progress for this long counts as `waiting` even without the event
const LIVE_RESUME_MS = 15000; // how long a reloaded live stream may take to buffer up to the old position
const CATCH_UP_RATE = 4; // the silent catch-up plays this much faster than real time
const WATCH_MS = 1000;
const MAX_ERROR_RELOADS = 4;

export const formatTime = (total) => {
  if (!Number.isFinite(total) || total < 0) return "";
  const s = Math.floor(total);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
};

const songUrl = (state) => `/api/stream/${encodeURIComponent(state.session_id)}`;

const buffersUpTo = (ranges, t) => {
  for (let i = 0; i < ranges.length; ++i) if (ranges.start(i) <= t + 0.1 && t - 0.1 <= ranges.end(i)) return true;
  return false;
};

export class SongPlayer {
  // ui: { status(text), showTap(visible), duration(seconds|null) }
  constructor(audio, ui) {
    this.audio = audio;
    this.ui = ui;
    this.reset();
    const on = (name, handler) => audio.addEventListener(name, (event) => { if (this.mode !== "idle") handler(event); });
    on("loadedmetadata", () => this.onMetadata());
    on("durationchange", () => this.showDuration());
    on("canplay", () => this.onCanPlay());
    on("play", () => { if (!this.playingNow && !this.cancelResume) this.ui.status("Starting…"); });
    on("playing", () => this.onPlaying());
    on("pause", () => this.onPause());
    on("ended", () => this.onEnded());
    on("waiting", () => this.onTrouble("waiting"));
    on("stalled", () => this.onTrouble("stalled"));
    on("timeupdate", () => { this.onTimeUpdate(); this.showDuration(); });
    on("progress", () => { this.lastDataAt = Date.now(); });
    on("error", () => this.onError());
  }

  reset() {
    this.mode = "idle";
    this.held = false;
    this.heldState = null;
    this.url = "";
    this.complete = false;
    this.generation = 0;
    this.autoplay = false;
    this.resumeAt = 0;
    this.playingNow = false;
    this.everPlayed = false;
    this.troubleSince = 0;
    this.lastProgressAt = 0;
    this.lastDataAt = 0;
    this.lastTime = 0;
    this.furthest = 0;
    this.recoveries = 0;
    this.errorReloads = 0;
    this.restartNote = "";
    this.shownDuration = undefined;
    clearTimeout(this.fallbackTimer);
    clearInterval(this.watchTimer);
    clearTimeout(this.errorTimer);
    this.cancelResume?.();
  }

  // Stops playback and any download (a failed song, another song, leaving the page).
  stop() {
    const wasActive = this.mode !== "idle";
    this.reset();
    if (!wasActive) return;
    this.audio.pause();
    this.audio.removeAttribute("src");
    this.audio.load();
    this.ui.showTap(false);
    this.ui.status("");
    this.ui.duration(null);
  }

  // Called with every state of the song.
  update(state) {
    if (!state.stream_ready) return;
    if (this.held) {
      this.heldState = state;
      return;
    }
    const complete = state.phase === "complete";
    if (this.mode === "idle") {
      this.begin(state);
      return;
    }
    if (complete && !this.complete) {
      this.complete = true;
      // Never interrupt live playback: the switch to the seekable file waits for a pause or the end.
      if (this.mode === "live" && this.audio.paused) this.toFile();
      else if (this.playingNow) this.ui.status(this.describePlaying());
    }
  }

  begin(state, { source = "", fromTap = false } = {}) {
    this.url = songUrl(state);
    this.complete = state.phase === "complete";
    this.watchTimer = setInterval(() => this.watch(), WATCH_MS);
    this.load(this.complete ? "file" : "live", { autoplay: true, source, fromTap });
  }

  holdForTap() {
    this.held = true;
  }

  // The URL a tap should start: for a finished song the copy its URL serves now, asked ahead of the tap because
  // the tap's handler cannot wait for an answer.
  async tapUrl(state) {
    const url = songUrl(state);
    return state.phase === "complete" ? this.copyUrl(url) : url;
  }

  // From the tap's click handler, with the URL tapUrl() gave (or "" to let the player find it).
  startFromTap(source) {
    const state = this.heldState;
    this.held = false;
    this.heldState = null;
    if (!state || this.mode !== "idle") return;
    this.begin(state, { source, fromTap: true });
  }

  // Whether a position can be sought: the finished file has ranges, a live stream has none.
  get seekable() {
    return this.mode === "file";
  }

  toFile() {
    const at = this.audio.ended ? 0 : this.audio.currentTime;
    this.load("file", { autoplay: this.autoplay, at });
  }

  load(mode, { autoplay, at = 0, source = "", fromTap = false }) {
    this.generation += 1;
    const generation = this.generation;
    clearTimeout(this.fallbackTimer);
    this.cancelResume?.();
    this.mode = mode;
    this.autoplay = autoplay;
    this.resumeAt = at;
    this.canplaySeen = false;
    this.playingNow = false;
    this.troubleSince = 0;
    this.lastProgressAt = Date.now();
    this.lastDataAt = Date.now();
    this.audio.preload = "auto";
    if (source) {
      this.setSource(source);
    } else if (mode === "file") {
      this.copyUrl(this.url).then((url) => { if (generation === this.generation) this.setSource(url); });
    } else {
      this.setSource(this.url);
    }
    if (fromTap) {
      this.ui.status("Getting your song ready…");
      this.tryPlay();
      return;
    }
    if (autoplay) {
      this.ui.status(this.everPlayed ? "Reconnecting…" : "Getting your song ready…");
      // Some engines hold back `canplay` until play() is called: one attempt after 5 s without it.
      this.fallbackTimer = setTimeout(() => {
        if (generation === this.generation && !this.canplaySeen && this.audio.paused && this.autoplay) this.tryPlay();
      }, CANPLAY_FALLBACK_MS);
    }
  }

  setSource(url) {
    // Assigning the same URL again starts a new load too; load() makes that explicit.
    if (this.audio.getAttribute("src") === url) this.audio.load();
    else this.audio.src = url;
  }

  // The URL of the copy the song's URL serves now; the song's URL itself when it names none (still live, or the
  // question failed: then the answer has no ranges to mix, or the `error` event tries again).
  async copyUrl(songUrl) {
    try {
      const answer = await fetch(songUrl, { method: "HEAD", cache: "no-store" });
      const location = answer.ok && answer.headers.get("Content-Location");
      if (!location) return songUrl;
      const url = new URL(location, window.location.href);
      return url.origin === window.location.origin ? url.pathname + url.search : songUrl;
    } catch {
      return songUrl;
    }
  }

  onMetadata() {
    this.showDuration();
    if (this.resumeAt > 0 && this.mode === "file") {
      const duration = this.audio.duration;
      if (Number.isFinite(duration) && this.resumeAt < duration - 0.5) this.audio.currentTime = this.resumeAt;
      this.resumeAt = 0;
    }
  }

  onCanPlay() {
    this.canplaySeen = true;
    clearTimeout(this.fallbackTimer);
    if (this.resumeAt > 0 && this.mode === "live") {
      this.resumeLive();
      return;
    }
    if (this.autoplay && this.audio.paused) this.tryPlay();
    else if (this.audio.paused && !this.everPlayed) this.ui.status("Ready to play.");
  }

  // A reloaded live stream starts at byte 0 and has no Range: the old position can only come back from what the
  // browser buffers again, and a paused element buffers little. So it plays on silently (muted, and fast) from
  // the start until the buffer, or the silent playback itself, reaches the old position, then seeks there and
  // unmutes: the person hears a short pause, not the song starting over. (WebKitGTK reports no buffered ranges
  // for a live stream and cannot seek in it: there the fast silent playback is what gets back.) Bounded: after
  // LIVE_RESUME_MS it gives up and starts the song again from the beginning, saying so.
  resumeLive() {
    if (this.cancelResume) return;
    const at = this.resumeAt;
    const audio = this.audio;
    const wasMuted = audio.muted;
    const rate = audio.playbackRate;
    let done = false;
    const finish = (reached) => {
      if (done) return;
      done = true;
      this.cancelResume();
      this.resumeAt = 0;
      if (reached) {
        if (audio.currentTime < at - 0.1) audio.currentTime = at; // else the silent playback got there itself
      } else {
        audio.currentTime = 0; // what played silently was never heard
        this.restartNote = "The connection was restored; the song starts again from the beginning.";
      }
      audio.muted = wasMuted;
      if (audio.paused) this.tryPlay();
      else this.ui.status(`${this.describePlaying()} ${this.restartNote}`.trim());
      if (!audio.paused) this.restartNote = "";
    };
    const check = () => { if (audio.currentTime >= at - 0.1 || buffersUpTo(audio.buffered, at)) finish(true); };
    const timer = setTimeout(() => finish(false), LIVE_RESUME_MS);
    audio.addEventListener("progress", check);
    audio.addEventListener("timeupdate", check);
    this.cancelResume = () => {
      clearTimeout(timer);
      audio.removeEventListener("progress", check);
      audio.removeEventListener("timeupdate", check);
      this.cancelResume = null;
      audio.playbackRate = rate;
      if (!done) audio.muted = wasMuted;
    };
    check();
    if (!done) {
      audio.muted = true;
      audio.playbackRate = CATCH_UP_RATE;
      this.tryPlay();
    }
  }

  tryPlay() {
    this.autoplay = false;
    let promise;
    try {
      promise = this.audio.play();
    } catch (error) {
      this.playRefused(error);
      return;
    }
    if (promise && typeof promise.catch === "function") promise.catch((error) => this.playRefused(error));
  }

  playRefused(error) {
    const name = error && error.name;
    if (name === "AbortError") return; // a new source replaced this one: its own canplay decides
    if (!this.audio.paused) return;
    if (name === "NotAllowedError") {
      this.ui.showTap(true);
      this.ui.status("Your song is ready. Tap to play it.");
      return;
    }
    // NotSupportedError and the like: the `error` event reports and recovers.
  }

  // The tap button: play() inside the click handler itself, so the browser sees the person's gesture.
  tap() {
    let promise;
    try {
      promise = this.audio.play();
    } catch {
      return;
    }
    if (promise && typeof promise.catch === "function") {
      promise.catch((error) => {
        if (error && error.name === "NotAllowedError") {
          this.ui.status("Your browser blocked the sound. Use the play button of the player.");
        }
      });
    }
  }

  describePlaying() {
    if (this.mode === "live" && !this.complete) return "Playing — your song is still being sung.";
    return "Playing.";
  }

  onPlaying() {
    this.playingNow = true;
    if (this.cancelResume) return; // the silent catch-up of resumeLive(): still "Reconnecting…"
    this.everPlayed = true;
    this.autoplay = false;
    this.errorReloads = 0;
    this.troubleSince = 0;
    this.lastProgressAt = Date.now();
    clearTimeout(this.fallbackTimer);
    this.ui.showTap(false);
    const note = this.restartNote;
    this.restartNote = "";
    this.ui.status(note ? `${this.describePlaying()} ${note}` : this.describePlaying());
  }

  onPause() {
    this.playingNow = false;
    this.troubleSince = 0;
    if (this.audio.ended) return; // `ended` follows
    this.ui.status("Paused.");
    if (this.mode === "live" && this.complete) this.toFile();
  }

  onEnded() {
    this.playingNow = false;
    this.troubleSince = 0;
    this.ui.status("The end. Play it again any time.");
    // Afterwards the same URL is a finished file: reload it (no autoplay) for its duration and seeking.
    if (this.mode === "live" && this.complete) this.load("file", { autoplay: false, at: 0 });
  }

  onTrouble(kind) {
    if (this.audio.paused || this.audio.ended) return;
    if (!this.troubleSince) this.troubleSince = Date.now();
    if (kind === "waiting") this.ui.status("Waiting for the music…");
  }

  onTimeUpdate() {
    const t = this.audio.currentTime;
    if (t > this.furthest + 1) { // music not heard before: the stall (if any) is over for good
      this.furthest = t;
      this.recoveries = 0;
    }
    if (Math.abs(t - this.lastTime) > 0.2) {
      this.lastTime = t;
      this.lastProgressAt = Date.now();
      if (this.troubleSince && !this.audio.paused) {
        this.troubleSince = 0;
        this.ui.status(this.describePlaying());
      }
    }
  }

  // A stall that lasts: no playback progress and no data for 8 s while meant to play. Firefox may sit at the end
  // of what it has with readyState HAVE_ENOUGH_DATA and never fire `waiting`, so progress alone decides; the
  // events only make the person see it sooner. Reloads that brought nothing new double the patience (8, 16, 32,
  // 64 s).
  watch() {
    if (this.mode === "idle" || this.audio.paused || this.audio.ended || this.cancelResume) return;
    const now = Date.now();
    if (!this.troubleSince && now - this.lastProgressAt > SILENT_STALL_MS) {
      this.troubleSince = this.lastProgressAt;
      this.ui.status("Waiting for the music…");
    }
    if (!this.troubleSince) return;
    const limit = STALL_MS * 2 ** Math.min(this.recoveries, 3);
    const stuck = now - Math.max(this.troubleSince, this.lastProgressAt) > limit;
    const starved = now - this.lastDataAt > limit || now - this.lastProgressAt > 3 * limit;
    if (stuck && starved) this.recover();
  }

  recover() {
    this.recoveries += 1;
    const at = this.audio.currentTime;
    this.ui.status("The connection stalled. Reconnecting…");
    // A finished song (even one that was playing live) comes back as the file, at the same place.
    this.load(this.complete ? "file" : "live", { autoplay: true, at });
  }

  onError() {
    const error = this.audio.error;
    if (!error || this.mode === "idle") return;
    clearTimeout(this.fallbackTimer);
    this.playingNow = false;
    if (this.errorReloads >= MAX_ERROR_RELOADS) {
      this.ui.status("We could not play the song. Please reload the page in a minute.");
      return;
    }
    const delay = 1000 * 2 ** this.errorReloads;
    this.errorReloads += 1;
    const at = this.audio.currentTime || this.lastTime;
    const wanted = this.everPlayed || this.autoplay;
    this.ui.status("We lost the connection to the song. Reconnecting…");
    clearTimeout(this.errorTimer);
    const generation = this.generation;
    this.errorTimer = setTimeout(() => {
      if (generation !== this.generation) return;
      this.load(this.complete ? "file" : "live", { autoplay: wanted, at });
    }, delay);
  }

  // Also called on timeupdate: WebKitGTK learns a file's duration while it plays without firing durationchange.
  showDuration() {
    const duration = this.audio.duration;
    const shown = this.mode === "file" && Number.isFinite(duration) ? Math.floor(duration) : null;
    if (shown === this.shownDuration) return;
    this.shownDuration = shown;
    this.ui.duration(shown);
  }
}
