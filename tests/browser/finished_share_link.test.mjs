// Test 3 (ctest browser.ENGINE_finished_share_link): the recipient opens the share link after the song has
// finished and after the simulator's live stream has expired, in a browser that keeps the engine's own autoplay
// policy. The gift greets them by name with one play button and nothing plays before it; one tap (a real click)
// plays the archived file, the page becomes the player with the names and the lyrics, and the lock screen's
// Media Session names the song where the engine has the API. The duration shows; in Chromium and Firefox a seek
// to 75 % of it (`audio.currentTime = 0.75 * duration`) plays on from there. (WebKitGTK cannot seek past what it
// has buffered and never sends Range: it only has to play.)
// Own simulator: a 20 s song at 4x, live stream expired 1 s after SUCCESS.
import {
  createSong, fail, getJson, isVisible, pageState, runTest, tapGift, textOf, until, waitInPage, waitSong, waitVisible,
} from "./lib.mjs";

await runTest("finished_share_link", async (t) => {
  const sim = await t.startSimulator(["--song-seconds", "20", "--speed", "4", "--ready-after", "2", "--expire-after", "1"]);
  const base = await t.startServer({ simulator: sim });
  const id = await createSong(base);
  const tasks = (await getJson(`${sim}/_sim/tasks`)).body;
  if (!Array.isArray(tasks) || tasks.length !== 1) fail(`the simulator lists ${JSON.stringify(tasks)} instead of one task`);
  const task = tasks[0].task_id;
  t.log(`created song ${id} (task ${task}); waiting for it to finish`);

  const done = await waitSong(base, id, "the song did not finish", (s) => s.phase === "complete" || s.phase === "failed", 30_000);
  if (done.phase !== "complete") fail(`the song ended as ${done.status}: ${done.error}`);
  // Sonauto's live stream is gone ...
  await until("the simulator's live stream did not expire", async () => {
    const r = await fetch(`${sim}/stream/${task}`, { headers: { Authorization: "Bearer sksonauto_test_x" } });
    await r.body?.cancel();
    return r.status === 404;
  }, 10_000);
  // ... and Serenade serves the finished file (Range support).
  const head = await until("Serenade did not serve the finished song as a file", async () => {
    const r = await fetch(`${base}/api/stream/${id}`, { method: "HEAD" });
    return r.status === 200 && r.headers.get("accept-ranges") === "bytes" ? r : null;
  }, 15_000);
  t.log(`finished: ${head.headers.get("content-length")} bytes with Accept-Ranges; the live stream has expired`);

  const browser = await t.launch({ autoplay: false });
  const page = await t.newPage(browser, "finished share link");
  await t.open(page, `${base}/s/${id}`);
  await waitVisible(page, "#gift-play", 15_000, "the gift's play button did not appear");
  const greeting = await textOf(page, "#gift-title");
  if (greeting !== "Ben, Ana wrote you a song") fail(`the gift greets with ${JSON.stringify(greeting)}`);
  for (const other of ["#view-song", "#view-create", "#gift-writing"]) {
    if (await isVisible(page, other)) fail(`${other} is visible beside the finished song's gift`);
  }
  const before = await pageState(page);
  if (!before.audio.paused || before.audio.src) fail(`the song loads or plays before the tap: ${JSON.stringify(before.audio)}`);
  await t.screenshots(page, "gift");
  await t.audit(page, "the gift of a finished song");

  const session = await tapGift(t, page, { sender: "Ana", recipient: "Ben" }, 20_000);
  if (!(await textOf(page, "#lyrics"))?.trim()) fail("the player shows no lyrics");
  if (t.engine !== "webkit" && !session) fail("no Media Session in an engine that has it");
  if (session) {
    if (session.title !== "For Ben") fail(`the Media Session title is ${JSON.stringify(session.title)}`);
    if (session.artist !== "Ana · Serenade") fail(`the Media Session artist is ${JSON.stringify(session.artist)}`);
    if (!session.artwork || !new URL(session.artwork).pathname.startsWith(`/s/${id}/card.png`)) {
      fail(`the Media Session artwork is ${JSON.stringify(session.artwork)}, not the song's card`);
    }
  }
  const state = await pageState(page);
  t.log(`playing: ${JSON.stringify(state.audio)}`);
  const duration = state.audio.duration;
  if (!Number.isFinite(duration) || duration < 15 || duration > 25) fail(`duration ${duration} is not about 20 s`);
  if (!(await isVisible(page, "#download"))) fail("no download link for the finished song");
  const shownDuration = await textOf(page, "#duration");
  if (!/0:(19|20|21)/.test(shownDuration)) fail(`the page shows the duration as ${JSON.stringify(shownDuration)}`);
  if (state.stage !== "Your song is ready") fail(`stage shows ${JSON.stringify(state.stage)}`);
  await t.screenshots(page, "finished");
  await t.audit(page, "the finished song's player page");

  if (t.engine === "webkit") return;

  // Seek to 75 %: playback goes on from there.
  const target = 0.75 * duration;
  await page.evaluate((at) => { document.getElementById("player").currentTime = at; }, target);
  t.log(`seeked to ${target.toFixed(2)} s`);
  await page.evaluate((at) => {
    window.__belowTarget = false;
    const audio = document.getElementById("player");
    audio.addEventListener("timeupdate", () => { if (!audio.seeking && audio.currentTime < at - 0.25) window.__belowTarget = audio.currentTime; });
  }, target);
  await waitInPage(page, "playback did not go on from 75 %",
    (at) => { const a = document.getElementById("player"); return !a.paused && !a.seeking && a.currentTime > at + 1.5; }, target, 15_000);
  const below = await page.evaluate(() => window.__belowTarget);
  if (below !== false) fail(`after the seek, playback was at ${below} s, before 75 % (${target.toFixed(2)} s)`);
  const after = await pageState(page);
  t.log(`playing on from the seek: ${after.audio.currentTime} s of ${duration.toFixed(2)} s`);
  await t.screenshots(page, "finished-seeked");
}, { budgetMs: 90_000 });
