#include "drop_table.hpp"

#include "nsk/format.hpp"
#include "nsk/probes.hpp"

#include <algorithm>
#include <string_view>

namespace nsk::corr {

namespace {
// Before 5.17 kfree_skb has no reason: the call site says it where the site has one cause
// (named as the kernel names it since 5.17).  Keyed by symbol, with or without a compiler
// suffix (".constprop.0", ".isra.0").  docs/report.md lists them.
std::string reason_from_location(const std::string &location, std::string_view stage)
{
    // A site with several causes, one per stage: __dev_xmit_skb frees the skbs the qdisc
    // refused (its to_free list) with kfree_skb_list, right after the device queue.
    if (stage == "dev_queue_xmit" && location.rfind("kfree_skb_list", 0) == 0)
        return "QDISC_DROP";
    static const std::map<std::string, std::string, std::less<>> kSites{
        {"__udp4_lib_rcv", "NO_SOCKET"}, // (or a short/bad-checksum datagram: Udp.InErrors)
        {"__udp6_lib_rcv", "NO_SOCKET"},
        {"__udp_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"__udpv6_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"udp_queue_rcv_one_skb", "SOCKET_RCVBUFF"},
        {"udpv6_queue_rcv_one_skb", "SOCKET_RCVBUFF"},
        {"sock_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"__sock_queue_rcv_skb", "SOCKET_RCVBUFF"},
        {"sk_filter_trim_cap", "SOCKET_FILTER"},
        {"nf_hook_slow", "NETFILTER_DROP"},
        {"ip_rcv_core", "IP_INHDR"},
        {"ipv6_rcv", "IP_INHDR"},
        {"ip_local_deliver_finish", "IP_NOPROTO"},
        {"ip_protocol_deliver_rcu", "IP_NOPROTO"},
        // the CPU's backlog is full (netdev_max_backlog) or its flow limit hit
        {"enqueue_to_backlog", "CPU_BACKLOG"},
    };
    std::string_view sym(location);
    sym = sym.substr(0, sym.find('+'));
    if (auto it = kSites.find(sym); it != kSites.end())
        return it->second;
    if (auto dot = sym.find('.'); dot != std::string_view::npos)
        if (auto it = kSites.find(sym.substr(0, dot)); it != kSites.end())
            return it->second;
    return "";
}
} // namespace

DropCause::DropCause(const Record &r)
    : reason(valid_utf8(r.reason_sv())), location(valid_utf8(strip_location_size(r.location_sv())))
{}

void DropCause::fill(const nsk_event &ev, std::string_view stage)
{
    if (!reason.empty())
        return;
    if (!(ev.flags & NSK_EF_HAS_REASON))
        reason = reason_from_location(location, stage);
    by_location = !reason.empty();
    if (reason.empty())
        reason = "UNKNOWN";
}

void DropTable::add(const DropCause &c, const std::string &stage, std::uint8_t proto,
                    bool by_location, const nsk_event *ev)
{
    auto &d = table_[{c.reason, c.location, stage}];
    if (d.count == 0) {
        d.reason = c.reason;
        d.location = c.location;
        d.stage = stage;
        d.proto = proto_name(proto);
        d.by_location = by_location && c.by_location;
    }
    ++d.count;
    if (ev && (ev->flags & NSK_EF_PKT) && ev->family) {
        std::string dst = format_endpoint(ev->family, ev->daddr, ev->dport);
        auto it = d.targets.find(dst);
        if (it != d.targets.end())
            ++it->second;
        else if (d.targets.size() < DropStat::kDropTargets)
            d.targets.emplace(std::move(dst), 1);
        else
            ++d.targets["other"];
    }
}

std::vector<DropStat> DropTable::sorted() const
{
    std::vector<DropStat> out;
    for (const auto &kv : table_)
        out.push_back(kv.second);
    std::stable_sort(out.begin(), out.end(),
                     [](const DropStat &a, const DropStat &b) { return a.count > b.count; });
    return out;
}

} // namespace nsk::corr
