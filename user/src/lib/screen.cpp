#include "nsk/screen.hpp"

#include "nsk/format.hpp"
#include "nsk/reconciler.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace nsk {
namespace {

constexpr const char *kBold = "\033[1m";
constexpr const char *kWarn = "\033[1;31m"; // bold red
constexpr const char *kOk = "\033[32m";
constexpr const char *kBar = "\033[7m"; // reverse video: the footer
constexpr const char *kReset = "\033[0m";

struct Line {
    std::string text;
    const char *color = nullptr;
};
using Lines = std::vector<Line>;

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

std::vector<std::string> split_lines(std::string_view text)
{
    std::vector<std::string> out;
    while (!text.empty()) {
        const auto nl = text.find('\n');
        out.emplace_back(text.substr(0, nl));
        if (nl == std::string_view::npos)
            break;
        text.remove_prefix(nl + 1);
    }
    return out;
}

void append(Lines &to, const Lines &from)
{
    to.insert(to.end(), from.begin(), from.end());
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
    if (l.late)
        out += ", late (out of order) " + std::to_string(l.late);
    return out + (l.any() ? "  <- events were lost: numbers are lower bounds" : "");
}

// --- sections -----------------------------------------------------------------------------------

Lines header(const Summary &s, const ScreenOptions &o)
{
    Lines top;
    top.push_back({"netstack-kmon live  " + hms(s.duration_s) + " elapsed  " +
                       std::to_string(s.events) + " events  " + fixed(o.rate, 0) + " ev/s" +
                       (o.interval ? "  [interval " + std::to_string(o.interval) + "]" : ""),
                   kBold});
    top.push_back({"kernel " + (s.kernel.empty() ? std::string("?") : s.kernel) + "  module " +
                   (s.module_version.empty() ? std::string("?") : s.module_version) +
                   "  filters: " + filters_text(s.filters)});
    return top;
}

Line journeys(const Summary &s, ScreenView v)
{
    if (v == ScreenView::send) {
        const auto &t = s.tx_journeys;
        const auto q = s.tx.summary();
        return {"tx journeys: " + std::to_string(t.complete) + " reached the driver  " +
                std::to_string(t.dropped) + " dropped  " + std::to_string(t.incomplete) +
                " incomplete  " + std::to_string(t.in_flight) + " in flight" +
                (q.count ? "  send p50 " + human_ns(q.p50_ns) + " p99 " + human_ns(q.p99_ns)
                         : std::string())};
    }
    const auto &j = s.rx_journeys;
    if (v == ScreenView::drops) {
        std::uint64_t total = 0;
        for (const auto &d : s.drops)
            total += d.count;
        return {"drops: " + std::to_string(total) + " packets  (rx journeys dropped " +
                std::to_string(j.dropped) + ", tx journeys dropped " +
                std::to_string(s.tx_journeys.dropped) + ")"};
    }
    return {"rx journeys: " + std::to_string(j.complete) + " complete  " +
            std::to_string(j.dropped) + " dropped  " + std::to_string(j.incomplete) +
            " incomplete  " + std::to_string(j.in_flight) + " in flight"};
}

// Sampling and the governor, when either is at work: what the counts are of.
Lines sampling(const Summary &s)
{
    const SamplingInfo &si = s.sampling;
    if (!si.sampled() && si.changes.empty())
        return {};
    std::string l = "sampling 1/" + std::to_string(si.divisor(si.changes.size())) + " now";
    if (si.recorded && si.budget)
        l += "  governor: " + std::to_string(si.changes.size()) + " change(s), budget " +
             std::to_string(si.budget) + "/s per CPU";
    if (s.estimated.available)
        l += "  estimates: rx ~" + std::to_string(s.estimated.scaled.rx_packets) + " drops ~" +
             std::to_string(s.estimated.scaled.drops);
    return {{l, kWarn}};
}

// The kernel's drop and error counters that moved (drops view), as many as fit on two lines.
Lines drop_counters(const Summary &s, std::size_t width)
{
    std::vector<std::string> items;
    for (const auto &[k, v] : s.counters)
        if (v != 0 && is_drop_counter(k))
            items.push_back(k + " +" + std::to_string(v));
    Lines out{{"kernel drop counters (delta):" + std::string(items.empty() ? " none moved" : "")}};
    std::string line;
    for (const auto &it : items) {
        if (display_width(line) + 2 + display_width(it) > width && !line.empty()) {
            out.push_back({line});
            line.clear();
        }
        line += "  " + it;
    }
    if (!line.empty())
        out.push_back({line});
    if (out.size() > 3) {
        out.resize(3);
        out.back().text += " ...";
    }
    return out;
}

const char *column_of(SortKey k)
{
    switch (k) {
    case SortKey::local:
        return "LOCAL";
    case SortKey::pid:
        return "PID";
    case SortKey::rx:
        return "RX";
    case SortKey::tx:
        return "TX";
    case SortKey::drops:
        return "DROPS";
    case SortKey::queue_p99:
        return "QUEUE p99";
    case SortKey::send_p99:
        return "SEND p99";
    }
    return "";
}

std::string sort_arrow(bool ascending)
{
    return ascending ? "↑" : "↓";
}

std::string reasons_of(const SocketRow &r)
{
    std::string reasons;
    for (const auto &[k, v] : r.drops)
        reasons += (reasons.empty() ? "" : " ") + k + ":" + std::to_string(v);
    return reasons.empty() ? "-" : reasons;
}

// The socket table of the view, in the chosen order, at most `max_rows` rows.
Lines sockets(const Summary &s, const ScreenOptions &o, int max_rows)
{
    auto rows = sort_sockets(s.sockets, o.sort, o.ascending);
    if (o.view == ScreenView::drops)
        rows.erase(std::remove_if(rows.begin(), rows.end(),
                                  [](const SocketRow *r) {
                                      return r->drops_total == 0 &&
                                             r->kernel_drops_delta.value_or(0) == 0;
                                  }),
                   rows.end());
    const std::string by = std::string(sort_key_name(o.sort)) + (o.ascending ? ", ascending" : "");
    Lines out{{""}};
    out.push_back({(o.view == ScreenView::drops ? "Sockets with drops, by "
                    : o.ascending               ? "Sockets by "
                                                : "Top sockets by ") +
                       by,
                   kBold});
    if (rows.empty()) {
        out.push_back({o.view == ScreenView::drops ? "  (none)" : "  (none yet)"});
        return out;
    }
    const int n = std::min<int>(static_cast<int>(rows.size()), std::max(1, max_rows));
    std::vector<std::vector<std::string>> t;
    std::vector<std::size_t> right;
    switch (o.view) {
    case ScreenView::receive:
        t = {{"PROTO", "LOCAL", "REMOTE", "PID", "COMM", "RX", "DROPS", "KERNEL", "QUEUE p99",
              "REASONS"}};
        right = {3, 5, 6, 7, 8};
        break;
    case ScreenView::send:
        t = {{"PROTO", "LOCAL", "REMOTE", "PID", "COMM", "TX", "SEND p50", "SEND p99", "DROPPED"}};
        right = {3, 5, 6, 7, 8};
        break;
    case ScreenView::drops:
        t = {{"PROTO", "LOCAL", "REMOTE", "PID", "COMM", "RX", "DROPS", "KERNEL", "REASONS"}};
        right = {3, 5, 6, 7};
        break;
    }
    for (auto &h : t[0])
        if (h == column_of(o.sort))
            h += sort_arrow(o.ascending);
    for (int i = 0; i < n; ++i) {
        const SocketRow &r = *rows[static_cast<std::size_t>(i)];
        std::vector<std::string> row{
            r.proto, r.local.empty() ? "?" : r.local, r.remote.empty() ? "?" : r.remote,
            r.pid ? std::to_string(*r.pid) : "-", r.comm.empty() ? "-" : r.comm};
        const std::string kernel =
            r.kernel_drops_delta ? std::to_string(*r.kernel_drops_delta) : "-";
        if (o.view == ScreenView::send) {
            const auto q = r.tx.summary();
            for (auto c : {std::to_string(r.tx_packets), q.count ? human_ns(q.p50_ns) : "-",
                           q.count ? human_ns(q.p99_ns) : "-", std::to_string(r.tx_dropped)})
                row.push_back(c);
        } else {
            row.push_back(std::to_string(r.rx_packets));
            row.push_back(std::to_string(r.drops_total));
            row.push_back(kernel);
            if (o.view == ScreenView::receive) {
                const auto q = r.queue.summary();
                row.push_back(q.count ? human_ns(q.p99_ns) : "-");
            }
            row.push_back(reasons_of(r));
        }
        t.push_back(std::move(row));
    }
    for (auto &l : split_lines(render_table(t, right, "  ")))
        out.push_back({l});
    if (static_cast<int>(rows.size()) > n)
        out.push_back(
            {"  ... " + std::to_string(rows.size() - static_cast<std::size_t>(n)) + " more"});
    return out;
}

// Drops by reason and location, most first, at most `max_rows` rows.
Lines drops_table(const Summary &s, int max_rows)
{
    Lines out{{""}, {"Drops by reason and location", kBold}};
    if (s.drops.empty()) {
        out.push_back({"  (none)"});
        return out;
    }
    std::vector<const DropRow *> d;
    for (const auto &r : s.drops)
        d.push_back(&r);
    std::stable_sort(d.begin(), d.end(),
                     [](const DropRow *a, const DropRow *b) { return a->count > b->count; });
    const int n = std::min<int>(static_cast<int>(d.size()), std::max(1, max_rows));
    std::vector<std::vector<std::string>> t{{"REASON", "LOCATION", "COUNT", "STAGE", "PROTO"}};
    for (int i = 0; i < n; ++i) {
        const DropRow &r = *d[static_cast<std::size_t>(i)];
        t.push_back({r.by_location ? r.reason + " (by location)" : r.reason,
                     r.location.empty() ? "?" : r.location, std::to_string(r.count),
                     r.stage.empty() ? "-" : r.stage, r.proto.empty() ? "-" : r.proto});
    }
    for (auto &l : split_lines(render_table(t, {2}, "  ")))
        out.push_back({l});
    if (static_cast<int>(d.size()) > n)
        out.push_back(
            {"  ... " + std::to_string(d.size() - static_cast<std::size_t>(n)) + " more"});
    return out;
}

// The busiest stages of the view's path with bars, in `left` lines.
Lines stages(const Summary &s, const ScreenOptions &o, int left, std::size_t width)
{
    const bool send = o.view == ScreenView::send;
    std::vector<const StageRow *> st;
    for (const auto &r : s.stages)
        if (r.hist.count() && (send ? r.path == "tx" : r.path != "tx"))
            st.push_back(&r);
    std::stable_sort(st.begin(), st.end(), [](const StageRow *a, const StageRow *b) {
        return a->hist.sum() > b->hist.sum(); // busiest: most time spent
    });
    if (static_cast<int>(st.size()) > o.max_stages)
        st.resize(static_cast<std::size_t>(o.max_stages));
    Lines out{{""}, {"Busiest stages (log2 ns)", kBold}};
    left -= 2;
    if (st.empty()) {
        out.push_back({"  (no complete stage yet)"});
        return out;
    }
    const int per = std::max(1, left / static_cast<int>(st.size())) - 1;
    const int bar_width = std::clamp(static_cast<int>(width) - 30, 10, 50);
    for (const auto *r : st) {
        if (left <= 0)
            break;
        const auto q = r->hist.summary();
        out.push_back({"  " + r->from + " → " + r->to + (r->path == "queue" ? " (in queue)" : "") +
                       "  n=" + std::to_string(q.count) + "  p50 " + human_ns(q.p50_ns) + "  p99 " +
                       human_ns(q.p99_ns) + "  max " + human_ns(q.max_ns)});
        --left;
        for (auto &b : bars(r->hist, bar_width, std::min(per, left))) {
            out.push_back({b});
            --left;
        }
    }
    return out;
}

std::string footer_text(const ScreenOptions &o)
{
    std::string views;
    for (auto v : {ScreenView::receive, ScreenView::send, ScreenView::drops}) {
        const std::string n(view_name(v));
        views += (views.empty() ? "" : " ") + (v == o.view ? "[" + n + "]" : n);
    }
    return views + "  sort: " + std::string(sort_key_name(o.sort)) + sort_arrow(o.ascending) +
           "   q quit  r s d view  < > sort  h help";
}

Lines help_page()
{
    Lines out{{"netstack-kmon live: keys", kBold}};
    for (const char *l : {
             "  q        quit: leave the screen, print the summary (as Ctrl-C does)",
             "  r s d    receive, send, drops view      Tab  the next view",
             "  < >      sort the socket table by the previous / next column:",
             "           local address, pid, rx, tx, drops, queue p99, send p99",
             "  i        invert the sort order",
             "  h ?      this help (any key returns)    Ctrl-L  redraw",
             "",
             "  receive  rx journeys, busiest receive stages (log2 bars, p50/p99),",
             "           sockets: rx packets, drops, /proc drops, queue p99, reasons",
             "  send     tx journeys, busiest send stages, sockets: tx packets, send latency",
             "  drops    drops by reason and location, kernel drop counters,",
             "           sockets with drops",
             "",
             "  Ctrl-Z suspends (the terminal is restored; fg brings the screen back).",
             "  Piped or --json, nothing of this: the reports are appended as text or JSON.",
         })
        out.push_back({l});
    return out;
}

// Lay the lines out on the terminal: cut to the width, cut to the height (the last line then
// says how many were cut), pad to the footer, colour.
std::string assemble(Lines lines, const ScreenOptions &o)
{
    const auto width = static_cast<std::size_t>(std::max(1, o.width));
    const int height = std::max(1, o.height);
    const int body = o.footer ? height - 1 : height;
    if (body <= 0) {
        lines.clear();
    } else if (static_cast<int>(lines.size()) > body) {
        const auto cut = lines.size() - static_cast<std::size_t>(body - 1);
        lines.resize(static_cast<std::size_t>(body - 1));
        lines.push_back({"... " + std::to_string(cut) + " more lines (terminal too small)", kWarn});
    }
    if (o.footer) {
        lines.resize(static_cast<std::size_t>(std::max(0, body)));
        std::string f = fit_width(footer_text(o), width);
        if (o.color)
            f.append(width - display_width(f), ' '); // the bar spans the row
        lines.push_back({f, kBar});
    }
    std::string out;
    for (const auto &l : lines) {
        const std::string text = fit_width(l.text, width);
        if (o.color && l.color && !text.empty())
            out += l.color + text + kReset;
        else
            out += text;
        out += '\n';
    }
    return out;
}

struct SortValue {
    bool missing = false;
    std::uint64_t num = 0;
};

SortValue sort_value(const SocketRow &r, SortKey k)
{
    switch (k) {
    case SortKey::local:
        return {};
    case SortKey::pid:
        return {!r.pid, r.pid.value_or(0)};
    case SortKey::rx:
        return {false, r.rx_packets};
    case SortKey::tx:
        return {false, r.tx_packets};
    case SortKey::drops:
        return {false, r.drops_total};
    case SortKey::queue_p99: {
        const auto q = r.queue.summary();
        return {q.count == 0, q.p99_ns};
    }
    case SortKey::send_p99: {
        const auto q = r.tx.summary();
        return {q.count == 0, q.p99_ns};
    }
    }
    return {};
}

constexpr SortKey kSortOrder[] = {SortKey::local, SortKey::pid,       SortKey::rx,      SortKey::tx,
                                  SortKey::drops, SortKey::queue_p99, SortKey::send_p99};

} // namespace

std::string_view sort_key_name(SortKey k)
{
    switch (k) {
    case SortKey::local:
        return "local";
    case SortKey::pid:
        return "pid";
    case SortKey::rx:
        return "rx packets";
    case SortKey::tx:
        return "tx packets";
    case SortKey::drops:
        return "drops";
    case SortKey::queue_p99:
        return "queue p99";
    case SortKey::send_p99:
        return "send p99";
    }
    return "";
}

std::string_view view_name(ScreenView v)
{
    switch (v) {
    case ScreenView::receive:
        return "receive";
    case ScreenView::send:
        return "send";
    case ScreenView::drops:
        return "drops";
    }
    return "";
}

std::vector<const SocketRow *> sort_sockets(const std::vector<SocketRow> &rows, SortKey key,
                                            bool ascending)
{
    struct Keyed {
        const SocketRow *row;
        SortValue v;
    };
    std::vector<Keyed> k;
    for (const auto &r : rows)
        k.push_back({&r, sort_value(r, key)});
    std::stable_sort(k.begin(), k.end(), [&](const Keyed &a, const Keyed &b) {
        if (a.v.missing != b.v.missing)
            return b.v.missing; // rows without a value last, either way
        if (key == SortKey::local) {
            const auto c = a.row->local.compare(b.row->local);
            if (c != 0)
                return ascending ? c < 0 : c > 0;
            const auto d = a.row->remote.compare(b.row->remote);
            if (d != 0)
                return ascending ? d < 0 : d > 0;
        } else if (a.v.num != b.v.num) {
            return ascending ? a.v.num < b.v.num : a.v.num > b.v.num;
        }
        if (a.row->drops_total != b.row->drops_total)
            return a.row->drops_total > b.row->drops_total;
        if (a.row->rx_packets != b.row->rx_packets)
            return a.row->rx_packets > b.row->rx_packets;
        return a.row->local < b.row->local;
    });
    std::vector<const SocketRow *> out;
    for (const auto &x : k)
        out.push_back(x.row);
    return out;
}

KeyAction apply_key(ScreenOptions &o, char key)
{
    if (key == 'q' || key == 'Q')
        return KeyAction::quit;
    if (o.help) { // any key leaves the help
        o.help = false;
        return KeyAction::redraw;
    }
    switch (key) {
    case 'r':
        o.view = ScreenView::receive;
        return KeyAction::redraw;
    case 's':
        o.view = ScreenView::send;
        return KeyAction::redraw;
    case 'd':
        o.view = ScreenView::drops;
        return KeyAction::redraw;
    case '\t':
        o.view = o.view == ScreenView::receive ? ScreenView::send
                 : o.view == ScreenView::send  ? ScreenView::drops
                                               : ScreenView::receive;
        return KeyAction::redraw;
    case '<':
    case '>': {
        const int n = static_cast<int>(std::size(kSortOrder));
        int i = static_cast<int>(std::find(kSortOrder, kSortOrder + n, o.sort) - kSortOrder);
        i = (i + (key == '>' ? 1 : n - 1)) % n;
        o.sort = kSortOrder[i];
        return KeyAction::redraw;
    }
    case 'i':
    case 'I':
        o.ascending = !o.ascending;
        return KeyAction::redraw;
    case 'h':
    case '?':
        o.help = true;
        return KeyAction::redraw;
    case '\f': // Ctrl-L
        return KeyAction::redraw;
    default:
        return KeyAction::none;
    }
}

std::size_t display_width(std::string_view s)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto ch = static_cast<unsigned char>(s[i]);
        if (ch == 0x1b && i + 1 < s.size() && s[i + 1] == '[') { // CSI ... final byte
            for (i += 2; i < s.size() && !(s[i] >= 0x40 && s[i] <= 0x7e); ++i)
                ;
            continue;
        }
        if ((ch & 0xC0) != 0x80)
            ++n;
    }
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

std::string paint_frame(std::string_view page, int width, int height)
{
    auto lines = split_lines(page);
    if (static_cast<int>(lines.size()) > std::max(1, height))
        lines.resize(static_cast<std::size_t>(std::max(1, height)));
    std::string out = "\033[H";
    for (std::size_t i = 0; i < lines.size(); ++i) {
        out += lines[i];
        // A full line leaves the cursor on its last column: erasing from there would eat the
        // line's last character.
        if (static_cast<int>(display_width(lines[i])) < width)
            out += "\033[K";
        if (i + 1 < lines.size())
            out += "\r\n";
    }
    if (static_cast<int>(lines.size()) < height)
        out += "\r\n\033[J"; // the rows below the page: the next row exists, no scroll
    return out;
}

std::string render_waiting(const ScreenOptions &o, std::string_view what)
{
    Lines l{{"netstack-kmon live  00:00:00 elapsed", kBold}, {""}, {std::string(what)}};
    if (!o.note.empty())
        l.push_back({o.note, kWarn});
    return assemble(o.help ? help_page() : l, o);
}

std::string render_screen(const Summary &s, const ScreenOptions &o)
{
    if (o.help)
        return assemble(help_page(), o);
    const auto width = static_cast<std::size_t>(std::max(20, o.width));
    const int body = std::max(8, o.footer ? o.height - 1 : o.height);

    Lines top = header(s, o);
    top.push_back(journeys(s, o.view));
    append(top, sampling(s));
    if (o.view == ScreenView::drops)
        append(top, drop_counters(s, width));
    // The first verdict (most drops first): what to change, at a glance (all of them: diagnose,
    // or the summary at the end).
    if (s.verdicts && !s.verdicts->empty()) {
        const Verdict &v = s.verdicts->front();
        top.push_back({"verdict: " + v.kind + ": " + v.subject + " -> " + v.change +
                           (s.verdicts->size() > 1
                                ? " (+" + std::to_string(s.verdicts->size() - 1) + " more)"
                                : ""),
                       kBold}); // (red is for the tool's own loss and mismatches)
    }

    // Loss ledger, always shown, in the warning colour when anything was lost.
    Lines bottom{{""}, {loss_text(s.loss), s.loss.any() ? kWarn : kOk}};
    if (!s.mismatches.empty())
        bottom.push_back({"MISMATCH: " + s.mismatches.front(), kWarn});
    if (!o.note.empty())
        bottom.push_back({o.note, kWarn});

    const int room = body - static_cast<int>(top.size() + bottom.size());
    Lines page = top;
    if (o.view == ScreenView::drops) {
        // drops by reason get half the room (header and title: 3 lines), the sockets the rest
        const Lines d = drops_table(s, std::max(1, room / 2 - 3));
        const int left = room - static_cast<int>(d.size());
        append(page, d);
        append(page, sockets(s, o, std::min(o.max_sockets, std::max(1, left - 4))));
    } else {
        // the socket table first (a third of the room), the stages' bars in what is left
        const Lines k = sockets(s, o, std::min(o.max_sockets, std::max(1, room / 3)));
        if (o.mode == ReportMode::full)
            append(page, stages(s, o, room - static_cast<int>(k.size()), width));
        append(page, k);
    }
    append(page, bottom);
    return assemble(std::move(page), o);
}

} // namespace nsk
