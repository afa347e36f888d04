// Test 6 (ctest browser.chromium_accessibility, Chromium only: axe-core checks markup and styles, the same in
// every engine): axe-core (npm axe-core, injected from node_modules) finds no
// violation of impact serious or critical on the create page (empty and showing field errors), the composing
// page and the player page. Also checked here, on the same pages: the form's own validation (messages next to
// the fields, aria-invalid + aria-describedby), the server's refusals (429 with its wait, 503) as sentences with
// the button usable again, a visible keyboard focus, and the share button's answer.
import { fail, fillForm, runTest, waitPlaying, waitSongUrl } from "./lib.mjs";

await runTest("accessibility", async (t) => {
  const base = await t.startServer();
  const browser = await t.launch({ autoplay: true });
  const wrapped = await t.newPage(browser, "accessibility", {
    expected: (url, status) => url === `${base}/api/submissions` && (status === 429 || status === 503),
  });
  const checked = [];
  const audit = async (name) => {
    const all = await t.audit(wrapped, name);
    checked.push(`${name}: ${all.length} violation(s) of lesser impact`);
  };

  const page = wrapped.raw;
  await page.goto(`${base}/`, { waitUntil: "load" });
  await page.locator("#story-form").waitFor({ state: "visible" });
  await audit("the create page");

  // Keyboard: the first Tab stops show a visible focus indicator.
  for (let i = 0; i < 3; ++i) {
    await page.keyboard.press("Tab");
    const focus = await page.evaluate(() => {
      const e = document.activeElement;
      const s = getComputedStyle(e);
      return { id: e.id || e.tagName, outline: `${s.outlineStyle} ${s.outlineWidth}` };
    });
    if (!/^solid [23]/.test(focus.outline) && !/^auto/.test(focus.outline)) {
      fail(`keyboard focus on ${focus.id} has no visible outline (${focus.outline})`);
    }
  }

  // The form's own validation, before anything is sent.
  await page.fill("#story", "Too short");
  await page.click("#submit");
  const fields = await page.evaluate(() => ["sender", "recipient", "story"].map((name) => {
    const input = document.getElementById(name);
    return { name, invalid: input.getAttribute("aria-invalid"), describedby: input.getAttribute("aria-describedby"),
      message: document.getElementById(`${name}-error`).textContent };
  }));
  const expectMessages = {
    sender: "Please tell us your name.",
    recipient: "Please tell us who the song is for.",
    story: "The story needs at least 20 characters.",
  };
  for (const field of fields) {
    if (field.invalid !== "true") fail(`#${field.name} is not marked aria-invalid after a failed check`);
    if (!field.describedby?.split(" ").includes(`${field.name}-error`)) fail(`#${field.name} is not described by its message`);
    if (field.message !== expectMessages[field.name]) fail(`#${field.name} shows ${JSON.stringify(field.message)}`);
  }
  const focused = await page.evaluate(() => document.activeElement.id);
  if (focused !== "sender") fail(`after a failed check the focus is on ${focused}, not the first invalid field`);
  if (page.url() !== `${base}/`) fail(`an invalid form was sent (url ${page.url()})`);
  t.log("the form's own validation marks and describes the invalid fields");
  await t.screenshots(wrapped, "create-errors");
  await audit("the create page with field errors");

  // A free-text style that is too long.
  await page.check("#style-other-choice");
  await page.fill("#style", "x".repeat(81));
  await page.click("#submit");
  const styleMessage = await page.locator("#style-error").innerText();
  if (styleMessage !== "The style is too long (81 characters); the limit is 80.") fail(`style error: ${JSON.stringify(styleMessage)}`);

  // The server's refusals as sentences, the button usable again.
  await fillForm(page);
  const refusals = [
    { status: 429, headers: { "Retry-After": "1800" }, body: { detail: "You have written several songs in a short time. Please wait about 30 minutes." },
      expect: "You have written several songs in a short time. Please wait about 30 minutes." },
    { status: 429, headers: { "Retry-After": "120" }, body: {}, expect: "Serenade is writing a lot of songs right now. Please try again in 2 minutes." },
    { status: 503, headers: {}, body: { detail: "Serenade cannot reach the music service right now. Please try again in a few minutes." },
      expect: "Serenade cannot reach the music service right now. Please try again in a few minutes." },
  ];
  for (const refusal of refusals) {
    await page.route(`${base}/api/submissions`, (route) => route.fulfill({
      status: refusal.status, headers: refusal.headers, contentType: "application/json", body: JSON.stringify(refusal.body),
    }));
    await page.click("#submit");
    await page.waitForFunction((text) => document.getElementById("form-error").textContent === text, refusal.expect, { timeout: 5_000 })
      .catch(async () => fail(`a ${refusal.status} showed ${JSON.stringify(await page.locator("#form-error").innerText())}, not ${JSON.stringify(refusal.expect)}`));
    if (await page.locator("#submit").isDisabled()) fail(`the button stays disabled after a ${refusal.status}`);
    await page.unroute(`${base}/api/submissions`);
  }
  t.log("429 and 503 answers are shown as sentences");
  await t.screenshots(wrapped, "create-refused");

  // Sent for real: the composing page, then the player.
  await page.click("#submit");
  await waitSongUrl(page);
  await page.locator("#view-song").waitFor({ state: "visible" });
  await audit("the composing page");
  await waitPlaying(page, 1, 30_000);
  await audit("the player page");

  // Share: navigator.share where present, else the clipboard, else the link selected; each says what happened.
  const how = await page.evaluate(() => (typeof navigator.share === "function" ? "share" : navigator.clipboard ? "clipboard" : "select"));
  if (how !== "share") {
    await page.click("#share-button");
    await page.waitForFunction(() => document.getElementById("share-note").textContent !== "", null, { timeout: 5_000 })
      .catch(() => fail("the share button said nothing"));
    const note = await page.locator("#share-note").innerText();
    const url = await page.inputValue("#share-url");
    if (!/^http:\/\/127\.0\.0\.1:\d+\/s\/[A-Za-z0-9_-]{22}$/.test(url)) fail(`the share field holds ${JSON.stringify(url)}`);
    t.log(`share (${how} available): "${note}"`);
  }
  t.log(checked.join("; "));
  t.forget(wrapped);
}, { budgetMs: 75_000, engines: ["chromium"] });
