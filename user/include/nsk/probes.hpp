// The user-side stage table: what each probe id means for the correlator.  Adding a probe (or a
// whole path, e.g. TCP or TX) is one row here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace nsk {

enum class Role : std::uint8_t {
    none,
    start,      // first probe of a receive journey (netif_receive_skb, ip_rcv)
    mid,        // an intermediate stage
    enqueue,    // skb handed to a socket's receive queue (carries the socket)
    dequeue,    // skb copied to user space: journey complete
    reader,     // reader entered recvmsg: task info only, no skb
    consume,    // skb freed normally
    drop,       // skb freed with a drop reason (kfree_skb)
    queue_full, // sock_rcvqueue_full: drop marker, the kfree_skb follows
    exceed_buf, // sock_exceed_buf_limit: per-socket event
    fail_queue, // udp_fail_queue_rcv_skb: per-socket cross-check
    tx_sock,    // send path before the skb exists (sendmsg): socket + task only
    tx,         // send path stage with an skb (ip_output ... dev_queue_xmit)
    tx_end,     // handed to the driver (dev_hard_start_xmit): send journey complete
    tcp_read,   // TCP read done (tcp_cleanup_rbuf): every byte below seq was copied to user
    gro_exit,   // napi_gro_receive_exit: aux 1 = GRO merged the skb into another (its end)
    xmit_done,  // net_dev_xmit: the driver's transmit returned (a stage after the handoff)
};

enum class PathKind : std::uint8_t { unspec, rx, tx, drop };

struct ProbeInfo {
    std::uint16_t id;
    std::string_view name; // stable name, as the kernel reports it in status
    PathKind path;
    int order; // position along the path; 0 = not a stage, or (role start) before the first
    Role role;
    std::uint8_t proto_hint; // IPPROTO_* implied by the probe, 0 if none
    bool fanout_parent;      // multicast clones are made after this stage (udp_rcv)
};

/// Row for a probe id, nullptr for ids this build does not know.
const ProbeInfo *probe_info(std::uint16_t id);
/// Stable name of a probe id ("probe_<id>" when unknown).
std::string probe_name(std::uint16_t id);
std::string_view probe_kind_name(std::uint32_t kind); // "kprobe" / "tracepoint" / "fentry"
std::string_view path_name(std::uint32_t path);       // "rx" / "tx" / "drop"
std::string_view path_name(PathKind path);

} // namespace nsk
