// The live screen: a top-like page redrawn in place on a terminal (live and drops on a TTY,
// live --replay), its three views, the sort order of its socket table and the keys that change
// them.  Pure: rendering and key handling are functions of a summary and the options, so tests
// check them on fixed summaries; live_screen.hpp puts the pages on the terminal.
#pragma once

#include "nsk/report.hpp"
#include "nsk/summary.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace nsk {

/// What the page is about: the receive path, the send path, or drops.
enum class ScreenView { receive, send, drops };

/// Sort column of the socket table, in the order `<` and `>` step through them.
enum class SortKey { local, pid, rx, tx, drops, queue_p99, send_p99 };

struct ScreenOptions {
    int width = 80;  // terminal columns: no line is longer
    int height = 24; // terminal rows: the page has at most this many lines
    bool color = false;
    ReportMode mode = ReportMode::full; // drops: no stages
    ScreenView view = ScreenView::receive;
    SortKey sort = SortKey::drops;
    bool ascending = false;
    bool help = false;   // the key help instead of the report
    bool footer = false; // the interactive screen: key line on the last row, page padded to it
    int interval = 0;    // interval number shown in the header
    double rate = 0;     // events per second over the last interval
    int max_stages = 4;  // busiest stages shown with bars
    int max_sockets = 8;
    std::string note; // one line above the footer (e.g. "stopping ...", a note of the tool)
};

/// One page: header (elapsed, events, rate), the view's journeys and busiest stages as log2 bars
/// with p50/p99 (receive, send) or drops by reason and the kernel's drop counters (drops), the
/// socket table in the chosen order, the loss ledger (warning colour when non-zero).  Lines are
/// cut to `width`; when the page does not fit `height`, its last line says how many were cut.
/// With `footer`, the last row is the key line and the page fills the terminal exactly.
std::string render_screen(const Summary &s, const ScreenOptions &o);

/// The page shown before the first interval (header, a waiting line, the footer).
std::string render_waiting(const ScreenOptions &o, std::string_view what);

/// The socket table's order: by `key` (descending unless `ascending`); rows without a value for
/// the key (no pid, no queue samples) last; ties by drops, rx packets, then local address.
std::vector<const SocketRow *> sort_sockets(const std::vector<SocketRow> &rows, SortKey key,
                                            bool ascending);
/// "drops", "rx packets", "queue p99", ... (the table title and the footer).
std::string_view sort_key_name(SortKey k);
std::string_view view_name(ScreenView v);

/// What a key did: nothing, a change to redraw, or quit.
enum class KeyAction { none, redraw, quit };
/// Apply one key to the screen's state: q quit; r s d (Tab: next) views; < > sort column;
/// i invert the order; h ? help (any key leaves it); Ctrl-L redraw.
KeyAction apply_key(ScreenOptions &o, char key);

/// Terminal bytes drawing `page` in place from the top-left corner: each line, then clear to
/// the end of that line, then clear below the last line; no full-screen clear (no flicker) and
/// never a scroll (at most `height` lines, no line break after the last row).
std::string paint_frame(std::string_view page, int width, int height);

/// Display width of UTF-8 text (code points; the report uses no wide characters); ANSI CSI
/// sequences (colours) take no room.
std::size_t display_width(std::string_view s);
/// Cut UTF-8 text to at most `width` columns.
std::string fit_width(std::string_view s, std::size_t width);

} // namespace nsk
