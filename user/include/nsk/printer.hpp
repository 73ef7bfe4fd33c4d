// Printer: the session output of a pipe or a file — each interval report appended as text
// (titled "interval N (cumulative)") or as one JSON Lines object, then the summary.  What live
// and drops print when stdout is not a terminal, and what report prints.  (On a terminal the
// live screen, live_screen.hpp, takes its place.)
#pragma once

#include "nsk/report.hpp"
#include "nsk/session.hpp"

#include <ostream>

namespace nsk {

struct PrinterOptions {
    bool json = false;
    bool intervals = true; // print interval reports (record: only the summary)
    ReportMode mode = ReportMode::full;
};

class Printer : public SessionOutput {
public:
    Printer(std::ostream &out, PrinterOptions o) : out_(out), o_(o) {}
    void interval(const Summary &s, int n, double interval_s) override;
    void summary(const Summary &s) override;
    /// A replay's mode, known from its header before the first report.
    void set_mode(ReportMode m) { o_.mode = m; }

private:
    std::ostream &out_;
    PrinterOptions o_;
    int printed_ = 0;
};

} // namespace nsk
