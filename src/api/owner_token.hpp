#pragma once
// The secret that lets the person who made a song take it back (DELETE /api/submissions/{id}). It is given once, in
// the answer to the create (and to a repeat of it with the same Idempotency-Key), kept by the creating browser and
// never part of the share link. Derived from the song's id under the webhook token every instance shares, so any
// instance can check it and nothing is stored that could leak it; changing the token withdraws every owner token.
#include "http/message.hpp"

#include <string>
#include <string_view>

namespace serenade::api {

std::string owner_token(const std::string& secret, std::string_view session_id);
// Whether the request proves ownership: "Authorization: Bearer <owner token>" (compared in constant time).
bool proves_ownership(const http::request& request, const std::string& secret, std::string_view session_id);

}  // namespace serenade::api
