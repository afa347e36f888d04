#pragma once
// Rows and checks the store tests share: the SQLite-only tests and the contract every store keeps.
#include "store/submission_store.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace serenade::store::testing {

inline ::testing::AssertionResult contains(const std::string& text, std::string_view part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << '"' << text << "\" does not contain \"" << part << '"';
}

// Databases word their errors differently: SQLite says "CHECK constraint failed", PostgreSQL "violates check
// constraint".
inline std::string lowercase(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

inline time_point at(std::int64_t ms) { return time_point{std::chrono::milliseconds{ms}}; }

inline submission make_submission(std::string id, std::int64_t created_ms, std::optional<std::string> task = std::nullopt) {
  submission s;
  s.session_id = std::move(id);
  s.created_at = at(created_ms);
  s.sender = "Ana";
  s.recipient = "Bo";
  s.story = "We met on a rainy Tuesday in Lisbon.";
  s.style = "bossa nova";
  s.prompt = "A heartfelt love song";
  s.task_id = std::move(task);
  s.status = "RECEIVED";
  s.updated_at = at(created_ms);
  return s;
}

inline void expect_same(const submission& a, const submission& b) {
  EXPECT_EQ(a.session_id, b.session_id);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.sender, b.sender);
  EXPECT_EQ(a.recipient, b.recipient);
  EXPECT_EQ(a.story, b.story);
  EXPECT_EQ(a.style, b.style);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.task_id, b.task_id);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.streaming_ready_at, b.streaming_ready_at);
  EXPECT_EQ(a.completed_at, b.completed_at);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.archive, b.archive);
  EXPECT_EQ(a.idempotency_key, b.idempotency_key);
  EXPECT_EQ(a.client_key, b.client_key);
  EXPECT_EQ(a.lyrics, b.lyrics);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.own_lyrics, b.own_lyrics);
}

inline archived_song make_archive(std::string source, std::uint64_t size = 3'456'789) {
  archived_song song;
  song.source = std::move(source);
  song.size = size;
  song.sha256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
  song.duration_ms = 187'250;
  song.archived_at = at(1'700'000'003'000);
  return song;
}

inline std::vector<std::string> ids_of(const std::vector<submission>& rows) {
  std::vector<std::string> ids;
  for (const auto& row : rows) ids.push_back(row.session_id);
  return ids;
}

inline std::string message_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const store_error& e) {
    return e.what();
  }
  return "(no store_error thrown)";
}

inline submission with_key(std::string id, std::string client, std::string key, std::int64_t created_ms = 1,
                    std::optional<std::string> task = std::nullopt) {
  submission s = make_submission(std::move(id), created_ms, std::move(task));
  s.client_key = std::move(client);
  s.idempotency_key = std::move(key);
  return s;
}

// A song that failed with everything a generation can leave behind.
inline void insert_failed(submission_store& store, const std::string& id, std::int64_t created_ms, const std::string& task) {
  store.insert(make_submission(id, created_ms, task));
  EXPECT_TRUE(
      store.record_status(id, {.status = "GENERATING_STREAMING_READY", .streaming_ready_at = at(created_ms + 1)}));
  EXPECT_TRUE(store.record_lyrics(id, "half-written lyrics", {"rock", "sad"}));
  EXPECT_TRUE(store.record_archive(id, make_archive("live")));
  EXPECT_TRUE(
      store.record_status(id, {.status = "FAILURE", .completed_at = at(created_ms + 2), .error = "the model failed"}));
}

}  // namespace serenade::store::testing
