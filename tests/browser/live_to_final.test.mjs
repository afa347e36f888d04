// Test (ctest browser.ENGINE_live_to_final): a song that started live is replaced by its final copy while the
// page is open, and the final copy is another encode (as Sonauto's CDN file is). The player must never join
// bytes of two encodes: once the song is a file it reads one copy's own URL (`Content-Location`, `?v=`), and
// every answer a URL gave carries one ETag. After the swap a seek to 75 % plays on from there; a reload plays
// the final copy and seeks in it. (WebKitGTK cannot seek past what it has buffered and never sends Range: there
// it only has to play.)
// Own simulator: 40 s songs at 4x, the CDN file another encode, refused until the test lets the CDN answer; the
// live stream expires at SUCCESS with its last 2 s unsent (the harshest way it can end), so the live copy is
// shorter than the final one.
import {
  createOwnedSong, fail, getJson, pageState, runTest, startProxy, until, waitInPage, waitPlaying, waitSong,
} from "./lib.mjs";

const metricValue = (page, series) => {
  const line = page.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};

// Plays on from `at` after a seek there: never before it, and at least 1.5 s past it.
async function seekAndPlayOn(page, at, what) {
  await page.evaluate((target) => {
    window.__belowTarget = false;
    const audio = document.getElementById("player");
    audio.addEventListener("timeupdate", () => {
      if (!audio.seeking && audio.currentTime < target - 0.25) window.__belowTarget = audio.currentTime;
    });
    audio.currentTime = target;
    audio.play();
  }, at);
  await waitInPage(page, what,
    (target) => { const a = document.getElementById("player"); return !a.paused && !a.seeking && a.currentTime > target + 1.5; },
    at, 20_000);
  const below = await page.evaluate(() => window.__belowTarget);
  if (below !== false) fail(`after the seek to ${at.toFixed(2)} s, playback was at ${below} s`);
}

const pinnedVersion = (src) => new URL(src).searchParams.get("v");
const unquote = (etag) => etag.replace(/^"|"$/g, "");

await runTest("live_to_final", async (t) => {
  const sim = await t.startSimulator(["--song-seconds", "40", "--speed", "4", "--ready-after", "1",
    "--final-encode", "different", "--stream-end", "expire-early", "--refuse-cdn", "500"]);
  const base = await t.startServer({ simulator: sim, extraArgs: ["--final-retry-ms", "200"] });
  const proxy = await startProxy(base, { watch: /^\/api\/stream\// });
  const song = await createOwnedSong(base);
  const id = song.id;
  const task = (await getJson(`${sim}/_sim/tasks`)).body[0].task_id;

  const browser = await t.launch({ autoplay: true });
  const page = await t.newPage(browser, "live then final");
  await t.rememberAsMaker(page, proxy.url, song);
  await t.open(page, `${proxy.url}/s/${id}`);
  await waitPlaying(page, 1, 30_000, "the live song did not start");
  t.log(`playing live: ${(await pageState(page)).audio.src}`);

  // The song finishes while it plays; its live copy is the file until the CDN answers.
  const done = await waitSong(base, id, "the song did not finish", (s) => s.phase === "complete" || s.phase === "failed", 30_000);
  if (done.phase !== "complete") fail(`the song ended as ${done.status}: ${done.error}`);
  const live = await until("the live copy was not served as a file", async () => {
    const r = await fetch(`${base}/api/stream/${id}`, { method: "HEAD" });
    return r.status === 200 && r.headers.get("accept-ranges") === "bytes" ? r : null;
  }, 15_000);
  const liveVersion = unquote(live.headers.get("etag"));
  await waitInPage(page, "the page did not learn that the song is finished",
    () => document.getElementById("stage").textContent === "Your song is ready", null, 15_000);

  // A pause moves the player to the file: the live copy's own URL.
  await page.evaluate(() => document.getElementById("player").pause());
  await waitInPage(page, "the paused player did not load the live copy's own URL",
    (v) => { const a = document.getElementById("player"); return a.currentSrc.includes(`?v=${v}`) && a.readyState >= 1; },
    liveVersion, 15_000);
  t.log(`paused on the live copy: v=${liveVersion}`);

  // The CDN answers: the final copy, another encode, replaces the live copy as the song.
  const control = await fetch(`${sim}/_sim/control`, { method: "POST", body: JSON.stringify({ task_id: task, refuse_cdn: 0 }) });
  if (control.status !== 200) fail(`the simulator refused the control: ${control.status}`);
  await until("the final copy was not archived", async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    return metricValue(metrics, 'serenade_finalisations_total{outcome="ok"}') >= 1;
  }, 30_000);
  const finalHead = await fetch(`${base}/api/stream/${id}`, { method: "HEAD" });
  const finalVersion = unquote(finalHead.headers.get("etag"));
  if (finalVersion === liveVersion) fail("the final copy has the live copy's ETag: the test proves nothing");

  const duration = (await pageState(page)).audio.duration;
  if (!Number.isFinite(duration) || duration < 35 || duration > 41) fail(`duration ${duration} is not about 38 s`);
  if (t.engine === "webkit") {
    await page.evaluate(() => document.getElementById("player").play());
    await waitInPage(page, "the live copy did not play on after the swap",
      () => { const a = document.getElementById("player"); return !a.paused && a.currentTime > 1; }, null, 20_000);
  } else {
    await seekAndPlayOn(page, 0.75 * duration, "the live copy did not play on from 75 % after the swap");
  }
  const after = (await pageState(page)).audio.src;
  if (pinnedVersion(after) !== liveVersion) fail(`after the swap the player reads ${after}, not the live copy it had`);
  t.log(`after the swap the player still reads the live copy (${after})`);

  // A reload plays the final copy, from its own URL, and seeks in it.
  await t.open(page, `${proxy.url}/s/${id}`);
  await waitInPage(page, "the reloaded page did not play the final copy's own URL",
    (v) => { const a = document.getElementById("player"); return a.currentSrc.includes(`?v=${v}`) && a.currentTime > 0.5; },
    finalVersion, 20_000);
  if (t.engine !== "webkit") {
    const reloadedDuration = (await pageState(page)).audio.duration;
    await seekAndPlayOn(page, 0.5 * reloadedDuration, "the final copy did not play on from 50 %");
  }
  await t.screenshots(page, "final-copy");

  // What the browser was sent: every URL it read kept one ETag for all its answers.
  const versionsByUrl = new Map();
  for (const r of proxy.state.requests) {
    if (r.method !== "GET" || !r.etag) continue;
    versionsByUrl.set(r.url, new Set([...(versionsByUrl.get(r.url) || []), r.etag]));
  }
  for (const [url, etags] of versionsByUrl) {
    if (etags.size > 1) fail(`${url} was answered from ${etags.size} different copies: ${[...etags].join(", ")}`);
  }
  const read = proxy.state.requests.filter((r) => r.method === "GET").map((r) => `${r.url} ${r.range} → ${r.status}`);
  t.log(`song requests: ${read.join("; ")}`);
  if (!read.some((r) => r.includes(`?v=${liveVersion}`)) || !read.some((r) => r.includes(`?v=${finalVersion}`))) {
    fail(`the browser did not read both copies by their own URLs: ${read.join("; ")}`);
  }
}, { budgetMs: 120_000 });
