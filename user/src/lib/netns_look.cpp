// Looking into other network namespaces: the ones `ip netns` names in /run/netns (no process
// needed), /proc/net files and qdisc statistics from inside one (a thread that joins it with
// setns), and the root qdiscs' drop counters over rtnetlink (libnl-route, as `tc -s qdisc`).
#include "nsk/reconciler.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/pkt_sched.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>
#include <net/if.h>
#include <sched.h>
#include <set>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace nsk {
namespace {

/// Root qdiscs' drops by device name, in the calling thread's network namespace (the
/// netlink socket belongs to the namespace it is created in).
std::optional<std::map<std::string, std::uint64_t>> root_qdisc_drops_here()
{
    std::unique_ptr<nl_sock, void (*)(nl_sock *)> sk(nl_socket_alloc(), nl_socket_free);
    if (!sk || nl_connect(sk.get(), NETLINK_ROUTE) < 0)
        return std::nullopt;
    nl_cache *links_raw = nullptr, *qdiscs_raw = nullptr;
    if (rtnl_link_alloc_cache(sk.get(), AF_UNSPEC, &links_raw) < 0)
        return std::nullopt;
    std::unique_ptr<nl_cache, void (*)(nl_cache *)> links(links_raw, nl_cache_free);
    if (rtnl_qdisc_alloc_cache(sk.get(), &qdiscs_raw) < 0)
        return std::nullopt;
    std::unique_ptr<nl_cache, void (*)(nl_cache *)> qdiscs(qdiscs_raw, nl_cache_free);
    std::map<std::string, std::uint64_t> out;
    for (nl_object *o = nl_cache_get_first(qdiscs.get()); o; o = nl_cache_get_next(o)) {
        auto *tc = reinterpret_cast<rtnl_tc *>(o);
        // The root qdisc counts what its classes and child qdiscs drop (mq sums its queues'):
        // the number `tc -s qdisc show dev X` prints first.  Ingress qdiscs are not on egress.
        if (rtnl_tc_get_parent(tc) != TC_H_ROOT)
            continue;
        char name[IF_NAMESIZE + 1] = {};
        if (!rtnl_link_i2name(links.get(), rtnl_tc_get_ifindex(tc), name, sizeof name))
            continue;
        out[name] += rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
    }
    return out;
}

std::optional<std::uint64_t> nsfs_dev()
{
    struct stat st {};
    if (stat("/proc/self/ns/net", &st) != 0)
        return std::nullopt;
    return static_cast<std::uint64_t>(st.st_dev);
}

} // namespace

std::vector<NamedNetns> ProcFs::named_netns() const
{
    std::vector<NamedNetns> out;
    const auto nsfs = nsfs_dev();
    if (!nsfs)
        return out;
    std::set<std::uint32_t> seen;
    // /var/run is /run on most systems; read both and keep each namespace once.
    for (const char *dir : {"/run/netns", "/var/run/netns"}) {
        std::unique_ptr<DIR, int (*)(DIR *)> d(opendir(dir), closedir);
        if (!d)
            continue;
        while (dirent *e = readdir(d.get())) {
            const std::string name = e->d_name;
            if (name == "." || name == "..")
                continue;
            const std::string path = std::string(dir) + "/" + name;
            struct stat st {};
            // A name whose bind mount is gone is a plain empty file: not a namespace.
            if (stat(path.c_str(), &st) != 0 || static_cast<std::uint64_t>(st.st_dev) != *nsfs)
                continue;
            const auto ino = static_cast<std::uint32_t>(st.st_ino);
            if (seen.insert(ino).second)
                out.push_back({name, path, ino});
        }
    }
    return out;
}

std::optional<NetnsView> ProcFs::look_inside(const std::string &nspath,
                                             const std::vector<std::string> &files) const
{
    std::optional<NetnsView> out;
    // A thread of its own joins the namespace and ends there: the process's other threads,
    // and this one's caller, stay where they are.
    std::thread t([&] {
        try {
            const int fd = ::open(nspath.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd < 0)
                return;
            const int rc = ::setns(fd, CLONE_NEWNET);
            ::close(fd);
            if (rc != 0)
                return;
            NetnsView v;
            for (const auto &f : files)
                if (auto text = read("/proc/thread-self/net/" + f))
                    v.files[f] = std::move(*text);
            v.qdisc_drops = root_qdisc_drops_here();
            out = std::move(v);
        } catch (...) {
            out.reset(); // (allocation failure): nothing read
        }
    });
    t.join();
    return out;
}

std::optional<std::map<std::string, std::uint64_t>> ProcFs::qdisc_drops() const
{
    return root_qdisc_drops_here();
}

} // namespace nsk
