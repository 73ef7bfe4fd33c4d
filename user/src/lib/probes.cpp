#include "nsk/probes.hpp"

#include "nsk/uapi.hpp"

#include <array>
#include <netinet/in.h>

namespace nsk {
namespace {

constexpr std::uint8_t kUdp = IPPROTO_UDP;
constexpr std::uint8_t kTcp = IPPROTO_TCP;

// clang-format off
constexpr std::array<ProbeInfo, NSK_PROBE_MAX> kProbes{{
    {NSK_PROBE_NETIF_RECEIVE_SKB,  "netif_receive_skb",  PathKind::rx,   1, Role::start,      0,    false},
    {NSK_PROBE_IP_RCV,             "ip_rcv",             PathKind::rx,   2, Role::start,      0,    false},
    {NSK_PROBE_IP_LOCAL_DELIVER,   "ip_local_deliver",   PathKind::rx,   3, Role::mid,        0,    false},
    {NSK_PROBE_UDP_RCV,            "udp_rcv",            PathKind::rx,   4, Role::mid,        kUdp, true},
    {NSK_PROBE_UDP_ENQUEUE,        "udp_enqueue",        PathKind::rx,   5, Role::enqueue,    kUdp, false},
    {NSK_PROBE_SOCK_QUEUE_RCV,     "sock_queue_rcv_skb", PathKind::rx,   5, Role::enqueue,    0,    false},
    {NSK_PROBE_UDP_DEQUEUE,        "udp_dequeue",        PathKind::rx,   7, Role::dequeue,    kUdp, false},
    {NSK_PROBE_UDP_RECVMSG,        "udp_recvmsg",        PathKind::rx,   0, Role::reader,     kUdp, false},
    {NSK_PROBE_CONSUME_SKB,        "consume_skb",        PathKind::drop, 0, Role::consume,    0,    false},
    {NSK_PROBE_KFREE_SKB,          "kfree_skb",          PathKind::drop, 0, Role::drop,       0,    false},
    {NSK_PROBE_SOCK_RCVQUEUE_FULL, "sock_rcvqueue_full", PathKind::drop, 0, Role::queue_full, 0,    false},
    {NSK_PROBE_SOCK_EXCEED_BUF,    "sock_exceed_buf_limit", PathKind::drop, 0, Role::exceed_buf, 0,    false},
    {NSK_PROBE_UDP_FAIL_QUEUE,     "udp_fail_queue_rcv_skb", PathKind::drop, 0, Role::fail_queue, kUdp, false},
    // send path, L5 -> L2: sk-only sendmsg stages, then the skb from the first IP-layer probe
    {NSK_PROBE_SOCK_SENDMSG,       "sock_sendmsg",       PathKind::tx,   1, Role::tx_sock,    0,    false},
    {NSK_PROBE_UDP_SENDMSG,        "udp_sendmsg",        PathKind::tx,   2, Role::tx_sock,    kUdp, false},
    {NSK_PROBE_UDPV6_SENDMSG,      "udpv6_sendmsg",      PathKind::tx,   2, Role::tx_sock,    kUdp, false},
    {NSK_PROBE_TCP_SENDMSG,        "tcp_sendmsg",        PathKind::tx,   2, Role::tx_sock,    kTcp, false},
    {NSK_PROBE_IP_QUEUE_XMIT,      "ip_queue_xmit",      PathKind::tx,   4, Role::tx,         kTcp, false},
    {NSK_PROBE_IP6_XMIT,           "ip6_xmit",           PathKind::tx,   4, Role::tx,         0,    false},
    {NSK_PROBE_IP_OUTPUT,          "ip_output",          PathKind::tx,   5, Role::tx,         0,    false},
    {NSK_PROBE_IP_FINISH_OUTPUT2,  "ip_finish_output2",  PathKind::tx,   6, Role::tx,         0,    false},
    {NSK_PROBE_IP6_OUTPUT,         "ip6_output",         PathKind::tx,   5, Role::tx,         0,    false},
    {NSK_PROBE_IP6_FINISH_OUTPUT2, "ip6_finish_output2", PathKind::tx,   6, Role::tx,         0,    false},
    {NSK_PROBE_DEV_QUEUE_XMIT,     "dev_queue_xmit",     PathKind::tx,   7, Role::tx,         0,    false},
    {NSK_PROBE_DEV_HARD_START_XMIT, "dev_hard_start_xmit", PathKind::tx, 8, Role::tx_end,     0,    false},
    // IPv6 and TCP receive
    {NSK_PROBE_IPV6_RCV,           "ipv6_rcv",           PathKind::rx,   2, Role::start,      0,    false},
    {NSK_PROBE_IP6_INPUT,          "ip6_input",          PathKind::rx,   3, Role::mid,        0,    false},
    {NSK_PROBE_UDPV6_RCV,          "udpv6_rcv",          PathKind::rx,   4, Role::mid,        kUdp, true},
    {NSK_PROBE_UDPV6_RECVMSG,      "udpv6_recvmsg",      PathKind::rx,   0, Role::reader,     kUdp, false},
    {NSK_PROBE_TCP_V4_RCV,         "tcp_v4_rcv",         PathKind::rx,   4, Role::mid,        kTcp, false},
    {NSK_PROBE_TCP_V6_RCV,         "tcp_v6_rcv",         PathKind::rx,   4, Role::mid,        kTcp, false},
    {NSK_PROBE_TCP_QUEUE_RCV,      "tcp_queue_rcv",      PathKind::rx,   6, Role::enqueue,    kTcp, false},
    {NSK_PROBE_TCP_DATA_QUEUE_OFO, "tcp_data_queue_ofo", PathKind::rx,   6, Role::enqueue,    kTcp, false},
    {NSK_PROBE_TCP_RECVMSG,        "tcp_recvmsg",        PathKind::rx,   0, Role::reader,     kTcp, false},
    // TCP by sequence number
    {NSK_PROBE_TCP_SENDMSG_LOCKED, "tcp_sendmsg_locked", PathKind::tx,   3, Role::tx_sock,    kTcp, false},
    {NSK_PROBE_TCP_CLEANUP_RBUF,   "tcp_cleanup_rbuf",   PathKind::rx,   7, Role::tcp_read,   kTcp, false},
    {NSK_PROBE_TCP_ADD_BACKLOG,    "tcp_add_backlog",    PathKind::rx,   5, Role::mid,        kTcp, false},
    // forwarding: the receive journey reaches ip_forward (the FORWARD hook runs there)
    {NSK_PROBE_IP_FORWARD,         "ip_forward",         PathKind::rx,   3, Role::mid,        0,    false},
    {NSK_PROBE_IP6_FORWARD,        "ip6_forward",        PathKind::rx,   3, Role::mid,        0,    false},
    // the NIC's edge: GRO's entry (before netif_receive_skb) and exit, the driver's return
    {NSK_PROBE_NAPI_GRO_RECEIVE,   "napi_gro_receive_entry", PathKind::rx, 0, Role::start,    0,    false},
    {NSK_PROBE_NAPI_GRO_EXIT,      "napi_gro_receive_exit", PathKind::rx, 0, Role::gro_exit,  0,    false},
    {NSK_PROBE_NET_DEV_XMIT,       "net_dev_xmit",       PathKind::tx,   9, Role::xmit_done,  0,    false},
    // the other receive entries: the backlog of loopback and veth, a direct netif_receive_skb
    {NSK_PROBE_NETIF_RX,           "netif_rx",           PathKind::rx,   0, Role::start,      0,    false},
    {NSK_PROBE_NETIF_RECEIVE_SKB_ENTRY, "netif_receive_skb_entry", PathKind::rx, 0, Role::start, 0, false},
}};
// clang-format on

static_assert(kProbes.size() == NSK_PROBE_MAX, "one row per probe id");

constexpr bool ids_in_order()
{
    for (std::size_t i = 0; i < kProbes.size(); ++i)
        if (kProbes[i].id != i + 1)
            return false;
    return true;
}
static_assert(ids_in_order(), "rows are indexed by probe id - 1");

} // namespace

const ProbeInfo *probe_info(std::uint16_t id)
{
    if (id == 0 || id > kProbes.size())
        return nullptr;
    return &kProbes[id - 1];
}

std::string probe_name(std::uint16_t id)
{
    if (const auto *p = probe_info(id))
        return std::string(p->name);
    return "probe_" + std::to_string(id);
}

std::string_view probe_kind_name(std::uint32_t kind)
{
    switch (kind) {
    case NSK_PROBE_KIND_KPROBE:
        return "kprobe";
    case NSK_PROBE_KIND_TRACEPOINT:
        return "tracepoint";
    case NSK_PROBE_KIND_FENTRY:
        return "fentry";
    default:
        return "unknown";
    }
}

std::string_view path_name(std::uint32_t path)
{
    switch (path) {
    case NSK_PATH_RX:
        return "rx";
    case NSK_PATH_TX:
        return "tx";
    case NSK_PATH_DROP:
        return "drop";
    default:
        return "unknown";
    }
}

std::string_view path_name(PathKind path)
{
    switch (path) {
    case PathKind::rx:
        return "rx";
    case PathKind::tx:
        return "tx";
    case PathKind::drop:
        return "drop";
    default:
        return "unknown";
    }
}

} // namespace nsk
