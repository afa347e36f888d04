#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/<target>/ (README "Fuzzing and sanitizers").

Seeds are small, meaningful inputs in each target's input format (see the comment at the top of each
fuzz/<target>.cpp): real requests, Sonauto's answers as docs/sonauto-api.md and the unit tests show them, and MP3
frames built like the ones in src/archive/mp3_frames_test.cpp. Run it after changing an input format; the
files it writes are committed. libFuzzer's own findings are never written back here (scripts/fuzz fuzzes a copy).
"""
import json
import pathlib
import shutil
import struct

root = pathlib.Path(__file__).resolve().parent / "corpus"
corpora = {}


def seed(target, name, content):
    if isinstance(content, str):
        content = content.encode()
    assert len(content) < 8192, (target, name)
    corpora.setdefault(target, {})[name] = content


KEY = "sksonauto_0123456789abcdef0123456789abcdef"
ETAG = '"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"'
LAST_MODIFIED = "Tue, 14 Nov 2023 22:13:20 GMT"
FORM = {"sender": "Ana", "recipient": "Ben", "story": "We met on a rainy platform in Lisbon and shared an umbrella.",
        "style": "acoustic ballad"}


def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# http_request: a byte for the read size (0: all at once), then what a client sends.
def http(read_size, text):
    return bytes([read_size]) + text.encode()


form_body = compact(FORM)
seed("http_request", "get_range", http(0, "GET /api/stream/Qm9vZ2xl HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                                         "Range: bytes=0-1023\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"))
seed("http_request", "post_submission", http(7, "POST /api/submissions HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                                                "Content-Type: application/json\r\nIdempotency-Key: form-1\r\n"
                                                f"Content-Length: {len(form_body.encode())}\r\n\r\n{form_body}"))
webhook = compact({"task_id": "0f3c9a2e-4b7d-4e1a-9c55-2d8f6b1a7e30", "status": "SUCCESS", "alignment_status": None})
seed("http_request", "chunked_webhook", http(16, "POST /api/webhooks/sonauto/tok HTTP/1.1\r\nHost: h\r\n"
                                                 "Transfer-Encoding: chunked\r\n\r\n"
                                                 f"{len(webhook) - 10:x}\r\n{webhook[:-10]}\r\n"
                                                 f"a;ext=1\r\n{webhook[-10:]}\r\n0\r\nTrailer: x\r\n\r\n"))
seed("http_request", "pipelined_keep_alive", http(0, "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n"
                                                     "HEAD /api/stream/Qm9 HTTP/1.1\r\nHost: h\r\n"
                                                     f"If-None-Match: {ETAG}\r\n\r\n"
                                                     "GET /metrics HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"))
seed("http_request", "http10", http(3, "GET /s/Qm9 HTTP/1.0\r\nX-Forwarded-For: 203.0.113.7, 10.0.0.1\r\n\r\n"))
seed("http_request", "expect_continue", http(0, "POST /api/submissions/Qm9/retry HTTP/1.1\r\nHost: h\r\n"
                                                "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"))
seed("http_request", "ambiguous_framing", http(0, "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                                                  "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"))
seed("http_request", "events_resume", http(1, "GET /api/submissions/Qm9/events?x=1 HTTP/1.1\r\nHost: h\r\n"
                                              "Accept: text/event-stream\r\nLast-Event-ID: 4\r\n\r\n"))


# http_range: the file length (8 bytes little-endian), then the Range value.
def ranged(length, header):
    return struct.pack("<Q", length) + header.encode()


song = 4_000_000
for name, header in [("first_kilobyte", "bytes=0-1023"), ("suffix", "bytes=-500"), ("open_end", "bytes=1000-"),
                     ("two_ranges", "bytes=0-0, -1"), ("past_the_end", "bytes=5000000-"),
                     ("other_unit", "items=0-1"), ("empty_elements", "bytes= , 10-20,,"),
                     ("malformed", "bytes=5-1")]:
    seed("http_range", name, ranged(song, header))
seed("http_range", "empty_file", ranged(0, "bytes=0-"))
seed("http_range", "huge_numbers", ranged(2**63 - 1, "bytes=9223372036854775806-18446744073709551615"))


# http_conditional: a byte (bit 7: HEAD; bit 6: no preset Last-Modified text; bits 0-1: the length), then lines.
def conditional(flags, *lines):
    return bytes([flags]) + "\n".join(lines).encode()


seed("http_conditional", "if_none_match_hit", conditional(3, f"If-None-Match: W/\"x\", {ETAG}"))
seed("http_conditional", "if_none_match_star", conditional(0x82, "If-None-Match: *"))
seed("http_conditional", "if_modified_since", conditional(3, f"If-Modified-Since: {LAST_MODIFIED}"))
seed("http_conditional", "if_range_etag", conditional(3, "Range: bytes=100-199", f"If-Range: {ETAG}"))
seed("http_conditional", "if_range_date_rfc850",
     conditional(0x43, "Range: bytes=-10", "If-Range: Tuesday, 14-Nov-23 22:13:20 GMT"))
seed("http_conditional", "asctime_since", conditional(2, "If-Modified-Since: Tue Nov 14 22:13:20 2023"))
seed("http_conditional", "unsatisfiable", conditional(2, "Range: bytes=1000-2000"))
seed("http_conditional", "stale_if_range", conditional(3, "Range: bytes=0-0", "If-Range: W/\"old\""))


# client_address: flags (bit 0: trust the proxy; bit 1: the header is there), remote, newline, X-Forwarded-For.
def client(flags, remote, forwarded=""):
    return bytes([flags]) + f"{remote}\n{forwarded}".encode()


seed("client_address", "trusted_first_hop", client(3, "127.0.0.1", "203.0.113.7, 10.0.0.1"))
seed("client_address", "untrusted_header", client(2, "192.0.2.10", "203.0.113.7"))
seed("client_address", "v6_with_port", client(3, "::1", "[2001:DB8:0:0::1]:443"))
seed("client_address", "v4_mapped_remote", client(0, "::ffff:192.0.2.1"))
seed("client_address", "v4_with_port", client(3, "10.0.0.2", "198.51.100.4:51234"))
seed("client_address", "unknown_hop", client(3, "10.0.0.2", "unknown, 203.0.113.7"))

# submission_form: the body.
seed("submission_form", "valid", compact(FORM))
seed("submission_form", "crlf_story_and_unknown_key",
     compact({**FORM, "story": "  Line one of our story,\r\nline two\tand more of it. ", "extra": [1, {"a": None}]}))
seed("submission_form", "escapes_and_unicode",
     compact({**FORM, "sender": "Zo\u00eb \U0001f496", "recipient": "\u00c5sa", "style": "\u3000fado\u00a0"}))
seed("submission_form", "wrong_types", compact({"sender": 1, "recipient": None, "story": ["x"], "style": {}}))
seed("submission_form", "too_short", compact({**FORM, "story": "short", "sender": "\u2003"}))
seed("submission_form", "control_character", '{"sender":"A\\u0007na","recipient":"Ben","story":"'
     + "x" * 20 + '","style":"pop"}')
seed("submission_form", "not_an_object", "[\"Ana\"]")
seed("submission_form", "own_lyrics",
     compact({**FORM, "lyrics": "[Verse]\r\nUnder one umbrella,\n\tLisbon in the rain"}))
seed("submission_form", "language", compact({**FORM, "language": "pt"}))
seed("submission_form", "unknown_language", compact({**FORM, "language": "tlh"}))

# share_text: the sender's name, a 0 byte, the recipient's name.
seed("share_text", "plain", b"Ana\0Ben")
seed("share_text", "rtl_and_emoji", "Zo\u00eb \"Jo\" <3\0\u05de\u05e8\u05d9\u05dd \U0001f496".encode())
seed("share_text", "hostile", "a\u202eexe.3pm\0\r\nb/../\\c%<script>".encode() + b"\xff\xc0\xaf")

# webhook_body: the body.
seed("webhook_body", "success", webhook)
seed("webhook_body", "streaming_ready", compact({"task_id": "0f3c9a2e", "status": "GENERATING_STREAMING_READY",
                                                "alignment_status": None}))
seed("webhook_body", "escaped_task", '{"status":"FAILURE","task_id":"a\\u0062c","extra":{"nested":[1]}}')
seed("webhook_body", "numeric_task", '{"task_id":42}')

# sonauto_create: the 200 body of POST /v1/generations/v3.
seed("sonauto_create", "task_id", compact({"task_id": "0f3c9a2e-4b7d-4e1a-9c55-2d8f6b1a7e30"}))
seed("sonauto_create", "extra_fields", '{"task_id":"0f3c","extra":1}')
seed("sonauto_create", "null_task", '{"task_id":null}')
seed("sonauto_create", "array", '["0f3c"]')

# sonauto_status: the body of GET /v1/generations/status/{task_id}.
seed("sonauto_status", "quoted", '"GENERATING"')
seed("sonauto_status", "quoted_with_space", ' "SUCCESS"\n')
seed("sonauto_status", "object", compact({"status": "FAILURE", "alignment_status": None}))
seed("sonauto_status", "bare_token", "GENERATING_STREAMING_READY\n")
seed("sonauto_status", "unheard_of", '"TRANSCRIBE_STARTED"')
seed("sonauto_status", "html", "<html>oops</html>")

# sonauto_generation: the body of GET /v1/generations/{task_id}.
seed("sonauto_generation", "success", compact({
    "id": "t1", "created_at": "2024-01-01T00:00:00Z", "status": "SUCCESS", "model_version": "v3-preview",
    "song_paths": ["https://cdn.example/a.mp3"], "error_message": None, "lyrics": "[Verse]\nla la",
    "prompt": "p", "tags": ["pop", 7, None], "alignment_status": None, "new_field": {"nested": [1, 2]}}))
seed("sonauto_generation", "failure", compact({"status": "FAILURE", "song_paths": None, "lyrics": None,
                                               "tags": None, "error_message": "model overloaded"}))
seed("sonauto_generation", "in_progress", compact({"id": "t2", "status": "GENERATING", "song_paths": []}))


# sonauto_errors: the status (2 bytes little-endian, 100 + value % 500), a key byte (< 128: the fixed key), body.
def refusal(status, body):
    return struct.pack("<H", status - 100) + bytes([0]) + body.encode()


seed("sonauto_errors", "invalid_key", refusal(401, compact({"detail": "Invalid API key format"})))
seed("sonauto_errors", "validation_list", refusal(422, compact({"detail": [
    {"loc": ["body", "tags"], "msg": "Invalid tags: foo", "type": "x"},
    {"loc": ["body"], "msg": "prompt, tags or lyrics required", "type": "y"}]})))
seed("sonauto_errors", "message", refusal(429, compact({"message": "Rate limit exceeded"})))
seed("sonauto_errors", "echoed_key", refusal(401, '{"detail":"bad key \\u0073ksonauto_0123456789abcdef'
                                                  '0123456789abcdef"}'))
seed("sonauto_errors", "html", refusal(502, "<html>\n<body>" + "x" * 300 + "</body></html>"))
seed("sonauto_errors", "key_in_text", refusal(500, "y" * 180 + KEY + " trailing"))
seed("sonauto_errors", "short_key", struct.pack("<H", 403) + bytes([128 + 4]) + b"abcd" + b"key abcd here")
seed("sonauto_errors", "empty", refusal(502, ""))


# MP3: frames built like src/archive/mp3_frames_test.cpp (header, then payload bytes the scanner never reads).
def frame(b1, b2, b3, length, fill=0x55):
    return bytes([0xFF, b1, b2, b3]) + bytes([fill]) * (length - 4)


MPEG1, MPEG2, MPEG25 = 0xFB, 0xF3, 0xE3
JOINT, MONO = 0x40, 0xC0
cbr128 = b"".join(frame(MPEG1, 0x90 | (0x02 if i % 2 else 0), JOINT, 418 if i % 2 else 417) for i in range(4))
mpeg2_mono = b"".join(frame(MPEG2, 0x14, MONO, 24) for _ in range(6))  # 8 kbps at 24 kHz: 24 bytes
mpeg25 = b"".join(frame(MPEG25, 0x18, JOINT, 72) for _ in range(4))  # 8 kbps at 8 kHz: 72 bytes


def id3v2(body, footer=False):
    size = bytes([(body >> 21) & 0x7F, (body >> 14) & 0x7F, (body >> 7) & 0x7F, body & 0x7F])
    tag = b"ID3" + bytes([4, 0, 0x10 if footer else 0]) + size + bytes([0xAB]) * body
    return tag + (b"3DI" + bytes([4, 0, 0x10, 0, 0, 0, 0]) if footer else b"")


id3v1 = b"TAG" + bytes([0x20]) * 125
mp3_seeds = {
    "cbr_128k": cbr128,
    "id3v2_padding_frames_id3v1": id3v2(20) + bytes(7) + cbr128[:835] + id3v1,
    "id3v2_footer": id3v2(12, footer=True) + cbr128[:417],
    "mpeg2_mono": mpeg2_mono,
    "mpeg25": mpeg25,
    "truncated_frame": cbr128[:1000],
    "format_change": cbr128[:417] + mpeg2_mono[:48],
    "partial_header": cbr128[:417] + bytes([0xFF, 0xFB]),
}
for name, content in mp3_seeds.items():
    seed("mp3_frames", name, content)
for name in ["cbr_128k", "id3v2_padding_frames_id3v1", "mpeg2_mono", "truncated_frame"]:
    seed("song_check", name, mp3_seeds[name])


# live_replay: three 8-byte numbers for the splitter alone, a byte (captured bytes << 1 | diverges), piece sizes
# (a zero ends them), then the replayed song.
def replay(numbers, captured, diverges, pieces, song):
    return (struct.pack("<3Q", *numbers) + bytes([captured << 1 | diverges]) + bytes(pieces) + b"\0" + song)


seed("live_replay", "resume_mid_piece", replay((900, 1000, 300), 40, 0, [10, 7], cbr128[:100]))
seed("live_replay", "first_connection", replay((0, 0, 100), 0, 0, [16], cbr128[:60]))
seed("live_replay", "diverging_capture", replay((100, 1000, 200), 50, 1, [5, 16, 3], cbr128[:90]))
seed("live_replay", "extremes", replay((2**64 - 1, 2**64 - 2, 2**64 - 1), 127, 0, [], cbr128[:127]))

# frame_cursor: a byte for the piece size, a byte for the frame index to stop at (255: none), then the stream.
seed("frame_cursor", "cbr_in_small_pieces", bytes([3, 2]) + cbr128 + cbr128[:50])
seed("frame_cursor", "tag_then_frames", bytes([17, 1]) + id3v2(20) + cbr128)
seed("frame_cursor", "mpeg2_mono_no_stop", bytes([1, 255]) + mpeg2_mono)
seed("frame_cursor", "frames_then_garbage", bytes([64, 9]) + cbr128 + b"not a frame" + cbr128)
# Found by fuzzing: an empty tag whose head ends a piece, then a stop at the first frame's start.
seed("frame_cursor", "empty-id3v2-tag-then-stop", bytes([0, 0]) + id3v2(0) + b"\xff\xfbI\xfd\xff")

for target, files in corpora.items():
    folder = root / target
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
print(f"wrote {sum(len(f) for f in corpora.values())} seeds for {len(corpora)} targets under {root}")
