#pragma once
// How tests read a PNG: what its header says, and whether libpng (through cairo) decodes the whole image.
#include <cairo.h>

#include <cstdint>
#include <cstring>
#include <string>

namespace serenade::card::testing {

struct png_facts {
  bool signature = false;             // the PNG signature, then an IHDR chunk
  std::uint32_t header_width = 0;     // as IHDR says
  std::uint32_t header_height = 0;
  bool decodes = false;               // cairo read the whole image
  int width = 0;                      // as decoded
  int height = 0;
};

namespace detail {
struct png_reader {
  const std::string& bytes;
  std::size_t at = 0;
};

inline cairo_status_t read_from(void* closure, unsigned char* data, unsigned int length) {
  auto& reader = *static_cast<png_reader*>(closure);
  if (reader.bytes.size() - reader.at < length) return CAIRO_STATUS_READ_ERROR;
  std::memcpy(data, reader.bytes.data() + reader.at, length);
  reader.at += length;
  return CAIRO_STATUS_SUCCESS;
}

inline std::uint32_t big_endian(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = value << 8 | static_cast<unsigned char>(bytes[at + i]);
  return value;
}
}  // namespace detail

inline png_facts read_png(const std::string& png) {
  png_facts facts;
  if (png.size() < 24) return facts;
  facts.signature = png.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0 && png.compare(12, 4, "IHDR") == 0;
  facts.header_width = detail::big_endian(png, 16);
  facts.header_height = detail::big_endian(png, 20);
  detail::png_reader reader{png};
  auto* decoded = cairo_image_surface_create_from_png_stream(detail::read_from, &reader);
  facts.decodes = cairo_surface_status(decoded) == CAIRO_STATUS_SUCCESS;
  if (facts.decodes) {
    facts.width = cairo_image_surface_get_width(decoded);
    facts.height = cairo_image_surface_get_height(decoded);
  }
  cairo_surface_destroy(decoded);
  return facts;
}

}  // namespace serenade::card::testing
