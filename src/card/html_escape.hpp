#pragma once
// Text from outside (a person's name) placed in an HTML page the server writes.
#include <string>
#include <string_view>

namespace serenade::card {

// `text` made safe inside a quoted attribute value (either quote) and between tags: & < > " ' become character
// references; tabs and line breaks become spaces; other control characters (C0, DEL, C1) and bytes that are not
// UTF-8 become U+FFFD, so nothing the HTML parser would drop, reject or act on reaches the page.
std::string escape_html(std::string_view text);

}  // namespace serenade::card
