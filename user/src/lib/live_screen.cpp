#include "nsk/live_screen.hpp"

#include <cstdio>
#include <iostream>

namespace nsk {

int LiveScreen::NoteBuf::overflow(int c)
{
    if (c == traits_type::eof())
        return 0;
    const char ch = static_cast<char>(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
}

std::streamsize LiveScreen::NoteBuf::xsputn(const char *s, std::streamsize n)
{
    if (hold)
        kept.append(s, static_cast<std::size_t>(n));
    else
        std::cerr.write(s, n).flush();
    return n;
}

std::unique_ptr<LiveScreen> LiveScreen::open(std::ostream &out, Options o)
{
    auto t = Terminal::open();
    if (!t)
        return nullptr;
    std::unique_ptr<LiveScreen> s(new LiveScreen(out, std::move(o), std::move(t)));
    s->draw();
    return s;
}

LiveScreen::LiveScreen(std::ostream &out, Options o, std::unique_ptr<Terminal> t)
    : out_(out), o_(std::move(o)), term_(std::move(t))
{
    so_.color = o_.color;
    so_.footer = true;
    so_.max_sockets = 100; // as many as the room gives
    set_mode(o_.mode);
}

LiveScreen::~LiveScreen()
{
    close();
}

void LiveScreen::set_mode(ReportMode m)
{
    o_.mode = m;
    if (!last_)
        so_.view = m == ReportMode::drops ? ScreenView::drops : ScreenView::receive;
}

void LiveScreen::close()
{
    term_->close();
    note_buf_.hold = false;
    if (!note_buf_.kept.empty()) {
        std::cerr << note_buf_.kept << std::flush;
        note_buf_.kept.clear();
    }
}

void LiveScreen::draw(bool full)
{
    if (!term_->active())
        return; // stopped, in the background, or closed
    const auto [w, h] = term_->size();
    so_.width = w;
    so_.height = h;
    // The last note (without the "netstack-kmon: " every note starts with) on its own line.
    so_.note.clear();
    if (stopping_) {
        so_.note = "stopping: reading what the kernel already sent ...";
    } else if (!note_buf_.kept.empty()) {
        std::string_view k = note_buf_.kept;
        while (!k.empty() && k.back() == '\n')
            k.remove_suffix(1);
        k = k.substr(k.rfind('\n') == std::string_view::npos ? 0 : k.rfind('\n') + 1);
        if (k.rfind("netstack-kmon: ", 0) == 0)
            k.remove_prefix(15);
        so_.note = std::string(k);
    }
    std::string page;
    if (last_) {
        page = render_screen(*last_, so_);
    } else {
        char every[64] = "";
        if (o_.interval_s > 0)
            std::snprintf(every, sizeof(every), " (every %g s)", o_.interval_s);
        page = render_waiting(so_, "waiting for the first report" + std::string(every) + " ...");
    }
    term_->write((full ? "\033[2J" : "") + paint_frame(page, w, h));
}

void LiveScreen::input()
{
    const auto in = term_->read();
    bool redraw = in.resized || in.redraw;
    bool full = in.redraw;
    for (const char c : in.keys) {
        const auto act = apply_key(so_, c);
        if (act == KeyAction::quit && !stopping_) {
            stopping_ = true;
            if (o_.on_quit)
                o_.on_quit();
            redraw = true;
            break;
        }
        if (act == KeyAction::redraw) {
            redraw = true;
            full = full || c == '\f';
        }
    }
    if (redraw)
        draw(full);
}

void LiveScreen::interval(const Summary &s, int n, double /*interval_s*/)
{
    so_.interval = n;
    const double dt = s.duration_s - last_elapsed_;
    so_.rate = dt > 0 ? static_cast<double>(s.events - last_events_) / dt : 0;
    last_events_ = s.events;
    last_elapsed_ = s.duration_s;
    last_ = s;
    draw();
}

void LiveScreen::summary(const Summary &s)
{
    close();
    TextOptions t;
    t.mode = o_.mode;
    out_ << summary_text(s, t);
    out_.flush();
}

} // namespace nsk
