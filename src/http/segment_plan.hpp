#pragma once
// How a file answer is cut into TCP segments. Left to itself the kernel sends the head as one small segment,
// the body as full segments and a small tail: one segment more than the bytes need. Sending the head together
// with the first `lead` body bytes, then the rest, makes every segment full except the first, and puts the
// small one first: with BBR's pacing the segment after a full one waits for a pacing timer, which on a quiet
// connection passes during the client's round trip instead (docs/performance.md, "Segments of a file answer").
#include <cstdint>

namespace serenade::http {

// The body bytes to send together with the head: the head and these make the answer's first segment, and
// every later segment is full (an answer that fits in one segment goes whole: the lead is the body).
// 0 when the head does not fit beside the odd bytes (the head alone and then the body take as few segments)
// or when the segment size is unknown (0).
std::uint64_t lead_body_bytes(std::uint64_t head_size, std::uint64_t body_size, std::uint64_t segment_size);

}  // namespace serenade::http
