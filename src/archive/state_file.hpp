#pragma once
// Small secrets Serenade keeps between runs (the webhook URL's token): read from their file when it holds a
// valid one, else generated and written 0600 and fsynced before use, so a restart keeps the URLs Sonauto knows.
// On an archive folder several instances share, they start with one secret: the first to store it wins
// (archive/once_file.hpp) and the others read it.
#include <functional>
#include <string>
#include <string_view>

namespace serenade::archive {

// `what` names the secret in the error: std::runtime_error when a new one cannot be stored.
std::string load_or_create_secret(const std::string& path, std::string_view what,
                                  const std::function<bool(std::string_view)>& valid,
                                  const std::function<std::string()>& generate);

}  // namespace serenade::archive
