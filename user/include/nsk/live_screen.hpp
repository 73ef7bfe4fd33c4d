// The live screen on a terminal (live and drops on a TTY, live --replay): an output of the
// session that draws each interval's page in place on the alternate screen (screen.hpp renders
// it), reads keys between intervals (views, sort, help, q), redraws at once on a resize, and at
// the end leaves the screen and prints the summary on the normal one, as the text printer does.
#pragma once

#include "nsk/report.hpp"
#include "nsk/screen.hpp"
#include "nsk/session.hpp"
#include "nsk/terminal.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <ostream>

namespace nsk {

class LiveScreen : public SessionOutput {
public:
    struct Options {
        bool color = false;
        ReportMode mode = ReportMode::full; // drops: start in the drops view
        double interval_s = 1;         // said on the page before the first interval (0: not said)
        std::function<void()> on_quit; // q: stop the collection (it then calls summary())
    };
    /// Take the terminal (Terminal::open); nullptr when stdout is not a terminal in the
    /// foreground: then print as text.
    static std::unique_ptr<LiveScreen> open(std::ostream &out, Options o);
    ~LiveScreen() override;

    void interval(const Summary &s, int n, double interval_s) override;
    /// Leave the screen, then the text summary on the normal screen.
    void summary(const Summary &s) override;
    /// A replay's mode, known from its header before the first interval.
    void set_mode(ReportMode m);

    /// Readable when there is input: wait on it beside other work, then call input().
    int fd() const { return term_->fd(); }
    /// Read keys and resizes (never blocks) and redraw if anything changed.
    void input();
    /// Notes meant for stderr: while the screen is up they are kept (the last one is shown on
    /// the screen) and written to stderr when it closes; after that they go straight there.
    std::ostream &notes() { return notes_; }
    /// Leave the screen now (idempotent) and write the kept notes.
    void close();

private:
    class NoteBuf : public std::streambuf {
    public:
        std::string kept;
        bool hold = true;

    protected:
        int overflow(int c) override;
        std::streamsize xsputn(const char *s, std::streamsize n) override;
    };

    LiveScreen(std::ostream &out, Options o, std::unique_ptr<Terminal> t);
    void draw(bool full = false);

    std::ostream &out_;
    Options o_;
    std::unique_ptr<Terminal> term_;
    ScreenOptions so_;
    std::optional<Summary> last_;
    std::uint64_t last_events_ = 0;
    double last_elapsed_ = 0;
    bool stopping_ = false;
    NoteBuf note_buf_;
    std::ostream notes_{&note_buf_};
};

} // namespace nsk
