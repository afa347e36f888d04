#include "card/card_files.hpp"

#include "card/card_image.hpp"
#include "core/ids.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace serenade::card {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct temporary_folder {
  fs::path path = fs::temp_directory_path() / ("serenade-cards-" + ids::random_token());
  temporary_folder() { fs::create_directories(path); }
  ~temporary_folder() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::vector<fs::path> files_in(const fs::path& folder) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(folder)) found.push_back(entry.path().filename());
  return found;
}

TEST(card_files, a_card_is_drawn_once_and_kept) {
  temporary_folder archive;
  card_files cards(archive.path.string());
  const auto id = ids::random_token();
  const song_preview song{"Ana", "Ben", 192'000ms};
  const auto first = cards.song_card(id, song);
  EXPECT_EQ(files_in(cards.folder()), std::vector<fs::path>{id + ".v1-192.png"});
  EXPECT_EQ(fs::status(cards.folder() / (id + ".v1-192.png")).permissions() & fs::perms::others_read,
            fs::perms::none);

  EXPECT_EQ(cards.song_card(id, song), first);
  EXPECT_EQ(files_in(cards.folder()).size(), 1u);
}

TEST(card_files, a_song_whose_length_becomes_known_gets_a_new_card) {
  temporary_folder archive;
  card_files cards(archive.path.string());
  const auto id = ids::random_token();
  const auto unfinished = cards.song_card(id, {"Ana", "Ben", std::nullopt});
  const auto finished = cards.song_card(id, {"Ana", "Ben", 192'000ms});
  EXPECT_NE(unfinished, finished);
  EXPECT_EQ(files_in(cards.folder()).size(), 2u);
}

TEST(card_files, a_card_file_cut_short_is_drawn_again) {
  temporary_folder archive;
  card_files cards(archive.path.string());
  const auto id = ids::random_token();
  const song_preview song{"Ana", "Ben", {}};
  const auto whole = cards.song_card(id, song);
  const auto path = cards.folder() / (id + ".v1.png");
  std::ofstream(path, std::ios::binary | std::ios::trunc) << whole.substr(0, whole.size() / 2);
  EXPECT_EQ(cards.song_card(id, song), whole);
  EXPECT_EQ(fs::file_size(path), whole.size());
}

TEST(card_files, only_session_ids_name_files) {
  temporary_folder archive;
  card_files cards(archive.path.string());
  EXPECT_THROW(cards.song_card("../../etc/passwd", {"Ana", "Ben", {}}), std::invalid_argument);
  EXPECT_FALSE(fs::exists(cards.folder()));
}

TEST(card_files, the_nameless_card_is_kept_in_memory) {
  temporary_folder archive;
  card_files cards(archive.path.string());
  EXPECT_EQ(cards.nameless_card(), render_card_png(std::nullopt));
  EXPECT_FALSE(fs::exists(cards.folder()));
}

}  // namespace
}  // namespace serenade::card
