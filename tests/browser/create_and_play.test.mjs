// Test 1 (ctest browser.ENGINE_create_and_play): the whole first visit, in each engine.
// The real form is sent → the composing page shows at least two distinct stages and the lyrics → the song is
// heard (currentTime > 3 s) while the server still reports it unfinished → no polling while SSE works → when the
// song completes during playback, playback goes on uninterrupted and the download link appears.
// Built-in simulator: 60 s songs at 2x, ready after ~3 s.
import {
  attributeOf, fail, fillForm, getJson, isVisible, pageState, recordStages, requestsMatching, runTest, songState,
  textOf, until, waitInPage, waitPlaying, waitSongUrl, waitVisible,
} from "./lib.mjs";

const STATUS_GET = /^\/api\/submissions\/[^/]+$/;

await runTest("create_and_play", async (t) => {
  const base = await t.startServer();
  const home = await fetch(`${base}/`);
  if (home.status !== 200) fail(`GET / answered ${home.status}`);
  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "song page");
  await t.open(page, `${base}/`);
  await waitVisible(page, "#story-form", 15_000);
  await recordStages(page);
  await t.screenshots(page, "create");

  await fillForm(page);
  await page.click("#submit");
  t.log("sent the form");
  const id = await waitSongUrl(page);
  t.log(`page moved to /s/${id}`);
  await waitVisible(page, "#view-song", 15_000);
  await t.screenshots(page, "composing");

  // Heard while it is still being generated.
  await waitPlaying(page, 3, 30_000, "the song did not play while being generated");
  const state = await songState(base, id);
  const shown = await pageState(page);
  t.log(`playing at ${shown.audio.currentTime} s; server status ${state.status} (phase ${state.phase})`);
  if (state.status === "SUCCESS") fail("the song passed currentTime 3 s only after generation had finished (SUCCESS)");
  if (shown.tapVisible) fail("'Tap to play' is visible although the song plays");

  const stages = await page.evaluate(() => window.__stages);
  t.log(`stages shown: ${JSON.stringify(stages)}`);
  const distinct = new Set(stages.filter((s) => s !== "Opening your song…"));
  if (distinct.size < 2) fail(`the composing page showed fewer than two distinct stages: ${JSON.stringify(stages)}`);
  if (!stages.includes("Writing your lyrics…") && !stages.includes("Composing…")) {
    fail(`no composing stage ("Writing your lyrics…" or "Composing…") was shown: ${JSON.stringify(stages)}`);
  }
  const lyrics = await textOf(page, "#lyrics");
  if (!state.lyrics) fail("the server reports no lyrics yet although the song plays");
  if (!lyrics.includes(state.lyrics.split("\n").find((line) => line.trim() && !line.startsWith("[")).trim())) {
    fail(`the lyrics are not shown: page shows ${JSON.stringify(lyrics.slice(0, 200))}`);
  }
  await t.screenshots(page, "playing-live");

  // No polling while the event stream works: the one GET of the page's start, then events only.
  const statusGets = () => requestsMatching(page, STATUS_GET);
  if (shown.follow !== "events") fail(`the page follows the song by "${shown.follow}", not by its event stream`);
  if ((await statusGets()).length > 1) fail(`the page polled the status: ${JSON.stringify(await statusGets())}`);

  // Completion during live playback: no interruption, download link.
  const before = await page.evaluate(() => document.getElementById("player").currentTime);
  await waitInPage(page, "the page did not show the finished song", () => document.body.dataset.phase === "complete",
    null, 45_000);
  const atComplete = await page.evaluate(() => document.getElementById("player").currentTime);
  if (atComplete < before) fail(`playback restarted when the song completed (${before} s → ${atComplete} s)`);
  await waitInPage(page, "playback did not go on after the song completed",
    (t0) => { const a = document.getElementById("player"); return !a.paused && a.currentTime > t0 + 2; }, atComplete, 10_000);
  if (!(await isVisible(page, "#download"))) fail("no download link after the song completed");
  const href = await attributeOf(page, "#download", "href");
  if (href !== `/api/stream/${id}/download`) fail(`download link points to ${href}`);
  // The server keeps the finished song a few seconds after it completes; the download answers 409 until then.
  const head = await until(`HEAD ${href} did not answer 200`, async () => {
    const r = await getJson(`${base}${href}`, { method: "HEAD" });
    return r.status === 409 ? null : r;
  }, 20_000);
  if (head.status !== 200 || head.headers.get("accept-ranges") !== "bytes") {
    fail(`HEAD ${href} answered ${head.status} with Accept-Ranges ${head.headers.get("accept-ranges")}`);
  }
  const named = head.headers.get("content-disposition") || "";
  if (!named.includes("filename*=UTF-8''For%20Ben%20%E2%80%94%20from%20Ana.mp3")) {
    fail(`the download is not named after its people: Content-Disposition ${JSON.stringify(named)}`);
  }
  t.log(`completed while playing: ${before.toFixed(1)} s → ${atComplete.toFixed(1)} s, still advancing`);
  await t.screenshots(page, "playing-complete");
  if ((await statusGets()).length > 1) fail(`the page polled the status: ${JSON.stringify(await statusGets())}`);
  t.forget(page); // closing the browser aborts the stream on purpose
}, { budgetMs: 100_000 });
