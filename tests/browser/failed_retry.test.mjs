// Test 4 (ctest browser.ENGINE_failed_retry): a generation that fails (the simulator's fail_at PROMPT) shows
// the failure page on the share link; "Try again" (a real click) starts a new generation under the same link,
// the page goes back to composing and the song plays. The URL never changes.
// Own simulator: 20 s songs at 2x, ready after 2 s.
import {
  createOwnedSong, fail, getJson, isVisible, pageState, pageUrl, runTest, songState, textOf, waitInPage, waitPlaying, waitVisible,
} from "./lib.mjs";

await runTest("failed_retry", async (t) => {
  const sim = await t.startSimulator(["--song-seconds", "20", "--speed", "2", "--ready-after", "2", "--expire-after", "1"]);
  const base = await t.startServer({ simulator: sim });
  const song = await createOwnedSong(base);
  const id = song.id;
  const tasks = (await getJson(`${sim}/_sim/tasks`)).body;
  if (!Array.isArray(tasks) || tasks.length !== 1) fail(`the simulator lists ${JSON.stringify(tasks)} instead of one task`);
  const control = await getJson(`${sim}/_sim/control`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ task_id: tasks[0].task_id, fail_at: "PROMPT" }),
  });
  if (control.status !== 200) fail(`POST /_sim/control answered ${control.status}: ${JSON.stringify(control.body)}`);
  t.log(`created song ${id}; its task ${tasks[0].task_id} fails at PROMPT`);

  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "failed song");
  await t.rememberAsMaker(page, base, song);
  const link = `${base}/s/${id}`;
  await t.open(page, link);
  await waitVisible(page, "#view-failed", 20_000, "the failure page did not appear");
  const failed = await songState(base, id);
  if (failed.phase !== "failed") fail(`the page shows the failure page but the server says ${failed.status}`);
  if (await isVisible(page, "#view-song")) fail("the song page is visible beside the failure page");
  t.log(`failure page shown (${await textOf(page, "#failed-reason")})`);
  await t.screenshots(page, "failed");
  await t.audit(page, "the failure page");

  await page.click("#retry-button");
  t.log("clicked 'Try again'");
  await waitVisible(page, "#view-song", 10_000, "the page did not go back to the song page after 'Try again'");
  const composing = await pageState(page);
  if (composing.url !== `/s/${id}`) fail(`the URL changed to ${composing.url}`);
  if (!["Writing your lyrics…", "Composing…", "Your song is starting"].includes(composing.stage)) {
    fail(`after 'Try again' the page shows the stage ${JSON.stringify(composing.stage)}`);
  }
  await t.screenshots(page, "retried-composing");

  await waitPlaying(page, 2, 30_000, "the retried song did not play");
  const after = await songState(base, id);
  const playing = await pageState(page);
  t.log(`playing at ${playing.audio.currentTime} s; attempt ${after.attempt}, status ${after.status}`);
  const now = await pageUrl(page);
  if (now !== link) fail(`the URL changed from ${link} to ${now}`);
  if (after.attempt !== 2) fail(`the server reports attempt ${after.attempt}, not 2`);
  await waitInPage(page, "the failure page came back while the retried song plays",
    () => document.getElementById("view-failed").hidden, null, 1_000);
  await t.screenshots(page, "retried-playing");
  t.forget(page);
}, { budgetMs: 75_000 });
