// Test (ctest browser.ENGINE_take_back): the person who made a song deletes it from its page. The real form is
// sent, with the song to be sung in French (the prompt Sonauto receives asks for it); the song page offers "Delete this song" (this browser holds the owner token); a first click only asks,
// "Keep it" takes the question back, and "Yes, delete it" deletes the song: the page says it is no longer here,
// the token is gone from the browser, the API answers 410, and opening the link again shows the kind page that
// the server answers with 410.
// Own simulator: 60 s songs at 2x (the song plays while it is deleted: its stream is cut on purpose).
import { STORY, fail, fillForm, getJson, isVisible, runTest, textOf, waitInPage, waitSongUrl, waitVisible } from "./lib.mjs";

await runTest("take_back", async (t) => {
  const sim = await t.startSimulator(["--song-seconds", "60", "--speed", "2", "--ready-after", "2"]);
  const base = await t.startServer({ simulator: sim });
  const browser = await t.launch({ autoplay: true });
  let id = "";
  // Once deleted, the song's URLs answer 410 and its stream is cut: the page is meant to see both.
  const page = await t.newPage(browser, "take back", {
    expected: (url, status) => Boolean(id) && url.includes(id) && (status === 410 || status === 0),
  });
  await t.open(page, `${base}/`);
  await waitVisible(page, "#story-form", 15_000);
  await fillForm(page, { ...STORY, recipient: "Noor" });
  await page.evaluate(() => {
    const language = document.getElementById("language");
    language.value = "fr";
    language.dispatchEvent(new Event("change", { bubbles: true }));
  });
  await page.click("#submit");
  id = await waitSongUrl(page);
  t.log(`created /s/${id} through the form`);
  const tasks = (await getJson(`${sim}/_sim/tasks`)).body;
  if (!Array.isArray(tasks) || tasks.length !== 1) fail(`the simulator lists ${JSON.stringify(tasks)} instead of one task`);
  if (!tasks[0].prompt.includes(", sung in French. Sing to Noor")) fail(`the prompt does not ask for French: ${tasks[0].prompt}`);
  await waitVisible(page, "#take-back-box", 15_000, "the maker's song page does not offer to delete the song");
  if (await isVisible(page, "#delete-confirm")) fail("the confirmation shows before any click");

  await page.click("#delete-button");
  await waitVisible(page, "#delete-confirm", 5_000, "'Delete this song' did not ask for a confirmation");
  await t.screenshots(page, "delete-confirm");
  await t.audit(page, "the song page asking to confirm the delete");
  await page.click("#delete-no");
  await waitVisible(page, "#delete-button", 5_000, "'Keep it' did not take the question back");
  if ((await getJson(`${base}/api/submissions/${id}`)).status !== 200) fail("'Keep it' deleted the song");

  await page.click("#delete-button");
  await waitVisible(page, "#delete-yes", 5_000, "the confirmation did not come back");
  await page.click("#delete-yes");
  await waitVisible(page, "#view-deleted", 10_000, "the page did not say that the song is gone");
  if (await isVisible(page, "#view-song")) fail("the song page is visible beside the deleted view");
  const token = await page.evaluate((songId) => localStorage.getItem(`serenade-owner:${songId}`), id);
  if (token !== null) fail("the owner token is still kept after the delete");
  const paused = await page.evaluate(() => { const a = document.getElementById("player"); return a.paused && !a.getAttribute("src"); });
  if (!paused) fail("the player still holds the deleted song");
  await t.screenshots(page, "deleted");
  await t.audit(page, "the deleted view");

  const api = await getJson(`${base}/api/submissions/${id}`);
  if (api.status !== 410) fail(`after the delete the API answers ${api.status}`);
  const link = await fetch(`${base}/s/${id}`);
  const linkBody = await link.text();
  if (link.status !== 410) fail(`after the delete the link answers ${link.status}`);
  if (linkBody.includes("Noor")) fail("the link's page still names the person the song was for");

  await page.goto(`${base}/s/${id}`);
  await waitInPage(page, "the link did not show the page of a deleted song",
    () => document.body?.dataset.view === "deleted" && !!document.getElementById("deleted-title"), null, 15_000);
  const heading = await textOf(page, "#deleted-title");
  if (heading !== "This song is no longer here") fail(`the link's page says ${JSON.stringify(heading)}`);
  await page.installProbe();
  await t.screenshots(page, "gone-link");
  await t.audit(page, "the link of a deleted song");
}, { budgetMs: 90_000 });
