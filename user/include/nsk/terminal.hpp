// The terminal of a full-screen program (the live screen): the alternate screen, a hidden
// cursor, keys read one at a time without echo, and the way back.  The terminal is restored on
// every way out: close() or the destructor (normal end, error paths, exceptions), std::terminate
// and exit(), the signals that end the process (SIGINT and SIGTERM unless the collection's own
// handlers take them, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, ...: a signal-safe restore, then the
// signal's default action), and Ctrl-Z (restored before stopping, re-entered on SIGCONT).
// One per process at a time: the signal handlers share its state.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace nsk {

class Terminal {
public:
    /// Enter full-screen mode on stdout's terminal.  nullptr, and nothing changed, when stdout
    /// is not a terminal, TERM is "dumb", or this process is not in the terminal's foreground.
    /// Keys are read from stdin when it is that terminal, else from /dev/tty (none if neither).
    static std::unique_ptr<Terminal> open();
    ~Terminal();
    Terminal(const Terminal &) = delete;
    Terminal &operator=(const Terminal &) = delete;

    /// Leave full-screen mode now (idempotent): termios, cursor, normal screen, signal handlers.
    void close();
    /// Open and showing the screen (false after close(), while stopped, or in the background).
    bool active() const;
    /// Columns and rows now (TIOCGWINSZ; 80x24 when it fails).
    std::pair<int, int> size() const;
    /// Readable when a key was typed or a signal asks for a redraw (resize, continue): wait on
    /// it with poll() beside other work, then call read().
    int fd() const { return epoll_; }

    struct Input {
        std::string keys;     // bytes typed since the last read
        bool resized = false; // SIGWINCH: ask size() again
        bool redraw = false;  // the screen was lost (continued after Ctrl-Z): draw everything
    };
    /// What happened since the last call; never blocks.
    Input read();
    /// Write a frame in full; the signals that touch the screen wait until it is written.
    void write(std::string_view s);

private:
    Terminal() = default;
    void forget_keyboard();
    int epoll_ = -1;
    int in_ = -1;          // keyboard (-1: none)
    bool own_in_ = false;  // in_ is /dev/tty, opened here
    bool watching_ = true; // in_ is in the epoll set
    bool open_ = false;
};

} // namespace nsk
