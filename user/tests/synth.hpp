// Synthetic record streams for the unit tests: build records as the module would, pack them
// into batches with per-CPU sequence numbers, and feed them through the real decoder.
#pragma once

#include "nsk/pipeline.hpp"
#include "nsk/uapi.hpp"

#include <arpa/inet.h>
#include <cstring>
#include <deque>
#include <map>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <vector>

namespace synth {

inline void ip4(std::uint8_t *dst, const char *s)
{
    inet_pton(AF_INET, s, dst);
}

/// A packet-path event: UDP 10.0.0.1:5000 -> 10.0.0.2:9000 unless changed.
inline nsk::Record ev(std::uint16_t probe, std::uint16_t cpu, std::uint64_t ts, std::uint64_t skb,
                      std::uint64_t sk = 0, std::uint8_t proto = IPPROTO_UDP)
{
    nsk::Record r;
    r.type = NSK_REC_EVENT;
    r.cpu = cpu;
    r.ev.hdr.type = NSK_REC_EVENT;
    r.ev.hdr.size = sizeof(nsk_event);
    r.ev.probe = probe;
    r.ev.cpu = cpu;
    r.ev.ts_ns = ts;
    r.ev.skb_id = skb;
    r.ev.sk_id = sk;
    r.ev.family = AF_INET;
    r.ev.proto = proto;
    r.ev.flags = NSK_EF_PKT;
    r.ev.ctx = NSK_CTX_SOFTIRQ;
    ip4(r.ev.saddr, "10.0.0.1");
    ip4(r.ev.daddr, "10.0.0.2");
    r.ev.sport = 5000;
    r.ev.dport = 9000;
    r.ev.netns = 4026531840U;
    r.ev.len = 100;
    return r;
}

inline nsk::Record &dport(nsk::Record &r, std::uint16_t port, const char *daddr = nullptr)
{
    r.ev.dport = port;
    if (daddr)
        ip4(r.ev.daddr, daddr);
    return r;
}

/// Add the socket's own view.
inline nsk::Record sock(nsk::Record r, const char *laddr, std::uint16_t lport,
                        std::uint32_t ino = 0)
{
    r.ev.flags |= NSK_EF_SOCK;
    ip4(r.ev.sk_laddr, laddr);
    r.ev.sk_lport = lport;
    ip4(r.ev.sk_raddr, "0.0.0.0");
    r.ev.sk_rport = 0;
    r.ev.sk_ino = ino;
    return r;
}

/// Task context (dequeue / recvmsg).
inline nsk::Record task(nsk::Record r, std::uint32_t pid, const char *comm)
{
    r.ev.flags |= NSK_EF_TASK;
    r.ev.ctx = NSK_CTX_TASK;
    r.ev.pid = pid;
    r.ev.tid = pid;
    std::strncpy(r.ev.comm, comm, sizeof(r.ev.comm) - 1);
    return r;
}

inline nsk::Record drop(std::uint16_t probe, std::uint16_t cpu, std::uint64_t ts, std::uint64_t skb,
                        const char *reason, const char *location, std::uint64_t sk = 0)
{
    nsk::Record r = ev(probe, cpu, ts, skb, sk);
    r.type = NSK_REC_DROP;
    r.ev.hdr.type = NSK_REC_DROP;
    r.ev.hdr.size = sizeof(nsk_drop);
    // The strings live as long as the test (records are copied freely; the text never moves).
    static std::deque<nsk::DropText> texts;
    nsk::DropText &t = texts.emplace_back();
    std::strncpy(t.reason_name, reason, sizeof(t.reason_name) - 1);
    std::strncpy(t.location, location, sizeof(t.location) - 1);
    r.drop = &t;
    return r;
}

/// The receive stages of packet `skb` on `cpu`, 1 µs apart from t: netif_receive_skb, ip_rcv,
/// ip_local_deliver, and udp_rcv for UDP.
inline void rx_path(std::vector<nsk::Record> &out, std::uint16_t cpu, std::uint64_t t,
                    std::uint64_t skb, std::uint8_t proto = IPPROTO_UDP)
{
    out.push_back(ev(NSK_PROBE_NETIF_RECEIVE_SKB, cpu, t, skb, 0, proto));
    out.push_back(ev(NSK_PROBE_IP_RCV, cpu, t + 1000, skb, 0, proto));
    out.push_back(ev(NSK_PROBE_IP_LOCAL_DELIVER, cpu, t + 2000, skb, 0, proto));
    if (proto == IPPROTO_UDP)
        out.push_back(ev(NSK_PROBE_UDP_RCV, cpu, t + 3000, skb, 0, proto));
}

/// rx_path(), then the UDP enqueue to socket `sk` (its own view laddr:lport, inode `ino`) at
/// t + 4 µs.
inline void rx_to_socket(std::vector<nsk::Record> &out, std::uint16_t cpu, std::uint64_t t,
                         std::uint64_t skb, std::uint64_t sk, const char *laddr,
                         std::uint16_t lport, std::uint32_t ino = 0)
{
    rx_path(out, cpu, t, skb);
    out.push_back(sock(ev(NSK_PROBE_UDP_ENQUEUE, cpu, t + 4000, skb, sk), laddr, lport, ino));
}

/// Calls fn(i, t) for packets i = 0 .. n-1, the first at t0, then one every dt.
template <class Fn>
void packets(int n, std::uint64_t t0, std::uint64_t dt, Fn fn)
{
    for (int i = 0; i < n; ++i) {
        const auto k = static_cast<std::uint64_t>(i);
        fn(k, t0 + k * dt);
    }
}

/// Pack records the way the module does (nsk_event or nsk_drop, back to back).
inline std::vector<std::uint8_t> pack(const std::vector<nsk::Record> &recs)
{
    std::vector<std::uint8_t> out;
    for (const auto &r : recs) {
        if (r.type == NSK_REC_DROP) {
            nsk_drop d{};
            d.ev = r.ev;
            d.ev.hdr.type = NSK_REC_DROP;
            d.ev.hdr.size = sizeof(nsk_drop);
            if (r.drop) {
                std::memcpy(d.location, r.drop->location, sizeof(d.location));
                std::memcpy(d.reason_name, r.drop->reason_name, sizeof(d.reason_name));
            }
            const auto *p = reinterpret_cast<const std::uint8_t *>(&d);
            out.insert(out.end(), p, p + sizeof(d));
        } else {
            nsk_event e = r.ev;
            e.hdr.type = NSK_REC_EVENT;
            e.hdr.size = sizeof(nsk_event);
            const auto *p = reinterpret_cast<const std::uint8_t *>(&e);
            out.insert(out.end(), p, p + sizeof(e));
        }
    }
    return out;
}

/// Per-CPU batcher: send(cpu, records) numbers records like the module.
class Feeder {
public:
    explicit Feeder(nsk::Pipeline &p) : p_(p) {}
    void send(std::uint32_t cpu, const std::vector<nsk::Record> &recs)
    {
        auto bytes = pack(recs);
        const auto count = static_cast<std::uint32_t>(recs.size());
        p_.on_batch(cpu, seq_[cpu], count, bytes.data(), bytes.size());
        seq_[cpu] += count;
    }
    /// Pretend `n` records of `cpu` were lost on the way.
    void lose(std::uint32_t cpu, std::uint64_t n) { seq_[cpu] += n; }
    std::map<std::uint32_t, std::uint64_t> sent() const { return seq_; }
    /// End of the run (with what was sent): the pipeline's correlator.
    const nsk::Correlator &finish()
    {
        p_.finish(sent());
        return p_.correlator();
    }

private:
    nsk::Pipeline &p_;
    std::map<std::uint32_t, std::uint64_t> seq_;
};

} // namespace synth
