#include "sim/song_synth.hpp"

#include <lame/lame.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdarg>
#include <memory>
#include <mutex>
#include <numbers>
#include <stdexcept>
#include <string>

namespace serenade::sim {

namespace {

constexpr double rate = synth_sample_rate;
constexpr std::size_t block_frames = 8192;

// FNV-1a then splitmix64: tiny, well known, and the same on every platform, unlike std::hash
// or the std distributions.
std::uint64_t fnv1a(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

class prng {
 public:
  explicit prng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int below(int n) { return static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// ---- composition -------------------------------------------------------------------------

constexpr std::array<std::array<int, 7>, 5> modes = {{
    {0, 2, 4, 5, 7, 9, 11},  // ionian
    {0, 2, 3, 5, 7, 9, 10},  // dorian
    {0, 2, 4, 5, 7, 9, 10},  // mixolydian
    {0, 2, 3, 5, 7, 8, 10},  // aeolian
    {0, 2, 4, 6, 7, 9, 11},  // lydian
}};
// Chord roots as scale degrees, one chord per bar.
constexpr std::array<std::array<int, 4>, 8> progressions = {{
    {0, 4, 5, 3}, {5, 3, 0, 4}, {0, 3, 4, 3}, {1, 4, 0, 5},
    {0, 5, 3, 4}, {0, 3, 5, 4}, {3, 4, 2, 5}, {0, 2, 3, 4},
}};
// (eighth within the bar, scale steps above the chord root, length in eighths)
struct bass_step { int eighth, degree, length; };
constexpr std::array<std::array<bass_step, 4>, 3> bass_patterns = {{
    {{{0, 0, 2}, {2, 0, 2}, {4, 0, 2}, {6, 4, 2}}},
    {{{0, 0, 3}, {3, 0, 1}, {4, 4, 3}, {7, 7, 1}}},
    {{{0, 0, 4}, {4, 4, 2}, {6, 2, 1}, {7, 4, 1}}},
}};

enum class voice { pad, bass, lead, kick, hat };

struct note {
  std::int64_t start = 0;
  std::int64_t length = 0;  // samples, release included
  voice kind = voice::lead;
  double freq = 0;
  float gain_left = 0, gain_right = 0;
  // Running oscillator/envelope state: notes are rendered block after block, in order.
  std::int64_t done = 0;
  double phase = 0, phase2 = 0, decay = 1, sweep = 1;
  std::uint32_t noise = 1;
  float last_noise = 0;
};

struct plan {
  double bpm = 120;
  int root = 48;  // MIDI note of the key's tonic
  const std::array<int, 7>* mode = nullptr;
  const std::array<int, 4>* progression = nullptr;
  const std::array<bass_step, 4>* bass = nullptr;
  double lead_h2 = 0, lead_h3 = 0;
};

int semitones(const plan& p, int degree) {
  const int octave = degree >= 0 ? degree / 7 : -((6 - degree) / 7);
  return 12 * octave + (*p.mode)[static_cast<std::size_t>(degree - 7 * octave)];
}

int wrap_into(int midi, int low) {
  while (midi < low) midi += 12;
  while (midi >= low + 12) midi -= 12;
  return midi;
}

double midi_hz(int midi) { return 440.0 * std::pow(2.0, (midi - 69) / 12.0); }

struct motif_note { int eighth, length, degree; };

// Four bars of lead over one pass of the progression: chord tones on the beat, steps between.
std::vector<motif_note> make_motif(prng& r, const plan& p) {
  constexpr std::array<int, 7> lengths = {1, 1, 2, 2, 2, 3, 4};
  std::vector<motif_note> out;
  int degree = 2 + r.below(5);
  for (int pos = 0; pos < 32;) {
    const int length = std::min(lengths[static_cast<std::size_t>(r.below(7))], 32 - pos);
    const bool rest = pos % 8 != 0 && r.uniform() < 0.15;
    if (!rest) {
      if (pos % 2 == 0) {
        const int chord = (*p.progression)[static_cast<std::size_t>(pos / 8)];
        const double target = degree + (r.uniform() * 4.0 - 2.0);
        int best = degree;
        double best_distance = 1e9;
        for (int d = -2; d <= 9; ++d) {
          const int step = ((d - chord) % 7 + 7) % 7;
          if (step != 0 && step != 2 && step != 4) continue;
          if (std::abs(d - target) < best_distance) best_distance = std::abs(d - target), best = d;
        }
        degree = best;
      } else {
        constexpr std::array<int, 4> steps = {-2, -1, 1, 2};
        degree = std::clamp(degree + steps[static_cast<std::size_t>(r.below(4))], -2, 9);
      }
      out.push_back({pos, length, degree});
    }
    pos += length;
  }
  return out;
}

void pan_note(note& n, double gain, double pan) {
  const double angle = (pan + 1.0) * std::numbers::pi / 4.0;
  n.gain_left = static_cast<float>(gain * std::numbers::sqrt2 * std::cos(angle));
  n.gain_right = static_cast<float>(gain * std::numbers::sqrt2 * std::sin(angle));
}

std::vector<note> compose(prng& r, const plan& p, std::int64_t total) {
  const double eighth = rate * 30.0 / p.bpm;
  const auto at = [&](std::int64_t eighths) { return static_cast<std::int64_t>(std::llround(eighths * eighth)); };
  const auto secs = [](double s) { return static_cast<std::int64_t>(s * rate); };
  const std::vector<motif_note> a = make_motif(r, p), b = make_motif(r, p);
  const bool busy_hats = r.below(2) == 0;
  const bool kick_pickup = r.below(2) == 0;
  const double lead_pan = r.uniform() * 0.4 - 0.2;

  const bool short_song = total < at(64);  // under eight bars: no intro, everything at once
  std::vector<note> notes;
  const auto add = [&](voice kind, std::int64_t start, std::int64_t end, int midi, double gain, double pan) {
    note n;
    n.kind = kind;
    n.start = start;
    n.length = std::max<std::int64_t>(end - start, 1);
    n.freq = midi_hz(midi);
    n.noise = static_cast<std::uint32_t>(start) * 2654435761u | 1u;
    pan_note(n, gain, pan);
    notes.push_back(n);
  };

  for (std::int64_t bar = 0; at(bar * 8) < total; ++bar) {
    const std::int64_t b0 = bar * 8;
    const int chord = (*p.progression)[static_cast<std::size_t>(bar % 4)];
    for (int i = 0; i < 3; ++i) {
      const int midi = wrap_into(p.root + semitones(p, chord + 2 * i), 55);
      add(voice::pad, at(b0), at(b0 + 8) + secs(0.4), midi, 0.055, (i - 1) * 0.6);
    }
    for (const bass_step& s : *p.bass) {
      const int midi = wrap_into(p.root + semitones(p, chord + s.degree), 36) + (s.degree == 7 ? 12 : 0);
      add(voice::bass, at(b0 + s.eighth), at(b0 + s.eighth + s.length) - secs(0.01),
          midi, 0.26, 0.0);
    }
    // Sections of four bars go A A B A; the lead and drums rest in the first one as an intro.
    const std::int64_t section = bar / 4;
    if (section > 0 || short_song) {
      const auto& motif = section % 4 == 2 ? b : a;
      for (const motif_note& m : motif) {
        if (m.eighth / 8 != bar % 4) continue;
        const std::int64_t start = (bar / 4) * 32 + m.eighth;
        add(voice::lead, at(start), at(start + m.length) - secs(0.015),
            p.root + 12 + semitones(p, m.degree), 0.17, lead_pan);
      }
    }
    if (section > 0 || short_song) {
      for (int e : {0, 4}) add(voice::kick, at(b0 + e), at(b0 + e) + secs(0.25), 0, 0.32, 0.0);
      if (kick_pickup && bar % 2 == 1) add(voice::kick, at(b0 + 7), at(b0 + 8), 0, 0.22, 0.0);
      for (int e = busy_hats ? 0 : 1; e < 8; e += busy_hats ? 1 : 2) {
        add(voice::hat, at(b0 + e), at(b0 + e) + secs(0.08), 0, e % 2 ? 0.05 : 0.03, 0.35);
      }
    }
  }
  std::stable_sort(notes.begin(), notes.end(), [](const note& x, const note& y) { return x.start < y.start; });
  return notes;
}

// ---- rendering ---------------------------------------------------------------------------

class sine_table {
 public:
  sine_table() {
    for (std::size_t i = 0; i <= size; ++i) table_[i] = static_cast<float>(std::sin(2.0 * std::numbers::pi * i / size));
  }
  // phase in cycles, [0, 1)
  float operator()(double phase) const {
    const double x = phase * size;
    const auto i = static_cast<std::size_t>(x);
    const float frac = static_cast<float>(x - static_cast<double>(i));
    return table_[i] + frac * (table_[i + 1] - table_[i]);
  }

 private:
  static constexpr std::size_t size = 4096;
  std::array<float, size + 1> table_{};
};

struct shape { double attack_s, decay_s, sustain, release_s; };
constexpr shape shape_of(voice v) {
  switch (v) {
    case voice::pad: return {0.30, 1.5, 0.7, 0.40};
    case voice::bass: return {0.005, 0.25, 0.35, 0.05};
    case voice::lead: return {0.012, 0.18, 0.55, 0.07};
    case voice::kick: return {0.001, 0.12, 0.0, 0.02};
    case voice::hat: return {0.001, 0.025, 0.0, 0.01};
  }
  return {};
}

double wrap(double phase) { return phase - std::floor(phase); }
double advance(double phase, double step) { return wrap(phase + step); }

void render(note& n, const plan& p, const sine_table& sine, std::int64_t from, std::int64_t to, float* left,
            float* right) {
  const shape s = shape_of(n.kind);
  const double attack = std::max(1.0, s.attack_s * rate), release = std::max(1.0, s.release_s * rate);
  const double decay_step = std::exp(-1.0 / (s.decay_s * rate));
  const double step = n.freq / rate;
  for (std::int64_t i = 0; i < to - from; ++i, ++n.done) {
    double env = s.sustain + (1.0 - s.sustain) * n.decay;
    n.decay *= decay_step;
    if (n.done < attack) env *= static_cast<double>(n.done) / attack;
    if (const auto left_over = static_cast<double>(n.length - n.done); left_over < release) env *= left_over / release;

    float l = 0, r = 0;
    switch (n.kind) {
      case voice::pad:  // slightly detuned channels make the chord wide
        l = sine(n.phase);
        r = sine(n.phase2);
        n.phase = advance(n.phase, step);
        n.phase2 = advance(n.phase2, step * 1.0035);
        break;
      case voice::bass:
        l = r = sine(n.phase) + 0.35f * sine(n.phase2);
        n.phase = advance(n.phase, step);
        n.phase2 = advance(n.phase2, 2 * step);
        break;
      case voice::lead:
        l = r = sine(n.phase) + static_cast<float>(p.lead_h2) * sine(wrap(2 * n.phase)) +
                static_cast<float>(p.lead_h3) * sine(wrap(3 * n.phase));
        n.phase = advance(n.phase, step);
        break;
      case voice::kick:  // a falling pitch is what makes a sine sound like a drum
        l = r = sine(n.phase);
        n.phase = advance(n.phase, (45.0 + 90.0 * n.sweep) / rate);
        n.sweep *= 0.99985;
        break;
      case voice::hat: {  // differenced white noise: cheap high-pass
        n.noise ^= n.noise << 13;
        n.noise ^= n.noise >> 17;
        n.noise ^= n.noise << 5;
        const float white = static_cast<float>(n.noise) * (2.0f / 4294967296.0f) - 1.0f;
        l = r = white - n.last_noise;
        n.last_noise = white;
        break;
      }
    }
    left[i] += static_cast<float>(env) * n.gain_left * l;
    right[i] += static_cast<float>(env) * n.gain_right * r;
  }
}

// ---- encoding ----------------------------------------------------------------------------

void silent(const char*, va_list) {}

struct lame_closer {
  void operator()(lame_global_flags* gf) const { lame_close(gf); }
};
using lame_ptr = std::unique_ptr<lame_global_flags, lame_closer>;

lame_ptr open_encoder(const mp3_encoding& encoding) {
  // lame_init fills process-wide lookup tables on first use; serialise it so concurrent
  // simulated generations do not race on them.
  static std::mutex init_mutex;
  std::lock_guard lock(init_mutex);
  lame_ptr gf(lame_init());
  if (!gf) throw std::runtime_error("lame_init failed (out of memory?)");
  lame_set_errorf(gf.get(), silent);
  lame_set_debugf(gf.get(), silent);
  lame_set_msgf(gf.get(), silent);
  lame_set_num_channels(gf.get(), 2);
  lame_set_in_samplerate(gf.get(), synth_sample_rate);
  lame_set_out_samplerate(gf.get(), synth_sample_rate);
  lame_set_VBR(gf.get(), vbr_off);
  lame_set_brate(gf.get(), encoding.bitrate_kbps);
  lame_set_mode(gf.get(), JOINT_STEREO);
  lame_set_quality(gf.get(), encoding.quality);
  // The tags are fetched and placed by encode_all: LAME would only write them itself into a FILE*.
  lame_set_write_id3tag_automatic(gf.get(), 0);
  lame_set_bWriteVbrTag(gf.get(), encoding.info_frame ? 1 : 0);
  if (!encoding.title.empty()) {
    id3tag_init(gf.get());
    id3tag_add_v2(gf.get());  // by default LAME adds a v2 tag only when v1 cannot hold the fields
    id3tag_set_title(gf.get(), encoding.title.c_str());
  }
  if (const int rc = lame_init_params(gf.get()); rc < 0) {
    throw std::runtime_error("lame_init_params failed with code " + std::to_string(rc) + " for " +
                             std::to_string(encoding.bitrate_kbps) + " kbps");
  }
  return gf;
}

void check_lame(int rc, const char* what) {
  if (rc < 0) throw std::runtime_error(std::string(what) + " failed with code " + std::to_string(rc));
}

plan make_plan(prng& r) {
  plan p;
  p.bpm = 84 + r.below(48);
  p.root = 48 + r.below(12);
  p.mode = &modes[static_cast<std::size_t>(r.below(static_cast<int>(modes.size())))];
  p.progression = &progressions[static_cast<std::size_t>(r.below(static_cast<int>(progressions.size())))];
  p.bass = &bass_patterns[static_cast<std::size_t>(r.below(static_cast<int>(bass_patterns.size())))];
  p.lead_h2 = 0.1 + 0.4 * r.uniform();
  p.lead_h3 = 0.25 * r.uniform();
  return p;
}

}  // namespace

std::vector<std::size_t> synth_frame_offsets(std::span<const std::uint8_t> song, int bitrate_kbps) {
  if (bitrate_kbps == 0) {
    // MPEG-1 Layer III bitrates by the index in the first header's third byte.
    constexpr std::array<int, 15> by_index = {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
    if (song.size() < 4 || song[0] != 0xFF || (song[1] & 0xE0) != 0xE0) return {};
    const auto index = static_cast<std::size_t>(song[2] >> 4);
    if (index == 0 || index >= by_index.size()) return {};
    bitrate_kbps = by_index[index];
  }
  // An MPEG-1 Layer III frame carries 1152 samples: 1152 / 8 = 144 bytes per bit/s of bitrate per Hz of sample
  // rate, rounded down, plus one byte when the padding bit is set.
  const std::size_t unpadded = static_cast<std::size_t>(144 * bitrate_kbps * 1000 / synth_sample_rate);
  std::vector<std::size_t> offsets;
  for (std::size_t at = 0; at + 4 <= song.size();) {
    if (song[at] != 0xFF || (song[at + 1] & 0xE0) != 0xE0) break;
    const std::size_t length = unpadded + ((song[at + 2] & 0x02) != 0 ? 1 : 0);
    if (at + length > song.size()) break;
    offsets.push_back(at);
    at += length;
  }
  return offsets;
}

double mp3_seconds_per_frame(int sample_rate) {
  if (sample_rate <= 0) throw std::invalid_argument("sample rate must be positive");
  return (sample_rate >= 32000 ? 1152.0 : 576.0) / sample_rate;
}

std::vector<std::vector<std::uint8_t>> synthesize_encodings(std::string_view seed, double seconds,
                                                            std::span<const mp3_encoding> encodings) {
  if (!(seconds > 0.0 && seconds <= 1800.0)) {
    throw std::invalid_argument("song length must be in (0, 1800] seconds, got " + std::to_string(seconds));
  }
  constexpr std::array<int, 14> bitrates = {32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320};
  for (const auto& encoding : encodings) {
    if (std::find(bitrates.begin(), bitrates.end(), encoding.bitrate_kbps) == bitrates.end()) {
      throw std::invalid_argument("bitrate " + std::to_string(encoding.bitrate_kbps) +
                                  " kbps is not an MPEG-1 Layer III bitrate");
    }
    if (encoding.quality < 0 || encoding.quality > 9) {
      throw std::invalid_argument("LAME quality must be 0-9, got " + std::to_string(encoding.quality));
    }
  }

  prng r(fnv1a(seed));
  const plan p = make_plan(r);
  const auto total = std::max<std::int64_t>(1, std::llround(seconds * rate));
  std::vector<note> notes = compose(r, p, total);
  const sine_table sine;
  // One render feeds every encoder: the PCM is the same, only the encodes differ.
  std::vector<lame_ptr> encoders;
  std::vector<std::vector<std::uint8_t>> outs(encodings.size());
  for (std::size_t e = 0; e < encodings.size(); ++e) {
    encoders.push_back(open_encoder(encodings[e]));
    outs[e].reserve(static_cast<std::size_t>(seconds * encodings[e].bitrate_kbps * 125.0) + 16384);
  }

  std::vector<float> left(block_frames), right(block_frames);
  std::vector<short> pcm(2 * block_frames);
  std::vector<unsigned char> mp3(block_frames * 5 / 4 + 7200);
  std::vector<note*> active;
  std::size_t next_note = 0;
  const double fade_in = 0.005 * rate, fade_out = std::min(2.0, seconds * 0.25) * rate;

  for (std::int64_t b0 = 0; b0 < total; b0 += static_cast<std::int64_t>(block_frames)) {
    const std::int64_t b1 = std::min(total, b0 + static_cast<std::int64_t>(block_frames));
    while (next_note < notes.size() && notes[next_note].start < b1) active.push_back(&notes[next_note++]);
    std::fill(left.begin(), left.end(), 0.0f);
    std::fill(right.begin(), right.end(), 0.0f);
    for (note* n : active) {
      const std::int64_t from = std::max(b0, n->start), to = std::min(b1, n->start + n->length);
      if (from < to) render(*n, p, sine, from, to, left.data() + (from - b0), right.data() + (from - b0));
    }
    std::erase_if(active, [&](const note* n) { return n->start + n->length <= b1; });

    for (std::int64_t t = b0; t < b1; ++t) {
      const auto i = static_cast<std::size_t>(t - b0);
      const double gain = 0.75 * std::min({1.0, t / fade_in, (total - t) / fade_out});
      pcm[2 * i] = static_cast<short>(std::lrint(std::clamp(left[i] * gain, -1.0, 1.0) * 32767.0));
      pcm[2 * i + 1] = static_cast<short>(std::lrint(std::clamp(right[i] * gain, -1.0, 1.0) * 32767.0));
    }
    for (std::size_t e = 0; e < encoders.size(); ++e) {
      const int written = lame_encode_buffer_interleaved(encoders[e].get(), pcm.data(), static_cast<int>(b1 - b0),
                                                         mp3.data(), static_cast<int>(mp3.size()));
      check_lame(written, "lame_encode_buffer_interleaved");
      outs[e].insert(outs[e].end(), mp3.begin(), mp3.begin() + written);
    }
  }
  for (std::size_t e = 0; e < encoders.size(); ++e) {
    auto* gf = encoders[e].get();
    auto& out = outs[e];
    const int flushed = lame_encode_flush(gf, mp3.data(), static_cast<int>(mp3.size()));
    check_lame(flushed, "lame_encode_flush");
    out.insert(out.end(), mp3.begin(), mp3.begin() + flushed);
    if (encodings[e].info_frame) {
      // LAME wrote a placeholder frame first; the finished Info frame (frame count, byte count, encoder delay)
      // takes its place, as lame_mp3_tags_fid would do in a file.
      std::vector<unsigned char> info(8192);
      const auto n = lame_get_lametag_frame(gf, info.data(), info.size());
      if (n == 0 || n > info.size() || n > out.size()) throw std::runtime_error("lame_get_lametag_frame failed");
      std::copy(info.begin(), info.begin() + static_cast<std::ptrdiff_t>(n), out.begin());
    }
    if (!encodings[e].title.empty()) {
      std::vector<unsigned char> tag(64 * 1024);
      const auto v2 = lame_get_id3v2_tag(gf, tag.data(), tag.size());
      if (v2 == 0 || v2 > tag.size()) throw std::runtime_error("lame_get_id3v2_tag failed");
      out.insert(out.begin(), tag.begin(), tag.begin() + static_cast<std::ptrdiff_t>(v2));
      const auto v1 = lame_get_id3v1_tag(gf, tag.data(), tag.size());
      if (v1 == 0 || v1 > tag.size()) throw std::runtime_error("lame_get_id3v1_tag failed");
      out.insert(out.end(), tag.begin(), tag.begin() + static_cast<std::ptrdiff_t>(v1));
    }
  }
  return outs;
}

std::vector<std::uint8_t> synthesize_song(std::string_view seed, double seconds, int bitrate_kbps) {
  const mp3_encoding plain{.bitrate_kbps = bitrate_kbps};
  return std::move(synthesize_encodings(seed, seconds, std::span(&plain, 1)).front());
}

}  // namespace serenade::sim
