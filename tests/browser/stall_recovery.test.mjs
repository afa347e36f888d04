// Test 7 (ctest browser.ENGINE_stall_recovery): the listener's own connection to a live song stalls (a proxy
// in front of Serenade stops the first /api/stream answer after ~9 s of music and keeps it open, silent). The page
// must not loop play(): its stall watch (a 1 s interval that reloads once the stall has lasted 8 s) reloads the
// source once, the new connection buffers (silently) up to where the song was, and the person hears it continue
// from there, not from the beginning. The test records the order of what happens in the page (a new source, a
// tick of the stall watch that reloads, play(), playback progress) and checks that the only reload came from the
// stall watch, that nothing called play() between the stall and that reload, and what was heard afterwards.
// Built-in simulator: 60 s songs at 2x, ready after ~3 s (the page is open before the song can stream, so the
// watch is in place in every engine, also where it is added after the page loaded).
import {
  createOwnedSong, fail, pageState, runTest, startProxy, waitInPage, waitPlaying,
} from "./lib.mjs";

const STALL_AFTER_BYTES = 150_000; // about 9 s of the simulator's 128 kbit/s stream

await runTest("stall_recovery", async (t) => {
  const base = await t.startServer();
  const proxy = await startProxy(base, { watch: /^\/api\/stream\//, stallAfterBytes: STALL_AFTER_BYTES });
  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "stalled live song");
  const song = await createOwnedSong(base);
  const id = song.id;
  t.log(`created song ${id}; the browser talks to Serenade through ${proxy.url}`);
  await t.rememberAsMaker(page, proxy.url, song);
  const link = `${proxy.url}/s/${id}`;
  if (page.canInject) {
    await page.addInitScript(watchPlayback);
    await t.open(page, link);
  } else {
    await t.open(page, link);
    await page.evaluate(watchPlayback);
    // The stall watch starts when the source is set: it must start after the timers are watched.
    const early = await page.evaluate(() => document.getElementById("player").src !== "");
    if (early) fail("the song's source was set before the test could watch it (the song was ready too early)");
  }
  await waitPlaying(page, 2, 30_000, "the live song did not start");

  // The stall: playback stops where the proxy cut the stream.
  await waitInPage(page, "the stream did not stall", () => {
    const a = document.getElementById("player");
    return window.__lastT === a.currentTime ? (window.__same = (window.__same || 0) + 1) > 20 : ((window.__lastT = a.currentTime), (window.__same = 0), false);
  }, null, 30_000);
  const stalledAt = (await pageState(page)).audio.currentTime;
  t.log(`playback stalled at ${stalledAt} s (${proxy.state.requests.length} stream request(s) so far)`);
  await t.screenshots(page, "stalled");

  // Recovery: one reload, then playback from where it stalled.
  await waitInPage(page, "playback did not continue after the stall",
    (at) => { const a = document.getElementById("player"); return !a.paused && a.currentTime > at + 3; }, stalledAt, 30_000);
  const seen = await page.evaluate(() => window.__stallWatch);
  const state = await pageState(page);
  const order = seen.order;
  t.log(`recovered: ${proxy.state.requests.length} stream requests; now at ${state.audio.currentTime} s; events in order: ${order.join(", ")}`);
  if (proxy.state.requests.length !== 2) fail(`expected exactly one reload of the stream, saw ${proxy.state.requests.length} requests`);
  const sources = order.flatMap((e, i) => (e === "source" ? [i] : []));
  if (sources.length !== 2) fail(`expected the source to be set twice (load, one reload), saw ${sources.length}: ${order.join(", ")}`);
  const reload = sources[1];
  if (order[reload - 1] !== "stall_timer") fail(`the stream was reloaded other than by the stall watch: ${order.join(", ")}`);
  // No looping play(): nothing calls play() from the last progress before the stall until the stall watch reloads,
  // and the recovery itself calls it at most once.
  const stallBegan = order.lastIndexOf("progress", reload);
  if (stallBegan < sources[0]) fail(`playback never progressed before the reload: ${order.join(", ")}`);
  const playsWhileStalled = order.slice(stallBegan, reload).filter((e) => e === "play").length;
  if (playsWhileStalled) fail(`play() was called ${playsWhileStalled} time(s) during the stall (looping play()): ${order.join(", ")}`);
  const playsToRecover = order.slice(reload).filter((e) => e === "play").length;
  if (playsToRecover > 1) fail(`play() was called ${playsToRecover} times to recover (looping play()): ${order.join(", ")}`);
  // Continued, not restarted: everything heard after the reload lies at or after where the stall was.
  const heard = seen.heard.filter(([source]) => source === 2).map(([, time]) => time);
  if (!heard.length) {
    fail(`nothing was heard after the reload (audible timeupdates in all: ${seen.heard.length}, last ${JSON.stringify(seen.heard.slice(-3))}; muted now: ${state.audio.muted})`);
  }
  t.log(`heard after the reload: ${heard[0].toFixed(2)} s … ${heard[heard.length - 1].toFixed(2)} s`);
  if (Math.min(...heard) < stalledAt - 1) {
    fail(`after the reload the song was heard again from ${Math.min(...heard).toFixed(2)} s, not from where it stalled (${stalledAt} s)`);
  }
  if (await page.evaluate(() => document.getElementById("player").muted)) fail("the player is left muted after the recovery");
  const restartNote = /starts again from the beginning/.test(state.playerState);
  if (restartNote) fail(`the song restarted from the beginning instead of resuming at ${stalledAt} s`);
  await t.screenshots(page, "recovered");
  proxy.close();
  t.forget(page);
}, { budgetMs: 90_000 });

// Records, in order: "source" (the <audio> gets a source: src set or load()), "stall_timer" (a tick of the page's
// 1 s stall watch that sets a new source, recorded just before that "source"), "play" (play() called) and
// "progress" (playback moved on; one entry per run of timeupdates). Also what the person hears: [number of sources
// so far, currentTime] of each audible (unmuted, playing) timeupdate. Runs in the page, so it names the watch's
// interval itself. Media events do not bubble: capture them on the document.
function watchPlayback() {
  const seen = (window.__stallWatch = { order: [], heard: [], sources: 0 });
  let inWatchTick = false;
  const setTicker = window.setInterval;
  window.setInterval = function watchedInterval(callback, delay, ...rest) {
    if (delay !== 1000 || typeof callback !== "function") return setTicker.call(window, callback, delay, ...rest);
    return setTicker.call(window, (...args) => {
      inWatchTick = true;
      try { return callback(...args); } finally { inWatchTick = false; }
    }, delay, ...rest);
  };
  const newSource = () => {
    if (inWatchTick) seen.order.push("stall_timer");
    seen.order.push("source");
    seen.sources += 1;
  };
  const media = HTMLMediaElement.prototype;
  const src = Object.getOwnPropertyDescriptor(media, "src");
  Object.defineProperty(media, "src", { ...src, set(value) { newSource(); src.set.call(this, value); } });
  const load = media.load;
  media.load = function watchedLoad() { if (this.getAttribute("src")) newSource(); return load.call(this); };
  const play = media.play;
  media.play = function watchedPlay() { seen.order.push("play"); return play.call(this); };
  let lastTime = -1;
  document.addEventListener("timeupdate", (e) => {
    const a = e.target;
    if (Math.abs(a.currentTime - lastTime) > 0.2) {
      lastTime = a.currentTime;
      if (seen.order[seen.order.length - 1] !== "progress") seen.order.push("progress");
    }
    if (!a.muted && !a.paused && !a.seeking) seen.heard.push([seen.sources, a.currentTime]);
  }, true);
}
