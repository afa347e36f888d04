// Test 5 (ctest browser.ENGINE_unknown_link): an unknown share link shows the not-found page (and nothing
// else). In Chromium also the out-of-service page (its requests are rerouted, which only Playwright can do here):
// the song's status answered 503, then the network failing, each shows the out-of-service page with a sentence;
// its "Try again" opens the song once Serenade answers again.
import { createSong, fail, isVisible, pageState, runTest, textOf, unknownSessionId, waitVisible } from "./lib.mjs";

await runTest("unknown_link", async (t) => {
  const base = await t.startServer();
  const browser = await t.launch({ autoplay: true });

  // 1. Unknown link.
  const unknown = unknownSessionId();
  const statusUrl = `${base}/api/submissions/${unknown}`;
  const shell = await fetch(`${base}/s/${unknown}`);
  if (shell.status !== 200) fail(`GET /s/${unknown} answered ${shell.status}, not the page`);
  const page = await t.newPage(browser, "unknown link", { expected: (url, status) => url === statusUrl && status === 404 });
  await t.open(page, `${base}/s/${unknown}`);
  await waitVisible(page, "#view-not-found", 10_000, `/s/${unknown}: the not-found page did not appear`);
  for (const other of ["#view-song", "#view-create", "#view-failed", "#view-unavailable"]) {
    if (await isVisible(page, other)) fail(`/s/${unknown}: ${other} is visible beside the not-found page`);
  }
  if (!(await isVisible(page, '#view-not-found a[href="/"]'))) fail("the not-found page has no link to write a new song");
  t.log("unknown link shows the not-found page");
  await t.screenshots(page, "not-found");
  await t.audit(page, "the not-found page");

  if (t.engine !== "chromium") return;

  // 2. Out of service: 503, then no network at all, for a song that exists.
  const id = await createSong(base);
  const songStatus = `${base}/api/submissions/${id}`;
  let mode = "503";
  const wrapped = await t.newPage(browser, "out of service", {
    expected: (url, status) => url === songStatus && (status === 503 || status === 0),
  });
  const down = wrapped.raw;
  await down.route(songStatus, (route) => {
    if (mode === "503") {
      return route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify({ detail: "Serenade is being updated. Please try again in a minute." }) });
    }
    if (mode === "offline") return route.abort("internetdisconnected");
    return route.continue();
  });
  await down.goto(`${base}/s/${id}`, { waitUntil: "load" });
  await down.locator("#view-unavailable").waitFor({ state: "visible", timeout: 10_000 }).catch(async () => {
    fail(`a 503 answer did not show the out-of-service page: ${JSON.stringify(await pageState(wrapped))}`);
  });
  const detail = await down.locator("#unavailable-detail").innerText();
  if (detail !== "Serenade is being updated. Please try again in a minute.") fail(`the 503 page shows ${JSON.stringify(detail)}`);
  t.log("503 shows the out-of-service page with the server's sentence");
  await t.screenshots(wrapped, "unavailable-503");
  await t.audit(wrapped, "the out-of-service page");

  mode = "offline";
  await down.click("#unavailable-button");
  await down.waitForFunction(() => /check your connection/.test(document.getElementById("unavailable-detail").textContent)
    && !document.getElementById("view-unavailable").hidden, null, { timeout: 10_000 }).catch(async () => {
    fail(`no network did not show the out-of-service page with a sentence: ${JSON.stringify(await pageState(wrapped))}`);
  });
  t.log("a network error shows the out-of-service page");
  await t.screenshots(wrapped, "unavailable-offline");

  mode = "online";
  await down.click("#unavailable-button");
  // This browser did not make the song: it opens as the recipient's gift.
  await down.locator("#view-gift").waitFor({ state: "visible", timeout: 10_000 }).catch(async () => {
    fail(`"Try again" did not open the song once Serenade answered: ${JSON.stringify(await pageState(wrapped))}`);
  });
  t.log("'Try again' opens the song once Serenade answers again");
  t.forget(wrapped);
}, { budgetMs: 60_000 });
