#include "nsk/reconciler.hpp"

#include "nsk/format.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <sys/socket.h>
#include <sys/stat.h>

namespace nsk {
namespace {

std::vector<std::string_view> split_ws(std::string_view line)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ' && line[j] != '\t')
            ++j;
        if (j > i)
            out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

std::vector<std::string_view> lines_of(std::string_view s)
{
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < s.size()) {
        auto nl = s.find('\n', start);
        if (nl == std::string_view::npos)
            nl = s.size();
        out.push_back(s.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

template <typename T>
bool parse_num(std::string_view s, T &v, int base = 10)
{
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
    return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

} // namespace

namespace {

/// Header line / value line pairs ("Udp: InDatagrams ..." then "Udp: 500 ..."), the format of
/// /proc/net/snmp and /proc/net/netstat; only the sections in `wanted`.
CounterMap parse_pairs(std::string_view content, const std::set<std::string_view> &wanted)
{
    CounterMap out;
    auto lines = lines_of(content);
    for (std::size_t i = 0; i + 1 < lines.size(); ++i) {
        auto h = split_ws(lines[i]);
        auto v = split_ws(lines[i + 1]);
        if (h.empty() || v.empty() || h[0] != v[0] || h[0].back() != ':')
            continue;
        const std::string_view section = h[0].substr(0, h[0].size() - 1);
        ++i; // consumed the value line
        if (!wanted.count(section) || h.size() != v.size())
            continue;
        for (std::size_t k = 1; k < h.size(); ++k) {
            std::int64_t val = 0;
            if (parse_num(v[k], val))
                out[std::string(section) + "." + std::string(h[k])] = val;
        }
    }
    return out;
}

} // namespace

CounterMap parse_snmp(std::string_view content)
{
    return parse_pairs(content, {"Ip", "Icmp", "Tcp", "Udp", "UdpLite"});
}

CounterMap parse_netstat(std::string_view content)
{
    return parse_pairs(content, {"TcpExt", "IpExt"});
}

CounterMap parse_snmp6(std::string_view content)
{
    CounterMap out;
    for (auto line : lines_of(content)) {
        auto f = split_ws(line);
        std::int64_t val = 0;
        if (f.size() != 2 || !parse_num(f[1], val))
            continue;
        const std::string_view name = f[0];
        const auto six = name.find('6');
        if (six == std::string_view::npos || six + 1 >= name.size())
            out["Snmp6." + std::string(name)] = val;
        else
            out[std::string(name.substr(0, six + 1)) + "." + std::string(name.substr(six + 1))] =
                val;
    }
    return out;
}

bool is_drop_counter(std::string_view key)
{
    static const std::set<std::string_view> names{
        // /proc/net/snmp
        "Ip.InHdrErrors", "Ip.InAddrErrors", "Ip.InUnknownProtos", "Ip.InDiscards",
        "Ip.OutDiscards", "Ip.OutNoRoutes", "Ip.ReasmFails", "Ip.FragFails", "Icmp.InErrors",
        "Icmp.InCsumErrors", "Icmp.OutErrors", "Tcp.AttemptFails", "Tcp.EstabResets",
        "Tcp.RetransSegs", "Tcp.InErrs", "Tcp.OutRsts", "Tcp.InCsumErrors", "Udp.NoPorts",
        "Udp.InErrors", "Udp.RcvbufErrors", "Udp.SndbufErrors", "Udp.InCsumErrors", "Udp.MemErrors",
        "UdpLite.NoPorts", "UdpLite.InErrors", "UdpLite.RcvbufErrors", "UdpLite.SndbufErrors",
        "UdpLite.InCsumErrors", "UdpLite.MemErrors",
        // /proc/net/netstat
        "TcpExt.TCPRcvQDrop", "TcpExt.TCPZeroWindowDrop", "TcpExt.TCPBacklogDrop",
        "TcpExt.TCPOFODrop", "TcpExt.TCPOFOQueue", "TcpExt.TCPMinTTLDrop", "TcpExt.PFMemallocDrop",
        "TcpExt.ListenDrops", "TcpExt.ListenOverflows", "TcpExt.TCPReqQFullDrop",
        "TcpExt.TCPDeferAcceptDrop", "TcpExt.TCPTimeWaitOverflow", "TcpExt.PruneCalled",
        "TcpExt.RcvPruned", "TcpExt.OfoPruned", "TcpExt.TCPRcvCollapsed", "TcpExt.TCPAbortOnMemory",
        "TcpExt.LockDroppedIcmps", "TcpExt.OutOfWindowIcmps", "TcpExt.PAWSEstab",
        "TcpExt.TCPWqueueTooBig", "TcpExt.TCPMD5NotFound", "TcpExt.TCPMD5Unexpected",
        "TcpExt.TCPMD5Failure", "TcpExt.TCPAORequired", "TcpExt.TCPAOBad",
        "TcpExt.TCPAOKeyNotFound", "TcpExt.TCPAODroppedIcmps", "IpExt.InNoRoutes",
        "IpExt.InTruncatedPkts", "IpExt.InCsumErrors",
        // /proc/net/snmp6
        "Ip6.InHdrErrors", "Ip6.InTooBigErrors", "Ip6.InNoRoutes", "Ip6.InAddrErrors",
        "Ip6.InUnknownProtos", "Ip6.InTruncatedPkts", "Ip6.InDiscards", "Ip6.OutDiscards",
        "Ip6.OutNoRoutes", "Ip6.ReasmFails", "Ip6.FragFails", "Icmp6.InErrors", "Icmp6.OutErrors",
        "Icmp6.InCsumErrors", "Udp6.NoPorts", "Udp6.InErrors", "Udp6.RcvbufErrors",
        "Udp6.SndbufErrors", "Udp6.InCsumErrors", "Udp6.MemErrors", "UdpLite6.NoPorts",
        "UdpLite6.InErrors", "UdpLite6.RcvbufErrors", "UdpLite6.SndbufErrors",
        "UdpLite6.InCsumErrors", "UdpLite6.MemErrors"};
    return names.count(key) != 0;
}

std::vector<SoftnetCpu> parse_softnet_stat(std::string_view content)
{
    std::vector<SoftnetCpu> out;
    std::uint32_t row = 0;
    for (auto line : lines_of(content)) {
        auto f = split_ws(line);
        if (f.empty())
            continue;
        std::vector<std::uint32_t> col(f.size());
        bool ok = f.size() >= 3;
        for (std::size_t i = 0; ok && i < f.size(); ++i)
            ok = parse_num(f[i], col[i], 16);
        if (!ok)
            continue; // not a softnet row; it does not count as a CPU either
        auto at = [&](std::size_t i) { return i < col.size() ? col[i] : 0u; };
        SoftnetCpu c;
        c.cpu = col.size() > 12 ? col[12] : row;
        for (const auto &fd : kSoftnetFields)
            c.*fd.row = at(fd.column);
        out.push_back(c);
        ++row;
    }
    return out;
}

std::vector<NetDevice> parse_proc_net_dev(std::string_view content)
{
    std::vector<NetDevice> out;
    for (auto line : lines_of(content)) {
        // "  eth0: 492082497 9779 0 ..." ("%6s: %7llu ...": a name longer than 6 touches the
        // ':'; old kernels printed "%6s:%8lu", no space after it).  The counters hold no ':',
        // so the last one ends the name, whatever the name holds.
        const auto colon = line.rfind(':');
        if (colon == std::string_view::npos)
            continue; // the two header lines
        std::string_view name = line.substr(0, colon);
        while (!name.empty() && (name.front() == ' ' || name.front() == '\t'))
            name.remove_prefix(1);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
            name.remove_suffix(1);
        const auto f = split_ws(line.substr(colon + 1));
        if (name.empty() || f.size() < 12) // through tx_dropped (column 11)
            continue;
        std::vector<std::uint64_t> col(f.size());
        bool ok = true;
        for (std::size_t i = 0; ok && i < f.size(); ++i)
            ok = parse_num(f[i], col[i]);
        if (!ok)
            continue;
        NetDevice d;
        d.name = std::string(name);
        for (const auto &fd : kDeviceFields)
            if (fd.column != kNotProcNetDev)
                d.*fd.row = col[fd.column];
        out.push_back(std::move(d));
    }
    return out;
}

bool DeviceDelta::moved() const
{
    for (const auto &f : kDeviceFields)
        if (this->*f.delta)
            return true;
    return false;
}

std::string decode_proc_endpoint(std::string_view hex, bool v6)
{
    auto colon = hex.find(':');
    if (colon == std::string_view::npos)
        return "";
    std::string_view a = hex.substr(0, colon);
    std::uint16_t port = 0;
    if (!parse_num(hex.substr(colon + 1), port, 16))
        return "";
    std::uint8_t bytes[16] = {};
    const std::size_t words = v6 ? 4 : 1;
    if (a.size() != words * 8)
        return "";
    for (std::size_t w = 0; w < words; ++w) {
        std::uint32_t word = 0;
        if (!parse_num(a.substr(w * 8, 8), word, 16))
            return "";
        std::memcpy(bytes + 4 * w, &word, 4); // the kernel printed the native u32
    }
    return format_endpoint(v6 ? AF_INET6 : AF_INET, bytes, port);
}

std::vector<ProcUdpEntry> parse_proc_udp(std::string_view content, bool v6)
{
    // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ref pointer drops
    std::vector<ProcUdpEntry> out;
    for (auto line : lines_of(content)) {
        auto f = split_ws(line);
        if (f.size() < 13 || f[0] == "sl")
            continue;
        ProcUdpEntry e;
        e.family = v6 ? 6 : 4;
        e.local = decode_proc_endpoint(f[1], v6);
        e.remote = decode_proc_endpoint(f[2], v6);
        auto q = f[4].find(':');
        if (e.local.empty() || q == std::string_view::npos || !parse_num(f[3], e.state, 16) ||
            !parse_num(f[4].substr(0, q), e.tx_queue, 16) ||
            !parse_num(f[4].substr(q + 1), e.rx_queue, 16) || !parse_num(f[7], e.uid) ||
            !parse_num(f[9], e.inode) || !parse_num(f[12], e.drops))
            continue;
        out.push_back(std::move(e));
    }
    return out;
}

std::optional<std::string> ProcFs::read(const std::string &path) const
{
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::vector<int> ProcFs::pids() const
{
    std::vector<int> out;
    std::unique_ptr<DIR, int (*)(DIR *)> d(opendir("/proc"), closedir);
    if (!d)
        return out;
    while (dirent *e = readdir(d.get())) {
        int pid = 0;
        if (parse_num(std::string_view(e->d_name), pid) && pid > 0)
            out.push_back(pid);
    }
    return out;
}

std::optional<std::uint32_t> ProcFs::netns_of(int pid) const
{
    const std::string path =
        pid == 0 ? std::string("/proc/self/ns/net") : "/proc/" + std::to_string(pid) + "/ns/net";
    struct stat st {};
    if (stat(path.c_str(), &st) != 0)
        return std::nullopt;
    return static_cast<std::uint32_t>(st.st_ino);
}

Reconciler::Reconciler(std::shared_ptr<const ProcFs> fs) : fs_(std::move(fs)) {}

void Reconciler::read_udp(const std::string &dir, std::map<std::uint32_t, ProcUdpEntry> &into) const
{
    for (bool v6 : {false, true}) {
        auto text = fs_->read(dir + (v6 ? "/udp6" : "/udp"));
        if (!text)
            continue;
        for (auto &e : parse_proc_udp(*text, v6))
            if (e.inode)
                into[e.inode] = std::move(e);
    }
}

void Reconciler::read_counters(ProcSnapshot &snap) const
{
    // Our own network namespace's counters (softnet_stat is per CPU, the same in every netns).
    if (auto t = fs_->read("/proc/net/snmp"))
        snap.snmp = parse_snmp(*t);
    if (auto t = fs_->read("/proc/net/netstat"))
        snap.netstat = parse_netstat(*t);
    if (auto t = fs_->read("/proc/net/snmp6"))
        snap.snmp6 = parse_snmp6(*t);
    if (auto t = fs_->read("/proc/net/softnet_stat"))
        snap.softnet = parse_softnet_stat(*t);
}

ProcSnapshot Reconciler::read_start()
{
    ProcSnapshot snap;
    snap.base = true;
    snap.own_netns = fs_->netns_of(0);
    read_counters(snap);
    std::map<std::uint32_t, ProcUdpEntry> rows;
    read_udp("/proc/net", rows);
    // Every other network namespace, through one of its processes.
    std::set<std::uint32_t> seen;
    if (snap.own_netns)
        seen.insert(*snap.own_netns);
    netns_pids_.clear();
    for (int pid : fs_->pids()) {
        auto ns = fs_->netns_of(pid);
        if (!ns || !seen.insert(*ns).second)
            continue;
        netns_pids_.emplace_back(pid, *ns);
        read_udp("/proc/" + std::to_string(pid) + "/net", rows);
    }
    for (auto &kv : rows)
        snap.udp.push_back(std::move(kv.second));
    // ... and the namespaces `ip netns` names that no process is in (a router, a bridge).
    netns_named_.clear();
    netns_names_.clear();
    for (auto &n : fs_->named_netns()) {
        netns_names_[n.netns] = n.name;
        if (seen.insert(n.netns).second)
            netns_named_.push_back(std::move(n));
    }
    look_and_read(snap, false);
    return snap;
}

ProcSnapshot Reconciler::read_sample(const std::vector<std::uint32_t> &pids) const
{
    ProcSnapshot snap;
    if (!started_)
        return snap;
    read_counters(snap);
    std::map<std::uint32_t, ProcUdpEntry> rows;
    read_udp("/proc/net", rows);
    std::set<std::uint32_t> done;
    for (auto pid : pids)
        if (pid && done.insert(pid).second)
            read_udp("/proc/" + std::to_string(pid) + "/net", rows);
    for (const auto &[pid, ns] : netns_pids_)
        if (done.insert(static_cast<std::uint32_t>(pid)).second)
            read_udp("/proc/" + std::to_string(pid) + "/net", rows);
    look_and_read(snap, true);
    // Only what changed: a busy host has thousands of idle sockets.
    for (auto &[inode, e] : rows) {
        auto it = last_.find(inode);
        if (it != last_.end() && it->second.drops == e.drops && it->second.local == e.local &&
            it->second.remote == e.remote && it->second.family == e.family)
            continue;
        snap.udp.push_back(std::move(e));
    }
    return snap;
}

void Reconciler::look_and_read(ProcSnapshot &snap, bool changed_only) const
{
    // One look from inside each namespace that needs it: the qdiscs of every namespace (an
    // rtnetlink socket lives in the namespace it was made in), the files of named ones.
    Looks looks;
    looks.own_qdiscs = fs_->qdisc_drops();
    for (const auto &[pid, ns] : netns_pids_)
        if (fs_->netns_of(pid) == ns)
            if (auto v = fs_->look_inside("/proc/" + std::to_string(pid) + "/ns/net", {}))
                looks.views[ns] = std::move(*v);
    for (const auto &n : netns_named_)
        if (auto v = fs_->look_inside(n.path, {"snmp", "netstat", "snmp6", "dev"}))
            looks.views[n.netns] = std::move(*v);
    read_other_counters(snap, looks, changed_only);
    const auto own = snap.base ? snap.own_netns : own_netns_;
    snap.devices = read_devices(own.value_or(0), looks, changed_only);
}

void Reconciler::read_other_counters(ProcSnapshot &snap, const Looks &looks,
                                     bool changed_only) const
{
    std::vector<NetnsCounters> out;
    bool any = false;
    auto add = [&](std::uint32_t ns, const std::function<std::optional<std::string>(
                                          const std::string &)> &file) {
        NetnsCounters c;
        c.netns = ns;
        if (auto it = netns_names_.find(ns); it != netns_names_.end())
            c.name = it->second;
        for (auto [f, parse] : {std::pair{"snmp", &parse_snmp}, {"netstat", &parse_netstat},
                                {"snmp6", &parse_snmp6}})
            if (auto text = file(f))
                for (auto &[k, v] : parse(*text))
                    c.counters[k] = v;
        if (c.counters.empty())
            return;
        any = true;
        if (changed_only) {
            // Only what changed since the last snapshot applied.
            auto last = netns_last_.find(ns);
            if (last != netns_last_.end())
                for (auto it = c.counters.begin(); it != c.counters.end();) {
                    auto prev = last->second.find(it->first);
                    it = prev != last->second.end() && prev->second == it->second
                             ? c.counters.erase(it)
                             : std::next(it);
                }
            if (c.counters.empty())
                return;
        }
        out.push_back(std::move(c));
    };
    for (const auto &[pid, ns] : netns_pids_) {
        if (fs_->netns_of(pid) != ns)
            continue; // gone, or moved: not read from the wrong namespace
        const std::string dir = "/proc/" + std::to_string(pid) + "/net/";
        add(ns, [&](const std::string &f) { return fs_->read(dir + f); });
    }
    for (const auto &n : netns_named_) {
        auto v = looks.views.find(n.netns);
        if (v == looks.views.end())
            continue;
        add(n.netns, [&](const std::string &f) -> std::optional<std::string> {
            auto it = v->second.files.find(f);
            if (it == v->second.files.end())
                return std::nullopt;
            return it->second;
        });
    }
    if (any)
        snap.netns_counters = std::move(out);
}

std::optional<std::vector<NetnsDevices>> Reconciler::read_devices(std::uint32_t own,
                                                                  const Looks &looks,
                                                                  bool changed_only) const
{
    std::optional<std::vector<NetnsDevices>> out;
    auto read_ns = [&](std::uint32_t ns, const std::optional<std::string> &text,
                       const std::optional<std::map<std::string, std::uint64_t>> &qdiscs) {
        if (!text)
            return;
        if (!out)
            out.emplace();
        NetnsDevices nd;
        nd.netns = ns;
        for (auto &d : parse_proc_net_dev(*text)) {
            if (qdiscs)
                if (auto q = qdiscs->find(d.name); q != qdiscs->end())
                    d.qdisc_drops = q->second;
            if (changed_only) {
                // Only what changed since the last snapshot applied: most devices of a host
                // with many containers are idle.  Left out means unchanged, for a device that
                // is gone as well (it keeps its delta either way).
                auto prev = device_prev_.find({ns, d.name});
                const bool same = prev != device_prev_.end() &&
                                  std::all_of(std::begin(kDeviceFields), std::end(kDeviceFields),
                                              [&](const DeviceField &f) {
                                                  return prev->second.*f.row == d.*f.row;
                                              });
                if (same)
                    continue;
            }
            nd.devices.push_back(std::move(d));
        }
        if (!changed_only || !nd.devices.empty())
            out->push_back(std::move(nd));
    };
    auto qdiscs_of = [&](std::uint32_t ns) -> std::optional<std::map<std::string, std::uint64_t>> {
        auto v = looks.views.find(ns);
        if (v == looks.views.end())
            return std::nullopt;
        return v->second.qdisc_drops;
    };
    read_ns(own, fs_->read("/proc/net/dev"), looks.own_qdiscs);
    for (const auto &[pid, ns] : netns_pids_) {
        // A pid that exited (or was reused by a process elsewhere) no longer shows that
        // namespace: its devices are not read rather than read from the wrong namespace.
        if (fs_->netns_of(pid) != ns)
            continue;
        read_ns(ns, fs_->read("/proc/" + std::to_string(pid) + "/net/dev"), qdiscs_of(ns));
    }
    for (const auto &n : netns_named_) {
        auto v = looks.views.find(n.netns);
        if (v == looks.views.end())
            continue;
        auto f = v->second.files.find("dev");
        if (f != v->second.files.end())
            read_ns(n.netns, f->second, v->second.qdisc_drops);
    }
    return out;
}

void Reconciler::apply(const ProcSnapshot &snap)
{
    auto merge = [&](CounterMap &into) {
        for (const auto *m : {&snap.snmp, &snap.netstat, &snap.snmp6})
            if (*m)
                for (const auto &[k, v] : **m)
                    into[k] = v;
    };
    if (snap.base) {
        started_ = true;
        own_netns_ = snap.own_netns;
        counters_base_.clear();
        merge(counters_base_);
        counters_last_ = counters_base_;
        softnet_prev_.clear();
        softnet_acc_.clear();
        softnet_seen_ = false;
        if (snap.softnet)
            apply_softnet(*snap.softnet);
        device_prev_.clear();
        device_acc_.clear();
        devices_seen_ = false;
        if (snap.devices)
            apply_devices(*snap.devices);
        netns_base_.clear();
        netns_last_.clear();
        if (snap.netns_counters)
            apply_netns_counters(*snap.netns_counters, true);
        base_.clear();
        for (const auto &e : snap.udp)
            base_[e.inode] = e;
        last_ = base_;
        changed_at_.clear();
        by_tuple_stale_ = true;
        return;
    }
    if (!started_)
        return;
    merge(counters_last_);
    if (snap.softnet)
        apply_softnet(*snap.softnet);
    if (snap.devices)
        apply_devices(*snap.devices);
    if (snap.netns_counters)
        apply_netns_counters(*snap.netns_counters, false);
    ++applies_;
    for (const auto &e : snap.udp) {
        last_[e.inode] = e;
        if (!base_.count(e.inode))
            changed_at_[e.inode] = applies_;
    }
    if (!snap.udp.empty())
        by_tuple_stale_ = true;
    bound_rows();
}

void Reconciler::bound_rows()
{
    if (changed_at_.size() <= max_rows_)
        return;
    // The least recently changed rows of sockets created during the collection go (all of
    // those at the cut's serial: a few more at most).
    std::vector<std::uint64_t> serials;
    serials.reserve(changed_at_.size());
    for (const auto &kv : changed_at_)
        serials.push_back(kv.second);
    const std::size_t excess = changed_at_.size() - max_rows_;
    std::nth_element(serials.begin(), serials.begin() + static_cast<std::ptrdiff_t>(excess - 1),
                     serials.end());
    const std::uint64_t cut = serials[excess - 1];
    for (auto it = changed_at_.begin(); it != changed_at_.end();) {
        if (it->second <= cut) {
            last_.erase(it->first);
            ++evicted_rows_;
            it = changed_at_.erase(it);
        } else {
            ++it;
        }
    }
    by_tuple_stale_ = true;
}

void Reconciler::apply_softnet(const std::vector<SoftnetCpu> &rows)
{
    softnet_seen_ = true;
    for (const auto &r : rows) {
        auto &acc = softnet_acc_[r.cpu];
        acc.cpu = r.cpu;
        auto prev = softnet_prev_.find(r.cpu);
        if (prev != softnet_prev_.end()) {
            // u32 arithmetic: a counter that wrapped since the previous snapshot still grows
            auto grow = [](std::uint32_t now, std::uint32_t before) {
                return static_cast<std::uint64_t>(static_cast<std::uint32_t>(now - before));
            };
            for (const auto &f : kSoftnetFields)
                acc.*f.delta += grow(r.*f.row, prev->second.*f.row);
        }
        softnet_prev_[r.cpu] = r;
    }
}

void Reconciler::apply_devices(const std::vector<NetnsDevices> &snap)
{
    devices_seen_ = true;
    for (const auto &ns : snap)
        for (const auto &d : ns.devices) {
            const DeviceKey key{ns.netns, d.name};
            auto &acc = device_acc_[key];
            acc.netns = ns.netns;
            acc.name = d.name;
            auto prev = device_prev_.find(key);
            if (prev != device_prev_.end())
                for (const auto &f : kDeviceFields) {
                    const std::uint64_t now = d.*f.row, before = prev->second.*f.row;
                    // Lower than before: the device was recreated under the same name and
                    // its counters restarted from 0 (a u64 never wraps in practice).
                    acc.*f.delta += now >= before ? now - before : now;
                }
            device_prev_[key] = d;
        }
}

void Reconciler::apply_netns_counters(const std::vector<NetnsCounters> &rows, bool base)
{
    for (const auto &r : rows) {
        if (!r.name.empty())
            netns_names_[r.netns] = r.name;
        if (base)
            netns_base_[r.netns] = r.counters;
        auto &last = netns_last_[r.netns];
        for (const auto &[k, v] : r.counters)
            last[k] = v;
    }
}

std::vector<NetnsCounters> Reconciler::netns_counter_deltas() const
{
    std::vector<NetnsCounters> out;
    for (const auto &[ns, last] : netns_last_) {
        auto base = netns_base_.find(ns);
        if (base == netns_base_.end())
            continue; // no baseline: its counters were unreadable at the start
        NetnsCounters d;
        d.netns = ns;
        if (auto n = netns_names_.find(ns); n != netns_names_.end())
            d.name = n->second;
        for (const auto &[k, v] : last)
            if (auto b = base->second.find(k); b != base->second.end() && v != b->second)
                d.counters[k] = v - b->second;
        if (!d.counters.empty())
            out.push_back(std::move(d));
    }
    return out;
}

std::map<std::uint32_t, std::string> Reconciler::netns_read() const
{
    std::map<std::uint32_t, std::string> out;
    for (const auto &kv : netns_base_) {
        auto n = netns_names_.find(kv.first);
        out[kv.first] = n != netns_names_.end() ? n->second : std::string();
    }
    return out;
}

CounterMap Reconciler::counter_deltas() const
{
    CounterMap out;
    for (const auto &[k, v] : counters_last_) {
        // A counter with no baseline (its file was unreadable at the start) has no delta.
        auto it = counters_base_.find(k);
        if (it != counters_base_.end())
            out[k] = v - it->second;
    }
    return out;
}

std::optional<std::vector<SoftnetDelta>> Reconciler::softnet_deltas() const
{
    if (!softnet_seen_)
        return std::nullopt;
    std::vector<SoftnetDelta> out;
    for (const auto &kv : softnet_acc_)
        out.push_back(kv.second);
    return out;
}

std::optional<std::vector<DeviceDelta>> Reconciler::device_deltas() const
{
    if (!devices_seen_)
        return std::nullopt;
    std::vector<DeviceDelta> out;
    out.reserve(device_acc_.size());
    for (const auto &kv : device_acc_)
        out.push_back(kv.second);
    return out;
}

std::optional<std::int64_t> Reconciler::drops_delta(std::uint32_t inode) const
{
    auto it = last_.find(inode);
    if (it == last_.end())
        return std::nullopt;
    auto b = base_.find(inode);
    const auto base = b == base_.end() ? 0 : static_cast<std::int64_t>(b->second.drops);
    return static_cast<std::int64_t>(it->second.drops) - base;
}

std::optional<std::int64_t> Reconciler::drops_delta(const std::string &local,
                                                    const std::string &remote) const
{
    if (by_tuple_stale_) {
        by_tuple_.clear();
        for (const auto &[inode, e] : last_) {
            auto [it, fresh] = by_tuple_.try_emplace(e.local + ' ' + e.remote, inode);
            if (!fresh)
                it->second = std::nullopt; // ambiguous
        }
        by_tuple_stale_ = false;
    }
    auto it = by_tuple_.find(local + ' ' + remote);
    if (it == by_tuple_.end() || !it->second)
        return std::nullopt;
    return drops_delta(*it->second);
}

CounterMap read_sysctls(const ProcFs &fs)
{
    CounterMap out;
    for (const char *name : kSysctls) {
        std::string path = "/proc/sys/" + std::string(name);
        std::replace(path.begin() + 10, path.end(), '.', '/');
        if (auto text = fs.read(path)) {
            char *end = nullptr;
            const long long v = std::strtoll(text->c_str(), &end, 10);
            if (end != text->c_str())
                out[name] = v;
        }
    }
    return out;
}

} // namespace nsk
