#include "nsk/printer.hpp"

#include <nlohmann/json.hpp>

namespace nsk {

void Printer::interval(const Summary &s, int n, double interval_s)
{
    if (!o_.intervals)
        return;
    if (o_.json) {
        out_ << summary_json(s, "interval", interval_s).dump() << '\n';
    } else {
        TextOptions t;
        t.mode = o_.mode;
        t.title = "interval " + std::to_string(n) + " (cumulative)";
        if (printed_)
            out_ << '\n';
        out_ << summary_text(s, t);
    }
    ++printed_;
    out_.flush();
}

void Printer::summary(const Summary &s)
{
    if (o_.json) {
        out_ << summary_json(s).dump() << '\n';
    } else {
        TextOptions t;
        t.mode = o_.mode;
        if (printed_)
            out_ << '\n';
        out_ << summary_text(s, t);
    }
    ++printed_;
    out_.flush();
}

} // namespace nsk
