// Test 8 (ctest browser.ENGINE_no_canplay_fallback): an engine that never fires `canplay` before play() (iOS
// Safari does so with some streams) still plays: the page tries play() once, 5 s after it set the source. The
// test swallows every `canplay` before it reaches the <audio> element (a capturing listener on the window stops
// it), then checks that nothing called play() before those 5 s, that one call came after them, and that the song
// is heard.
// Built-in simulator: 60 s songs at 2x, ready after ~3 s (the page is open before the song can stream, so the
// listener is in place in every engine, also where it is added after the page loaded).
import { createOwnedSong, fail, pageState, runTest, waitInPage, waitPlaying } from "./lib.mjs";

const FALLBACK_MS = 5000;

await runTest("no_canplay_fallback", async (t) => {
  const base = await t.startServer();
  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "no canplay");
  const song = await createOwnedSong(base);
  const id = song.id;
  t.log(`created song ${id} through the API`);
  await t.rememberAsMaker(page, base, song);
  if (page.canInject) {
    await page.addInitScript(swallowCanplay);
    await t.open(page, `${base}/s/${id}`);
  } else {
    await t.open(page, `${base}/s/${id}`);
    await page.evaluate(swallowCanplay);
    // The fallback timer starts when the source is set: it must start after the timers are watched.
    const early = await page.evaluate(() => document.getElementById("player").src !== "");
    if (early) fail("the song's source was set before the test could watch it (the song was ready too early)");
  }

  await waitPlaying(page, 2, 30_000, "the song did not play without canplay");
  const seen = await page.evaluate(() => window.__noCanplay);
  t.log(`canplay swallowed ${seen.swallowed} time(s); events in order: ${seen.order.join(", ")}`);
  if (seen.swallowed < 1) fail("no canplay was swallowed: the scenario did not happen");
  const firstPlay = seen.order.indexOf("play");
  const fallback = seen.order.indexOf("fallback_timer");
  if (firstPlay < 0) fail("the song plays but play() was never called (autoplay attribute?)");
  if (fallback < 0 || firstPlay < fallback) fail(`play() was called before the ${FALLBACK_MS} ms fallback timer fired: ${seen.order.join(", ")}`);
  const plays = seen.order.filter((e) => e === "play").length;
  if (plays > 1) fail(`play() was called ${plays} times: ${seen.order.join(", ")}`);
  const state = await pageState(page);
  if (state.tapVisible) fail("'Tap to play' is visible although the song plays");
  await waitInPage(page, "playback did not go on", (t0) => document.getElementById("player").currentTime > t0 + 1,
    state.audio.currentTime, 10_000);
  t.forget(page);
}, { budgetMs: 60_000 });

// Runs in the page, so it names the fallback's delay itself.
function swallowCanplay() {
  const seen = (window.__noCanplay = { swallowed: 0, order: [] });
  window.addEventListener("canplay", (e) => { seen.swallowed += 1; e.stopImmediatePropagation(); }, true);
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function watchedPlay() { seen.order.push("play"); return play.call(this); };
  const setTimer = window.setTimeout;
  window.setTimeout = function watchedTimeout(callback, delay, ...rest) {
    if (delay !== 5000 || typeof callback !== "function") return setTimer.call(window, callback, delay, ...rest);
    return setTimer.call(window, (...args) => { seen.order.push("fallback_timer"); return callback(...args); }, delay, ...rest);
  };
}
