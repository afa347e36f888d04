// Test 7 (ctest browser.ENGINE_stall_recovery): the listener's own connection to a live song stalls (a proxy
// in front of Serenade stops the first /api/stream answer after ~6 s of music and keeps it open, silent). The page
// must not loop play(): after > 8 s of `waiting`/`stalled` without progress it reloads the source once, the new
// connection buffers (silently) up to where the song was, and the person hears it continue from there, not from
// the beginning.
// Built-in simulator: 60 s songs at 2x.
import {
  createSong, fail, pageState, runTest, startStallingProxy, waitInPage, waitPlaying,
} from "./lib.mjs";

const STALL_AFTER_BYTES = 150_000; // about 6 s of the simulator's 192 kbit/s MP3

await runTest("stall_recovery", async (t) => {
  const base = await t.startServer();
  const proxy = await startStallingProxy(base, { stall: /^\/api\/stream\//, afterBytes: STALL_AFTER_BYTES });
  const id = await createSong(base);
  t.log(`created song ${id}; the browser talks to Serenade through ${proxy.url}`);

  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "stalled live song");
  const link = `${proxy.url}/s/${id}`;
  if (page.canInject) {
    await page.addInitScript(watchPlayback);
    await t.open(page, link);
  } else {
    await t.open(page, link); // before the stall, so nothing this watches has happened yet
    await page.evaluate(watchPlayback);
  }
  await waitPlaying(page, 2, 30_000, "the live song did not start");

  // The stall: playback stops where the proxy cut the stream.
  await waitInPage(page, "the stream did not stall", () => {
    const a = document.getElementById("player");
    return window.__lastT === a.currentTime ? (window.__same = (window.__same || 0) + 1) > 20 : ((window.__lastT = a.currentTime), (window.__same = 0), false);
  }, null, 30_000);
  const stalledAt = (await pageState(page)).audio.currentTime;
  const playsBefore = await page.evaluate(() => window.__plays);
  t.log(`playback stalled at ${stalledAt} s (${proxy.state.requests.length} stream request(s) so far)`);
  await t.screenshots(page, "stalled");
  if (proxy.state.requests.length !== 1) fail(`the page requested the stream ${proxy.state.requests.length} times before the stall was 8 s old`);

  // Recovery: one reload, then playback from where it stalled.
  await waitInPage(page, "playback did not continue after the stall",
    (at) => { const a = document.getElementById("player"); return !a.paused && a.currentTime > at + 3; }, stalledAt, 30_000);
  const requests = proxy.state.requests;
  const reloadAfter = (requests[1]?.at - proxy.state.stalledAt) / 1000;
  const plays = await page.evaluate(() => window.__plays);
  const state = await pageState(page);
  t.log(`recovered: ${requests.length} stream requests, reload ${reloadAfter.toFixed(1)} s after the stall; play() called ${plays} time(s) in all; now at ${state.audio.currentTime} s`);
  if (requests.length !== 2) fail(`expected exactly one reload of the stream, saw ${requests.length} requests`);
  if (!(reloadAfter >= 8)) fail(`the stream was reloaded ${reloadAfter.toFixed(1)} s after the stall, before 8 s`);
  if (plays - playsBefore > 1) fail(`play() was called ${plays - playsBefore} times to recover (looping play())`);
  // Continued, not restarted: everything heard after the reload lies at or after where the stall was.
  // What was heard after the reload's request reached the proxy (same machine, same clock).
  const heard = (await page.evaluate(() => window.__heard)).filter(([at]) => at > requests[1].at).map(([, time]) => time);
  if (!heard.length) {
    const all = await page.evaluate(() => [window.__heard.length, window.__heard.slice(-3), document.getElementById("player").muted]);
    fail(`nothing was heard after the reload (audible timeupdates in all: ${all[0]}, last ${JSON.stringify(all[1])}; muted now: ${all[2]}; reload request at ${requests[1].at})`);
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

// Counts play() calls and records what the person hears: [wall-clock ms, currentTime] of each audible (unmuted,
// playing) timeupdate. Media events do not bubble: capture them on the document.
function watchPlayback() {
  window.__plays = 0;
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function countedPlay() { window.__plays += 1; return play.call(this); };
  window.__heard = [];
  document.addEventListener("timeupdate", (e) => {
    const a = e.target;
    if (!a.muted && !a.paused && !a.seeking) window.__heard.push([Date.now(), a.currentTime]);
  }, true);
}
