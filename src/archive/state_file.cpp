#include "archive/state_file.hpp"

#include "archive/once_file.hpp"
#include "archive/paths.hpp"

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>

namespace serenade::archive {

namespace {

std::optional<std::string> kept_secret(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string secret;
  std::getline(in, secret);
  return secret;
}

// The secret under its name: linked when none is there, replacing an invalid one. Another instance's secret
// stored first is what `path` holds then.
std::error_code store_secret(const std::string& path, const std::string& secret, bool replace) {
  auto dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  once_file file(dir, std::filesystem::path(path).filename().string());
  if (auto error = file.write(secret)) return error;
  if (auto error = file.make_durable()) return error;
  if (!replace) return file.put_in_place(path);
  if (std::rename(file.temporary_path().c_str(), path.c_str()) != 0) return {errno, std::generic_category()};
  return sync_directory(dir) ? std::error_code{} : std::error_code{errno, std::generic_category()};
}

}  // namespace

std::string load_or_create_secret(const std::string& path, std::string_view what,
                                  const std::function<bool(std::string_view)>& valid,
                                  const std::function<std::string()>& generate) {
  const auto kept = kept_secret(path);
  if (kept && valid(*kept)) return *kept;
  const auto secret = generate();
  std::error_code stored;
  try {
    stored = store_secret(path, secret, kept.has_value());
  } catch (const std::system_error& e) {
    stored = e.code();
  }
  if (stored == std::errc::file_exists) {
    if (const auto theirs = kept_secret(path); theirs && valid(*theirs)) return *theirs;
  }
  if (stored) throw std::runtime_error("cannot persist the " + std::string(what) + " in " + path);
  return secret;
}

}  // namespace serenade::archive
