#include "card/card_image.hpp"

#include <cairo.h>
#include <glib.h>
#include <pango/pangocairo.h>

#include <memory>
#include <mutex>
#include <stdexcept>

namespace serenade::card {

namespace {

struct cairo_surface_release {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct cairo_release {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
struct pattern_release {
  void operator()(cairo_pattern_t* p) const { cairo_pattern_destroy(p); }
};
struct gobject_release {
  void operator()(void* o) const { g_object_unref(o); }
};
struct font_release {
  void operator()(PangoFontDescription* d) const { pango_font_description_free(d); }
};
struct gchar_release {
  void operator()(gchar* s) const { g_free(s); }
};

constexpr double margin = 80;
// DejaVu first for Latin, Greek, Cyrillic, Hebrew and Arabic; fontconfig falls back to the Noto fonts for other
// scripts, and to any installed font that covers a character neither has.
constexpr const char* font_families = "DejaVu Sans,Noto Sans";

struct rgb {
  double r, g, b;
};
constexpr rgb ink{1.0, 1.0, 1.0};
constexpr rgb soft_ink{0.98, 0.86, 0.90};

// Text as Pango may draw it: valid UTF-8 on one line.
std::string drawable(const std::string& text) {
  std::unique_ptr<gchar, gchar_release> valid(g_utf8_make_valid(text.data(), static_cast<gssize>(text.size())));
  std::string out(valid.get());
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return out;
}

enum class weight { regular, bold };

// One font map for the process, kept for its life: loading the fonts is most of a card's cost, and Pango's
// per-thread default map is never freed for a pool thread (a leak to the sanitizers). A font map is not
// thread-safe, so cards are drawn one at a time under `drawing`.
std::mutex drawing;
PangoFontMap* font_map() {
  static PangoFontMap* const map = pango_cairo_font_map_new();
  return map;
}

// One line of text centred between the margins with its top at `top`, ellipsized by its measured width.
void draw_line(cairo_t* cr, const std::string& text, double pixel_size, weight w, rgb colour, double top) {
  std::unique_ptr<PangoContext, gobject_release> context(pango_font_map_create_context(font_map()));
  pango_cairo_update_context(cr, context.get());
  std::unique_ptr<PangoLayout, gobject_release> layout(pango_layout_new(context.get()));
  std::unique_ptr<PangoFontDescription, font_release> font(pango_font_description_from_string(font_families));
  pango_font_description_set_absolute_size(font.get(), pixel_size * PANGO_SCALE);
  pango_font_description_set_weight(font.get(), w == weight::bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL);
  pango_layout_set_font_description(layout.get(), font.get());
  pango_layout_set_width(layout.get(), static_cast<int>((card_width - 2 * margin) * PANGO_SCALE));
  pango_layout_set_ellipsize(layout.get(), PANGO_ELLIPSIZE_END);
  pango_layout_set_single_paragraph_mode(layout.get(), TRUE);
  pango_layout_set_alignment(layout.get(), PANGO_ALIGN_CENTER);
  const auto line = drawable(text);
  pango_layout_set_text(layout.get(), line.data(), static_cast<int>(line.size()));
  cairo_set_source_rgb(cr, colour.r, colour.g, colour.b);
  cairo_move_to(cr, margin, top);
  pango_cairo_show_layout(cr, layout.get());
}

void draw_background(cairo_t* cr) {
  std::unique_ptr<cairo_pattern_t, pattern_release> gradient(
      cairo_pattern_create_linear(0, 0, card_width, card_height));
  cairo_pattern_add_color_stop_rgb(gradient.get(), 0, 0.64, 0.07, 0.23);
  cairo_pattern_add_color_stop_rgb(gradient.get(), 1, 0.33, 0.04, 0.16);
  cairo_set_source(cr, gradient.get());
  cairo_paint(cr);
}

void draw_song(cairo_t* cr, const song_preview& song) {
  draw_line(cr, "A song for", 44, weight::regular, soft_ink, 150);
  draw_line(cr, song.recipient, 104, weight::bold, ink, 215);
  draw_line(cr, "from " + song.sender, 52, weight::regular, ink, 375);
  if (song.duration) draw_line(cr, "♪ " + clock_text(*song.duration), 40, weight::regular, soft_ink, 465);
}

void draw_nobody(cairo_t* cr) {
  draw_line(cr, "A song for someone you love", 76, weight::bold, ink, 220);
  draw_line(cr, "Tell their story. Serenade writes it and sings it.", 40, weight::regular, soft_ink, 350);
}

cairo_status_t append_to_string(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

}  // namespace

std::string render_card_png(const std::optional<song_preview>& song) {
  std::lock_guard lock(drawing);
  std::unique_ptr<cairo_surface_t, cairo_surface_release> surface(
      cairo_image_surface_create(CAIRO_FORMAT_RGB24, card_width, card_height));
  std::unique_ptr<cairo_t, cairo_release> cr(cairo_create(surface.get()));
  draw_background(cr.get());
  draw_line(cr.get(), "♥ Serenade", 36, weight::bold, soft_ink, 56);
  if (song) {
    draw_song(cr.get(), *song);
  } else {
    draw_nobody(cr.get());
  }
  if (cairo_status(cr.get()) != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("card drawing failed: ") + cairo_status_to_string(cairo_status(cr.get())));
  }
  cairo_surface_flush(surface.get());
  std::string png;
  const auto written = cairo_surface_write_to_png_stream(surface.get(), append_to_string, &png);
  if (written != CAIRO_STATUS_SUCCESS) {
    throw std::runtime_error(std::string("card encoding failed: ") + cairo_status_to_string(written));
  }
  return png;
}

}  // namespace serenade::card
