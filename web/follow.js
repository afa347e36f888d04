// Follows one song's state: one GET (tells unknown and unreachable apart and shows the state at once), then
// Server-Sent Events. Polling (every 2 s) only where EventSource is missing or keeps failing.

const POLL_MS = 2000;
const SSE_ERRORS_BEFORE_POLLING = 3;

export const isFinished = (state) => state.phase === "complete" || state.phase === "failed";

// One GET of the song's state: {kind: "state", state} | {kind: "gone"} | {kind: "unavailable", detail}.
export async function fetchState(id) {
  let response;
  try {
    response = await fetch(`/api/submissions/${id}`, { headers: { Accept: "application/json" }, cache: "no-store" });
  } catch {
    return { kind: "unavailable", detail: "" };
  }
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  if (response.status === 404) return { kind: "gone" };
  if (response.status === 410) return { kind: "deleted" };
  if (response.ok && body && body.session_id) return { kind: "state", state: body };
  return { kind: "unavailable", detail: (body && body.detail) || "" };
}

// handlers: onState(state), onGone(deleted) (unknown, or taken back by its maker), onUnavailable(detail), onConnection(ok) (a hiccup after the first state).
// options.initial: a state already known (e.g. the answer of a retry), so the first GET is skipped.
export function follow(id, handlers, options = {}) {
  let stopped = false;
  let source = null;
  let pollTimer = 0;
  let sseErrors = 0;
  let pollFailures = 0;
  let mode = "starting";

  const stop = () => {
    stopped = true;
    if (source) source.close();
    source = null;
    clearTimeout(pollTimer);
  };

  const deliver = (state) => {
    if (stopped) return;
    handlers.onState(state);
    if (isFinished(state)) stop();
  };

  const poll = async () => {
    const result = await fetchState(id);
    if (stopped) return;
    if (result.kind === "gone" || result.kind === "deleted") {
      stop();
      handlers.onGone(result.kind === "deleted");
      return;
    }
    if (result.kind === "state") {
      if (pollFailures) handlers.onConnection?.(true);
      pollFailures = 0;
      deliver(result.state);
    } else {
      pollFailures += 1;
      handlers.onConnection?.(false);
    }
    if (!stopped) pollTimer = setTimeout(poll, POLL_MS);
  };

  const startPolling = () => {
    if (stopped) return;
    mode = "poll";
    document.documentElement.dataset.follow = mode;
    pollTimer = setTimeout(poll, POLL_MS);
  };

  const openEvents = () => {
    mode = "events";
    document.documentElement.dataset.follow = mode;
    source = new EventSource(`/api/submissions/${id}/events`);
    source.addEventListener("state", (event) => {
      let state;
      try { state = JSON.parse(event.data); } catch { return; }
      if (sseErrors) handlers.onConnection?.(true);
      sseErrors = 0;
      deliver(state);
    });
    source.addEventListener("error", () => {
      if (stopped || !source) return;
      sseErrors += 1;
      // CLOSED: the browser gave up (an error answer); CONNECTING: it retries by itself, until it has failed often.
      if (source.readyState === EventSource.CLOSED || sseErrors >= SSE_ERRORS_BEFORE_POLLING) {
        source.close();
        source = null;
        startPolling();
      } else {
        handlers.onConnection?.(false);
      }
    });
  };

  (async () => {
    let state = options.initial;
    if (!state) {
      const result = await fetchState(id);
      if (stopped) return;
      if (result.kind === "gone" || result.kind === "deleted") { stop(); handlers.onGone(result.kind === "deleted"); return; }
      if (result.kind === "unavailable") { stop(); handlers.onUnavailable(result.detail); return; }
      state = result.state;
    }
    deliver(state);
    if (stopped) return;
    if (typeof EventSource === "function") openEvents();
    else startPolling();
  })();

  return { stop, get mode() { return mode; } };
}
