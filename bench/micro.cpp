// serenade_micro: Google Benchmark suite for the hot pure functions. Figures only, no thresholds.
//   parse_range   (src/http/range.hpp)       every Range request on a finished song
//   scan_mp3      (src/archive/mp3_frames.hpp) every archived song (final copy check), whole file
//   split_replay  (src/live/replay.hpp)      every piece of a replayed upstream stream after a reconnect
#include "archive/mp3_frames.hpp"
#include "http/range.hpp"
#include "live/replay.hpp"
#include "sim/song_synth.hpp"

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::uint64_t song_bytes = 5'760'000;  // 240 s at 192 kbit/s

void BM_parse_range_single(benchmark::State& state) {
  const std::optional<std::string_view> header{"bytes=1048576-1114111"};
  for (auto _ : state) benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
}
BENCHMARK(BM_parse_range_single);

void BM_parse_range_suffix(benchmark::State& state) {
  const std::optional<std::string_view> header{"bytes=-65536"};
  for (auto _ : state) benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
}
BENCHMARK(BM_parse_range_suffix);

void BM_parse_range_open(benchmark::State& state) {
  const std::optional<std::string_view> header{"bytes=0-"};
  for (auto _ : state) benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
}
BENCHMARK(BM_parse_range_open);

void BM_parse_range_multiple(benchmark::State& state) {
  const std::optional<std::string_view> header{"bytes=0-99, 200-299, 400-499, 600-699, 800-899"};
  for (auto _ : state) benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
}
BENCHMARK(BM_parse_range_multiple);

void BM_parse_range_random(benchmark::State& state) {
  std::mt19937_64 rng(42);
  std::vector<std::string> headers;
  for (int i = 0; i < 1024; ++i) {
    const auto first = rng() % (song_bytes - 65536);
    headers.push_back("bytes=" + std::to_string(first) + "-" + std::to_string(first + 65535));
  }
  std::size_t k = 0;
  for (auto _ : state) {
    const std::optional<std::string_view> header{headers[k++ & 1023]};
    benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
  }
}
BENCHMARK(BM_parse_range_random);

void BM_parse_range_invalid(benchmark::State& state) {
  const std::optional<std::string_view> header{"bytes=abc-def"};
  for (auto _ : state) benchmark::DoNotOptimize(serenade::http::parse_range(header, song_bytes));
}
BENCHMARK(BM_parse_range_invalid);

const std::vector<std::uint8_t>& song(double seconds) {
  static std::vector<std::uint8_t> s30 = serenade::sim::synthesize_song("micro", 30);
  static std::vector<std::uint8_t> s240;
  if (seconds <= 30) return s30;
  if (s240.empty()) {
    // 240 s: eight copies of the 30 s song are still contiguous frames of the same format.
    for (int i = 0; i < 8; ++i) s240.insert(s240.end(), s30.begin(), s30.end());
  }
  return s240;
}

void BM_scan_mp3(benchmark::State& state) {
  const auto& bytes = song(static_cast<double>(state.range(0)));
  for (auto _ : state) {
    auto r = serenade::archive::scan_mp3(bytes);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes.size()));
  state.counters["frames"] = static_cast<double>(serenade::archive::scan_mp3(bytes).frames);
}
BENCHMARK(BM_scan_mp3)->Arg(30)->Arg(240)->Unit(benchmark::kMicrosecond);

void BM_whole_frames_prefix(benchmark::State& state) {
  const auto& bytes = song(30);
  for (auto _ : state) benchmark::DoNotOptimize(serenade::archive::whole_frames_prefix(bytes));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes.size()));
}
BENCHMARK(BM_whole_frames_prefix)->Unit(benchmark::kMicrosecond);

// One reconnect's worth of pieces: the replay of `stored` bytes in 16 KiB pieces, then new bytes.
void BM_split_replay_stream(benchmark::State& state) {
  const std::uint64_t stored = static_cast<std::uint64_t>(state.range(0));
  constexpr std::uint64_t piece = 16 * 1024;
  for (auto _ : state) {
    std::uint64_t position = 0;
    std::uint64_t appended = 0;
    while (position < stored + 8 * piece) {
      const auto s = serenade::live::split_replay(position, stored, piece);
      appended += s.append_length;
      position += piece;
    }
    benchmark::DoNotOptimize(appended);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>((stored + 8 * piece) / piece));
}
BENCHMARK(BM_split_replay_stream)->Arg(1 << 20)->Arg(song_bytes);

void BM_split_replay_one(benchmark::State& state) {
  std::uint64_t position = 1'000'000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(position);
    benchmark::DoNotOptimize(serenade::live::split_replay(position, 1'010'000, 16384));
  }
}
BENCHMARK(BM_split_replay_one);

}  // namespace

BENCHMARK_MAIN();
