// The simulator's fault switches, observed over HTTP exactly as a Sonauto client sees them: per task through
// POST /_sim/control, and as `serenade simulate` flags that every new task starts with.
#include "archive/mp3_frames.hpp"
#include "harness.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace serenade::testing {
namespace {

namespace json = boost::json;

// With the harness defaults (6 s song, speed 4, ready after 0.6 s, finish delay 0.6 s) a task is streaming-ready
// at 0.6 s and succeeds at about 2.45 s. A task's status is a function of the time since its creation, so of two
// tasks with the same switches the one created first is never behind the other.

header_pairs auth() { return {{"Authorization", std::string("Bearer ") + test_api_key}}; }

std::string create_task_at(std::uint16_t port, const std::string& prompt) {
  auto headers = auth();
  headers.emplace_back("Content-Type", "application/json");
  json::object body{{"prompt", prompt}, {"enable_streaming", true}, {"stream_format", "mp3"}, {"output_format", "mp3"}};
  auto reply = request(port, "POST", "/v1/generations/v3", headers, json::serialize(body));
  if (reply.status != 200) throw std::runtime_error("create failed: " + std::to_string(reply.status) + " " + reply.body);
  return std::string(reply.json().at("task_id").as_string());
}

std::string create_task(stack& s, const std::string& prompt) { return create_task_at(s.sim_port(), prompt); }

// `serenade simulate` alone, with only the flags given: the stack always passes a whole timeline.
class lone_simulator {
 public:
  explicit lone_simulator(std::vector<std::string> flags) : dir_(make_temp_dir()) {
    std::vector<std::string> args{SERENADE_BINARY, "simulate", "--listen", "127.0.0.1:0", "--api-key", test_api_key};
    args.insert(args.end(), flags.begin(), flags.end());
    process_ = std::make_unique<process>(args, std::vector<std::pair<std::string, std::string>>{},
                                         dir_ + "/simulator.log");
    port_ = process_->wait_for_port("simulator");
  }
  ~lone_simulator() {
    process_.reset();
    if (!std::getenv("SERENADE_KEEP_TEST_DIRS")) std::system(("rm -rf '" + dir_ + "'").c_str());
  }
  std::uint16_t port() const { return port_; }
  json::object report(const std::string& task) const {
    return request(port_, "GET", "/_sim/tasks/" + task).json().as_object();
  }

 private:
  std::string dir_;
  std::unique_ptr<process> process_;
  std::uint16_t port_ = 0;
};

json::object report(stack& s, const std::string& task) { return s.sim("GET", "/_sim/tasks/" + task).json().as_object(); }

std::int64_t counter(stack& s, const std::string& task, const char* name) {
  return report(s, task).at(name).to_number<std::int64_t>();
}

http_reply control(stack& s, const std::string& task, json::object fields) {
  fields["task_id"] = task;
  return s.sim("POST", "/_sim/control", json::serialize(fields));
}

std::string status_of(stack& s, const std::string& task) { return std::string(report(s, task).at("status").as_string()); }

void wait_for_status(stack& s, const std::string& task, const std::string& wanted) {
  wait_until([&] { return status_of(s, task) == wanted; },
             [&] { return "task " + task + " never reached " + wanted + "; it is " + status_of(s, task); });
}

void wait_until_no_stream_open(stack& s, const std::string& task) {
  wait_until([&] { return counter(s, task, "stream_connections_open") == 0; },
             [&] { return "stream connections of " + task + " still open"; });
}

// The simulator logs each stall as it begins, with the byte count it paused at.
void wait_for_stall(stack& s, const std::string& task, std::uint64_t at_bytes) {
  s.simulator().wait_for_line({"sim_stream_stalled", task, "bytes=" + std::to_string(at_bytes) + " "}, 20s);
}

struct location {
  std::uint16_t port = 0;
  std::string target;
};

// The first song_paths URL of a finished task, split for request().
location song_path(stack& s, const std::string& task) {
  auto result = request(s.sim_port(), "GET", "/v1/generations/" + task, auth()).json().as_object();
  const auto& paths = result.at("song_paths");
  if (!paths.is_array() || paths.as_array().empty()) throw std::runtime_error("no song_paths yet");
  const std::string url(paths.as_array().at(0).as_string());
  const std::string prefix = "http://127.0.0.1:";
  if (!url.starts_with(prefix)) throw std::runtime_error("unexpected CDN URL " + url);
  const auto slash = url.find('/', prefix.size());
  return {static_cast<std::uint16_t>(std::stoi(url.substr(prefix.size(), slash - prefix.size()))), url.substr(slash)};
}

http_reply fetch(const location& at) { return request(at.port, "GET", at.target); }

// ------------------------------------------------------------------------------------------------ timeline

// The file the task's song_paths serve.
std::string cdn_file(stack& s, const std::string& task) { return s.sim("GET", "/_sim/tasks/" + task + "/final").body; }

TEST(simulator, by_default_each_song_lasts_two_to_four_minutes_chosen_by_its_task) {
  lone_simulator sim({});
  const auto task = create_task_at(sim.port(), "real-length");
  const auto r = sim.report(task);
  const double seconds = r.at("song_seconds").to_number<double>();
  EXPECT_GE(seconds, 120.0);
  EXPECT_LE(seconds, 240.0);
  const auto audio = request(sim.port(), "GET", "/_sim/tasks/" + task + "/audio").body;
  const auto scan = archive::scan_mp3(bytes_of(audio));
  EXPECT_TRUE(scan.complete);
  EXPECT_NEAR(scan.duration_seconds, seconds, 0.1);
}

TEST(simulator, fast_is_the_quick_timeline_and_song_seconds_still_overrides_it) {
  lone_simulator fast({"--fast"});
  EXPECT_EQ(fast.report(create_task_at(fast.port(), "fast")).at("song_seconds").to_number<double>(), 60.0);
  lone_simulator fixed({"--song-seconds", "5", "--fast"});
  const auto task = create_task_at(fixed.port(), "fixed");
  EXPECT_EQ(fixed.report(task).at("song_seconds").to_number<double>(), 5.0);
  const auto audio = request(fixed.port(), "GET", "/_sim/tasks/" + task + "/audio").body;
  EXPECT_NEAR(archive::scan_mp3(bytes_of(audio)).duration_seconds, 5.0, 0.1);
}

// ------------------------------------------------------------------------------------------ stream drops

TEST(simulator, drop_after_bytes_cuts_the_first_connection_at_exactly_n_bytes_then_replays_whole) {
  stack s;
  const auto task = create_task(s, "drop-once");
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", 50000}}).status, 200u);
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(task);
  ASSERT_GT(audio.size(), 60000u);

  stream_reader first(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(first.status(), 200u);
  const auto& cut = first.read_to_end();
  EXPECT_TRUE(first.cut()) << "no final chunk expected";
  ASSERT_EQ(cut.size(), 50000u);
  EXPECT_TRUE(cut == audio.substr(0, 50000));

  stream_reader second(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(second.status(), 200u);
  const auto& whole = second.read_to_end();
  EXPECT_EQ(whole.size(), audio.size());
  EXPECT_TRUE(whole == audio) << "the second connection must replay from byte 0";

  // Setting the switch again arms one more drop.
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", 10000}}).status, 200u);
  stream_reader third(s.sim_port(), "/stream/" + task, auth());
  EXPECT_EQ(third.read_to_end().size(), 10000u);
  EXPECT_TRUE(third.cut());
  stream_reader fourth(s.sim_port(), "/stream/" + task, auth());
  EXPECT_EQ(fourth.read_to_end().size(), audio.size());

  wait_until_no_stream_open(s, task);
  EXPECT_EQ(counter(s, task, "stream_connections_total"), 4);
  EXPECT_EQ(counter(s, task, "bytes_streamed_total"), static_cast<std::int64_t>(50000 + 10000 + 2 * audio.size()));
}

TEST(simulator, drop_every_time_cuts_every_connection) {
  stack s;
  const auto task = create_task(s, "drop-always");
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", 30000}, {"drop_every_time", true}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  const auto audio = s.simulator_audio(task);
  for (int i = 0; i < 3; ++i) {
    stream_reader reader(s.sim_port(), "/stream/" + task, auth());
    ASSERT_EQ(reader.status(), 200u) << i;
    const auto& body = reader.read_to_end();
    EXPECT_TRUE(reader.cut()) << i;
    ASSERT_EQ(body.size(), 30000u) << i;
    EXPECT_TRUE(body == audio.substr(0, 30000)) << i;
  }
  // Zero bytes: the header goes out, then the connection is cut.
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", 0}}).status, 200u);
  stream_reader empty(s.sim_port(), "/stream/" + task, auth());
  EXPECT_EQ(empty.status(), 200u);
  EXPECT_TRUE(empty.read_to_end().empty());
  EXPECT_TRUE(empty.cut());
  // null switches the drop off.
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", nullptr}}).status, 200u);
  stream_reader whole(s.sim_port(), "/stream/" + task, auth());
  EXPECT_TRUE(whole.read_to_end() == audio);

  wait_until_no_stream_open(s, task);
  EXPECT_EQ(counter(s, task, "stream_connections_total"), 5);
  EXPECT_EQ(counter(s, task, "bytes_streamed_total"), static_cast<std::int64_t>(3 * 30000 + audio.size()));
}

// ------------------------------------------------------------------------------------------------ stalls

TEST(simulator, stall_pauses_at_the_given_byte_keeping_the_connection_open_then_continues) {
  stack s;
  const auto task = create_task(s, "stall");
  ASSERT_EQ(control(s, task, {{"stall_seconds", 2}, {"stall_at_bytes", 40000}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  const auto audio = s.simulator_audio(task);

  stream_reader reader(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(reader.status(), 200u);
  EXPECT_EQ(reader.read_at_least(40000).size(), 40000u);
  wait_for_stall(s, task, 40000);
  EXPECT_EQ(counter(s, task, "stream_connections_open"), 1) << "the stalled connection must stay open";
  EXPECT_TRUE(reader.read_to_end() == audio);

  // Default stall_at_bytes 0: the header goes out before the stall, the first byte after it.
  ASSERT_EQ(control(s, task, {{"stall_seconds", 1}, {"stall_at_bytes", 0}}).status, 200u);
  stream_reader early(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(early.status(), 200u);
  wait_for_stall(s, task, 0);
  EXPECT_TRUE(early.read_to_end() == audio);
}

// ------------------------------------------------------------------------------------------- pieces

// The chunks of a raw HTTP/1.1 chunked response, in order; throws when the framing is broken.
std::vector<std::string> chunks_of(const std::string& response) {
  auto at = response.find("\r\n\r\n");
  if (at == std::string::npos) throw std::runtime_error("no end of header");
  at += 4;
  std::vector<std::string> chunks;
  for (;;) {
    const auto line_end = response.find("\r\n", at);
    if (line_end == std::string::npos) throw std::runtime_error("cut inside a chunk size line");
    const auto size = std::stoul(response.substr(at, line_end - at), nullptr, 16);
    if (size == 0) return chunks;
    at = line_end + 2;
    if (response.size() < at + size + 2 || response.compare(at + size, 2, "\r\n") != 0) {
      throw std::runtime_error("chunk without its CRLF");
    }
    chunks.push_back(response.substr(at, size));
    at += size + 2;
  }
}

TEST(simulator, piece_frame_sends_each_new_frame_as_its_own_chunk_after_the_replay) {
  // The final chunk ends the chunk list this test reads.
  stack s({.song_seconds = 6, .speed = 1, .ready_after = 0.3, .first_audio = 1,
           .extra_args = {"--piece", "frame", "--stream-end", "final-chunk"}});
  const auto task = create_task(s, "per-frame");
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto response = raw_exchange_until_closed(
      s.sim_port(), "GET /stream/" + task + " HTTP/1.1\r\nHost: sim\r\nAuthorization: Bearer " + test_api_key +
                        "\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(response);
  const auto chunks = chunks_of(*response);
  std::string body;
  for (const auto& c : chunks) body += c;
  const auto audio = s.simulator_audio(task);
  ASSERT_TRUE(body == audio) << body.size() << " of " << audio.size() << " bytes";
  // Generated at real time: whatever was not generated when the connection opened arrives frame by frame.
  const auto frames = archive::frame_offsets(bytes_of(audio));
  ASSERT_GT(frames.size(), 100u);
  // The replay comes in pieces of 16 KiB up to the last frame generated when the connection opened.
  constexpr std::size_t replay_piece = 16 * 1024;
  std::size_t first_live = 0;
  std::size_t offset = 0;
  while (first_live < chunks.size() && chunks[first_live].size() == replay_piece) offset += chunks[first_live++].size();
  ASSERT_LT(first_live, chunks.size());
  offset += chunks[first_live++].size();  // the replay's last piece, which ends on a frame boundary
  std::size_t one_frame_chunks = 0;
  for (const auto& c : std::span(chunks).subspan(first_live)) {
    const auto start = std::lower_bound(frames.begin(), frames.end(), offset);
    ASSERT_TRUE(start != frames.end() && *start == offset) << "a chunk starts inside a frame at " << offset;
    const auto next = start + 1 == frames.end() ? audio.size() : *(start + 1);
    EXPECT_EQ(offset + c.size(), next) << "a live chunk of " << c.size() << " bytes at " << offset;
    ++one_frame_chunks;
    offset += c.size();
  }
  EXPECT_GT(one_frame_chunks, 0u) << "the whole song came as the replay";
}

// ------------------------------------------------------------------------------------------ live expiry

TEST(simulator, expire_immediately_answers_404_right_after_success) {
  stack s;  // expire_after 30 s for every other task
  const auto expiring = create_task(s, "expire-now");
  const auto normal = create_task(s, "expire-later");
  ASSERT_EQ(control(s, expiring, {{"expire_immediately", true}}).status, 200u);
  wait_for_status(s, expiring, "GENERATING_STREAMING_READY");
  {
    stream_reader before(s.sim_port(), "/stream/" + expiring, auth());
    EXPECT_EQ(before.status(), 200u) << "the stream is there until SUCCESS";
  }
  wait_for_status(s, expiring, "SUCCESS");
  auto gone = request(s.sim_port(), "GET", "/stream/" + expiring, auth());
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(gone.body, R"({"detail":"Not found"})");

  wait_for_status(s, normal, "SUCCESS");
  auto kept = request(s.sim_port(), "GET", "/stream/" + normal, auth());
  EXPECT_EQ(kept.status, 200u);
  EXPECT_TRUE(kept.body == s.simulator_audio(normal));
  // The CDN copy is unaffected.
  EXPECT_EQ(fetch(song_path(s, expiring)).status, 200u);
}

// --------------------------------------------------------------------------------------------------- CDN

TEST(simulator, refuse_cdn_answers_that_status_with_a_json_detail) {
  stack s;
  const auto task = create_task(s, "refuse-cdn");
  wait_for_status(s, task, "SUCCESS");
  const auto file = cdn_file(s, task);
  const auto at = song_path(s, task);
  EXPECT_EQ(at.port, s.sim_port());

  auto served = fetch(at);
  EXPECT_EQ(served.status, 200u);
  EXPECT_TRUE(served.body == file);

  for (unsigned status : {403u, 500u, 429u}) {
    ASSERT_EQ(control(s, task, {{"refuse_cdn", status}}).status, 200u);
    auto refused = fetch(at);
    EXPECT_EQ(refused.status, status);
    EXPECT_EQ(refused.header("content-type"), "application/json");
    EXPECT_FALSE(std::string(refused.json().at("detail").as_string()).empty()) << refused.body;
    EXPECT_TRUE(refused.complete);
  }
  ASSERT_EQ(control(s, task, {{"refuse_cdn", 0}}).status, 200u);
  EXPECT_EQ(fetch(at).status, 200u);
  EXPECT_EQ(counter(s, task, "cdn_requests"), 5);
}

TEST(simulator, corrupt_cdn_keeps_the_length_but_breaks_the_frames_in_the_middle) {
  stack s;
  const auto task = create_task(s, "corrupt-cdn");
  ASSERT_EQ(control(s, task, {{"corrupt_cdn", true}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  const auto audio = cdn_file(s, task);  // as it would be without the corruption
  ASSERT_TRUE(archive::scan_mp3(bytes_of(audio)).complete);

  auto reply = fetch(song_path(s, task));
  ASSERT_EQ(reply.status, 200u);
  EXPECT_TRUE(reply.complete);
  ASSERT_EQ(reply.body.size(), audio.size());
  EXPECT_FALSE(reply.body == audio);
  std::size_t first_difference = 0;
  while (reply.body[first_difference] == audio[first_difference]) ++first_difference;
  EXPECT_GT(first_difference, audio.size() / 4);
  EXPECT_LT(first_difference, audio.size() * 3 / 4);
  const auto scan = archive::scan_mp3(bytes_of(reply.body));
  EXPECT_FALSE(scan.complete);
  EXPECT_LE(scan.audio_end, first_difference);
  EXPECT_EQ(counter(s, task, "cdn_requests"), 1);
}

TEST(simulator, truncate_cdn_announces_the_full_length_and_closes_after_half) {
  stack s;
  const auto task = create_task(s, "truncate-cdn");
  ASSERT_EQ(control(s, task, {{"truncate_cdn", true}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  const auto audio = cdn_file(s, task);

  const auto at = song_path(s, task);
  EXPECT_NE(at.port, s.sim_port()) << "truncated files are served by the bare CDN listener";
  EXPECT_EQ(at.target, "/cdn/" + task + ".mp3");
  auto reply = fetch(at);
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(reply.header("content-type"), "audio/mpeg");
  EXPECT_EQ(reply.header("content-length"), std::to_string(audio.size()));
  EXPECT_FALSE(reply.complete);
  EXPECT_FALSE(reply.error.empty());
  ASSERT_EQ(reply.body.size(), audio.size() / 2);
  EXPECT_TRUE(reply.body == audio.substr(0, audio.size() / 2));

  // The same file on the main port is cut too (a chunked body without its final chunk).
  auto main_port = request(s.sim_port(), "GET", "/cdn/" + task + ".mp3");
  EXPECT_EQ(main_port.status, 200u);
  EXPECT_FALSE(main_port.complete);
  EXPECT_LT(main_port.body.size(), audio.size());

  // Switched off, the bare listener serves the whole file with its length.
  ASSERT_EQ(control(s, task, {{"truncate_cdn", false}}).status, 200u);
  auto whole = fetch(at);
  EXPECT_EQ(whole.status, 200u);
  EXPECT_TRUE(whole.complete);
  EXPECT_TRUE(whole.body == audio);
  EXPECT_EQ(song_path(s, task).port, s.sim_port());
  EXPECT_EQ(counter(s, task, "cdn_requests"), 3);
}

TEST(simulator, delete_cdn_after_answers_200_then_404) {
  stack s;
  const auto task = create_task(s, "delete-cdn");
  // An hour keeps the file while it is fetched; a second, set afterwards, lets it go.
  ASSERT_EQ(control(s, task, {{"delete_cdn_after", 3600}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  const auto at = song_path(s, task);
  EXPECT_EQ(fetch(at).status, 200u);
  EXPECT_EQ(fetch(at).status, 200u);
  ASSERT_EQ(control(s, task, {{"delete_cdn_after", 1}}).status, 200u);
  http_reply reply;
  wait_until([&] { return (reply = fetch(at)).status != 200; }, [] { return std::string("the CDN file was never deleted"); });
  EXPECT_EQ(reply.status, 404u);
  EXPECT_EQ(reply.body, R"({"detail":"Not found"})");
  EXPECT_EQ(report(s, task).at("status").as_string(), "SUCCESS") << "only the file goes, the task stays done";
  EXPECT_GE(counter(s, task, "cdn_requests"), 3);
}

// ------------------------------------------------------------------------------------------- final encode

int first_frame_bitrate(const std::string& song) {
  const auto scan = archive::scan_mp3(bytes_of(song));
  const auto header = archive::parse_frame_header(bytes_of(song).subspan(scan.audio_start));
  return header ? header->bitrate_kbps : 0;
}

// A separate final encode: ID3v2, then an Info (or Xing) frame, then audio frames, then a 128-byte ID3v1 tag.
void expect_tagged_final_file(const std::string& file) {
  ASSERT_GT(file.size(), 1000u);
  EXPECT_EQ(file.substr(0, 3), "ID3");
  EXPECT_EQ(file.substr(file.size() - 128, 3), "TAG");
  const auto scan = archive::scan_mp3(bytes_of(file));
  EXPECT_TRUE(scan.complete) << scan.problem;
  const auto magic = file.substr(scan.audio_start + 36, 4);
  EXPECT_TRUE(magic == "Info" || magic == "Xing") << magic;
  EXPECT_EQ(first_frame_bitrate(file), 192);
}

TEST(simulator, final_encode_different_is_the_default_a_tagged_192k_file_beside_a_128k_stream) {
  stack s;
  const auto task = create_task(s, "final-different");
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(task);
  stream_reader reader(s.sim_port(), "/stream/" + task, auth());
  const auto streamed = reader.read_to_end();
  EXPECT_TRUE(streamed == audio);
  EXPECT_EQ(first_frame_bitrate(streamed), 128);
  EXPECT_EQ(archive::scan_mp3(bytes_of(streamed)).audio_start, 0u) << "the stream carries no tag";

  wait_for_status(s, task, "SUCCESS");
  const auto cdn = fetch(song_path(s, task));
  ASSERT_EQ(cdn.status, 200u);
  EXPECT_TRUE(cdn.body == cdn_file(s, task));
  expect_tagged_final_file(cdn.body);
  EXPECT_NEAR(archive::scan_mp3(bytes_of(cdn.body)).duration_seconds,
              archive::scan_mp3(bytes_of(streamed)).duration_seconds, 0.05);
  const auto r = report(s, task);
  EXPECT_EQ(r.at("faults").at("final_encode"), "different");
  EXPECT_EQ(r.at("stream_bitrate_kbps").to_number<int>(), 128);
  EXPECT_EQ(r.at("final_bytes").to_number<std::size_t>(), cdn.body.size());
}

TEST(simulator, final_encode_switched_per_task_changes_only_the_cdn_file) {
  stack s({.extra_args = {"--final-encode", "same"}});
  const auto task = create_task(s, "final-switched");
  const auto other = create_task(s, "final-kept");
  ASSERT_EQ(control(s, task, {{"final_encode", "different"}}).status, 200u);
  EXPECT_EQ(control(s, other, {{"final_encode", "sometimes"}}).status, 400u);
  wait_for_status(s, task, "SUCCESS");
  wait_for_status(s, other, "SUCCESS");

  const auto audio = s.simulator_audio(task);
  EXPECT_EQ(first_frame_bitrate(audio), 192) << "the stream's encode was fixed at create";
  const auto stream = request(s.sim_port(), "GET", "/stream/" + task, auth());
  EXPECT_TRUE(stream.body == audio);
  const auto cdn = fetch(song_path(s, task));
  ASSERT_EQ(cdn.status, 200u);
  expect_tagged_final_file(cdn.body);
  EXPECT_FALSE(cdn.body == audio);

  // same: the CDN file is the stream's bytes.
  const auto kept = fetch(song_path(s, other));
  EXPECT_TRUE(kept.body == s.simulator_audio(other));
  EXPECT_EQ(report(s, other).at("faults").at("final_encode"), "same");
  // Switched back, the task's CDN file is the stream's bytes again.
  ASSERT_EQ(control(s, task, {{"final_encode", "same"}}).status, 200u);
  EXPECT_TRUE(fetch(song_path(s, task)).body == audio);
}

// ------------------------------------------------------------------------------------------------- replay

TEST(simulator, replay_reencoded_sends_other_bytes_on_every_connection_after_the_first) {
  stack s({.extra_args = {"--replay", "reencoded"}});
  const auto task = create_task(s, "replay-reencoded");
  ASSERT_EQ(control(s, task, {{"drop_after_bytes", 50000}}).status, 200u);
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(task);
  const auto reencoded = s.sim("GET", "/_sim/tasks/" + task + "/reencoded").body;
  ASSERT_EQ(reencoded.size(), audio.size()) << "the same bitrate and length";
  ASSERT_FALSE(reencoded == audio);

  stream_reader first(s.sim_port(), "/stream/" + task, auth());
  const auto cut = first.read_to_end();
  EXPECT_TRUE(first.cut());
  ASSERT_EQ(cut.size(), 50000u);
  EXPECT_TRUE(cut == audio.substr(0, 50000)) << "the first connection sends the stream's encode";

  stream_reader second(s.sim_port(), "/stream/" + task, auth());
  const auto whole = second.read_to_end();
  EXPECT_TRUE(whole == reencoded);
  EXPECT_FALSE(whole.substr(0, 50000) == cut) << "the replayed prefix must differ from what was sent before";

  stream_reader third(s.sim_port(), "/stream/" + task, auth());
  EXPECT_TRUE(third.read_to_end() == reencoded);
  EXPECT_EQ(report(s, task).at("faults").at("replay"), "reencoded");
  EXPECT_EQ(report(s, task).at("reencoded_bytes").to_number<std::size_t>(), reencoded.size());
}

TEST(simulator, replay_identical_is_the_default_and_reencoded_can_be_switched_per_task) {
  stack s;
  const auto task = create_task(s, "replay-switched");
  EXPECT_TRUE(report(s, task).at("reencoded_bytes").is_null());
  EXPECT_EQ(s.sim("GET", "/_sim/tasks/" + task + "/reencoded").status, 404u);
  wait_for_status(s, task, "SUCCESS");
  const auto audio = s.simulator_audio(task);
  EXPECT_TRUE(request(s.sim_port(), "GET", "/stream/" + task, auth()).body == audio);
  EXPECT_TRUE(request(s.sim_port(), "GET", "/stream/" + task, auth()).body == audio) << "identical replays";

  ASSERT_EQ(control(s, task, {{"replay", "reencoded"}}).status, 200u);
  const auto again = request(s.sim_port(), "GET", "/stream/" + task, auth());
  EXPECT_EQ(again.body.size(), audio.size());
  EXPECT_FALSE(again.body == audio);
  EXPECT_TRUE(again.body == s.sim("GET", "/_sim/tasks/" + task + "/reencoded").body);
  EXPECT_EQ(control(s, task, {{"replay", "sometimes"}}).status, 400u);
}

// --------------------------------------------------------------------------------------------- stream end

TEST(simulator, stream_end_close_is_the_default_every_byte_then_a_close_without_the_final_chunk) {
  stack s;
  const auto task = create_task(s, "end-close");
  const auto other = create_task(s, "end-final-chunk");
  ASSERT_EQ(control(s, other, {{"stream_end", "final-chunk"}}).status, 200u);
  wait_for_status(s, task, "SUCCESS");
  wait_for_status(s, other, "SUCCESS");
  const auto audio = s.simulator_audio(task);

  stream_reader reader(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(reader.status(), 200u);
  EXPECT_TRUE(reader.read_to_end() == audio) << "every byte arrives";
  EXPECT_TRUE(reader.cut()) << "no zero-size chunk";
  EXPECT_FALSE(reader.ended_cleanly());
  const auto framed = request(s.sim_port(), "GET", "/stream/" + other, auth());
  EXPECT_TRUE(framed.complete);
  EXPECT_TRUE(framed.body == s.simulator_audio(other));

  wait_until([&] { return counter(s, task, "stream_unframed_ends") == 1; },
             [] { return std::string("the unframed end was not counted"); });
  wait_until([&] { return counter(s, other, "stream_final_chunks") == 1; },
             [] { return std::string("the final chunk was not counted"); });
  EXPECT_EQ(counter(s, task, "stream_final_chunks"), 0);
  EXPECT_EQ(report(s, task).at("faults").at("stream_end"), "close");
}

TEST(simulator, stream_end_expire_early_cuts_open_connections_at_success_short_of_the_tail) {
  // Generated at real time, so the connection is surely open before SUCCESS, seconds later.
  stack s({.song_seconds = 6, .speed = 1});
  const auto task = create_task(s, "end-expire-early");
  ASSERT_EQ(control(s, task, {{"stream_end", "expire-early"}}).status, 200u);
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(task);

  stream_reader reader(s.sim_port(), "/stream/" + task, auth());
  ASSERT_EQ(reader.status(), 200u);
  const auto body = reader.read_to_end();
  EXPECT_TRUE(reader.cut()) << "no zero-size chunk";
  ASSERT_LT(body.size(), audio.size());
  EXPECT_TRUE(body == audio.substr(0, body.size()));
  // The last 2 s of the 6 s song never came: a third of its bytes.
  EXPECT_NEAR(static_cast<double>(audio.size() - body.size()), static_cast<double>(audio.size()) / 3, 1.0);
  EXPECT_EQ(status_of(s, task), "SUCCESS") << "cut at SUCCESS, not before";

  auto gone = request(s.sim_port(), "GET", "/stream/" + task, auth());
  EXPECT_EQ(gone.status, 404u);
  EXPECT_EQ(gone.body, R"({"detail":"Not found"})");
  wait_until([&] { return counter(s, task, "stream_expiry_cuts") == 1; },
             [] { return std::string("the cut was not counted"); });
  // The CDN copy is whole.
  EXPECT_TRUE(fetch(song_path(s, task)).body == cdn_file(s, task));
  EXPECT_TRUE(archive::scan_mp3(bytes_of(cdn_file(s, task))).complete);
}

// ---------------------------------------------------------------------------------------------- ready race

TEST(simulator, ready_race_answers_400_while_the_status_already_says_ready) {
  // An hour of race: no test outlives it, so the refusal does not depend on how fast the test runs.
  stack s({.song_seconds = 6, .speed = 1, .extra_args = {"--ready-race", "3600"}});
  const auto task = create_task(s, "ready-race");
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  EXPECT_EQ(request(s.sim_port(), "GET", "/v1/generations/status/" + task, auth()).body,
            R"("GENERATING_STREAMING_READY")");
  for (int i = 0; i < 2; ++i) {
    auto refused = request(s.sim_port(), "GET", "/stream/" + task, auth());
    EXPECT_EQ(refused.status, 400u);
    EXPECT_EQ(refused.body, R"({"detail":"Track not ready for streaming"})");
  }
  EXPECT_EQ(counter(s, task, "stream_not_ready"), 2);
  EXPECT_EQ(counter(s, task, "stream_connections_total"), 0);
  EXPECT_EQ(report(s, task).at("faults").at("ready_race").to_number<double>(), 3600.0);

  // Once the race is over the stream opens with everything generated so far.
  ASSERT_EQ(control(s, task, {{"ready_race", 0}}).status, 200u);
  stream_reader reader(s.sim_port(), "/stream/" + task, auth());
  EXPECT_EQ(reader.status(), 200u);
  EXPECT_TRUE(reader.read_to_end() == s.simulator_audio(task));
  EXPECT_EQ(counter(s, task, "stream_not_ready"), 2);
  EXPECT_EQ(control(s, task, {{"ready_race", -1}}).status, 400u);
}

// ------------------------------------------------------------------------------------------- status 429s

TEST(simulator, status_429_every_refuses_every_nth_status_call_across_tasks) {
  stack s({.extra_args = {"--status-429-every", "5"}});
  const auto a = create_task(s, "rate-a");
  const auto b = create_task(s, "rate-b");
  auto stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_EQ(stats.at("status_429_every").to_number<int>(), 5);
  EXPECT_EQ(stats.at("status_429s").to_number<int>(), 0);

  // Set through control (no task_id: it is service-wide), which also starts the count afresh.
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"status_429_every":3})").status, 200u);
  const auto calls_before = s.sim("GET", "/_sim/stats").json().at("status_calls").to_number<int>();
  std::vector<unsigned> answers;
  for (int i = 0; i < 7; ++i) {
    auto reply = request(s.sim_port(), "GET", "/v1/generations/status/" + (i % 2 == 0 ? a : b), auth());
    answers.push_back(reply.status);
    if (reply.status == 429) {
      EXPECT_EQ(reply.body, R"({"detail":"Too many requests"})");
      EXPECT_EQ(reply.header("content-type"), "application/json");
    } else {
      EXPECT_TRUE(reply.json().is_string()) << reply.body;
    }
  }
  EXPECT_EQ(answers, (std::vector<unsigned>{200, 200, 429, 200, 200, 429, 200}));
  stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_EQ(stats.at("status_429s").to_number<int>(), 2);
  EXPECT_EQ(stats.at("status_calls").to_number<int>(), calls_before + 7) << "a refused call is still a call";

  // Only the status endpoint is limited.
  EXPECT_EQ(request(s.sim_port(), "GET", "/v1/generations/" + a, auth()).status, 200u);
  ASSERT_EQ(s.sim("POST", "/_sim/control", R"({"status_429_every":0})").status, 200u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(request(s.sim_port(), "GET", "/v1/generations/status/" + a, auth()).status, 200u);
  }
  EXPECT_EQ(s.sim("GET", "/_sim/stats").json().at("status_429s").to_number<int>(), 2);
  EXPECT_EQ(s.sim("POST", "/_sim/control", R"({"status_429_every":-1})").status, 400u);
}

// ---------------------------------------------------------------------------------------------- never ready

TEST(simulator, never_ready_stays_at_generating) {
  stack s;
  const auto task = create_task(s, "never-ready");
  ASSERT_EQ(control(s, task, {{"never_ready", true}}).status, 200u);
  // Created later, a task without the switch reaching SUCCESS means this one's time for SUCCESS has come too.
  wait_for_status(s, create_task(s, "ready-later"), "SUCCESS");
  auto status = request(s.sim_port(), "GET", "/v1/generations/status/" + task, auth());
  EXPECT_EQ(status.body, R"("GENERATING")");
  auto stream = request(s.sim_port(), "GET", "/stream/" + task, auth());
  EXPECT_EQ(stream.status, 400u);
  EXPECT_EQ(stream.body, R"({"detail":"Track not ready for streaming"})");
  auto result = request(s.sim_port(), "GET", "/v1/generations/" + task, auth()).json().as_object();
  EXPECT_EQ(result.at("status").as_string(), "GENERATING");
  EXPECT_TRUE(result.at("song_paths").is_null());
  EXPECT_EQ(request(s.sim_port(), "GET", "/cdn/" + task + ".mp3").status, 404u);
  EXPECT_EQ(counter(s, task, "stream_connections_total"), 0);

  // Time counts from creation: switched off, the task is where it would have been.
  ASSERT_EQ(control(s, task, {{"never_ready", false}}).status, 200u);
  EXPECT_EQ(report(s, task).at("status").as_string(), "SUCCESS");
}

// ------------------------------------------------------------------------------------ control and counters

TEST(simulator, control_rejects_bad_values_and_changes_nothing) {
  stack s;
  const auto task = create_task(s, "bad-control");
  const auto before = report(s, task).at("faults");
  const std::vector<json::object> bad{
      {{"drop_after_bytes", -1}},     {{"drop_after_bytes", 1.5}}, {{"drop_after_bytes", "10"}},
      {{"refuse_cdn", 200}},          {{"refuse_cdn", 600}},       {{"corrupt_cdn", "yes"}},
      {{"stall_seconds", -1}},        {{"stall_at_bytes", -5}},    {{"delete_cdn_after", "soon"}},
      {{"never_ready", 1}},           {{"fail_at", 3}},
      {{"corrupt_cdn", true}, {"refuse_cdn", 99}},  // one bad key spoils the whole body
  };
  for (const auto& fields : bad) {
    auto reply = control(s, task, fields);
    EXPECT_EQ(reply.status, 400u) << json::serialize(fields);
    EXPECT_EQ(reply.header("content-type"), "application/json");
  }
  EXPECT_EQ(report(s, task).at("faults"), before);
  EXPECT_EQ(s.sim("POST", "/_sim/control", R"({"task_id":"no-such-task","corrupt_cdn":true})").status, 404u);

  auto good = control(s, task, {{"stall_seconds", 2.5}, {"refuse_cdn", 503}});
  ASSERT_EQ(good.status, 200u);
  EXPECT_EQ(good.json().at("faults").at("stall_seconds").to_number<double>(), 2.5);
  EXPECT_EQ(good.json().at("faults").at("refuse_cdn").to_number<int>(), 503);
  EXPECT_TRUE(good.json().as_object().contains("creates"));
}

TEST(simulator, counters_and_stats) {
  stack s;
  const auto a = create_task(s, "counter-a");
  const auto b = create_task(s, "counter-b");
  auto status = request(s.sim_port(), "GET", "/v1/generations/status/" + a, auth());
  EXPECT_EQ(status.status, 200u);
  const auto stats = s.sim("GET", "/_sim/stats").json().as_object();
  EXPECT_EQ(stats.at("creates").to_number<int>(), 2);
  EXPECT_GE(stats.at("status_calls").to_number<int>(), 1);

  const auto fresh = report(s, b);
  EXPECT_EQ(fresh.at("cdn_requests").to_number<int>(), 0);
  EXPECT_EQ(fresh.at("bytes_streamed_total").to_number<int>(), 0);
  EXPECT_EQ(fresh.at("stream_connections_total").to_number<int>(), 0);
  EXPECT_EQ(fresh.at("stream_connections_open").to_number<int>(), 0);

  wait_for_status(s, b, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(b);
  stream_reader reader(s.sim_port(), "/stream/" + b, auth());
  reader.read_at_least(1000);
  EXPECT_EQ(counter(s, b, "stream_connections_open"), 1) << "still generating: the stream stays open";
  EXPECT_EQ(counter(s, b, "stream_connections_total"), 1);
  reader.read_to_end();
  wait_until_no_stream_open(s, b);
  EXPECT_EQ(counter(s, b, "bytes_streamed_total"), static_cast<std::int64_t>(audio.size()));
  wait_for_status(s, b, "SUCCESS");
  fetch(song_path(s, b));
  fetch(song_path(s, b));
  EXPECT_EQ(counter(s, b, "cdn_requests"), 2);
  EXPECT_EQ(counter(s, a, "cdn_requests"), 0) << "counters are per task";
  EXPECT_EQ(counter(s, a, "bytes_streamed_total"), 0);
}

// ------------------------------------------------------------------------------------------------- flags

TEST(simulator, flags_set_the_faults_every_new_task_starts_with) {
  sim_settings settings;
  settings.extra_args = {"--drop-after-bytes", "20000", "--drop-every-time", "--stall-seconds", "0.5",
                         "--stall-at-bytes", "1000", "--refuse-cdn", "403", "--corrupt-cdn", "--truncate-cdn",
                         "--expire-immediately", "--delete-cdn-after", "7", "--never-ready"};
  stack s(settings);
  const auto faults = report(s, create_task(s, "all-flags")).at("faults").as_object();
  EXPECT_EQ(faults.at("drop_after_bytes").to_number<int>(), 20000);
  EXPECT_EQ(faults.at("drop_every_time"), true);
  EXPECT_EQ(faults.at("stall_seconds").to_number<double>(), 0.5);
  EXPECT_EQ(faults.at("stall_at_bytes").to_number<int>(), 1000);
  EXPECT_EQ(faults.at("refuse_cdn").to_number<int>(), 403);
  EXPECT_EQ(faults.at("corrupt_cdn"), true);
  EXPECT_EQ(faults.at("truncate_cdn"), true);
  EXPECT_EQ(faults.at("expire_immediately"), true);
  EXPECT_EQ(faults.at("delete_cdn_after").to_number<double>(), 7.0);
  EXPECT_EQ(faults.at("never_ready"), true);
}

TEST(simulator, flag_defaults_act_on_every_task_and_control_overrides_them_per_task) {
  sim_settings settings;
  settings.extra_args = {"--drop-after-bytes", "20000", "--refuse-cdn", "503", "--expire-immediately"};
  stack s(settings);
  const auto task = create_task(s, "flag-defaults");
  const auto other = create_task(s, "flag-overridden");
  ASSERT_EQ(control(s, other, {{"refuse_cdn", 0}}).status, 200u);
  wait_for_status(s, task, "GENERATING_STREAMING_READY");
  const auto audio = s.simulator_audio(task);

  stream_reader first(s.sim_port(), "/stream/" + task, auth());
  EXPECT_EQ(first.read_to_end().size(), 20000u);
  EXPECT_TRUE(first.cut());
  stream_reader second(s.sim_port(), "/stream/" + task, auth());
  EXPECT_TRUE(second.read_to_end() == audio);

  wait_for_status(s, task, "SUCCESS");
  EXPECT_EQ(request(s.sim_port(), "GET", "/stream/" + task, auth()).status, 404u);
  EXPECT_EQ(fetch(song_path(s, task)).status, 503u);
  wait_for_status(s, other, "SUCCESS");
  EXPECT_EQ(fetch(song_path(s, other)).status, 200u);
}

}  // namespace
}  // namespace serenade::testing
