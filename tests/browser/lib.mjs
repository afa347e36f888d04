// Shared helpers of the real-browser tests (tests/browser/*.test.mjs): servers, the browser engine, page watching,
// screenshots, axe-core. Every test is a plain node script, run once per engine (engines.mjs):
//
//   node tests/browser/NAME.test.mjs path/to/serenade [chromium|firefox|webkit]
//
// (or SERENADE_BINARY / SERENADE_BROWSER), run in the build directory by ctest; screenshots and server logs go to
// ./test-output/browser/ as ENGINE_NAME.*. Exit code 0 is a pass; anything else prints `FAIL <name>: <reason>`.
// Every wait is bounded; nothing sleeps for a fixed time.

import { spawn } from "node:child_process";
import http from "node:http";
import { randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { ENGINES, launchEngine, missing } from "./engines.mjs";

export const PHONE = { width: 360, height: 740, name: "phone" };
export const DESKTOP = { width: 1280, height: 800, name: "desktop" };
export const STORY = {
  sender: "Ana",
  recipient: "Ben",
  story: "We met on a rainy platform in Lisbon and shared an umbrella all the way to Belém.",
  style: "romantic acoustic ballad",
};

export class TestFailure extends Error {}
export const fail = (message) => { throw new TestFailure(message); };

const require = createRequire(import.meta.url);

// ---------------------------------------------------------------------------------------------------- the run

// Runs `scenario(t)` in the engine named on the command line (default chromium) within `budgetMs`, then cleans up
// (browser, servers, temp folder) and exits the process. `engines` lists the engines the scenario is meant for.
export async function runTest(scenarioName, scenario, { budgetMs = 90_000, engines = ENGINES } = {}) {
  const engine = process.argv[3] || process.env.SERENADE_BROWSER || "chromium";
  const name = `${engine}_${scenarioName}`;
  if (!engines.includes(engine)) {
    console.error(`FAIL ${name}: this scenario runs in ${engines.join(", ")} only`);
    process.exit(1);
  }
  const t = new TestRun(name, engine);
  const watchdog = setTimeout(() => {
    console.error(`FAIL ${name}: exceeded ${(budgetMs + 15_000) / 1000} s in total (cleanup hung)`);
    t.killAll();
    process.exit(1);
  }, budgetMs + 15_000);
  watchdog.unref();
  process.on("exit", () => t.killAll());

  let failure = null;
  try {
    t.preflight();
    let budget;
    await Promise.race([
      scenario(t),
      new Promise((_, reject) => {
        budget = setTimeout(() => reject(new TestFailure(`did not finish within ${budgetMs / 1000} s`)), budgetMs);
      }),
    ]).finally(() => clearTimeout(budget));
    await t.collectPageProblems();
    if (t.problems.length) fail(`the page reported problems:\n  ${t.problems.join("\n  ")}`);
  } catch (error) {
    failure = error;
    await t.failureScreenshots();
  }
  await t.cleanup();
  if (failure) {
    const reason = failure instanceof TestFailure ? failure.message : (failure.stack || String(failure));
    console.error(`FAIL ${name}: ${reason}`);
    for (const server of t.servers) {
      const tail = server.log.trim().split("\n").slice(-12).join("\n");
      if (tail) console.error(`--- last ${server.kind} log lines (all in ${server.logFile}) ---\n${tail}`);
    }
    process.exit(1);
  }
  t.log(`PASS ${name}`);
  process.exit(0);
}

class TestRun {
  constructor(name, engine) {
    this.name = name;
    this.engine = engine;
    this.started = Date.now();
    this.binary = process.argv[2] || process.env.SERENADE_BINARY;
    this.outDir = path.join(process.cwd(), "test-output", "browser");
    this.workDir = fs.mkdtempSync(path.join(os.tmpdir(), `serenade-${name}-`));
    this.servers = [];
    this.browsers = [];
    this.helpers = []; // processes an engine needs (Xvfb, PulseAudio, WebKitWebDriver)
    this.pages = new Set();
    this.problems = [];
  }

  log(message) {
    console.log(`[${((Date.now() - this.started) / 1000).toFixed(1).padStart(5)} s] ${message}`);
  }

  preflight() {
    if (!this.binary) fail("no server binary: pass it as the first argument or set SERENADE_BINARY");
    if (!fs.existsSync(this.binary)) fail(`server binary not found: ${this.binary}`);
    const lacking = missing(this.engine);
    if (lacking.length) fail(`${lacking.join(", ")} not found: run ./scripts/deps-browser`);
    fs.mkdirSync(this.outDir, { recursive: true });
    // A failure screenshot of an earlier run must not be mistaken for this run's.
    for (const file of fs.readdirSync(this.outDir)) {
      if (file.startsWith(`${this.name}.FAILED.`)) fs.rmSync(path.join(this.outDir, file), { force: true });
    }
  }

  // ------------------------------------------------------------------------------------------------ servers

  #spawn(kind, args, env, pattern) {
    const logFile = path.join(this.outDir, `${this.name}.${kind}.log`);
    const entry = { kind, log: "", logFile, proc: null };
    this.servers.push(entry);
    this.log(`starting ${kind}: ${path.basename(this.binary)} ${args.join(" ")}`);
    const proc = spawn(this.binary, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    entry.proc = proc;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new TestFailure(`${kind} did not log event=listening within 15 s`)), 15_000);
      let pending = "";
      proc.stdout.on("data", (chunk) => { entry.log += chunk.toString(); });
      proc.stderr.on("data", (chunk) => {
        const text = chunk.toString();
        entry.log += text;
        if (pending === null) return;
        pending += text;
        const match = pending.match(pattern);
        if (match) {
          clearTimeout(timer);
          pending = null;
          resolve(match[1].replace(/\/$/, ""));
        }
      });
      proc.on("error", (error) => { clearTimeout(timer); reject(new TestFailure(`cannot start ${kind}: ${error.message}`)); });
      proc.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new TestFailure(`${kind} exited before listening (code ${code}, signal ${signal})`));
      });
    });
  }

  // The Sonauto simulator, for tests that need faults or short songs. Returns its base URL. On the fast timeline
  // (the real service's first 15 s of silence and minutes-long songs would outlast a test); extraArgs override it.
  async startSimulator(extraArgs = []) {
    const args = ["simulate", "--listen", "127.0.0.1:0", "--api-key", "sksonauto_test_x", "--fast", ...extraArgs];
    return this.#spawn("simulator", args, cleanEnvironment(), /event=listening server=simulator url=(http:\/\/\S+)/);
  }

  // `serenade serve`: with `simulator` (a base URL) against that simulator, else with its built-in one.
  async startServer({ simulator = null, extraArgs = [] } = {}) {
    const dir = fs.mkdtempSync(path.join(this.workDir, "serve-"));
    const archive = path.join(dir, "archive");
    fs.mkdirSync(archive);
    const args = ["serve", "--listen", "127.0.0.1:0", "--database", `sqlite:///${path.join(dir, "serenade.db")}`,
      "--archive-dir", archive, ...extraArgs];
    const env = cleanEnvironment();
    if (simulator) {
      env.SONAUTO_API_KEY = "sksonauto_test_x";
      args.push("--sonauto-api-base", `${simulator}/v1`, "--sonauto-stream-base", simulator);
    }
    return this.#spawn("serenade", args, env, /event=listening server=serenade url=(http:\/\/\S+)/);
  }

  killAll() {
    for (const { proc } of [...this.servers, ...this.helpers]) {
      if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    }
  }

  async #stopServers() {
    await Promise.all(this.servers.map(async ({ proc }) => {
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }));
  }

  // ------------------------------------------------------------------------------------------------ browser

  // A fresh browser (profile of its own) of this run's engine. autoplay: false keeps the engine's own autoplay
  // policy (audible playback needs a gesture).
  async launch({ autoplay = true } = {}) {
    const browser = await launchEngine(this.engine, {
      autoplay, workDir: this.workDir, helpers: this.helpers, log: (m) => this.log(m),
    });
    this.browsers.push(browser);
    this.log(`${this.engine} started (${autoplay ? "autoplay allowed" : "default autoplay policy"})`);
    return browser;
  }

  // A page whose console errors, uncaught exceptions, failed requests and HTTP errors become test problems.
  // expected(url, status) tells which error answers the scenario itself provokes. (WebKit reports only uncaught
  // exceptions and console errors, read from the page by collectPageProblems.)
  async newPage(browser, label, { expected = () => false } = {}) {
    const page = await browser.newPage();
    this.pages.add(page);
    page.label = label;
    page.expected = expected;
    page.watch((event) => {
      if (event.kind === "console") {
        if (event.type !== "error") return;
        if (event.status >= 0 && event.url && expected(event.url, event.status)) return;
        // Firefox names the failed request in the text only.
        const named = event.text.match(/https?:\/\/\S+/);
        if (named && [0, 404, 429, 503].some((status) => expected(named[0].replace(/[.,;]$/, ""), status))) return;
        this.problems.push(`${label}: console error: ${event.text}${event.url ? ` (${event.url})` : ""}`);
      } else if (event.kind === "pageerror") {
        this.problems.push(`${label}: uncaught exception: ${event.text}`);
      } else if (event.kind === "requestfailed") {
        // The browser itself cancels media requests (seeking, a new source) and event streams it closes.
        if (event.aborted && /\/api\/(stream\/|submissions\/[^/]+\/events)/.test(event.url)) return;
        if (expected(event.url, 0)) return;
        this.problems.push(`${label}: request failed: ${event.method} ${event.url}: ${event.text}`);
      } else if (event.kind === "response" && event.status >= 400 && !expected(event.url, event.status)) {
        this.problems.push(`${label}: HTTP ${event.status} for ${event.method} ${event.url}`);
      }
    });
    return page;
  }

  // Opens url in page and waits until the app's script has run (WebKit never fires load on a live stream).
  // In WebKit the page it leaves is marked first: its navigation returns before the new document exists, and the
  // old one, a page of the app too, must not pass for the new one. (Not where a driver's script would count as
  // a gesture: there navigation returns once the new document is there.)
  async open(page, url) {
    if (!page.evaluateActivates) await page.evaluate(() => { window.__serenadeLeft = true; }).catch(() => {});
    await page.goto(url);
    await waitInPage(page, `${url} did not load`, () => !window.__serenadeLeft && document.readyState !== "loading"
      && !!document.getElementById("player") && !!document.body.dataset.view, null, 20_000);
    await page.installProbe();
  }

  // Makes `page` the browser that made `song` ({ id, ownerToken } of createOwnedSong): it keeps the owner token,
  // so the song's link opens the maker's song page rather than the recipient's gift. Chromium and Firefox keep it
  // before the page's scripts run (no gesture); WebKit, whose driver cannot, on a first visit of `origin`'s
  // front page (its driver's scripts are no gesture either).
  async rememberAsMaker(page, origin, song) {
    const keep = ([key, value]) => localStorage.setItem(key, value);
    const entry = [`serenade-owner:${song.id}`, song.ownerToken];
    if (page.canInject) {
      await page.addInitScript(keep, entry);
      return;
    }
    await this.open(page, `${origin}/`);
    await page.evaluate(keep, entry);
  }

  // Keeps `bytes` beside the screenshots, as ENGINE_NAME.`file`.
  async keep(file, bytes) {
    const where = path.join(this.outDir, `${this.name}.${file}`);
    fs.writeFileSync(where, bytes);
    this.log(`kept ${path.relative(process.cwd(), where)}`);
  }

  // Stops reporting a page's problems (e.g. before closing it aborts its streams on purpose).
  forget(page) {
    page.unwatch();
    this.pages.delete(page);
  }

  async collectPageProblems() {
    for (const page of this.pages) {
      for (const problem of await page.problems()) this.problems.push(`${page.label}: ${problem}`);
    }
  }

  // Screenshots of the page at 360x740 and 1280x800 (full page); fails if the page scrolls sideways.
  async screenshots(page, shot) {
    for (const viewport of [PHONE, DESKTOP]) {
      await page.setViewport(viewport.width, viewport.height);
      const [width, shown] = await page.evaluate(() => [document.documentElement.scrollWidth, innerWidth]);
      const file = path.join(this.outDir, `${this.name}.${shot}.${viewport.name}.png`);
      await page.screenshot(file);
      this.log(`screenshot ${path.relative(process.cwd(), file)}${shown !== viewport.width ? ` (the window is ${shown} px wide at least)` : ""}`);
      if (width > shown) fail(`${shot} at ${shown}x${viewport.height}: the page is ${width} px wide (scrolls sideways)`);
    }
    await page.setViewport(PHONE.width, PHONE.height);
  }

  // axe-core on the page as it is: fails on any violation of impact serious or critical.
  // Run in Chromium only: the checks are of the page's markup and styles, the same in every engine.
  async audit(page, name) {
    if (this.engine !== "chromium") return [];
    const { serious, all } = await seriousViolations(page.raw);
    this.log(`axe-core on ${name}: ${all.length ? all.map((v) => `${v.id} (${v.impact})`).join(", ") : "no violations"}`);
    if (serious.length) {
      fail(`axe-core found serious/critical violations on ${name}:\n  ${serious.map((v) =>
        `${v.id} (${v.impact}): ${v.help}\n    ${v.nodes.join("\n    ")}`).join("\n  ")}`);
    }
    return all;
  }

  async failureScreenshots() {
    for (const page of this.pages) {
      try {
        const file = path.join(this.outDir, `${this.name}.FAILED.${page.label.replace(/\W+/g, "-")}.png`);
        await Promise.race([page.screenshot(file), new Promise((_, reject) => setTimeout(reject, 5_000))]);
        console.error(`failure screenshot: ${file}`);
      } catch { /* the page may be gone */ }
    }
  }

  async cleanup() {
    for (const browser of this.browsers) {
      await Promise.race([browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]);
    }
    for (const { proc } of this.helpers) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    }
    await this.#stopServers();
    try {
      fs.mkdirSync(this.outDir, { recursive: true });
      for (const server of this.servers) fs.writeFileSync(server.logFile, server.log);
    } catch { /* best effort */ }
    fs.rmSync(this.workDir, { recursive: true, force: true });
  }
}

function cleanEnvironment() {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (name.startsWith("SONAUTO_") || name.startsWith("SERENADE_") || name === "DATABASE_URL") delete env[name];
  }
  return env;
}

// ---------------------------------------------------------------------------------------------------- watching proxy

// A loopback HTTP proxy in front of `target` that passes everything through and records each request whose path
// matches `watch` in state.requests: { url, method, range, at, status, etag, stalled }. With `stallAfterBytes`,
// the first such response stops after that many body bytes and then stays open, silent, until the client gives up
// on it: a listener's own connection stalling while the server is fine. Returns { url, state, close }.
export async function startProxy(target, { watch, stallAfterBytes = Infinity }) {
  const upstream = new URL(target);
  const state = { requests: [], stalled: 0 };
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    const matches = watch.test(req.url);
    const stallThis = matches && state.stalled === 0 && Number.isFinite(stallAfterBytes);
    if (stallThis) state.stalled = 1;
    const record = { url: req.url, method: req.method, range: req.headers.range || "", at: Date.now(), stalled: stallThis };
    if (matches) state.requests.push(record);
    const forward = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: upstream.host } }, (answer) => {
      record.status = answer.statusCode;
      record.etag = answer.headers.etag || "";
      res.writeHead(answer.statusCode, answer.headers);
      if (!stallThis) { answer.pipe(res); return; }
      let sent = 0;
      answer.on("data", (chunk) => {
        if (sent >= stallAfterBytes) { answer.pause(); return; }
        const part = chunk.subarray(0, stallAfterBytes - sent);
        sent += part.length;
        res.write(part);
        if (sent >= stallAfterBytes) { state.stalled = 2; state.stalledAt = Date.now(); answer.pause(); }
      });
    });
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
    req.pipe(forward);
  });
  server.on("connection", (socket) => { sockets.add(socket); socket.on("close", () => sockets.delete(socket)); });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    state,
    close: () => { for (const socket of sockets) socket.destroy(); server.close(); },
  };
}

// ---------------------------------------------------------------------------------------------------- page helpers

// Waits until fn(arg) is truthy in the page (polled every 100 ms: the same in every engine); on time-out fails
// with `what` and the page's state.
export async function waitInPage(page, what, fn, arg, timeout) {
  const deadline = Date.now() + timeout;
  let lastError = null;
  for (;;) {
    try {
      if (await page.evaluate(fn, arg)) return;
      lastError = null;
    } catch (error) {
      lastError = error; // e.g. between two documents
    }
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const state = await pageState(page).catch(() => "unavailable");
  fail(`${what} (not within ${timeout / 1000} s${lastError ? `; ${String(lastError.message).split("\n")[0]}` : ""}); page state: ${JSON.stringify(state)}`);
}

// What the page shows and what its <audio> is doing.
export function pageState(page) {
  return page.evaluate(() => {
    const audio = document.getElementById("player");
    const visible = ["create", "gift", "song", "failed", "not-found", "deleted", "unavailable"]
      .filter((v) => !document.getElementById(`view-${v}`).hidden);
    return {
      url: location.pathname, view: visible.join(","), stage: document.getElementById("stage").textContent,
      playerState: document.getElementById("player-state").textContent,
      tapVisible: !document.getElementById("tap-to-play").hidden,
      follow: document.documentElement.dataset.follow || "",
      audio: audio && {
        currentTime: Number(audio.currentTime.toFixed(2)), duration: audio.duration, paused: audio.paused,
        ended: audio.ended, readyState: audio.readyState, networkState: audio.networkState,
        error: audio.error && audio.error.code, src: audio.currentSrc,
      },
    };
  });
}

export const currentTime = (page) => page.evaluate(() => document.getElementById("player").currentTime);

// Waits until the song plays: currentTime past `seconds`.
export async function waitPlaying(page, seconds, timeout, what = "the song did not play") {
  await waitInPage(page, `${what}: currentTime did not pass ${seconds} s`,
    (s) => document.getElementById("player").currentTime > s, seconds, timeout);
}

// Records every text #stage shows from now on, into window.__stages (the app changes pages without reloading).
export async function recordStages(page) {
  await page.evaluate(() => {
    window.__stages = [];
    const note = () => {
      const stage = document.getElementById("stage");
      if (stage && !document.getElementById("view-song").hidden) {
        const text = stage.textContent;
        if (window.__stages[window.__stages.length - 1] !== text) window.__stages.push(text);
      }
    };
    note();
    new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["hidden"] });
  });
}

// Runs in the page: rendered with a size (not hidden by itself or an ancestor).
function shown(selector) {
  const e = document.querySelector(selector);
  return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden";
}

export const isVisible = (page, selector) => page.evaluate(shown, selector);

export async function waitVisible(page, selector, timeout, what) {
  await waitInPage(page, what || `${selector} did not become visible`, shown, selector, timeout);
}

export const textOf = (page, selector) => page.evaluate((s) => document.querySelector(s)?.innerText ?? null, selector);
export const attributeOf = (page, selector, name) =>
  page.evaluate(([s, n]) => document.querySelector(s)?.getAttribute(n) ?? null, [selector, name]);
export const pageUrl = (page) => page.evaluate(() => location.href);

// The page's own requests whose path matches `pattern` (Resource Timing: the same in every engine).
export const requestsMatching = (page, pattern) => page.evaluate((source) => performance.getEntriesByType("resource")
  .map((e) => e.name).filter((name) => new RegExp(source).test(new URL(name).pathname)), pattern.source);

// Fills the real form (clicks a style choice like a person would).
export async function fillForm(page, story = STORY) {
  await page.fill("#sender", story.sender);
  await page.fill("#recipient", story.recipient);
  await page.fill("#story", story.story);
  const preset = `input[name="style-choice"][value="${story.style}"]`;
  if (await page.evaluate((s) => !!document.querySelector(s), preset)) {
    await page.click(preset);
  } else {
    await page.click("#style-other-choice");
    await page.fill("#style", story.style);
  }
}

// The recipient's one tap on the gift (a real click): the song plays, the gift becomes the player with the
// people's names, no second tap is asked and no delete is offered. Returns the Media Session's metadata
// ({ title, artist, artwork }), or null in an engine without the API.
export async function tapGift(t, page, people, timeout) {
  await page.click("#gift-play");
  t.log("tapped 'Play your song'");
  await waitPlaying(page, 1, timeout, "the song did not play after the tap");
  await waitVisible(page, "#view-song", 5_000, "the gift did not become the player");
  if (await isVisible(page, "#view-gift")) fail("the gift is still visible while the song plays");
  if (await isVisible(page, "#tap-to-play")) fail("after the gift's tap the player asks for another tap");
  if (await isVisible(page, "#take-back-box")) fail("the recipient is offered to delete the song");
  const names = await page.evaluate(() => ["song-title", "song-from"].map((id) => document.getElementById(id).textContent));
  if (names[0] !== `For ${people.recipient}` || names[1] !== `A song from ${people.sender}`) {
    fail(`the player shows the names ${JSON.stringify(names)}`);
  }
  const session = await page.evaluate(() => ("mediaSession" in navigator
    ? { title: navigator.mediaSession.metadata?.title ?? null, artist: navigator.mediaSession.metadata?.artist ?? null,
      artwork: navigator.mediaSession.metadata?.artwork?.[0]?.src ?? null }
    : null));
  t.log(`Media Session: ${session ? JSON.stringify(session) : "not in this engine"}`);
  return session;
}

// Waits until the page moved to /s/{id} after the form was sent; returns the id.
export async function waitSongUrl(page, timeout = 15_000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const where = await page.evaluate(() => location.pathname).catch(() => "");
    if (/^\/s\/[A-Za-z0-9_-]{22}$/.test(where)) return where.slice(3);
    await new Promise((r) => setTimeout(r, 100));
  }
  const errors = await page.evaluate(() =>
    [...document.querySelectorAll(".field-error, .form-error")].map((e) => e.textContent).filter(Boolean));
  fail(`the page did not move to /s/{id} after sending the form (url ${await pageUrl(page)}; errors shown: ${JSON.stringify(errors)})`);
}

// ---------------------------------------------------------------------------------------------------- API helpers

export async function getJson(url, init) {
  const response = await fetch(url, init);
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  return { status: response.status, body, headers: response.headers };
}

// Creates a song through the API (not the page: no user gesture in the browser). Returns { id, ownerToken }.
export async function createOwnedSong(base, story = STORY) {
  const { status, body } = await getJson(`${base}/api/submissions`, {
    method: "POST", headers: { "Content-Type": "application/json", "Idempotency-Key": randomUUID() },
    body: JSON.stringify(story),
  });
  if (status !== 201 || !body?.session_id) fail(`POST /api/submissions answered ${status}: ${JSON.stringify(body)}`);
  return { id: body.session_id, ownerToken: body.owner_token };
}

// The same, for a song whose link is opened by someone else than its maker. Returns the session id.
export const createSong = async (base, story = STORY) => (await createOwnedSong(base, story)).id;

export const songState = async (base, id) => (await getJson(`${base}/api/submissions/${id}`)).body;

// Polls the API (every 250 ms) until predicate(state) holds.
export async function waitSong(base, id, what, predicate, timeout) {
  const deadline = Date.now() + timeout;
  let state = null;
  while (Date.now() < deadline) {
    state = await songState(base, id);
    if (state && predicate(state)) return state;
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${what} (not within ${timeout / 1000} s); last state: ${JSON.stringify(state && { status: state.status, phase: state.phase })}`);
}

// Polls any condition (every 250 ms) until it returns a truthy value.
export async function until(what, probe, timeout) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await probe();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  fail(`${what} (not within ${timeout / 1000} s)`);
}

export const unknownSessionId = () => randomBytes(16).toString("base64url"); // 22 characters of the id alphabet

// ---------------------------------------------------------------------------------------------------- axe-core

// Runs axe-core (from node_modules) in the page; returns the violations of impact serious or critical.
export async function seriousViolations(page) {
  const axePath = require.resolve("axe-core/axe.min.js");
  // Evaluated, not added as a script tag: the pages' Content-Security-Policy refuses inline scripts, and a
  // driver's evaluation is not subject to it.
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(fs.readFileSync(axePath, "utf8"));
  const results = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(" ")}: ${n.failureSummary}`),
    }));
  });
  return { serious: results.filter((v) => v.impact === "serious" || v.impact === "critical"), all: results };
}
