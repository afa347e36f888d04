// The story form: validation mirrored from the API (lifecycle/submission_form.cpp), one Idempotency-Key per
// form fill, and every refusal of the server told as a sentence.

// The owner token lets this browser, and no one the link is sent to, delete the song later. It stays on this
// device (localStorage), never in the link.
const OWNER_KEY = (id) => `serenade-owner:${id}`;
export function rememberOwnerToken(id, token) {
  if (!token) return;
  try { localStorage.setItem(OWNER_KEY(id), token); } catch { /* private mode: no delete button later */ }
}
export function ownerTokenOf(id) {
  try { return localStorage.getItem(OWNER_KEY(id)); } catch { return null; }
}
export function forgetOwnerToken(id) {
  try { localStorage.removeItem(OWNER_KEY(id)); } catch { /* nothing kept */ }
}

const $ = (id) => document.getElementById(id);

// The API's limits and sentences. Characters are code points, counted after trimming, as the server counts them.
const FIELDS = {
  sender: { min: 1, max: 80, subject: "Your name", missing: "Please tell us your name.", multiline: false },
  recipient: { min: 1, max: 80, subject: "Their name", missing: "Please tell us who the song is for.", multiline: false },
  story: { min: 20, max: 2000, subject: "The story", missing: "Please tell us your story.", multiline: true },
  style: {
    min: 1, max: 80, subject: "The style", missing: "Please tell us what style of song you would like.",
    multiline: false,
  },
  // Its own id: the player already has an element called "lyrics" (the words as they are sung).
  lyrics: {
    min: 20, max: 3000, subject: "Your lyric sheet", missing: "", multiline: true, optional: true, id: "own-lyrics",
  },
};
const NAMES = Object.keys(FIELDS);
const input = (name) => $(FIELDS[name].id || name);

const thousands = (n) => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const characters = (n) => `${thousands(n)} ${n === 1 ? "character" : "characters"}`;
const codePoints = (text) => Array.from(text).length;

// The message for an unacceptable value, or "" when the server will accept it.
export function fieldMessage(name, raw) {
  const spec = FIELDS[name];
  const text = String(raw ?? "").replace(/\r\n/g, "\n").trim();
  if (!text) return spec.optional ? "" : spec.missing;
  const control = spec.multiline ? /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/ : /[\u0000-\u001f\u007f-\u009f]/;
  if (control.test(text)) {
    return spec.multiline
      ? `${spec.subject} can't contain control characters other than line breaks and tabs.`
      : `${spec.subject} can't contain line breaks or other control characters.`;
  }
  const length = codePoints(text);
  if (length < spec.min) return `${spec.subject} needs at least ${characters(spec.min)}.`;
  if (length > spec.max) return `${spec.subject} is too long (${characters(length)}); the limit is ${thousands(spec.max)}.`;
  return "";
}

// One key per form fill: a double click or a repeated request finds the same song instead of paying twice.
function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  if (globalThis.crypto && typeof crypto.getRandomValues === "function") crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; ++i) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function otherStyleChosen() {
  return $("style-other-choice").checked;
}

function styleValue() {
  if (otherStyleChosen()) return $("style").value;
  const chosen = document.querySelector('input[name="style-choice"]:checked');
  return chosen ? chosen.value : "";
}

// The element that carries a field's value and error state (opening the folded lyrics, so it can be seen).
function control(name) {
  if (name === "style" && !otherStyleChosen()) return document.querySelector('input[name="style-choice"]:checked');
  if (name === "lyrics") $("own-lyrics-field").open = true;
  return input(name);
}

function values() {
  return {
    sender: $("sender").value,
    recipient: $("recipient").value,
    story: $("story").value,
    style: styleValue(),
    lyrics: input("lyrics").value,
    language: $("language").value,
  };
}

// The song's language starts as the browser's own when the form offers it (the API's list:
// lifecycle/submission_form.hpp), else English.
function preselectLanguage() {
  const offered = Array.from($("language").options, (option) => option.value);
  for (const wanted of navigator.languages || [navigator.language]) {
    const primary = String(wanted || "").toLowerCase().split("-")[0];
    if (offered.includes(primary)) {
      $("language").value = primary;
      return;
    }
  }
}

function setFieldError(name, message) {
  $(`${FIELDS[name].id || name}-error`).textContent = message || "";
  const field = input(name);
  if (message) field.setAttribute("aria-invalid", "true");
  else field.removeAttribute("aria-invalid");
}

function setFormError(message) {
  $("form-error").textContent = message || "";
}

function updateCounter() {
  const length = codePoints($("story").value.replace(/\r\n/g, "\n").trim());
  const counter = $("story-count");
  counter.textContent = `${thousands(length)} / 2,000`;
  counter.classList.toggle("over", length > FIELDS.story.max);
}

function seconds(value) {
  const n = Number.parseInt(value || "", 10);
  return Number.isFinite(n) && n > 0 ? n : 0;
}

function waitPhrase(totalSeconds) {
  if (totalSeconds < 90) return `${totalSeconds} ${totalSeconds === 1 ? "second" : "seconds"}`;
  const minutes = Math.round(totalSeconds / 60);
  if (minutes < 90) return `${minutes} minutes`;
  const hours = Math.round(minutes / 60);
  return `${hours} ${hours === 1 ? "hour" : "hours"}`;
}

// A refusal of the server as a sentence for the person.
export function refusalSentence(status, body, retryAfter) {
  const detail = body && typeof body.detail === "string" ? body.detail.trim() : "";
  const wait = seconds(retryAfter);
  if (status === 429) {
    const base = detail || "Serenade is writing a lot of songs right now.";
    return wait && !/wait|come back|try again/i.test(base) ? `${base} Please try again in ${waitPhrase(wait)}.` : base;
  }
  if (status === 503 || status === 504) {
    return detail || "Serenade cannot write songs right now. Please try again in a few minutes.";
  }
  if (status === 422 && detail) return detail;
  if (status === 413) return "Your story is too long to send. Please shorten it.";
  if (status >= 500) return "Something went wrong on our side. Please try again in a minute.";
  return detail ? `We could not send your story: ${detail}` : "We could not send your story. Please try again.";
}

// Sets up the form; onCreated(sessionId, body) is called after the server accepted a story.
export function setupForm(onCreated) {
  const form = $("story-form");
  const button = $("submit");
  let key = newKey();
  let sentPayload = null; // the payload the current key created a song for
  let attempted = false;

  const showOther = () => {
    const other = otherStyleChosen();
    $("style-other-box").hidden = !other;
    if (!other) setFieldError("style", "");
  };
  for (const radio of document.querySelectorAll('input[name="style-choice"]')) {
    radio.addEventListener("change", () => {
      showOther();
      if (otherStyleChosen()) $("style").focus();
    });
  }
  showOther();
  preselectLanguage();

  // Fields are judged when the form is sent, then again as the person corrects them. (Not on blur: a message
  // appearing while the pointer is on its way to the button moves the button away under it.)
  for (const name of NAMES) {
    const field = input(name);
    field.addEventListener("input", () => {
      if (name === "story") updateCounter();
      if (attempted || field.hasAttribute("aria-invalid")) {
        setFieldError(name, fieldMessage(name, name === "style" ? styleValue() : field.value));
      }
    });
  }
  updateCounter();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    attempted = true;
    setFormError("");
    const payload = values();
    const messages = {};
    for (const name of NAMES) {
      messages[name] = fieldMessage(name, payload[name]);
      setFieldError(name, messages[name]);
    }
    const invalid = NAMES.filter((name) => messages[name]);
    if (invalid.length) {
      setFormError(invalid.length === 1 ? messages[invalid[0]] : "Please check the highlighted fields.");
      control(invalid[0]).focus();
      return;
    }

    // A different story after a song was created from this fill is a new fill: it gets a new key.
    const serialized = JSON.stringify(payload);
    if (sentPayload !== null && sentPayload !== serialized) key = newKey();

    button.disabled = true;
    const label = button.textContent;
    button.textContent = "Sending your story…";
    form.setAttribute("aria-busy", "true");
    try {
      const response = await fetch("/api/submissions", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Idempotency-Key": key },
        body: serialized,
      });
      let body = null;
      try { body = await response.json(); } catch { body = null; }
      if (response.ok && body && body.session_id) {
        sentPayload = serialized;
        rememberOwnerToken(body.session_id, body.owner_token);
        onCreated(body.session_id, body);
        return;
      }
      if (response.status === 422 && body && body.errors) {
        let first = null;
        for (const name of NAMES) {
          const message = body.errors[name] || "";
          setFieldError(name, message);
          if (message && !first) first = name;
        }
        $("language-error").textContent = body.errors.language || "";
        setFormError(body.detail || "Please check the highlighted fields.");
        if (first) control(first).focus();
        return;
      }
      $("language-error").textContent = "";
      setFormError(refusalSentence(response.status, body, response.headers.get("Retry-After")));
    } catch {
      setFormError("We could not reach Serenade. Please check your connection and try again.");
    } finally {
      button.disabled = false;
      button.textContent = label;
      form.removeAttribute("aria-busy");
    }
  });
}
