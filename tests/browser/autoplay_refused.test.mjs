// Test 2 (ctest browser.ENGINE_autoplay_refused): the engine's own autoplay policy (Chromium and Firefox
// without the flag/pref that allows it, WebKit with Safari's allow-without-sound), the share link opened again by
// the browser that made the song (so its song page, not the recipient's gift), without any gesture. The page calls play() itself, is refused and shows "Tap to play"; a real click on that button plays
// the song (currentTime advancing) and hides the message.
//
// Honesty: in Chromium and Firefox every script call of the driver (evaluate, waitForFunction, locator
// queries) runs as a user gesture and would grant the page the activation that lets autoplay through. Until the
// tap, the test therefore only listens there: an init script (no gesture) reports play() results and the tap
// message through console messages, and also takes EventSource away, so the page must follow the song by its
// fallback poll (every 2 s). WebKit's executeScript grants no activation (checked below), so there the test
// simply polls the page.
import { createOwnedSong, fail, isVisible, pageState, runTest, waitInPage, waitPlaying } from "./lib.mjs";

await runTest("autoplay_refused", async (t) => {
  const base = await t.startServer();
  const song = await createOwnedSong(base);
  const id = song.id;
  t.log(`created song ${id} through the API`);

  const browser = await t.launch({ autoplay: false });
  const page = await t.newPage(browser, "share link");
  await t.rememberAsMaker(page, base, song);
  if (page.canInject) await refusedWhileOnlyListening(t, page, `${base}/s/${id}`);
  else await refusedWhilePolling(t, page, `${base}/s/${id}`);

  // From here on, evaluating in the page is harmless: the real click below is the gesture anyway.
  const refused = await pageState(page);
  if (!refused.audio.paused || refused.audio.currentTime > 0) fail(`the song plays before the tap: ${JSON.stringify(refused.audio)}`);
  if (!(await isVisible(page, "#tap-button"))) fail("the tap button is not visible");
  await t.screenshots(page, "tap-to-play");
  await t.audit(page, "the player page waiting for a tap");

  await page.click("#tap-button");
  t.log("clicked 'Tap to play'");
  await waitPlaying(page, 1, 20_000, "the song did not play after the tap");
  const t1 = await page.evaluate(() => document.getElementById("player").currentTime);
  await waitInPage(page, "currentTime did not keep advancing after the tap",
    (t0) => document.getElementById("player").currentTime > t0 + 1, t1, 10_000);
  if (await isVisible(page, "#tap-to-play")) fail("'Tap to play' is still visible while the song plays");
  const playing = await pageState(page);
  t.log(`playing at ${playing.audio.currentTime} s; stage "${playing.stage}"; "${playing.playerState}"`);
  await t.screenshots(page, "after-tap");
  t.forget(page);
}, { budgetMs: 75_000 });

// Chromium and Firefox: patch play() and watch the tap message before the page's scripts run; read the reports
// from console messages only.
async function refusedWhileOnlyListening(t, page, link) {
  await page.addInitScript(() => {
    const report = (what) => console.log(`serenade-test ${what}`);
    const play = HTMLMediaElement.prototype.play;
    HTMLMediaElement.prototype.play = function patchedPlay() {
      const activated = navigator.userActivation ? navigator.userActivation.hasBeenActive : "unknown";
      const promise = play.call(this);
      promise.then(() => report(`play resolved activated=${activated}`), (e) => report(`play ${e.name} activated=${activated}`));
      return promise;
    };
    delete window.EventSource; // the fallback poll is under test too
    document.addEventListener("DOMContentLoaded", () => {
      const tap = document.getElementById("tap-to-play");
      new MutationObserver(() => { if (!tap.hidden) report(`tap visible follow=${document.documentElement.dataset.follow}`); })
        .observe(tap, { attributes: true, attributeFilter: ["hidden"] });
    });
  });
  const messages = [];
  let onMessage = () => {};
  page.watch((event) => {
    if (event.kind !== "console" || !event.text.startsWith("serenade-test ")) return;
    messages.push(event.text.slice(14));
    onMessage();
  });
  const tapShown = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), 30_000);
    onMessage = () => { if (messages.some((m) => m.startsWith("tap visible"))) { clearTimeout(timer); resolve(); } };
  });

  await page.goto(link);
  try {
    await tapShown;
  } catch {
    fail(`'Tap to play' did not appear within 30 s although autoplay is refused; the page reported ${JSON.stringify(messages)}`);
  }
  t.log(`the page reported: ${JSON.stringify(messages)}`);
  const refusal = messages.find((m) => m.startsWith("play NotAllowedError"));
  if (!refusal) fail(`the page's own play() was not refused with NotAllowedError: ${JSON.stringify(messages)}`);
  if (!refusal.endsWith("activated=false")) fail(`the refused play() ran in an activated page (not an honest test): ${refusal}`);
  if (messages.some((m) => m.startsWith("play resolved"))) fail(`a play() succeeded before the tap: ${JSON.stringify(messages)}`);
  if (!messages.some((m) => m === "tap visible follow=poll")) {
    fail(`without EventSource the page should follow the song by polling: ${JSON.stringify(messages)}`);
  }
}

// WebKit: the driver's scripts are no gesture, so waiting in the page is honest; the page must still be
// unactivated when the tap message shows.
async function refusedWhilePolling(t, page, link) {
  await t.open(page, link);
  await waitInPage(page, "'Tap to play' did not appear although autoplay is refused",
    () => !document.getElementById("tap-to-play").hidden, null, 30_000);
  const activated = await page.evaluate(() => (navigator.userActivation ? navigator.userActivation.hasBeenActive : "unknown"));
  if (activated !== false) fail(`the page counts as activated before any tap (${activated}): not an honest test`);
  t.log("'Tap to play' shown in a page without user activation");
}
