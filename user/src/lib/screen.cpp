#include "nsk/screen.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace nsk {
namespace {

constexpr const char *kBold = "\033[1m";
constexpr const char *kWarn = "\033[1;31m"; // bold red
constexpr const char *kOk = "\033[32m";
constexpr const char *kReset = "\033[0m";

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
    return buf;
}

std::string hms(double s)
{
    const auto t = static_cast<long long>(s);
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%02lld:%02lld:%02lld", t / 3600, (t / 60) % 60, t % 60);
    return buf;
}

std::vector<std::string> split_lines(const std::string &text)
{
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        out.push_back(line);
    return out;
}

/// Log2 bars of the `max_lines` adjacent non-empty-range buckets holding the most samples.
std::vector<std::string> bars(const Histogram &h, int bar_width, int max_lines)
{
    std::vector<std::string> out;
    if (h.count() == 0 || max_lines <= 0)
        return out;
    int first = -1, last = -1;
    std::vector<std::uint64_t> c(Histogram::kBuckets, 0);
    for (const auto &b : h.nonempty()) {
        const int i = Histogram::bucket_of(b.lower_ns);
        c[static_cast<std::size_t>(i)] = b.count;
        if (first < 0)
            first = i;
        last = i;
    }
    int lo = first, hi = last;
    if (hi - lo + 1 > max_lines) {
        std::uint64_t best = 0;
        for (int s = first; s + max_lines - 1 <= last; ++s) {
            std::uint64_t sum = 0;
            for (int i = s; i < s + max_lines; ++i)
                sum += c[static_cast<std::size_t>(i)];
            if (sum > best) {
                best = sum;
                lo = s;
            }
        }
        hi = lo + max_lines - 1;
    }
    std::uint64_t peak = 1;
    for (int i = lo; i <= hi; ++i)
        peak = std::max(peak, c[static_cast<std::size_t>(i)]);
    std::size_t lw = 0, cw = 0;
    std::vector<std::string> labels, counts;
    for (int i = lo; i <= hi; ++i) {
        labels.push_back("[" + pow2_label(Histogram::bucket_lower(i)) + ", " +
                         pow2_label(Histogram::bucket_upper(i)) + ")");
        counts.push_back(std::to_string(c[static_cast<std::size_t>(i)]));
        lw = std::max(lw, labels.back().size());
        cw = std::max(cw, counts.back().size());
    }
    for (int i = lo; i <= hi; ++i) {
        const auto k = static_cast<std::size_t>(i - lo);
        const auto v = c[static_cast<std::size_t>(i)];
        auto n = static_cast<int>(static_cast<double>(v) * bar_width / static_cast<double>(peak));
        if (v > 0 && n == 0)
            n = 1;
        std::string line = "    " + labels[k];
        line.append(lw - labels[k].size() + 1, ' ');
        line.append(cw - counts[k].size(), ' ');
        line += counts[k] + " |";
        line.append(static_cast<std::size_t>(n), '@');
        line.append(static_cast<std::size_t>(bar_width - n), ' ');
        line += "|";
        out.push_back(std::move(line));
    }
    return out;
}

std::string loss_text(const LossLedger &l)
{
    std::string out = "loss: ring " + std::to_string(l.ring) + ", netlink " +
                      std::to_string(l.netlink) + ", user " + std::to_string(l.user) +
                      ", incomplete journeys " + std::to_string(l.incomplete_journeys);
    if (l.enobufs)
        out += " (" + std::to_string(l.enobufs) + " ENOBUFS)";
    if (l.probe_missed)
        out += ", probe hits skipped by the kernel " + std::to_string(l.probe_missed);
    return out + (l.any() ? "  <- events were lost: numbers are lower bounds" : "");
}

} // namespace

std::size_t display_width(std::string_view s)
{
    std::size_t n = 0;
    for (unsigned char ch : s)
        if ((ch & 0xC0) != 0x80)
            ++n;
    return n;
}

std::string fit_width(std::string_view s, std::size_t width)
{
    std::size_t cols = 0, i = 0;
    for (; i < s.size(); ++i) {
        const auto ch = static_cast<unsigned char>(s[i]);
        if ((ch & 0xC0) != 0x80) {
            if (cols == width)
                break;
            ++cols;
        }
    }
    return std::string(s.substr(0, i));
}

std::string render_screen(const Summary &s, const ScreenOptions &o)
{
    const auto width = static_cast<std::size_t>(std::max(20, o.width));
    const int height = std::max(8, o.height);
    struct Line {
        std::string text;
        const char *color = nullptr;
    };
    std::vector<Line> top, stages, socks, bottom;

    // Header: what, how long, how fast.
    top.push_back({"netstack-kmon live  " + hms(s.duration_s) + " elapsed  " +
                       std::to_string(s.events) + " events  " + fixed(o.rate, 0) + " ev/s" +
                       (o.interval ? "  [interval " + std::to_string(o.interval) + "]" : ""),
                   kBold});
    top.push_back({"kernel " + (s.kernel.empty() ? std::string("?") : s.kernel) + "  module " +
                   (s.module_version.empty() ? std::string("?") : s.module_version) +
                   "  filters: " + filters_text(s.filters)});
    const auto &j = s.rx_journeys;
    top.push_back({"rx journeys: " + std::to_string(j.complete) + " complete  " +
                   std::to_string(j.dropped) + " dropped  " + std::to_string(j.incomplete) +
                   " incomplete  " + std::to_string(j.in_flight) + " in flight"});

    // Sampling and the governor, when either is at work: what the counts are of.
    const SamplingInfo &si = s.sampling;
    if (si.sampled() || !si.changes.empty()) {
        std::string l = "sampling 1/" + std::to_string(si.divisor(si.changes.size())) + " now";
        if (si.recorded && si.budget)
            l += "  governor: " + std::to_string(si.changes.size()) + " change(s), budget " +
                 std::to_string(si.budget) + "/s per CPU";
        if (s.estimated.available)
            l += "  estimates: rx ~" + std::to_string(s.estimated.scaled.rx_packets) + " drops ~" +
                 std::to_string(s.estimated.scaled.drops);
        top.push_back({l, kWarn});
    }

    // Loss ledger, always shown, in the warning colour when anything was lost.
    bottom.push_back({""});
    bottom.push_back({loss_text(s.loss), s.loss.any() ? kWarn : kOk});
    if (!s.mismatches.empty())
        bottom.push_back({"MISMATCH: " + s.mismatches.front(), kWarn});

    // Top sockets by drops.
    std::vector<const SocketRow *> rows;
    for (const auto &r : s.sockets)
        rows.push_back(&r);
    std::stable_sort(rows.begin(), rows.end(), [](const SocketRow *a, const SocketRow *b) {
        if (a->drops_total != b->drops_total)
            return a->drops_total > b->drops_total;
        return a->rx_packets > b->rx_packets;
    });
    const int room = height - static_cast<int>(top.size() + bottom.size());
    const int sock_rows =
        std::min<int>({static_cast<int>(rows.size()), o.max_sockets, std::max(1, room / 3)});
    socks.push_back({""});
    socks.push_back({"Top sockets by drops", kBold});
    if (rows.empty()) {
        socks.push_back({"  (none yet)"});
    } else {
        std::vector<std::vector<std::string>> t{{"PROTO", "LOCAL", "REMOTE", "PID", "COMM", "RX",
                                                 "DROPS", "KERNEL", "QUEUE p99", "REASONS"}};
        for (int i = 0; i < sock_rows; ++i) {
            const SocketRow &r = *rows[static_cast<std::size_t>(i)];
            std::string reasons;
            for (const auto &[k, v] : r.drops)
                reasons += (reasons.empty() ? "" : " ") + k + ":" + std::to_string(v);
            const auto q = r.queue.summary();
            t.push_back({r.proto, r.local.empty() ? "?" : r.local,
                         r.remote.empty() ? "?" : r.remote, r.pid ? std::to_string(*r.pid) : "-",
                         r.comm.empty() ? "-" : r.comm, std::to_string(r.rx_packets),
                         std::to_string(r.drops_total),
                         r.kernel_drops_delta ? std::to_string(*r.kernel_drops_delta) : "-",
                         q.count ? human_ns(q.p99_ns) : "-", reasons.empty() ? "-" : reasons});
        }
        for (auto &l : split_lines(render_table(t, {3, 5, 6, 7, 8}, "  ")))
            socks.push_back({l});
        if (static_cast<int>(rows.size()) > sock_rows)
            socks.push_back({"  ... " + std::to_string(rows.size() - sock_rows) + " more"});
    }

    // Busiest stages with bars, in the room left.
    if (o.mode == ReportMode::full) {
        int left = height - static_cast<int>(top.size() + socks.size() + bottom.size());
        std::vector<const StageRow *> st;
        for (const auto &r : s.stages)
            if (r.hist.count())
                st.push_back(&r);
        std::stable_sort(st.begin(), st.end(), [](const StageRow *a, const StageRow *b) {
            return a->hist.sum() > b->hist.sum(); // busiest: most time spent
        });
        if (static_cast<int>(st.size()) > o.max_stages)
            st.resize(static_cast<std::size_t>(o.max_stages));
        stages.push_back({""});
        stages.push_back({"Busiest stages (log2 ns)", kBold});
        left -= 2;
        if (st.empty()) {
            stages.push_back({"  (no complete stage yet)"});
        } else {
            const int per = std::max(1, left / static_cast<int>(st.size())) - 1;
            const int bar_width = std::clamp(static_cast<int>(width) - 30, 10, 50);
            for (const auto *r : st) {
                if (left <= 0)
                    break;
                const auto q = r->hist.summary();
                stages.push_back({"  " + r->from + " → " + r->to +
                                  (r->path == "queue" ? " (in queue)" : "") +
                                  "  n=" + std::to_string(q.count) + "  p50 " + human_ns(q.p50_ns) +
                                  "  p99 " + human_ns(q.p99_ns) + "  max " + human_ns(q.max_ns)});
                --left;
                for (auto &b : bars(r->hist, bar_width, std::min(per, left))) {
                    stages.push_back({b});
                    --left;
                }
            }
        }
    }

    std::string out;
    int lines = 0;
    for (const auto *sec : {&top, &stages, &socks, &bottom})
        for (const auto &l : *sec) {
            if (lines >= height)
                break;
            const std::string text = fit_width(l.text, width);
            if (o.color && l.color && !text.empty())
                out += l.color + text + kReset;
            else
                out += text;
            out += '\n';
            ++lines;
        }
    return out;
}

} // namespace nsk
