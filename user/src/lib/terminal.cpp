#include "nsk/terminal.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace nsk {
namespace {

// State shared with the signal handlers.  Written by open()/close() with the handled signals
// blocked; the handlers only read the fds and termios and flip the flags.
volatile std::sig_atomic_t g_open = 0;   // a Terminal is open: it wants the screen
volatile std::sig_atomic_t g_active = 0; // the terminal is in our mode right now
volatile std::sig_atomic_t g_resized = 0;
volatile std::sig_atomic_t g_redraw = 0;
int g_in = -1;              // keyboard whose termios we change (-1: none)
int g_pipe[2] = {-1, -1};   // self-pipe: a handler wakes the poll of the main loop
termios g_saved{}, g_raw{}; // termios before, and ours (no canonical mode, no echo)
std::terminate_handler g_prev_terminate = nullptr;

constexpr char kEnter[] = "\033[?1049h\033[?25l";        // alternate screen, hide cursor
constexpr char kLeave[] = "\033[0m\033[?25h\033[?1049l"; // attributes off, cursor, normal screen

// Signals that end the process: restore, then the default action.  Only taken over while their
// disposition is the default (an ignored SIGHUP stays ignored).
constexpr int kFatal[] = {SIGINT,  SIGTERM, SIGHUP, SIGQUIT, SIGABRT,
                          SIGSEGV, SIGBUS,  SIGFPE, SIGILL};
// Signals that touch the screen, held off while a frame is written.
constexpr int kScreen[] = {SIGWINCH, SIGTSTP, SIGCONT};

struct Saved {
    int sig;
    bool installed;
    struct sigaction old;
};
Saved g_saved_actions[std::size(kFatal) + std::size(kScreen)];

void write_all(const char *p, std::size_t n) noexcept
{
    while (n > 0) {
        const ssize_t w = ::write(STDOUT_FILENO, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

bool foreground() noexcept
{
    return tcgetpgrp(STDOUT_FILENO) == getpgrp();
}

// Async-signal-safe: termios, write.
void leave_tty() noexcept
{
    if (!g_active)
        return;
    g_active = 0;
    if (g_in >= 0)
        tcsetattr(g_in, TCSADRAIN, &g_saved);
    write_all(kLeave, sizeof(kLeave) - 1);
}

void enter_tty() noexcept
{
    if (!g_open)
        return;
    if (g_in >= 0)
        tcsetattr(g_in, TCSADRAIN, &g_raw);
    write_all(kEnter, sizeof(kEnter) - 1);
    g_active = 1;
}

void poke() noexcept
{
    if (g_pipe[1] >= 0) {
        const char c = 0;
        [[maybe_unused]] const auto n = ::write(g_pipe[1], &c, 1); // full pipe: already woken
    }
}

void set_handler(int sig, void (*h)(int), int flags, struct sigaction *old) noexcept
{
    struct sigaction sa {};
    sa.sa_handler = h;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    sigaction(sig, &sa, old);
}

void unblock(int sig) noexcept
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(SIG_UNBLOCK, &s, nullptr);
}

extern "C" void on_fatal(int sig)
{
    leave_tty();
    set_handler(sig, SIG_DFL, 0, nullptr);
    unblock(sig);
    raise(sig); // a fault re-raises on return anyway
}

extern "C" void on_winch(int)
{
    const int e = errno;
    g_resized = 1;
    poke();
    errno = e;
}

// Ctrl-Z: give the shell its terminal back, stop; on_cont takes it again when continued.
extern "C" void on_tstp(int)
{
    const int e = errno;
    leave_tty();
    struct sigaction ours {};
    set_handler(SIGTSTP, SIG_DFL, 0, &ours);
    unblock(SIGTSTP);
    raise(SIGTSTP); // stops here until SIGCONT
    sigaction(SIGTSTP, &ours, nullptr);
    errno = e;
}

// Continued (after Ctrl-Z, or a SIGSTOP from outside that did not restore anything): the shell
// may have reset the terminal, so enter again (only in the foreground) and redraw everything.
extern "C" void on_cont(int)
{
    const int e = errno;
    if (g_open && foreground()) {
        g_active = 0;
        enter_tty();
    }
    g_redraw = 1;
    poke();
    errno = e;
}

void on_terminate()
{
    leave_tty();
    if (g_prev_terminate)
        g_prev_terminate();
    std::abort();
}

/// Block the screen's signals (and the fatal ones) for a scope.
class Hold {
public:
    explicit Hold(bool fatal_too = false)
    {
        sigset_t s;
        sigemptyset(&s);
        for (int sig : kScreen)
            sigaddset(&s, sig);
        if (fatal_too)
            for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT})
                sigaddset(&s, sig);
        pthread_sigmask(SIG_BLOCK, &s, &old_);
    }
    ~Hold() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
    Hold(const Hold &) = delete;
    Hold &operator=(const Hold &) = delete;

private:
    sigset_t old_;
};

} // namespace

std::unique_ptr<Terminal> Terminal::open()
{
    if (g_open || !isatty(STDOUT_FILENO))
        return nullptr;
    const char *term = std::getenv("TERM");
    if (term && std::strcmp(term, "dumb") == 0)
        return nullptr;
    if (!foreground()) // a background job would stop on its first tcsetattr (SIGTTOU)
        return nullptr;

    std::unique_ptr<Terminal> t(new Terminal);
    Hold hold(true);
    if (isatty(STDIN_FILENO)) {
        t->in_ = STDIN_FILENO;
    } else {
        t->in_ = ::open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY);
        t->own_in_ = t->in_ >= 0;
    }
    if (t->in_ >= 0 && tcgetattr(t->in_, &g_saved) == 0) {
        g_raw = g_saved;
        g_raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO); // keys at once, not echoed
        g_raw.c_cc[VMIN] = 0; // read() returns what is there, never blocks
        g_raw.c_cc[VTIME] = 0;
        g_in = t->in_;
    } else { // no keyboard: the screen still works, q does not
        if (t->own_in_)
            ::close(t->in_);
        t->in_ = -1;
        t->own_in_ = false;
        g_in = -1;
    }
    if (pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC) != 0) {
        g_pipe[0] = g_pipe[1] = -1;
        if (t->own_in_)
            ::close(t->in_);
        return nullptr;
    }
    t->epoll_ = epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = g_pipe[0];
    epoll_ctl(t->epoll_, EPOLL_CTL_ADD, g_pipe[0], &ev);
    if (t->in_ >= 0) {
        ev.data.fd = t->in_;
        epoll_ctl(t->epoll_, EPOLL_CTL_ADD, t->in_, &ev);
    }

    std::size_t i = 0;
    for (int sig : kFatal) {
        Saved &s = g_saved_actions[i++];
        s.sig = sig;
        sigaction(sig, nullptr, &s.old);
        s.installed = s.old.sa_handler == SIG_DFL;
        if (s.installed)
            set_handler(sig, on_fatal, SA_RESETHAND | SA_NODEFER, nullptr);
    }
    for (int sig : kScreen) {
        Saved &s = g_saved_actions[i++];
        s.sig = sig;
        sigaction(sig, nullptr, &s.old);
        s.installed = sig != SIGTSTP || s.old.sa_handler == SIG_DFL;
        if (s.installed)
            set_handler(sig,
                        sig == SIGWINCH  ? on_winch
                        : sig == SIGTSTP ? on_tstp
                                         : on_cont,
                        SA_RESTART, nullptr);
    }
    g_prev_terminate = std::set_terminate(on_terminate);
    static const bool at_exit = std::atexit([] { leave_tty(); }) == 0;
    (void)at_exit;

    g_resized = g_redraw = 0;
    g_open = 1;
    t->open_ = true;
    enter_tty();
    return t;
}

Terminal::~Terminal()
{
    close();
}

void Terminal::close()
{
    if (!open_)
        return;
    open_ = false;
    Hold hold(true);
    leave_tty();
    g_open = 0;
    for (const Saved &s : g_saved_actions) {
        if (!s.installed)
            continue;
        // A handler installed after ours (the collection's SIGINT) restores ours when it is
        // done; ours then only takes the default action, which is what it replaced.
        struct sigaction now {};
        sigaction(s.sig, nullptr, &now);
        if (now.sa_handler == on_fatal || now.sa_handler == on_winch || now.sa_handler == on_tstp ||
            now.sa_handler == on_cont)
            sigaction(s.sig, &s.old, nullptr);
    }
    std::set_terminate(g_prev_terminate);
    g_in = -1;
    ::close(epoll_);
    ::close(g_pipe[0]);
    ::close(g_pipe[1]);
    g_pipe[0] = g_pipe[1] = -1;
    if (own_in_)
        ::close(in_);
    epoll_ = in_ = -1;
}

bool Terminal::active() const
{
    return open_ && g_active;
}

std::pair<int, int> Terminal::size() const
{
    winsize ws{};
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 && ws.ws_row > 0)
        return {ws.ws_col, ws.ws_row};
    return {80, 24};
}

Terminal::Input Terminal::read()
{
    Input r;
    if (!open_)
        return r;
    char buf[256];
    while (::read(g_pipe[0], buf, sizeof(buf)) > 0)
        ;
    {
        Hold hold;
        r.resized = g_resized;
        r.redraw = g_redraw;
        g_resized = g_redraw = 0;
    }
    if (in_ < 0)
        return r;
    epoll_event evs[2];
    const int n = epoll_wait(epoll_, evs, 2, 0);
    for (int i = 0; i < n; ++i)
        if (evs[i].data.fd == in_ && (evs[i].events & (EPOLLHUP | EPOLLERR))) {
            forget_keyboard(); // hung up (an ignored SIGHUP): no more keys
            return r;
        }
    // The keyboard is watched only while the screen is ours: in the background, what is typed
    // belongs to the shell (and reading it would stop us with SIGTTIN).
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = in_;
    const bool want = g_active;
    if (want != watching_) {
        epoll_ctl(epoll_, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, in_, &ev);
        watching_ = want;
    }
    if (!want)
        return r;
    for (;;) {
        const ssize_t k = ::read(in_, buf, sizeof(buf));
        if (k > 0) {
            r.keys.append(buf, static_cast<std::size_t>(k));
            continue;
        }
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0 && errno != EAGAIN)
            forget_keyboard(); // the terminal is gone
        break;
    }
    return r;
}

void Terminal::forget_keyboard()
{
    if (watching_)
        epoll_ctl(epoll_, EPOLL_CTL_DEL, in_, nullptr);
    watching_ = false;
    if (own_in_) {
        Hold hold(true);
        g_in = -1; // the handlers must not touch a closed (or reused) descriptor
        ::close(in_);
    }
    in_ = -1;
    own_in_ = false;
}

void Terminal::write(std::string_view s)
{
    Hold hold; // Ctrl-Z or a resize in the middle of a frame would cut an escape sequence
    if (active())
        write_all(s.data(), s.size());
}

} // namespace nsk
