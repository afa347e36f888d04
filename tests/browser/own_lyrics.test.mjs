// Test (ctest browser.ENGINE_own_lyrics): the person writes the lyrics themselves. The folded field opens; a
// lyric sheet that is too short is refused next to it before anything is sent; the accepted one is shown on the
// song's page at once, stanza by stanza, and is what Sonauto was asked to sing.
// Built-in simulator (it sings given lyrics as they are).
import {
  fail, fillForm, runTest, songState, textOf, waitInPage, waitSongUrl, waitVisible,
} from "./lib.mjs";

const WORDS = "[Verse]\nUnder one umbrella, Lisbon in the rain,\nBen, you held my hand all the way to Belém.\n\n" +
  "[Chorus]\nStay, stay, stay with me.";

await runTest("own_lyrics", async (t) => {
  const base = await t.startServer();
  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "own lyrics");
  await t.open(page, `${base}/`);
  await waitVisible(page, "#story-form", 15_000);
  await fillForm(page);
  await page.click("#own-lyrics-field summary");
  await waitVisible(page, "#own-lyrics", 5_000, "the lyrics field did not unfold");

  await page.fill("#own-lyrics", "la la la");
  await page.click("#submit");
  await waitInPage(page, "lyrics that are too short were not refused next to their field",
    () => document.getElementById("own-lyrics-error").textContent === "Your lyric sheet needs at least 20 characters.",
    null, 5_000);
  if ((await page.evaluate(() => location.pathname)) !== "/") fail("the form was sent with lyrics that are too short");
  await t.screenshots(page, "own-lyrics-refused");

  await page.fill("#own-lyrics", WORDS);
  await page.click("#submit");
  const id = await waitSongUrl(page);
  t.log(`created /s/${id} with own lyrics`);
  const state = await songState(base, id);
  if (state.lyrics !== WORDS) fail(`the song's state carries ${JSON.stringify(state.lyrics)}, not the words written`);
  await waitInPage(page, "the own lyrics were not shown on the song's page",
    () => /Ben, you held my hand/.test(document.getElementById("lyrics").innerText), null, 15_000);
  const shown = await textOf(page, "#lyrics"); // as rendered: the stanza headings in capitals
  for (const part of ["Verse", "Under one umbrella, Lisbon in the rain,", "Chorus", "Stay, stay, stay with me."]) {
    if (!shown.toLowerCase().includes(part.toLowerCase())) fail(`the page's lyrics lack ${JSON.stringify(part)}: ${JSON.stringify(shown)}`);
  }
  await t.screenshots(page, "own-lyrics-shown");
  t.forget(page);
}, { budgetMs: 60_000 });
