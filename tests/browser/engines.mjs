// The three browser engines behind one small page API, so that every scenario runs unchanged in each:
//
//   chromium  Debian's Chromium through playwright-core (executablePath /usr/bin/chromium)
//   firefox   Debian's Firefox ESR through puppeteer-core (WebDriver BiDi), sound into a PulseAudio null sink
//   webkit    WebKitGTK's MiniBrowser through selenium-webdriver and /usr/bin/WebKitWebDriver, under Xvfb
//
// None of the drivers downloads a browser. What differs between the engines, and how this file bridges it:
// - Script calls from Playwright and Puppeteer count as a user gesture (they activate the page); WebKit's
//   executeScript does not. `page.evaluateActivates` tells which, for tests that are about autoplay.
// - Only Chromium and Firefox run scripts before the page's own (`addInitScript`) and report console messages
//   and requests; WebKit's classic WebDriver does neither, so `page.installProbe()` adds error reporting after
//   each navigation and `page.problems()` reads what it caught.
// - WebKit never fires `load` while a live stream downloads: navigation never waits for `load` (pageLoadStrategy
//   none); tests wait for the element they need instead.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

export const ENGINES = ["chromium", "firefox", "webkit"];
export const BINARIES = {
  chromium: "/usr/bin/chromium",
  firefox: "/usr/bin/firefox-esr",
  webkit: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
};
const WEBKIT_DRIVER = "/usr/bin/WebKitWebDriver";

// From ../shared browser notes: without the background-networking flags Chromium keeps dialling out.
const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

// What an engine needs on this machine beyond its binary; empty when it can run.
export function missing(engine) {
  const needs = [BINARIES[engine]];
  if (engine === "firefox") needs.push("/usr/bin/pulseaudio");
  if (engine === "webkit") needs.push(WEBKIT_DRIVER, "/usr/bin/Xvfb");
  return needs.filter((file) => !fs.existsSync(file));
}

// Starts `engine` with a fresh profile in `workDir`. autoplay: false keeps the engine's own policy, which refuses
// audible autoplay without a gesture. Returns { engine, newPage(), close() }; `helpers` collects child processes.
export async function launchEngine(engine, { autoplay, workDir, helpers, log }) {
  if (engine === "chromium") return launchChromium(autoplay, workDir);
  if (engine === "firefox") return launchFirefox(autoplay, workDir, helpers, log);
  if (engine === "webkit") return launchWebKit(autoplay, workDir, helpers, log);
  throw new Error(`unknown browser engine ${engine} (one of ${ENGINES.join(", ")})`);
}

// ---------------------------------------------------------------------------------------------------- Chromium

async function launchChromium(autoplay, workDir) {
  const { chromium } = await import("playwright-core");
  const profile = fs.mkdtempSync(path.join(workDir, "chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: BINARIES.chromium, headless: true, viewport: { width: 360, height: 740 }, timeout: 20_000,
    args: autoplay ? [...CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"] : CHROMIUM_ARGS,
  });
  let first = true;
  return {
    engine: "chromium",
    raw: context,
    async newPage() {
      const page = first && context.pages().length ? context.pages()[0] : await context.newPage();
      first = false;
      page.setDefaultTimeout(15_000);
      return new PlaywrightPage(page);
    },
    close: () => context.close(),
  };
}

class PlaywrightPage {
  constructor(page) { this.raw = page; this.engine = "chromium"; this.evaluateActivates = true; this.canInject = true; }
  goto(url) { return this.raw.goto(url, { waitUntil: "commit" }); }
  evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  addInitScript(fn, arg) { return this.raw.addInitScript(fn, arg); }
  click(selector) { return this.raw.click(selector); }
  fill(selector, value) { return this.raw.fill(selector, value); }
  setViewport(width, height) { return this.raw.setViewportSize({ width, height }); }
  screenshot(file) { return this.raw.screenshot({ path: file, fullPage: true, timeout: 10_000 }); }
  installProbe() { return Promise.resolve(); }
  problems() { return Promise.resolve([]); }

  // listener({ kind: "console"|"pageerror"|"requestfailed"|"response", text, url, status, type })
  watch(listener) {
    this.raw.on("console", (m) => listener({
      kind: "console", type: m.type(), text: m.text(), url: m.location()?.url || "",
      status: statusOfConsoleText(m.text()),
    }));
    this.raw.on("pageerror", (e) => listener({ kind: "pageerror", text: e.message }));
    this.raw.on("requestfailed", (r) => listener({
      kind: "requestfailed", url: r.url(), method: r.method(), text: r.failure()?.errorText || "", aborted: r.failure()?.errorText === "net::ERR_ABORTED",
    }));
    this.raw.on("response", (r) => listener({ kind: "response", url: r.url(), method: r.request().method(), status: r.status() }));
  }
  unwatch() { for (const name of ["console", "pageerror", "requestfailed", "response"]) this.raw.removeAllListeners(name); }
}

// Chromium's console line for an error answer ("… status of 404 (Not Found)") or a failed request (net::ERR_…).
function statusOfConsoleText(text) {
  const answered = text.match(/status of (\d{3})/);
  return answered ? Number(answered[1]) : /net::ERR_/.test(text) ? 0 : -1;
}

// ---------------------------------------------------------------------------------------------------- Firefox

async function launchFirefox(autoplay, workDir, helpers, log) {
  const pulse = await startPulseAudio(workDir, helpers, log);
  const { default: puppeteer } = await import("puppeteer-core");
  const browser = await puppeteer.launch({
    browser: "firefox", executablePath: BINARIES.firefox, headless: true, timeout: 30_000,
    userDataDir: fs.mkdtempSync(path.join(workDir, "firefox-")),
    // CI containers run as root, often without the user namespaces Firefox's content sandbox needs.
    env: { ...process.env, PULSE_SERVER: pulse, MOZ_DISABLE_CONTENT_SANDBOX: "1" },
    extraPrefsFirefox: {
      // 0 allows audible autoplay; 1 blocks it until the person interacts with the page (Firefox's default).
      "media.autoplay.default": autoplay ? 0 : 1,
      "media.autoplay.blocking_policy": 0,
      "media.cubeb.backend": "pulse",
      "network.captive-portal-service.enabled": false,
      "browser.safebrowsing.update.enabled": false,
    },
  });
  return {
    engine: "firefox",
    raw: browser,
    async newPage() {
      const page = await browser.newPage();
      page.setDefaultTimeout(15_000);
      await page.setViewport({ width: 360, height: 740 });
      return new PuppeteerPage(page);
    },
    close: () => browser.close(),
  };
}

// A PulseAudio daemon of the test's own with a null sink: Firefox has no audio clock without a sink.
async function startPulseAudio(workDir, helpers, log) {
  const dir = fs.mkdtempSync(path.join(workDir, "pulse-"));
  const socket = path.join(dir, "native");
  const proc = spawn("/usr/bin/pulseaudio", [
    "--daemonize=no", "--exit-idle-time=-1", "--disallow-exit", "-n", "--use-pid-file=no", "--system=no",
    "--log-target=stderr", "--log-level=error",
    "-L", "module-null-sink sink_name=serenade_test",
    "-L", `module-native-protocol-unix socket=${socket} auth-anonymous=1`,
    "-L", "module-always-sink",
  ], { env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir, PULSE_RUNTIME_PATH: dir }, stdio: ["ignore", "ignore", "pipe"] });
  helpers.push({ name: "pulseaudio", proc });
  let errors = "";
  proc.stderr.on("data", (chunk) => { errors += chunk.toString(); });
  await waitUntil(() => fs.existsSync(socket) || proc.exitCode !== null, 10_000);
  if (!fs.existsSync(socket)) throw new Error(`pulseaudio did not start (exit ${proc.exitCode}): ${errors.trim()}`);
  log("pulseaudio null sink ready");
  return `unix:${socket}`;
}

class PuppeteerPage {
  constructor(page) { this.raw = page; this.engine = "firefox"; this.evaluateActivates = true; this.canInject = true; }
  goto(url) { return this.raw.goto(url, { waitUntil: "domcontentloaded" }); }
  evaluate(fn, arg) { return this.raw.evaluate(fn, arg); }
  addInitScript(fn, arg) { return this.raw.evaluateOnNewDocument(fn, arg); }
  click(selector) { return this.raw.locator(selector).click(); }
  fill(selector, value) { return this.raw.locator(selector).fill(value); }
  setViewport(width, height) { return this.raw.setViewport({ width, height }); }
  screenshot(file) { return this.raw.screenshot({ path: file, fullPage: true }); }
  installProbe() { return Promise.resolve(); }
  problems() { return Promise.resolve([]); }

  watch(listener) {
    this.raw.on("console", (m) => listener({ kind: "console", type: m.type(), text: m.text(), url: m.location()?.url || "", status: -1 }));
    this.raw.on("pageerror", (e) => listener({ kind: "pageerror", text: e.message }));
    this.raw.on("requestfailed", (r) => {
      const text = r.failure()?.errorText || "";
      listener({ kind: "requestfailed", url: r.url(), method: r.method(), text, aborted: /ABORT|cancel/i.test(text) });
    });
    this.raw.on("response", (r) => listener({ kind: "response", url: r.url(), method: r.request().method(), status: r.status() }));
  }
  unwatch() { for (const name of ["console", "pageerror", "requestfailed", "response"]) this.raw.removeAllListeners(name); }
}

// ---------------------------------------------------------------------------------------------------- WebKit

async function launchWebKit(autoplay, workDir, helpers, log) {
  const display = await startXvfb(helpers);
  const port = await freePort();
  const env = { ...process.env, DISPLAY: display };
  const driverProc = spawn(WEBKIT_DRIVER, [`--port=${port}`, "--host=127.0.0.1"], { env, stdio: ["ignore", "ignore", "pipe"] });
  helpers.push({ name: "WebKitWebDriver", proc: driverProc });
  await waitUntil(() => canConnect(port), 10_000, "WebKitWebDriver did not listen");
  const { Builder } = await import("selenium-webdriver");
  const capabilities = {
    browserName: "MiniBrowser",
    pageLoadStrategy: "none",
    "webkitgtk:browserOptions": {
      binary: BINARIES.webkit,
      // allow-without-sound is Safari's own policy: audible autoplay needs a gesture.
      args: ["--automation", `--autoplay-policy=${autoplay ? "allow" : "allow-without-sound"}`],
    },
  };
  const driver = await new Builder().usingServer(`http://127.0.0.1:${port}`).withCapabilities(capabilities).build();
  await driver.manage().setTimeouts({ script: 15_000 });
  log(`MiniBrowser started on ${display}`);
  let used = false;
  return {
    engine: "webkit",
    raw: driver,
    async newPage() {
      // One window per session is all MiniBrowser automates reliably; a second page reuses it.
      if (used) await driver.get("about:blank");
      used = true;
      const page = new WebDriverPage(driver);
      await page.setViewport(360, 740);
      return page;
    },
    close: () => driver.quit(),
  };
}

// Xvfb on the first free display it finds (-displayfd prints the number it took).
async function startXvfb(helpers) {
  const proc = spawn("/usr/bin/Xvfb", ["-displayfd", "3", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"], {
    stdio: ["ignore", "ignore", "ignore", "pipe"],
  });
  helpers.push({ name: "Xvfb", proc });
  let number = "";
  proc.stdio[3].on("data", (chunk) => { number += chunk.toString(); });
  await waitUntil(() => /\d+\n/.test(number) || proc.exitCode !== null, 60_000, "Xvfb did not report its display");
  if (!/\d+\n/.test(number)) throw new Error(`Xvfb exited (code ${proc.exitCode}) before reporting its display`);
  return `:${number.trim()}`;
}

class WebDriverPage {
  constructor(driver) { this.raw = driver; this.engine = "webkit"; this.evaluateActivates = false; this.canInject = false; }
  async goto(url) { await this.raw.get(url); }

  async evaluate(fn, arg) {
    // W3C Execute Script awaits a returned promise, so async functions work as well.
    return this.raw.executeScript(`return (${fn}).apply(null, arguments);`, arg === undefined ? null : arg);
  }

  addInitScript() { throw new Error("WebKit's WebDriver cannot run a script before the page's own (check page.canInject)"); }
  async element(selector) {
    const { By } = await import("selenium-webdriver");
    return this.raw.findElement(By.css(selector));
  }
  async click(selector) { await (await this.element(selector)).click(); }
  async fill(selector, value) {
    const element = await this.element(selector);
    await element.clear();
    // WebKitWebDriver drops a "\n" in typed text; the Enter key makes the new line, as a person's would.
    await element.sendKeys(value.replace(/\n/g, "\uE007"));
  }

  // The window is sized so that the page's viewport is width x height (MiniBrowser has a minimum width).
  async setViewport(width, height) {
    const window = this.raw.manage().window();
    const outer = await window.getRect();
    const inner = await this.raw.executeScript("return [innerWidth, innerHeight];");
    await window.setRect({ width: width + (outer.width - inner[0]), height: height + (outer.height - inner[1]) });
  }

  // Viewport only: WebKit's WebDriver has no full-page screenshot.
  async screenshot(file) { fs.writeFileSync(file, Buffer.from(await this.raw.takeScreenshot(), "base64")); }

  // Reports uncaught errors, rejected promises and console.error calls into window.__serenadeProblems.
  async installProbe() {
    await this.evaluate(() => {
      if (window.__serenadeProblems) return;
      const problems = (window.__serenadeProblems = []);
      window.addEventListener("error", (e) => {
        if (e.target && e.target !== window && e.target.tagName) return; // a media/resource error: the page handles it
        problems.push(`uncaught exception: ${e.message}`);
      }, true);
      window.addEventListener("unhandledrejection", (e) => problems.push(`unhandled rejection: ${e.reason}`));
      const error = console.error.bind(console);
      console.error = (...args) => { problems.push(`console error: ${args.join(" ")}`); error(...args); };
    });
  }
  async problems() {
    try { return (await this.evaluate(() => window.__serenadeProblems || [])) || []; } catch { return []; }
  }

  watch() {}
  unwatch() {}
}

// ---------------------------------------------------------------------------------------------------- helpers

async function waitUntil(probe, timeout, what = "condition") {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} (not within ${timeout / 1000} s)`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => { socket.destroy(); resolve(true); });
    socket.once("error", () => resolve(false));
  });
}
