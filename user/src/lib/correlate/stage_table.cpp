#include "stage_table.hpp"

#include <algorithm>

namespace nsk::corr {

namespace {
const char *path_name(Path path, std::uint16_t to)
{
    switch (path) {
    case Path::tx:
        return "tx";
    case Path::loopback:
        return "loopback";
    case Path::fwd:
        return "fwd";
    case Path::bridge:
        return "bridge";
    case Path::rx:
        break;
    }
    const ProbeInfo *ti = probe_info(to);
    return ti && (ti->role == Role::dequeue || ti->role == Role::tcp_read) ? "queue" : "rx";
}
} // namespace

StageStat &StageTable::make(std::uint16_t from, std::uint16_t to, Path path)
{
    auto [it, fresh] = stats_.try_emplace({path, from, to});
    StageStat &st = it->second;
    if (fresh) {
        st.from = from;
        st.to = to;
        st.path = path_name(path, to);
    }
    return st;
}

void StageTable::account_all(std::uint8_t proto, const std::vector<Visit> &visits,
                             std::size_t &accounted, Path path)
{
    if (!is_reported_proto(proto)) {
        accounted = visits.size();
        return;
    }
    for (std::size_t i = std::max<std::size_t>(1, accounted); i < visits.size(); ++i)
        add_pair(visits[i - 1], visits[i], path);
    accounted = std::max<std::size_t>(accounted, visits.size());
}

void StageTable::add_loopback(std::uint16_t from, std::uint16_t to, std::uint64_t ns)
{
    entry(from, to, Path::loopback).hist.add(ns);
}

void StageTable::add(Path path, std::uint16_t from, std::uint16_t to, std::uint64_t ns)
{
    entry(from, to, path).hist.add(ns);
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
        if (p == "queue")
            return 3;
        if (p == "fwd")
            return 4;
        return 5; // bridge
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
