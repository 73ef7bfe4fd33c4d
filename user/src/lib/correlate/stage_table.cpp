#include "stage_table.hpp"

#include <algorithm>

namespace nsk::corr {

// The pair's entry; the first journey that makes the pair names its path (a receive pair that
// ends in a read of the socket is "queue").
StageStat &StageTable::entry(std::uint16_t from, std::uint16_t to, Path path)
{
    auto [it, fresh] = stats_.try_emplace({from, to});
    StageStat &st = it->second;
    if (fresh) {
        st.from = from;
        st.to = to;
        const ProbeInfo *ti = probe_info(to);
        st.path = path == Path::tx                                                  ? "tx"
                  : path == Path::loopback                                          ? "loopback"
                  : ti && (ti->role == Role::dequeue || ti->role == Role::tcp_read) ? "queue"
                                                                                    : "rx";
    }
    return st;
}

void StageTable::account(std::uint8_t proto, const std::vector<Visit> &visits,
                         std::size_t &accounted, bool tx)
{
    if (!proto)
        return; // unknown yet: pairs are added once an event tells the protocol
    if (!is_reported_proto(proto)) {
        accounted = visits.size();
        return;
    }
    for (std::size_t i = std::max<std::size_t>(1, accounted); i < visits.size(); ++i) {
        const Visit &a = visits[i - 1];
        const Visit &b = visits[i];
        StageStat &st = entry(a.probe, b.probe, tx ? Path::tx : Path::rx);
        if (b.ts < a.ts)
            ++reversed_;
        st.hist.add(b.ts >= a.ts ? b.ts - a.ts : 0);
    }
    accounted = std::max<std::size_t>(accounted, visits.size());
}

void StageTable::add_loopback(std::uint16_t from, std::uint16_t to, std::uint64_t ns)
{
    entry(from, to, Path::loopback).hist.add(ns);
}

std::vector<StageStat> StageTable::sorted() const
{
    std::vector<StageStat> out;
    out.reserve(stats_.size());
    for (const auto &kv : stats_)
        out.push_back(kv.second);
    auto order = [](std::uint16_t p) {
        const ProbeInfo *i = probe_info(p);
        return i ? i->order : 1000 + p;
    };
    auto path_rank = [](const std::string &p) {
        if (p == "tx")
            return 0;
        if (p == "loopback")
            return 1;
        if (p == "rx")
            return 2;
        return 3;
    };
    std::sort(out.begin(), out.end(), [&](const StageStat &a, const StageStat &b) {
        const int pa = path_rank(a.path), pb = path_rank(b.path);
        if (pa != pb)
            return pa < pb;
        if (order(a.from) != order(b.from))
            return order(a.from) < order(b.from);
        if (a.from != b.from)
            return a.from < b.from;
        return order(a.to) < order(b.to);
    });
    return out;
}

} // namespace nsk::corr
