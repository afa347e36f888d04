// Test (ctest browser.ENGINE_gift_being_written): the person a song is for opens its link while the song is still
// being composed, in a browser with the engine's own autoplay policy. They are greeted by name (names with
// quotes, `<`, emoji and right-to-left text, shown as written) with a gentle "being written" state and no play
// button; once the song can stream the same page offers one play button, and one tap (a real click) plays it
// live and turns the page into the player with the names, while the lock screen's Media Session names it where
// the engine has the API. The song's share card decodes as a 1200x630 picture; screenshots show it, and the
// gift, at phone and desktop width.
// Own simulator: tasks never become ready until the test says so (never_ready), so the "being written" state is
// seen for certain; then 60 s songs at 2x.
import {
  STORY, createSong, fail, getJson, isVisible, pageState, runTest, songState, tapGift, textOf, waitInPage,
  waitVisible,
} from "./lib.mjs";

const PEOPLE = { sender: "Zoë \"Jo\" <3", recipient: "מרים 💖" };

await runTest("gift_being_written", async (t) => {
  const sim = await t.startSimulator(["--song-seconds", "60", "--speed", "2", "--ready-after", "1", "--never-ready"]);
  const base = await t.startServer({ simulator: sim });
  const id = await createSong(base, { ...STORY, ...PEOPLE });
  const task = (await getJson(`${sim}/_sim/tasks`)).body[0].task_id;
  t.log(`created song ${id} (task ${task}), held before it can stream`);

  const browser = await t.launch({ autoplay: false });
  const page = await t.newPage(browser, "gift being written");
  await t.open(page, `${base}/s/${id}`);
  await waitVisible(page, "#gift-writing", 15_000, "the gift's 'being written' state did not appear");
  const greeting = await textOf(page, "#gift-title");
  const expected = `${PEOPLE.recipient}, ${PEOPLE.sender} wrote you a song`;
  if (greeting !== expected) fail(`the gift greets with ${JSON.stringify(greeting)}, not ${JSON.stringify(expected)}`);
  if (await isVisible(page, "#gift-play")) fail("the play button shows before the song can stream");
  if (await isVisible(page, "#view-song")) fail("the song page is visible beside the gift");
  const title = await page.evaluate(() => document.title);
  if (!title.startsWith(expected)) fail(`the tab's title is ${JSON.stringify(title)}`);
  await t.screenshots(page, "gift-being-written");
  await t.audit(page, "the gift while its song is being written");

  // The share card, as the page would show it: a PNG that decodes at 1200x630.
  const { card_url: cardUrl } = await songState(base, id);
  if (!cardUrl || !cardUrl.startsWith(`/s/${id}/card.png?v=`)) fail(`the song's state names the card ${JSON.stringify(cardUrl)}`);
  const size = await page.evaluate(async (url) => {
    const image = new Image();
    image.src = url;
    await image.decode();
    return [image.naturalWidth, image.naturalHeight];
  }, cardUrl);
  if (size[0] !== 1200 || size[1] !== 630) fail(`the share card is ${size.join("x")}, not 1200x630`);

  // The song can stream now: the same page becomes the gift.
  const released = await getJson(`${sim}/_sim/control`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ task_id: task, never_ready: false }),
  });
  if (released.status !== 200) fail(`POST /_sim/control answered ${released.status}`);
  await waitVisible(page, "#gift-play", 30_000, "the play button did not appear once the song could stream");
  if (await isVisible(page, "#gift-writing")) fail("'being written' still shows beside the play button");
  const before = await pageState(page);
  if (!before.audio.paused || before.audio.src) fail(`the song loads or plays before the tap: ${JSON.stringify(before.audio)}`);
  await t.screenshots(page, "gift-ready");
  await t.audit(page, "the gift ready to play");

  const session = await tapGift(t, page, PEOPLE, 30_000);
  const state = await songState(base, id);
  if (state.phase !== "streaming") t.log(`note: the song was ${state.phase} at the tap`);
  await waitInPage(page, "playback did not go on", (t0) => document.getElementById("player").currentTime > t0 + 1,
    (await pageState(page)).audio.currentTime, 10_000);
  if (session && session.title !== `For ${PEOPLE.recipient}`) fail(`the Media Session title is ${JSON.stringify(session.title)}`);
  await t.screenshots(page, "gift-playing");

  // The card as a page shows it, at both widths (instead of the page's content), and the picture itself.
  await page.evaluate((url) => {
    document.getElementById("player").pause();
    const card = Object.assign(document.createElement("img"), { src: url, alt: "The song's share card", id: "card-shot" });
    card.style.cssText = "display: block; max-width: 100%; height: auto;";
    document.getElementById("main").hidden = true; // still there: the page goes on following the song
    document.body.append(card);
  }, cardUrl);
  await waitInPage(page, "the share card did not show", () => {
    const card = document.getElementById("card-shot");
    return card.complete && card.naturalWidth === 1200;
  }, null, 10_000);
  await t.screenshots(page, "share-card");
  await t.keep("share-card.png", Buffer.from(await (await fetch(`${base}${cardUrl}`)).arrayBuffer()));
}, { budgetMs: 100_000 });
