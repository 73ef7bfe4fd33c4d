// A synthetic "rcvbuf overflow" collection run through the real Session, as the live collector
// drives it (same calls, a fake /proc), recording a capture with the real writer.  Tests and
// nsk-make-fixture use it; the numbers are known exactly:
//   socket A 127.0.0.1:9000 (inode 1111, pid 4242 "rx-app"): 100 packets, 16 refused with
//   SOCKET_RCVBUFF, /proc/net/udp drops 0 -> 16;  socket B 127.0.0.1:9001 (inode 2222, pid 4343
//   "rx-two"): 25 packets, no drops.  5 intervals of 1 s on 2 CPUs.  softnet_stat: CPU 0
//   processes every packet (125) and is squeezed once a second (5); snmp6: Udp6.NoPorts +2 a
//   second (10); netstat: TcpExt.TCPBacklogDrop stays 4 (delta 0).
// `lossy` also loses 7 records of CPU 0 in transit (a sequence gap) and one ENOBUFS, and the
// kernel skipped 3 kprobe hits (udp_rcv 2, ip_rcv 1).
// `governed`: a governor budget of 100 records/s per CPU; the governor raises the divisor 1 -> 2
// at +2 s (rate 150) and lowers it 2 -> 1 at +4 s (rate 20); status counts its decisions.  The
// records are the same (this stream is not thinned): estimates scale +2..+4 s by 2.
// `devices`: /proc/net/dev is readable: ours (lo carries every datagram: 125 rx and tx
// packets of 100 bytes; eth0 stays idle) and a peer namespace's (pid 77, netns 4026532100:
// veth0 sends 2 packets a second and drops one at the end; lo idle).  Off by default, so the
// other captures stay as captures without devices are.
#pragma once

#include "synth.hpp"

#include "nsk/capture_reader.hpp"
#include "nsk/capture_writer.hpp"
#include "nsk/printer.hpp"
#include "nsk/replay.hpp"

#include <cstdio>
#include <sstream>

namespace synth {

/// A /proc without other namespaces or qdiscs unless a test gives some: a fake never looks at
/// the host's own.
class FakeNamespaces : public nsk::ProcFs {
public:
    // Namespaces of /run/netns and what a look inside one (by its path) gives; the qdisc
    // drops of ours: nothing by default (never the host's own).
    std::vector<nsk::NamedNetns> named;
    std::map<std::string, nsk::NetnsView> inside;
    std::optional<std::map<std::string, std::uint64_t>> own_qdiscs;
    std::vector<nsk::NamedNetns> named_netns() const override { return named; }
    std::optional<nsk::NetnsView> look_inside(const std::string &nspath,
                                              const std::vector<std::string> &) const override
    {
        auto it = inside.find(nspath);
        if (it == inside.end())
            return std::nullopt;
        return it->second;
    }
    std::optional<std::map<std::string, std::uint64_t>> qdisc_drops() const override
    {
        return own_qdiscs;
    }
};

class FakeProc : public FakeNamespaces {
public:
    std::map<std::string, std::string> files;
    std::optional<std::string> read(const std::string &path) const override
    {
        auto it = files.find(path);
        if (it == files.end())
            return std::nullopt;
        return it->second;
    }
    std::vector<int> pid_list{1};
    std::map<int, std::uint32_t> netns; // pid -> netns inode; others are in ours
    std::vector<int> pids() const override { return pid_list; }
    std::optional<std::uint32_t> netns_of(int pid) const override
    {
        auto it = netns.find(pid);
        return it == netns.end() ? 4026531840U : it->second;
    }
};

inline std::string snmp_text(long in, long rcvbuf)
{
    return "Ip: Forwarding DefaultTTL InReceives\nIp: 1 64 " + std::to_string(in + rcvbuf) +
           "\nUdp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors "
           "InCsumErrors IgnoredMulti MemErrors\nUdp: " +
           std::to_string(1000 + in) + " 3 " + std::to_string(rcvbuf) + " 10 " +
           std::to_string(rcvbuf) + " 0 0 0 0\n";
}

inline std::string netstat_text()
{
    return "TcpExt: ListenDrops TCPBacklogDrop\nTcpExt: 0 4\nIpExt: InNoRoutes\nIpExt: 0\n";
}

inline std::string snmp6_text(long noports)
{
    return "Ip6InReceives  \t7\nUdp6InDatagrams   \t2\nUdp6NoPorts   \t" + std::to_string(noports) +
           "\nUdp6RcvbufErrors  \t1\nUdp6MemErrors  \t0\n";
}

/// 5.10/6.1 layout (13 columns), CPUs 0 and 1.
inline std::string softnet_text(unsigned processed0, unsigned squeeze0)
{
    char buf[256];
    std::snprintf(buf, sizeof(buf),
                  "%08x 00000000 %08x 00000000 00000000 00000000 00000000 00000000 00000000 "
                  "00000000 00000000 00000000 00000000\n"
                  "00000064 00000000 00000000 00000000 00000000 00000000 00000000 00000000 "
                  "00000000 00000000 00000000 00000000 00000001\n",
                  processed0, squeeze0);
    return buf;
}

inline std::string udp_text(unsigned long drops_a)
{
    return "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
           "timeout inode ref pointer drops\n"
           "  567: 0100007F:2328 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000 "
           "       0 1111 2 0000000000000000 " +
           std::to_string(drops_a) +
           "\n"
           "  568: 0100007F:2329 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000 "
           "       0 2222 2 0000000000000000 0\n";
}

/// /proc/net/dev of our namespace after `packets` loopback datagrams of 100 bytes.
inline std::string net_dev_own_text(long packets)
{
    char buf[1024];
    const auto p = static_cast<unsigned long long>(packets);
    std::snprintf(buf, sizeof(buf),
                  "Inter-|   Receive                                                |  Transmit\n"
                  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
                  "packets errs drop fifo colls carrier compressed\n"
                  "    lo: %7llu %7llu    0    0    0     0          0         0 %8llu %7llu    "
                  "0    0    0     0       0          0\n"
                  "  eth0:  902341    4117    0    0    0     0          0        12   311002    "
                  "2290    0    0    0     0       0          0\n",
                  1000 + 100 * p, 10 + p, 1000 + 100 * p, 10 + p);
    return buf;
}

/// /proc/net/dev of the peer namespace after `sec` seconds (veth0 sends 2 a second).
inline std::string net_dev_peer_text(int sec, unsigned tx_dropped)
{
    char buf[1024];
    std::snprintf(buf, sizeof(buf),
                  "Inter-|   Receive                                                |  Transmit\n"
                  " face |bytes    packets errs drop fifo frame compressed multicast|bytes    "
                  "packets errs drop fifo colls carrier compressed\n"
                  "    lo:       0       0    0    0    0     0          0         0        0 "
                  "      0    0    0    0     0       0          0\n"
                  " veth0:     420       5    0    0    0     0          0         0 %8d %7d    "
                  "0 %4u    0     0       0          0\n",
                  700 + 70 * sec, 10 + 2 * sec, tx_dropped);
    return buf;
}

inline nsk::Status synth_status()
{
    nsk::Status st;
    st.module_version = "0.1.0-synthetic";
    st.family_version = NSK_GENL_VERSION;
    st.record_version = NSK_RECORD_VERSION;
    st.kernel_release = "6.1.0-synthetic-amd64";
    st.nr_cpus = 2;
    st.ring_bytes = 1 << 20;
    st.clock = "CLOCK_MONOTONIC";
    st.collecting = true;
    st.start_ts = 5'000'000'000ULL;
    for (std::uint16_t id = 1; id <= NSK_PROBE_MAX; ++id) {
        nsk::ProbeStatus p;
        p.id = id;
        p.name = nsk::probe_name(id);
        p.kind = id == NSK_PROBE_NETIF_RECEIVE_SKB || id >= NSK_PROBE_CONSUME_SKB
                     ? NSK_PROBE_KIND_TRACEPOINT
                     : NSK_PROBE_KIND_KPROBE;
        p.path = id >= NSK_PROBE_CONSUME_SKB ? NSK_PATH_DROP : NSK_PATH_RX;
        p.attached = true;
        p.target = p.name;
        st.probes.push_back(p);
    }
    for (std::uint32_t c = 0; c < 2; ++c) {
        nsk::CpuCounters cc;
        cc.cpu = c;
        st.cpus.push_back(cc);
    }
    return st;
}

struct SynthRun {
    std::string capture;                 // the file's bytes
    std::vector<std::string> json_lines; // what `live --json` printed
    std::string text;                    // what `live` printed (not a TTY) for the final summary
    nsk::Summary summary;
    std::uint64_t batches = 0;
};

/// `seconds` x `slots` (100 ms batches per second) scale it down for the byte-offset tests.
inline SynthRun synth_rcvbuf_run(nsk::CaptureWriterOptions wopts = {}, bool lossy = false,
                                 int seconds = 5, int slots = 10, bool governed = false,
                                 bool devices = false)
{
    constexpr std::uint64_t T0 = 5'000'000'000ULL;
    auto proc = std::make_shared<FakeProc>();
    proc->files["/proc/net/snmp"] = snmp_text(0, 0);
    proc->files["/proc/net/udp"] = udp_text(0);
    proc->files["/proc/net/netstat"] = netstat_text();
    proc->files["/proc/net/snmp6"] = snmp6_text(3);
    proc->files["/proc/net/softnet_stat"] = softnet_text(0xfffffff0u, 0); // wraps on the way
    if (devices) {
        proc->pid_list = {1, 77};
        proc->netns[77] = 4026532100U;
        proc->files["/proc/net/dev"] = net_dev_own_text(0);
        proc->files["/proc/77/net/dev"] = net_dev_peer_text(0, 0);
    }

    std::ostringstream json_out, text_out;
    nsk::PrinterOptions pj;
    pj.json = true;
    nsk::Printer json_printer(json_out, pj);
    nsk::PrinterOptions pt;
    pt.intervals = false;
    nsk::Printer text_printer(text_out, pt);
    nsk::MultiOutput outs;
    outs.add(&json_printer);
    outs.add(&text_printer);

    nsk::CaptureHeader h;
    h.tool_version = NSK_VERSION;
    h.command = "live";
    h.hostname = "synthetic";
    h.status = synth_status();
    h.interval_s = 1.0;
    nsk::Session session(h, proc, &outs);
    session.start_proc();
    nsk::CaptureWriter writer(std::make_unique<std::ostringstream>(), "synthetic.nsk", wopts);
    nsk::Status st1 = synth_status();
    // STATUS read after START while traffic already flows: the kernel has written (and sent)
    // records since START.  They belong to the collection: START reset the counters.
    st1.cpus[0].hits = st1.cpus[0].written = st1.cpus[0].sent = 12;
    st1.cpus[0].batches = 1;
    if (governed) {
        st1.gov_budget = 100;
        st1.sample_effective = 4; // STATUS read late: the governor already raised it (VM seen)
    }
    session.begin(T0, &st1, &writer);

    SynthRun run;
    std::map<std::uint32_t, std::uint64_t> seq;
    auto send = [&](std::uint32_t cpu, std::vector<nsk::Record> &recs, std::uint64_t mono) {
        if (recs.empty())
            return;
        auto bytes = pack(recs);
        const auto n = static_cast<std::uint32_t>(recs.size());
        session.batch(mono, cpu, seq[cpu], n, bytes.data(), bytes.size());
        seq[cpu] += n;
        recs.clear();
        ++run.batches;
    };
    constexpr std::uint16_t NETIF = NSK_PROBE_NETIF_RECEIVE_SKB, IPRCV = NSK_PROBE_IP_RCV,
                            LOCAL = NSK_PROBE_IP_LOCAL_DELIVER, UDPRCV = NSK_PROBE_UDP_RCV,
                            ENQ = NSK_PROBE_UDP_ENQUEUE, DEQ = NSK_PROBE_UDP_DEQUEUE,
                            KFREE = NSK_PROBE_KFREE_SKB, FAILQ = NSK_PROBE_UDP_FAIL_QUEUE;
    long delivered = 0, dropped = 0;
    std::uint32_t gov_changes = 0;
    auto governor = [&](std::uint64_t ts, std::uint32_t from, std::uint32_t to,
                        std::uint64_t rate) {
        nsk::GovernorChange c;
        c.ts_ns = ts;
        c.from = from;
        c.to = to;
        c.rate = rate;
        c.budget = 100;
        session.governor(ts + 5'000'000ULL, c); // arrives 5 ms after the decision
        ++gov_changes;
    };
    std::uint64_t skb = 1;
    for (int sec = 0; sec < seconds; ++sec) {
        for (int slot = 0; slot < slots; ++slot) { // 100 ms batches
            std::vector<nsk::Record> c0, c1;
            const std::uint64_t base = T0 + static_cast<std::uint64_t>(sec) * 1'000'000'000ULL +
                                       static_cast<std::uint64_t>(slot) * 100'000'000ULL;
            if (governed && slot == 0 && sec == 2)
                governor(base, 1, 2, 150);
            if (governed && slot == 0 && sec == 4)
                governor(base, 2, 1, 20);
            for (int i = 0; i < 2; ++i) { // 2 packets to A per slot
                const std::uint64_t t = base + static_cast<std::uint64_t>(i) * 10'000'000ULL;
                const std::uint64_t id = skb++;
                const bool drop_it = sec >= 1 && (slot * 2 + i) % 5 == 0;
                for (auto [p, dt] : {std::pair<std::uint16_t, std::uint64_t>{NETIF, 0},
                                     {IPRCV, 1500},
                                     {LOCAL, 4000},
                                     {UDPRCV, 9000}}) {
                    nsk::Record r = ev(p, 0, t + dt, id);
                    c0.push_back(dport(r, 9000, "127.0.0.1"));
                }
                c0.push_back(sock(ev(ENQ, 0, t + 17000, id, 0xA1), "127.0.0.1", 9000));
                if (drop_it) {
                    c0.push_back(drop(KFREE, 0, t + 17500, id, "SOCKET_RCVBUFF",
                                      "__udp_enqueue_schedule_skb+0x1c2/0x2d0"));
                    c0.push_back(sock(ev(FAILQ, 0, t + 18000, 0, 0xA1), "127.0.0.1", 9000));
                    ++dropped;
                } else {
                    c1.push_back(task(sock(ev(DEQ, 1, t + 250'000 + id * 1000, id, 0xA1),
                                           "127.0.0.1", 9000, 1111),
                                      4242, "rx-app"));
                    ++delivered;
                }
            }
            if (slot % 2 == 0) { // 1 packet to B every other slot
                const std::uint64_t t = base + 50'000'000ULL;
                const std::uint64_t id = skb++;
                for (auto [p, dt] : {std::pair<std::uint16_t, std::uint64_t>{NETIF, 0},
                                     {IPRCV, 1200},
                                     {LOCAL, 3100},
                                     {UDPRCV, 7000}}) {
                    nsk::Record r = ev(p, 0, t + dt, id);
                    c0.push_back(dport(r, 9001, "127.0.0.1"));
                }
                c0.push_back(sock(ev(ENQ, 0, t + 12000, id, 0xB2), "127.0.0.1", 9001));
                c1.push_back(task(sock(ev(DEQ, 1, t + 40'000, id, 0xB2), "127.0.0.1", 9001, 2222),
                                  4343, "rx-two"));
                ++delivered;
            }
            const std::uint64_t arrive = base + 100'000'000ULL;
            send(1, c1, arrive - 1000); // CPU 1's batch first: reordering is exercised
            send(0, c0, arrive);
            if (lossy && sec == 2 && slot == 5) {
                seq[0] += 7;
                session.enobufs(arrive + 10);
            }
        }
        proc->files["/proc/net/snmp"] = snmp_text(delivered, dropped);
        proc->files["/proc/net/udp"] = udp_text(static_cast<unsigned long>(dropped));
        proc->files["/proc/net/snmp6"] = snmp6_text(3 + 2 * (sec + 1));
        proc->files["/proc/net/softnet_stat"] =
            softnet_text(0xfffffff0u + static_cast<unsigned>(delivered + dropped),
                         static_cast<unsigned>(sec + 1));
        if (devices) {
            proc->files["/proc/net/dev"] = net_dev_own_text(delivered + dropped);
            proc->files["/proc/77/net/dev"] = net_dev_peer_text(sec + 1, sec + 1 == seconds);
        }
        std::vector<nsk::CpuCounters> now = synth_status().cpus;
        for (auto &c : now) {
            c.sent = seq[c.cpu];
            c.written = seq[c.cpu];
        }
        session.tick(T0 + static_cast<std::uint64_t>(sec + 1) * 1'000'000'000ULL, now,
                     governed ? std::optional<std::uint32_t>(gov_changes) : std::nullopt);
    }
    std::vector<nsk::CpuCounters> final_cpus = synth_status().cpus;
    for (auto &c : final_cpus) {
        c.sent = seq[c.cpu];
        c.written = seq[c.cpu];
        c.hits = seq[c.cpu] + 3;
        c.batches = 50;
    }
    if (lossy) { // the kernel skipped kprobe hits (STATUS after STOP says which)
        nsk::Status after = synth_status();
        for (auto &p : after.probes)
            p.missed = p.id == NSK_PROBE_UDP_RCV ? 2 : p.id == NSK_PROBE_IP_RCV ? 1 : 0;
        session.probe_status(after.probes);
    }
    session.finish(T0 + static_cast<std::uint64_t>(seconds) * 1'000'000'000ULL + 200'000'000ULL,
                   final_cpus, true,
                   governed ? std::optional<std::uint32_t>(gov_changes) : std::nullopt);
    (void)writer.close();
    run.capture = static_cast<std::ostringstream *>(writer.stream())->str();
    std::istringstream lines(json_out.str());
    for (std::string l; std::getline(lines, l);)
        run.json_lines.push_back(l);
    run.text = text_out.str();
    run.summary = session.last();
    return run;
}

} // namespace synth
