#include "nsk/genl.hpp"

#include "nsk/format.hpp"
#include "nsk/uapi.hpp"

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace nsk {

void NlSockDeleter::operator()(nl_sock *s) const
{
    nl_socket_free(s);
}
void NlMsgDeleter::operator()(nl_msg *m) const
{
    nlmsg_free(m);
}

namespace {

Error from_nl(int nlerr, const std::string &what)
{
    if (nlerr < 0)
        nlerr = -nlerr;
    if (nlerr == NLE_PERM)
        return permission_error(what);
    return Error{Errc::system, what + " failed: " + nl_geterror(nlerr), 0};
}

Error from_errno(int err, const std::string &what, const std::string &extack)
{
    if (err < 0)
        err = -err;
    const std::string detail = extack.empty() ? std::string(std::strerror(err)) : extack;
    switch (err) {
    case EPERM:
    case EACCES:
        return permission_error(what);
    case EBUSY:
        return Error{Errc::busy,
                     "another collector is running (" + what + ": " + detail + "); stop it first",
                     err};
    case ENOENT:
    case EOPNOTSUPP:
        return Error{Errc::module_gone, what + " failed: " + detail + " (was the module unloaded?)",
                     err};
    default:
        return Error{Errc::other, what + " failed: " + detail, err};
    }
}

NlSockPtr connect_genl(int &nlerr)
{
    NlSockPtr s(nl_socket_alloc());
    if (!s) {
        nlerr = NLE_NOMEM;
        return nullptr;
    }
    nlerr = genl_connect(s.get());
    if (nlerr < 0)
        return nullptr;
    return s;
}

std::string get_str(nlattr *a)
{
    if (!a || nla_len(a) <= 0)
        return "";
    return bounded_string(static_cast<const char *>(nla_data(a)),
                          static_cast<std::size_t>(nla_len(a)));
}
std::uint64_t get_u64(nlattr *a)
{
    if (!a)
        return 0;
    if (nla_len(a) >= 8)
        return nla_get_u64(a);
    if (nla_len(a) >= 4)
        return nla_get_u32(a);
    return 0;
}
std::uint32_t get_u32(nlattr *a)
{
    return a && nla_len(a) >= 4 ? nla_get_u32(a) : 0;
}
std::uint8_t get_u8(nlattr *a)
{
    return a && nla_len(a) >= 1 ? nla_get_u8(a) : 0;
}
std::uint16_t get_u16(nlattr *a)
{
    return a && nla_len(a) >= 2 ? nla_get_u16(a) : 0;
}

Filters parse_config(nlattr *nest)
{
    Filters f;
    if (!nest)
        return f;
    nlattr *tb[NSK_CFG_ATTR_MAX + 1] = {};
    if (nla_parse_nested(tb, NSK_CFG_ATTR_MAX, nest, nullptr) < 0)
        return f;
    if (tb[NSK_CFG_ATTR_PROTO])
        f.proto = get_u8(tb[NSK_CFG_ATTR_PROTO]);
    if (tb[NSK_CFG_ATTR_PORT])
        f.port = get_u16(tb[NSK_CFG_ATTR_PORT]);
    if (tb[NSK_CFG_ATTR_ADDR]) {
        AddrFilter a;
        const int len = nla_len(tb[NSK_CFG_ATTR_ADDR]);
        a.family = get_u8(tb[NSK_CFG_ATTR_ADDR_FAMILY]);
        if (!a.family)
            a.family = len == 16 ? AF_INET6 : AF_INET;
        std::memcpy(a.bytes.data(), nla_data(tb[NSK_CFG_ATTR_ADDR]),
                    static_cast<std::size_t>(std::min(len, 16)));
        a.prefix = tb[NSK_CFG_ATTR_ADDR_PREFIX] ? get_u8(tb[NSK_CFG_ATTR_ADDR_PREFIX])
                                                : static_cast<std::uint8_t>(len == 16 ? 128 : 32);
        std::string ep = format_endpoint(a.family, a.bytes.data(), 0);
        ep = ep.substr(0, ep.rfind(':'));
        if (a.family == AF_INET6 && ep.size() > 2)
            ep = ep.substr(1, ep.size() - 2);
        a.text = ep + "/" + std::to_string(a.prefix);
        f.addr = a;
    }
    if (tb[NSK_CFG_ATTR_PID])
        f.pid = get_u32(tb[NSK_CFG_ATTR_PID]);
    if (tb[NSK_CFG_ATTR_NETNS])
        f.netns = get_u32(tb[NSK_CFG_ATTR_NETNS]);
    if (tb[NSK_CFG_ATTR_SAMPLE])
        f.sample = std::max<std::uint32_t>(1, get_u32(tb[NSK_CFG_ATTR_SAMPLE]));
    if (tb[NSK_CFG_ATTR_BUDGET])
        f.budget = get_u32(tb[NSK_CFG_ATTR_BUDGET]);
    return f;
}

/// Extended ACK message of an NLMSG_ERROR, "" when absent.
std::string extack_message(const nlmsgerr *err)
{
    const auto *nlh =
        reinterpret_cast<const nlmsghdr *>(reinterpret_cast<const char *>(err) - NLMSG_HDRLEN);
    if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
        return "";
    std::size_t ack_len = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
        ack_len += err->msg.nlmsg_len - NLMSG_HDRLEN;
    ack_len = NLMSG_ALIGN(ack_len);
    if (nlh->nlmsg_len <= ack_len)
        return "";
    nlattr *tb[NLMSGERR_ATTR_MAX + 1] = {};
    auto *attrs = reinterpret_cast<nlattr *>(
        const_cast<char *>(reinterpret_cast<const char *>(nlh) + ack_len));
    if (nla_parse(tb, NLMSGERR_ATTR_MAX, attrs, static_cast<int>(nlh->nlmsg_len - ack_len),
                  nullptr) < 0)
        return "";
    return get_str(tb[NLMSGERR_ATTR_MSG]);
}

struct TransactState {
    bool done = false;
    int err = 0; // -errno from the kernel
    std::string extack;
    Result<void> reply_result;
    const std::function<Result<void>(nlattr **)> *on_reply = nullptr;
};

int cb_valid(nl_msg *msg, void *arg)
{
    auto *st = static_cast<TransactState *>(arg);
    nlattr *tb[NSK_ATTR_MAX + 1] = {};
    if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, NSK_ATTR_MAX, nullptr) < 0) {
        st->reply_result = Error{Errc::protocol, "malformed reply from the module", 0};
        return NL_SKIP;
    }
    if (st->on_reply && *st->on_reply && st->reply_result.ok())
        st->reply_result = (*st->on_reply)(tb);
    return NL_OK;
}
int cb_ack(nl_msg *, void *arg)
{
    static_cast<TransactState *>(arg)->done = true;
    return NL_STOP;
}
int cb_err(sockaddr_nl *, nlmsgerr *err, void *arg)
{
    auto *st = static_cast<TransactState *>(arg);
    st->done = true;
    st->err = err->error;
    st->extack = extack_message(err);
    return NL_STOP;
}

} // namespace

std::vector<CpuCounters> parse_cpu_stats(nlattr *nest)
{
    std::vector<CpuCounters> out;
    if (!nest)
        return out;
    nlattr *pos = nullptr;
    int rem = 0;
    nla_for_each_nested(pos, nest, rem)
    {
        if (nla_type(pos) != NSK_ATTR_CPU)
            continue;
        nlattr *tb[NSK_CPU_ATTR_MAX + 1] = {};
        if (nla_parse_nested(tb, NSK_CPU_ATTR_MAX, pos, nullptr) < 0)
            continue;
        CpuCounters c;
        c.cpu = get_u32(tb[NSK_CPU_ATTR_ID]);
        for (const auto &f : kCpuCounterFields)
            c.*f.member = get_u64(tb[f.attr]);
        c.nmi_refused = get_u64(tb[NSK_CPU_ATTR_NMI_REFUSED]);
        out.push_back(c);
    }
    return out;
}

Result<Status> parse_status(nlattr **tb)
{
    Status s;
    if (!tb[NSK_ATTR_MODULE_VERSION] && !tb[NSK_ATTR_FAMILY_VERSION])
        return Error{Errc::protocol, "status reply from the module lacks its version", 0};
    s.module_version = get_str(tb[NSK_ATTR_MODULE_VERSION]);
    s.family_version = get_u32(tb[NSK_ATTR_FAMILY_VERSION]);
    s.record_version = get_u32(tb[NSK_ATTR_RECORD_VERSION]);
    s.kernel_release = get_str(tb[NSK_ATTR_KERNEL_RELEASE]);
    s.collecting = get_u8(tb[NSK_ATTR_COLLECTING]) != 0;
    s.nr_cpus = get_u32(tb[NSK_ATTR_NR_CPUS]);
    s.ring_bytes = get_u32(tb[NSK_ATTR_RING_BYTES]);
    s.clock = get_str(tb[NSK_ATTR_CLOCK]);
    s.start_ts = get_u64(tb[NSK_ATTR_START_TS]);
    s.stop_ts = get_u64(tb[NSK_ATTR_STOP_TS]);
    s.sample_effective = tb[NSK_ATTR_SAMPLE_EFFECTIVE] ? get_u32(tb[NSK_ATTR_SAMPLE_EFFECTIVE]) : 1;
    s.gov_budget = get_u32(tb[NSK_ATTR_GOV_BUDGET]);
    s.gov_changes = get_u32(tb[NSK_ATTR_GOV_CHANGES]);
    s.drop_reasons = get_u8(tb[NSK_ATTR_DROP_REASONS]) != 0;
    s.state = tb[NSK_ATTR_STATE]
                  ? get_u8(tb[NSK_ATTR_STATE])
                  : static_cast<std::uint8_t>(s.collecting ? NSK_STATE_RUNNING : NSK_STATE_IDLE);
    s.start_error = static_cast<std::int32_t>(get_u32(tb[NSK_ATTR_START_ERROR]));
    s.start_message = get_str(tb[NSK_ATTR_START_MESSAGE]);
    s.collection = get_u64(tb[NSK_ATTR_COLLECTION]);
    s.cpus = parse_cpu_stats(tb[NSK_ATTR_CPU_STATS]);
    if (nlattr *probes = tb[NSK_ATTR_PROBES]) {
        nlattr *pos = nullptr;
        int rem = 0;
        nla_for_each_nested(pos, probes, rem)
        {
            if (nla_type(pos) != NSK_ATTR_PROBE)
                continue;
            nlattr *pt[NSK_PROBE_ATTR_MAX + 1] = {};
            if (nla_parse_nested(pt, NSK_PROBE_ATTR_MAX, pos, nullptr) < 0)
                continue;
            ProbeStatus p;
            p.id = get_u32(pt[NSK_PROBE_ATTR_ID]);
            p.name = get_str(pt[NSK_PROBE_ATTR_NAME]);
            p.kind = get_u32(pt[NSK_PROBE_ATTR_KIND]);
            p.path = get_u32(pt[NSK_PROBE_ATTR_PATH]);
            p.attached = get_u8(pt[NSK_PROBE_ATTR_ATTACHED]) != 0;
            p.error = static_cast<std::int32_t>(get_u32(pt[NSK_PROBE_ATTR_ERROR]));
            p.target = get_str(pt[NSK_PROBE_ATTR_TARGET]);
            p.hits = get_u64(pt[NSK_PROBE_ATTR_HITS]);
            p.note = get_str(pt[NSK_PROBE_ATTR_NOTE]);
            p.missed = get_u64(pt[NSK_PROBE_ATTR_MISSED]);
            s.probes.push_back(std::move(p));
        }
    }
    s.config = parse_config(tb[NSK_ATTR_CONFIG]);
    return s;
}

Result<GenlClient> GenlClient::open()
{
    int nlerr = 0;
    GenlClient c;
    c.sock_ = connect_genl(nlerr);
    if (!c.sock_)
        return from_nl(nlerr, "connecting to generic netlink");
    const int one = 1;
    // Best effort: older kernels without extended ACK just ignore it.
    setsockopt(nl_socket_get_fd(c.sock_.get()), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
    c.family_ = genl_ctrl_resolve(c.sock_.get(), NSK_GENL_NAME);
    if (c.family_ < 0) {
        if (c.family_ == -NLE_OBJ_NOTFOUND)
            return module_not_loaded_error();
        return from_nl(c.family_, "resolving the netstack_kmon family");
    }
    // NETSTACK_KMON_TIMEOUT=SEC: how long a request and the wait for the module's state may
    // take (default 30 s).  A kernel that is slow on purpose (KASAN, lockdep, kmemleak under
    // an emulator: a START took more than 30 s there, issue 16) needs more; the VM harness sets
    // it from the speed it measures (NSK_SLOW).  Anything but 1..86400 is ignored.
    if (const char *e = std::getenv("NETSTACK_KMON_TIMEOUT")) {
        char *end = nullptr;
        const long sec = std::strtol(e, &end, 10);
        if (end != e && *end == '\0' && sec >= 1 && sec <= 86400)
            c.timeout_ms_ = static_cast<int>(sec * 1000);
    }
    return c;
}

Result<void> GenlClient::transact(std::uint8_t cmd, const char *what, const Fill &fill,
                                  const OnReply &on_reply)
{
    NlMsgPtr msg(nlmsg_alloc());
    if (!msg)
        return Error{Errc::system, "out of memory", ENOMEM};
    if (!genlmsg_put(msg.get(), NL_AUTO_PORT, NL_AUTO_SEQ, family_, 0, NLM_F_ACK, cmd,
                     NSK_GENL_VERSION))
        return Error{Errc::system, std::string(what) + ": cannot build the request", 0};
    if (fill)
        if (auto r = fill(msg.get()); !r)
            return r;
    std::unique_ptr<nl_cb, void (*)(nl_cb *)> cb(nl_cb_alloc(NL_CB_DEFAULT), nl_cb_put);
    if (!cb)
        return Error{Errc::system, "out of memory", ENOMEM};
    TransactState st;
    st.on_reply = &on_reply;
    nl_cb_set(cb.get(), NL_CB_VALID, NL_CB_CUSTOM, cb_valid, &st);
    nl_cb_set(cb.get(), NL_CB_ACK, NL_CB_CUSTOM, cb_ack, &st);
    nl_cb_err(cb.get(), NL_CB_CUSTOM, cb_err, &st);
    int rc = nl_send_auto(sock_.get(), msg.get());
    if (rc < 0)
        return from_nl(rc, what);
    // Wait for the answer with a deadline: a stuck module (or one that never answers) must
    // not hang the tool, and Ctrl-C must end the wait.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    while (!st.done) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                              deadline - std::chrono::steady_clock::now())
                              .count();
        pollfd pfd{nl_socket_get_fd(sock_.get()), POLLIN, 0};
        const int pr = left > 0 ? ::poll(&pfd, 1, static_cast<int>(left)) : 0;
        if (pr < 0 && errno == EINTR)
            return Error{Errc::timeout,
                         std::string(what) + ": interrupted while waiting for the module's answer",
                         EINTR};
        if (pr < 0)
            return from_errno(errno, what, "");
        if (pr == 0)
            return Error{Errc::timeout,
                         std::string(what) + ": the netstack_kmon module did not answer within " +
                             std::to_string(timeout_ms_ / 1000) + " s (is it stuck? see dmesg)",
                         ETIMEDOUT};
        rc = nl_recvmsgs(sock_.get(), cb.get());
        if (rc < 0 && !st.done)
            return from_nl(rc, what);
    }
    if (st.err)
        return from_errno(st.err, what, st.extack);
    return st.reply_result;
}

Result<void> check_versions(const Status &st)
{
    if (st.family_version == NSK_GENL_VERSION && st.record_version == NSK_RECORD_VERSION)
        return {};
    return Error{Errc::incompatible,
                 "the loaded netstack_kmon module speaks family version " +
                     std::to_string(st.family_version) + " and record version " +
                     std::to_string(st.record_version) + ", this netstack-kmon speaks " +
                     std::to_string(NSK_GENL_VERSION) + " and " +
                     std::to_string(NSK_RECORD_VERSION) +
                     ": load the module built with this tool (module " + st.module_version +
                     ", tool " + NSK_VERSION + ")",
                 0};
}

Result<Status> GenlClient::status()
{
    std::optional<Status> out;
    auto r = transact(NSK_CMD_STATUS, "status", nullptr, [&](nlattr **tb) -> Result<void> {
        auto s = parse_status(tb);
        if (!s)
            return s.error();
        out = std::move(s.value());
        return {};
    });
    if (!r)
        return r.error();
    if (!out)
        return Error{Errc::protocol, "the module answered status without a reply", 0};
    return std::move(*out);
}

Result<void> GenlClient::configure(const Filters &f)
{
    return transact(
        NSK_CMD_CONFIG, "config",
        [&](nl_msg *m) -> Result<void> {
            nlattr *nest = nla_nest_start(m, NSK_ATTR_CONFIG);
            if (!nest)
                return Error{Errc::system, "config: message too small", 0};
            int rc = 0;
            if (f.proto)
                rc |= nla_put_u8(m, NSK_CFG_ATTR_PROTO, *f.proto);
            if (f.port)
                rc |= nla_put_u16(m, NSK_CFG_ATTR_PORT, *f.port);
            if (f.addr) {
                rc |= nla_put_u8(m, NSK_CFG_ATTR_ADDR_FAMILY, f.addr->family);
                rc |= nla_put(m, NSK_CFG_ATTR_ADDR, f.addr->family == AF_INET ? 4 : 16,
                              f.addr->bytes.data());
                rc |= nla_put_u8(m, NSK_CFG_ATTR_ADDR_PREFIX, f.addr->prefix);
            }
            if (f.pid)
                rc |= nla_put_u32(m, NSK_CFG_ATTR_PID, *f.pid);
            if (f.netns)
                rc |= nla_put_u32(m, NSK_CFG_ATTR_NETNS, *f.netns);
            if (f.sample > 1)
                rc |= nla_put_u32(m, NSK_CFG_ATTR_SAMPLE, f.sample);
            if (f.budget)
                rc |= nla_put_u32(m, NSK_CFG_ATTR_BUDGET, *f.budget);
            nla_nest_end(m, nest);
            if (rc)
                return Error{Errc::system, "config: message too small", 0};
            return {};
        },
        nullptr);
}

Result<void> GenlClient::start()
{
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms_);
    auto started = transact(NSK_CMD_START, "start", nullptr, nullptr);
    // The previous collection may still be stopping (its owner just exited: the module's
    // orphan stop and final drain run in its own work): wait for it, then ask once more.
    while (!started && started.error().code == Errc::busy) {
        auto st = status();
        if (!st || st->state != NSK_STATE_STOPPING || std::chrono::steady_clock::now() >= deadline)
            return started;
        timespec ts{0, kStatePollMs * 1'000'000L};
        if (nanosleep(&ts, nullptr) != 0 && errno == EINTR)
            return started;
        started = transact(NSK_CMD_START, "start", nullptr, nullptr);
    }
    if (!started)
        return started;
    for (;;) {
        auto st = status();
        if (!st)
            return st.error();
        if (st->state == NSK_STATE_RUNNING)
            return {};
        if (st->state != NSK_STATE_STARTING) {
            if (st->start_error)
                return from_errno(st->start_error, "start", st->start_message);
            return Error{Errc::other,
                         "start failed: the collection was stopped while it was starting", 0};
        }
        if (std::chrono::steady_clock::now() >= deadline)
            return Error{Errc::timeout,
                         "start: the netstack_kmon module did not finish starting within " +
                             std::to_string(timeout_ms_ / 1000) + " s (is it stuck? see dmesg)",
                         ETIMEDOUT};
        timespec ts{0, kStatePollMs * 1'000'000L};
        if (nanosleep(&ts, nullptr) != 0 && errno == EINTR)
            return Error{Errc::timeout, "start: interrupted while waiting for the module to start",
                         EINTR};
    }
}
Result<void> GenlClient::stop()
{
    return transact(NSK_CMD_STOP, "stop", nullptr, nullptr);
}

Result<EventSocket> EventSocket::open(int family_id)
{
    int nlerr = 0;
    EventSocket e;
    e.family_ = family_id;
    e.sock_ = connect_genl(nlerr);
    if (!e.sock_)
        return from_nl(nlerr, "connecting to generic netlink");
    const int grp = genl_ctrl_resolve_grp(e.sock_.get(), NSK_GENL_NAME, NSK_MCGRP_EVENTS);
    if (grp < 0) {
        if (grp == -NLE_OBJ_NOTFOUND)
            return module_not_loaded_error();
        return from_nl(grp, "resolving the events group");
    }
    nl_socket_disable_seq_check(e.sock_.get());
    const int fd = nl_socket_get_fd(e.sock_.get());
    int want = 64 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) == 0) {
        e.forced_ = true;
    } else {
        nl_socket_set_buffer_size(e.sock_.get(), want, 0); // capped by net.core.rmem_max
    }
    socklen_t len = sizeof(e.rcvbuf_);
    getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &e.rcvbuf_, &len);
    if (int rc = nl_socket_add_membership(e.sock_.get(), grp); rc < 0)
        return from_nl(rc, "joining the events group");
    nl_socket_set_nonblocking(e.sock_.get());
    e.buf_.resize(1 << 20);
    return e;
}

int EventSocket::fd() const
{
    return nl_socket_get_fd(sock_.get());
}

Result<bool> EventSocket::drain(const EventHandlers &h, std::size_t max_reads)
{
    // Raw recvmsg on libnl's socket: libnl folds ENOBUFS into a generic error, and every
    // ENOBUFS must be counted and survived here.
    const int fd = nl_socket_get_fd(sock_.get());
    for (std::size_t reads = 0;; ++reads) {
        if (reads >= max_reads)
            return true; // the caller polls again: data is still waiting
        iovec iov{buf_.data(), buf_.size()};
        sockaddr_nl from{};
        msghdr mh{};
        mh.msg_name = &from;
        mh.msg_namelen = sizeof(from);
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        const ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return false;
            if (errno == ENOBUFS) {
                if (h.on_enobufs)
                    h.on_enobufs();
                continue;
            }
            return Error{Errc::system, std::string("reading events: ") + std::strerror(errno),
                         errno};
        }
        if (n == 0)
            return false;
        if (mh.msg_flags & MSG_TRUNC) {
            ++truncated_; // the lost records show up as a sequence gap
            buf_.resize(buf_.size() * 2);
            continue;
        }
        int left = static_cast<int>(n);
        for (auto *nlh = reinterpret_cast<nlmsghdr *>(buf_.data()); NLMSG_OK(nlh, left);
             nlh = NLMSG_NEXT(nlh, left)) {
            if (static_cast<int>(nlh->nlmsg_type) != family_)
                continue;
            const auto *g = static_cast<const genlmsghdr *>(NLMSG_DATA(nlh));
            nlattr *tb[NSK_ATTR_MAX + 1] = {};
            if (genlmsg_parse(nlh, 0, tb, NSK_ATTR_MAX, nullptr) < 0)
                continue;
            if (g->cmd == NSK_CMD_EVENTS) {
                nlattr *rec = tb[NSK_ATTR_BATCH_RECORDS];
                if (h.on_batch)
                    h.on_batch(get_u32(tb[NSK_ATTR_BATCH_CPU]), get_u64(tb[NSK_ATTR_BATCH_SEQ]),
                               get_u32(tb[NSK_ATTR_BATCH_COUNT]),
                               rec ? static_cast<const std::uint8_t *>(nla_data(rec)) : nullptr,
                               rec ? static_cast<std::size_t>(nla_len(rec)) : 0);
            } else if (g->cmd == NSK_CMD_GOVERNOR) {
                if (h.on_governor) {
                    GovernorChange c;
                    c.ts_ns = get_u64(tb[NSK_ATTR_GOV_TS]);
                    c.from = get_u32(tb[NSK_ATTR_GOV_FROM]);
                    c.to = get_u32(tb[NSK_ATTR_GOV_TO]);
                    c.rate = get_u64(tb[NSK_ATTR_GOV_RATE]);
                    c.budget = get_u32(tb[NSK_ATTR_GOV_BUDGET]);
                    h.on_governor(c);
                }
            } else if (g->cmd == NSK_CMD_STOPPED) {
                if (h.on_stopped)
                    h.on_stopped(parse_cpu_stats(tb[NSK_ATTR_CPU_STATS]));
            }
        }
    }
}

} // namespace nsk
