#pragma once
// The name a song's download is saved under ("For Ben — from Ana.mp3") and its Content-Disposition (RFC 6266)
// with the UTF-8 name in filename* (RFC 8187) and an ASCII fallback for clients without it. Both names come from
// people's forms, so nothing in them may act on the header or on the saving side's file system: no control
// characters (CR/LF would split the header), no quotes or backslashes, no path separators, no direction overrides
// that make "3pm.exe" look like "exe.mp3", and a bounded length.
#include <string>
#include <string_view>

namespace serenade::api {

// A person's name as a download shows it: unsafe characters replaced, spaces collapsed, at most
// shown_name_limit code points (longer ones end in "…"); "" when nothing is left. Invalid UTF-8 becomes U+FFFD.
inline constexpr std::size_t shown_name_limit = 40;
std::string shown_name(std::string_view name);

// "For <recipient> — from <sender>.mp3" of the shown names ("you", "someone" when a name is empty).
std::string download_file_name(std::string_view sender, std::string_view recipient);

// `attachment; filename="<ASCII>"; filename*=UTF-8''<percent-encoded>` for a name download_file_name made.
std::string attachment_disposition(std::string_view file_name);

}  // namespace serenade::api
