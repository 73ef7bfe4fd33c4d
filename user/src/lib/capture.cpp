#include "nsk/capture.hpp"

#include "nsk/format.hpp"
#include "nsk/probes.hpp"
#include "nsk/uapi.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <zstd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nsk {
namespace {

constexpr char kFileMagic[8] = {'\x89', 'N', 'S', 'K', 'C', 'A', 'P', '\n'};
constexpr std::uint32_t kChunkMagic = 0x434b534e; // "NSKC" little-endian

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

void put16(std::uint8_t *p, std::uint16_t v)
{
    p[0] = static_cast<std::uint8_t>(v);
    p[1] = static_cast<std::uint8_t>(v >> 8);
}
void put32(std::uint8_t *p, std::uint32_t v)
{
    for (int i = 0; i < 4; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
void put64(std::uint8_t *p, std::uint64_t v)
{
    for (int i = 0; i < 8; ++i)
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
std::uint16_t get16(const std::uint8_t *p)
{
    return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
std::uint32_t get32(const std::uint8_t *p)
{
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}
std::uint64_t get64(const std::uint8_t *p)
{
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | p[i];
    return v;
}

template <typename T>
T num(const json &j, const char *key, T def = T{})
{
    auto it = j.find(key);
    if (it == j.end() || !it->is_number())
        return def;
    return it->get<T>();
}
std::string str(const json &j, const char *key)
{
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

ojson udp_entry_json(const ProcUdpEntry &e)
{
    ojson j;
    j["inode"] = e.inode;
    j["family"] = e.family;
    j["local"] = e.local;
    j["remote"] = e.remote;
    j["drops"] = e.drops;
    return j;
}

} // namespace

#if defined(__x86_64__)
namespace {

// x * k (both 64-bit halves, each by its constant) folded onto the next 128 bits.
__attribute__((target("pclmul,sse4.1"))) __m128i fold(__m128i x, __m128i k, __m128i next)
{
    const __m128i lo = _mm_clmulepi64_si128(x, k, 0x00);
    const __m128i hi = _mm_clmulepi64_si128(x, k, 0x11);
    return _mm_xor_si128(_mm_xor_si128(hi, lo), next);
}

// CRC-32 of a multiple of 16 bytes (at least 64) by carry-less multiplication: Intel's "Fast CRC
// Computation for Generic Polynomials Using PCLMULQDQ", bit-reflected constants for 0xedb88320,
// the way zlib (Chromium) folds four 128-bit lanes.  `crc` and the result are the inverted
// register (no final xor), as in the table loop.
__attribute__((target("pclmul,sse4.1"))) std::uint32_t
crc32_clmul(const std::uint8_t *buf, std::size_t len, std::uint32_t crc)
{
    alignas(16) static const std::uint64_t k1k2[] = {0x0154442bd4, 0x01c6e41596};
    alignas(16) static const std::uint64_t k3k4[] = {0x01751997d0, 0x00ccaa009e};
    alignas(16) static const std::uint64_t k5k0[] = {0x0163cd6124, 0x0000000000};
    alignas(16) static const std::uint64_t poly[] = {0x01db710641, 0x01f7011641};
    auto load = [](const std::uint8_t *p) {
        return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    };
    __m128i x1 = _mm_xor_si128(load(buf), _mm_cvtsi32_si128(static_cast<int>(crc)));
    __m128i x2 = load(buf + 16), x3 = load(buf + 32), x4 = load(buf + 48);
    buf += 64;
    len -= 64;
    __m128i k = _mm_load_si128(reinterpret_cast<const __m128i *>(k1k2));
    for (; len >= 64; buf += 64, len -= 64) {
        x1 = fold(x1, k, load(buf));
        x2 = fold(x2, k, load(buf + 16));
        x3 = fold(x3, k, load(buf + 32));
        x4 = fold(x4, k, load(buf + 48));
    }
    k = _mm_load_si128(reinterpret_cast<const __m128i *>(k3k4));
    x1 = fold(x1, k, x2);
    x1 = fold(x1, k, x3);
    x1 = fold(x1, k, x4);
    for (; len >= 16; buf += 16, len -= 16)
        x1 = fold(x1, k, load(buf));
    // 128 -> 64 bits, then 64 -> 32 (Barrett).
    const __m128i mask = _mm_setr_epi32(~0, 0, ~0, 0);
    __m128i x0 = _mm_clmulepi64_si128(x1, k, 0x10);
    x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x0);
    k = _mm_loadl_epi64(reinterpret_cast<const __m128i *>(k5k0));
    x0 = _mm_srli_si128(x1, 4);
    x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x00), x0);
    k = _mm_load_si128(reinterpret_cast<const __m128i *>(poly));
    x0 = _mm_clmulepi64_si128(_mm_and_si128(x1, mask), k, 0x10);
    x0 = _mm_clmulepi64_si128(_mm_and_si128(x0, mask), k, 0x00);
    return static_cast<std::uint32_t>(_mm_extract_epi32(_mm_xor_si128(x1, x0), 1));
}

bool have_clmul()
{
    static const bool yes = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
    return yes;
}

} // namespace
#endif

// CRC-32 (IEEE 802.3, zlib's).  The reader checks every chunk, and byte-at-a-time was a quarter
// of a replay's time: PCLMULQDQ where the CPU has it, else slicing-by-8 (eight table lookups per
// 8 bytes).
std::uint32_t crc32(const std::uint8_t *data, std::size_t len, std::uint32_t crc)
{
    using Tables = std::array<std::array<std::uint32_t, 256>, 8>;
    static const Tables t = [] {
        Tables x{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            x[0][i] = c;
        }
        for (std::uint32_t i = 0; i < 256; ++i)
            for (std::size_t k = 1; k < 8; ++k)
                x[k][i] = (x[k - 1][i] >> 8) ^ x[0][x[k - 1][i] & 0xff];
        return x;
    }();
    crc = ~crc;
#if defined(__x86_64__)
    if (len >= 64 && have_clmul()) {
        const std::size_t n = len & ~static_cast<std::size_t>(15);
        crc = crc32_clmul(data, n, crc);
        data += n;
        len -= n;
    }
#endif
    for (; len >= 8; data += 8, len -= 8) {
        const std::uint32_t lo = crc ^ get32(data), hi = get32(data + 4);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; len; ++data, --len)
        crc = t[0][(crc ^ *data) & 0xff] ^ (crc >> 8);
    return ~crc;
}

// --- JSON views of the metadata ----------------------------------------------------------------

std::vector<CpuCounters> cpus_from_json(const json &j)
{
    std::vector<CpuCounters> out;
    if (!j.is_array())
        return out;
    for (const auto &c : j) {
        CpuCounters x;
        x.cpu = num<std::uint32_t>(c, "cpu");
        x.hits = num<std::uint64_t>(c, "hits");
        x.written = num<std::uint64_t>(c, "written");
        x.ring_full = num<std::uint64_t>(c, "ring_full");
        x.netlink_fail = num<std::uint64_t>(c, "netlink_fail");
        x.filtered = num<std::uint64_t>(c, "filtered");
        x.sampled_out = num<std::uint64_t>(c, "sampled_out");
        x.sent = num<std::uint64_t>(c, "sent");
        x.batches = num<std::uint64_t>(c, "batches");
        out.push_back(x);
    }
    return out;
}

Filters filters_from_json(const json &j)
{
    Filters f;
    if (!j.is_object())
        return f;
    if (j.contains("proto") && j["proto"].is_string())
        if (auto p = proto_from_name(j["proto"].get<std::string>()))
            f.proto = p;
    if (j.contains("port") && j["port"].is_number())
        f.port = j["port"].get<std::uint16_t>();
    if (j.contains("addr") && j["addr"].is_string())
        if (auto a = parse_addr(j["addr"].get<std::string>()))
            f.addr = *a;
    if (j.contains("pid") && j["pid"].is_number())
        f.pid = j["pid"].get<std::uint32_t>();
    if (j.contains("netns") && j["netns"].is_number())
        f.netns = j["netns"].get<std::uint32_t>();
    f.sample = std::max<std::uint32_t>(1, num<std::uint32_t>(j, "sample", 1));
    if (j.contains("budget") && j["budget"].is_number())
        f.budget = j["budget"].get<std::uint32_t>();
    return f;
}

namespace {

ojson counters_json(const CounterMap &m)
{
    ojson j = ojson::object();
    for (const auto &[k, v] : m)
        j[k] = v;
    return j;
}

std::optional<CounterMap> counters_from_json(const json &j, const char *key)
{
    if (!j.contains(key) || !j[key].is_object())
        return std::nullopt;
    CounterMap m;
    for (auto it = j[key].begin(); it != j[key].end(); ++it)
        if (it->is_number())
            m[it.key()] = it->get<std::int64_t>();
    return m;
}

} // namespace

GovernorChange governor_change_from_json(const json &j)
{
    GovernorChange c;
    c.ts_ns = num<std::uint64_t>(j, "t_ns");
    c.from = num<std::uint32_t>(j, "from", 1);
    c.to = num<std::uint32_t>(j, "to", 1);
    c.rate = num<std::uint64_t>(j, "rate");
    c.budget = num<std::uint32_t>(j, "budget");
    return c;
}

ojson proc_json(const ProcSnapshot &s)
{
    ojson j;
    j["base"] = s.base;
    j["own_netns"] = s.own_netns ? ojson(*s.own_netns) : ojson(nullptr);
    j["snmp"] = s.snmp ? counters_json(*s.snmp) : ojson(nullptr);
    // Added later: written only when read, so files stay as they were for readers that
    // predate them (and absent means "not read" to this reader).
    if (s.netstat)
        j["netstat"] = counters_json(*s.netstat);
    if (s.snmp6)
        j["snmp6"] = counters_json(*s.snmp6);
    if (s.softnet) {
        auto rows = ojson::array();
        for (const auto &c : *s.softnet) {
            ojson r;
            r["cpu"] = c.cpu;
            r["processed"] = c.processed;
            r["dropped"] = c.dropped;
            r["time_squeeze"] = c.time_squeeze;
            r["received_rps"] = c.received_rps;
            r["flow_limit"] = c.flow_limit;
            rows.push_back(std::move(r));
        }
        j["softnet"] = std::move(rows);
    }
    auto udp = ojson::array();
    for (const auto &e : s.udp)
        udp.push_back(udp_entry_json(e));
    j["udp"] = std::move(udp);
    return j;
}

ProcSnapshot proc_from_json(const json &j)
{
    ProcSnapshot s;
    if (!j.is_object())
        return s;
    s.base = j.value("base", false);
    if (j.contains("own_netns") && j["own_netns"].is_number())
        s.own_netns = j["own_netns"].get<std::uint32_t>();
    s.snmp = counters_from_json(j, "snmp");
    s.netstat = counters_from_json(j, "netstat");
    s.snmp6 = counters_from_json(j, "snmp6");
    if (j.contains("softnet") && j["softnet"].is_array()) {
        s.softnet.emplace();
        for (const auto &r : j["softnet"]) {
            SoftnetCpu c;
            c.cpu = num<std::uint32_t>(r, "cpu");
            c.processed = num<std::uint32_t>(r, "processed");
            c.dropped = num<std::uint32_t>(r, "dropped");
            c.time_squeeze = num<std::uint32_t>(r, "time_squeeze");
            c.received_rps = num<std::uint32_t>(r, "received_rps");
            c.flow_limit = num<std::uint32_t>(r, "flow_limit");
            s.softnet->push_back(c);
        }
    }
    if (j.contains("udp") && j["udp"].is_array())
        for (const auto &u : j["udp"]) {
            ProcUdpEntry e;
            e.inode = num<std::uint32_t>(u, "inode");
            e.family = num<int>(u, "family", 4);
            e.local = str(u, "local");
            e.remote = str(u, "remote");
            e.drops = num<std::uint64_t>(u, "drops");
            s.udp.push_back(std::move(e));
        }
    return s;
}

ojson header_json(const CaptureHeader &h)
{
    ojson j;
    j["format"] = "netstack-kmon capture";
    j["format_version"] = h.format_version;
    j["tool_version"] = h.tool_version;
    j["command"] = h.command;
    j["hostname"] = h.hostname;
    j["start_realtime_ns"] = h.start_realtime_ns;
    j["t0_mono_ns"] = h.t0_mono_ns;
    const Status &s = h.status;
    j["kernel"] = s.kernel_release;
    j["module_version"] = s.module_version;
    j["family_version"] = s.family_version;
    j["record_version"] = s.record_version;
    j["nr_cpus"] = s.nr_cpus;
    j["ring_bytes"] = s.ring_bytes;
    j["clock"] = s.clock;
    j["start_ts"] = s.start_ts;
    j["record_layout"] = {{"byte_order", "little"},
                          {"event_size", sizeof(nsk_event)},
                          {"drop_size", sizeof(nsk_drop)}};
    j["drop_locations"] = "resolved by the kernel: every drop record carries its location as "
                          "\"symbol+0xoff/0xsize\" and the reason's name; nothing else is needed "
                          "offline";
    auto probes = ojson::array();
    for (const auto &p : s.probes) {
        ojson pj;
        pj["id"] = p.id;
        pj["name"] = p.name;
        pj["kind"] = p.kind;
        pj["kind_name"] = std::string(probe_kind_name(p.kind));
        pj["path"] = p.path;
        pj["path_name"] = std::string(path_name(p.path));
        pj["attached"] = p.attached;
        pj["error"] = p.error;
        pj["target"] = p.target;
        pj["note"] = p.note;
        probes.push_back(std::move(pj));
    }
    j["probes"] = std::move(probes);
    auto base = ojson::array();
    for (const auto &c : h.baseline)
        base.push_back(cpu_json(c));
    j["baseline_cpus"] = std::move(base);
    j["filters"] = filters_json(h.filters);
    j["interval_s"] = h.interval_s;
    j["reorder_window_ns"] = h.reorder_window_ns;
    j["idle_slack_ns"] = h.idle_slack_ns;
    j["age_ns"] = h.age_ns;
    j["sweep_ns"] = h.sweep_ns;
    j["mode"] = h.mode == ReportMode::drops ? "drops" : "full";
    if (h.governor_recorded)
        j["governor"] = {{"budget", s.gov_budget}, {"sample_effective", s.sample_effective}};
    j["histogram"] = precision_name(h.histogram);
    return j;
}

Result<CaptureHeader> header_from_json(const json &j)
{
    if (!j.is_object() || str(j, "format") != "netstack-kmon capture")
        return Error{Errc::capture, "the capture's header is not a netstack-kmon header", 0};
    CaptureHeader h;
    h.format_version = num<std::uint32_t>(j, "format_version");
    h.tool_version = str(j, "tool_version");
    h.command = str(j, "command");
    h.hostname = str(j, "hostname");
    h.start_realtime_ns = num<std::int64_t>(j, "start_realtime_ns");
    h.t0_mono_ns = num<std::uint64_t>(j, "t0_mono_ns");
    Status &s = h.status;
    s.kernel_release = str(j, "kernel");
    s.module_version = str(j, "module_version");
    s.family_version = num<std::uint32_t>(j, "family_version");
    s.record_version = num<std::uint32_t>(j, "record_version");
    s.nr_cpus = num<std::uint32_t>(j, "nr_cpus");
    s.ring_bytes = num<std::uint32_t>(j, "ring_bytes");
    s.clock = str(j, "clock");
    s.start_ts = num<std::uint64_t>(j, "start_ts");
    if (s.record_version > NSK_RECORD_VERSION)
        return Error{Errc::capture,
                     "the capture holds records of version " + std::to_string(s.record_version) +
                         ", this netstack-kmon reads version " +
                         std::to_string(NSK_RECORD_VERSION) + "; use a newer netstack-kmon",
                     0};
    if (j.contains("probes") && j["probes"].is_array())
        for (const auto &pj : j["probes"]) {
            ProbeStatus p;
            p.id = num<std::uint32_t>(pj, "id");
            p.name = str(pj, "name");
            p.kind = num<std::uint32_t>(pj, "kind");
            p.path = num<std::uint32_t>(pj, "path");
            p.attached = pj.value("attached", false);
            p.error = num<std::int32_t>(pj, "error");
            p.target = str(pj, "target");
            p.note = str(pj, "note");
            s.probes.push_back(std::move(p));
        }
    h.baseline = cpus_from_json(j.value("baseline_cpus", json::array()));
    h.filters = filters_from_json(j.value("filters", json::object()));
    s.config = h.filters;
    h.interval_s = num<double>(j, "interval_s", 1.0);
    h.reorder_window_ns = num<std::uint64_t>(j, "reorder_window_ns", h.reorder_window_ns);
    h.idle_slack_ns = num<std::uint64_t>(j, "idle_slack_ns", h.idle_slack_ns);
    h.age_ns = num<std::uint64_t>(j, "age_ns", h.age_ns);
    h.sweep_ns = num<std::uint64_t>(j, "sweep_ns", h.sweep_ns);
    h.mode = str(j, "mode") == "drops" ? ReportMode::drops : ReportMode::full;
    h.governor_recorded = j.contains("governor") && j["governor"].is_object();
    if (h.governor_recorded) {
        s.gov_budget = num<std::uint32_t>(j["governor"], "budget");
        s.sample_effective = num<std::uint32_t>(j["governor"], "sample_effective", 1);
    }
    // Absent: written before the log-linear histograms, so its run printed log2-interpolated
    // percentiles.  A name this reader does not know is from a newer writer: the most precise
    // scheme this reader has comes closest.
    if (j.contains("histogram") && j["histogram"].is_string())
        h.histogram =
            precision_from_name(j["histogram"].get<std::string>()).value_or(Precision::log_linear);
    else
        h.histogram = Precision::log2;
    return h;
}

// --- writer -------------------------------------------------------------------------------------

Result<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string &path,
                                                             CaptureWriterOptions opts)
{
    auto f = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
    if (!*f)
        return Error{Errc::system,
                     "cannot create the capture file " + path + ": " + std::strerror(errno), errno};
    auto w = std::make_unique<CaptureWriter>(std::move(f), path, opts);
    if (!w->ok())
        return w->error();
    return w;
}

CaptureWriter::CaptureWriter(std::unique_ptr<std::ostream> out, std::string name,
                             CaptureWriterOptions opts)
    : out_(std::move(out)), name_(std::move(name)), opts_(opts)
{
    if (opts_.codec == Codec::zstd) {
        cctx_ = ZSTD_createCCtx();
        if (cctx_)
            ZSTD_CCtx_setParameter(static_cast<ZSTD_CCtx *>(cctx_), ZSTD_c_compressionLevel,
                                   opts_.zstd_level);
    }
    std::uint8_t hdr[kCaptureFileHeader] = {};
    std::memcpy(hdr, kFileMagic, sizeof(kFileMagic));
    put32(hdr + 8, kCaptureVersion);
    write_raw(hdr, sizeof(hdr));
    if (!failed_)
        out_->flush();
}

CaptureWriter::~CaptureWriter()
{
    if (!failed_ && out_)
        flush();
    if (cctx_)
        ZSTD_freeCCtx(static_cast<ZSTD_CCtx *>(cctx_));
}

void CaptureWriter::fail(const std::string &what)
{
    if (failed_)
        return;
    failed_ = true;
    const int e = errno;
    error_ = Error{Errc::system,
                   "writing the capture " + name_ + " failed (" + what +
                       (e ? std::string(": ") + std::strerror(e) : std::string()) +
                       "); the file ends at byte " + std::to_string(bytes_),
                   e};
}

void CaptureWriter::write_raw(const void *p, std::size_t n)
{
    if (failed_)
        return;
    errno = 0;
    out_->write(static_cast<const char *>(p), static_cast<std::streamsize>(n));
    if (!*out_) {
        fail("write");
        return;
    }
    bytes_ += n;
}

void CaptureWriter::frame(FrameType type, std::uint64_t mono_ns, const std::uint8_t *data,
                          std::size_t len)
{
    if (failed_)
        return;
    std::uint8_t fh[kFrameHeader] = {};
    put16(fh, static_cast<std::uint16_t>(type));
    put32(fh + 4, static_cast<std::uint32_t>(len));
    put64(fh + 8, mono_ns);
    buf_.insert(buf_.end(), fh, fh + sizeof(fh));
    if (len)
        buf_.insert(buf_.end(), data, data + len);
    ++frames_;
    if (buf_.size() >= opts_.chunk_bytes)
        flush();
}

void CaptureWriter::frame(FrameType type, std::uint64_t mono_ns, const std::string &json_text)
{
    frame(type, mono_ns, reinterpret_cast<const std::uint8_t *>(json_text.data()),
          json_text.size());
}

void CaptureWriter::batch(std::uint64_t mono_ns, std::uint32_t cpu, std::uint64_t seq,
                          std::uint32_t count, const std::uint8_t *data, std::size_t len)
{
    if (failed_)
        return;
    std::uint8_t fh[kFrameHeader + 16] = {};
    put16(fh, static_cast<std::uint16_t>(FrameType::batch));
    put32(fh + 4, static_cast<std::uint32_t>(16 + len));
    put64(fh + 8, mono_ns);
    put32(fh + 16, cpu);
    put32(fh + 20, count);
    put64(fh + 24, seq);
    buf_.insert(buf_.end(), fh, fh + sizeof(fh));
    if (len)
        buf_.insert(buf_.end(), data, data + len);
    ++frames_;
    if (buf_.size() >= opts_.chunk_bytes)
        flush();
}

void CaptureWriter::flush()
{
    if (failed_ || buf_.empty())
        return;
    Codec codec = Codec::none;
    const std::uint8_t *stored = buf_.data();
    std::size_t stored_len = buf_.size();
    if (opts_.codec == Codec::zstd && cctx_) {
        zbuf_.resize(ZSTD_compressBound(buf_.size()));
        const std::size_t n = ZSTD_compress2(static_cast<ZSTD_CCtx *>(cctx_), zbuf_.data(),
                                             zbuf_.size(), buf_.data(), buf_.size());
        if (!ZSTD_isError(n) && n < buf_.size()) {
            codec = Codec::zstd;
            stored = zbuf_.data();
            stored_len = n;
        }
    }
    std::uint8_t ch[kChunkHeader] = {};
    put32(ch, kChunkMagic);
    ch[4] = static_cast<std::uint8_t>(codec);
    put32(ch + 8, static_cast<std::uint32_t>(stored_len));
    put32(ch + 12, static_cast<std::uint32_t>(buf_.size()));
    put32(ch + 16, crc32(buf_.data(), buf_.size()));
    write_raw(ch, sizeof(ch));
    write_raw(stored, stored_len);
    buf_.clear();
    if (!failed_) {
        out_->flush();
        if (!*out_)
            fail("flush");
    }
}

Result<void> CaptureWriter::close()
{
    flush();
    if (auto *f = dynamic_cast<std::ofstream *>(out_.get()); f && !failed_) {
        f->close();
        if (f->fail())
            fail("close");
    }
    if (failed_)
        return error_;
    return {};
}

// --- reader -------------------------------------------------------------------------------------

CaptureReader::CaptureReader(std::unique_ptr<std::istream> in, std::string name)
    : in_(std::move(in)), name_(std::move(name))
{}

CaptureReader::~CaptureReader()
{
    if (dctx_)
        ZSTD_freeDCtx(static_cast<ZSTD_DCtx *>(dctx_));
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string &path)
{
    auto f = std::make_unique<std::ifstream>(path, std::ios::binary);
    if (!*f)
        return Error{Errc::system, "cannot open " + path + ": " + std::strerror(errno), errno};
    return from_stream(std::move(f), path);
}

Result<std::unique_ptr<CaptureReader>> CaptureReader::from_stream(std::unique_ptr<std::istream> in,
                                                                  std::string name)
{
    std::unique_ptr<CaptureReader> r(new CaptureReader(std::move(in), std::move(name)));
    std::uint8_t hdr[kCaptureFileHeader];
    const std::size_t n = r->read_some(hdr, sizeof(hdr));
    if (n < sizeof(kFileMagic) || std::memcmp(hdr, kFileMagic, sizeof(kFileMagic)) != 0)
        return Error{Errc::capture, r->name_ + " is not a netstack-kmon capture (bad magic)", 0};
    if (n < sizeof(hdr))
        return Error{Errc::capture, r->name_ + " is truncated inside its file header", 0};
    r->version_ = get32(hdr + 8);
    if (r->version_ == 0 || r->version_ > kCaptureVersion)
        return Error{Errc::capture,
                     r->name_ + " is capture format version " + std::to_string(r->version_) +
                         ", this netstack-kmon reads up to version " +
                         std::to_string(kCaptureVersion),
                     0};
    return r;
}

std::size_t CaptureReader::read_some(void *p, std::size_t n)
{
    in_->read(static_cast<char *>(p), static_cast<std::streamsize>(n));
    const auto got = static_cast<std::size_t>(in_->gcount());
    offset_ += got;
    return got;
}

bool CaptureReader::load_chunk()
{
    const std::uint64_t at = offset_;
    std::uint8_t ch[kChunkHeader];
    const std::size_t n = read_some(ch, sizeof(ch));
    if (n == 0) {
        state_ = State::clean_eof;
        return false;
    }
    if (n < sizeof(ch)) {
        state_ = State::cut;
        problem_ = "cut inside the chunk header at byte " + std::to_string(at);
        return false;
    }
    const std::uint32_t stored_len = get32(ch + 8), raw_len = get32(ch + 12);
    const auto codec = static_cast<Codec>(ch[4]);
    if (get32(ch) != kChunkMagic || (codec != Codec::none && codec != Codec::zstd) ||
        stored_len > kMaxChunk || raw_len > kMaxChunk ||
        (codec == Codec::none && stored_len != raw_len)) {
        state_ = State::damaged;
        problem_ = "bad chunk header at byte " + std::to_string(at);
        return false;
    }
    stored_.resize(stored_len);
    const std::size_t got = read_some(stored_.data(), stored_len);
    raw_.clear();
    pos_ = 0;
    if (got < stored_len) {
        // Cut inside this chunk: salvage the complete frames of what is there.
        state_ = State::cut;
        problem_ = "cut inside the chunk at byte " + std::to_string(at) + " after " +
                   std::to_string(got) + " of " + std::to_string(stored_len) + " bytes";
        last_chunk_ = true;
        if (codec == Codec::none) {
            raw_.assign(stored_.begin(), stored_.begin() + static_cast<std::ptrdiff_t>(got));
        } else {
            if (!dctx_)
                dctx_ = ZSTD_createDCtx();
            auto *d = static_cast<ZSTD_DCtx *>(dctx_);
            ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
            raw_.resize(raw_len);
            ZSTD_inBuffer zin{stored_.data(), got, 0};
            ZSTD_outBuffer zout{raw_.data(), raw_.size(), 0};
            while (zin.pos < zin.size && zout.pos < zout.size) {
                const std::size_t rc = ZSTD_decompressStream(d, &zout, &zin);
                if (ZSTD_isError(rc) || rc == 0)
                    break;
                if (zin.pos == zin.size)
                    break;
            }
            raw_.resize(zout.pos);
        }
        return !raw_.empty();
    }
    if (codec == Codec::none) {
        raw_.swap(stored_);
    } else {
        raw_.resize(raw_len);
        if (!dctx_)
            dctx_ = ZSTD_createDCtx();
        const std::size_t dn = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx *>(dctx_), raw_.data(),
                                                   raw_.size(), stored_.data(), got);
        if (ZSTD_isError(dn) || dn != raw_len) {
            state_ = State::damaged;
            problem_ = "chunk at byte " + std::to_string(at) + " does not decompress";
            raw_.clear();
            return false;
        }
    }
    if (crc32(raw_.data(), raw_.size()) != get32(ch + 16)) {
        state_ = State::damaged;
        problem_ = "chunk at byte " + std::to_string(at) + " fails its CRC";
        raw_.clear();
        return false;
    }
    return true;
}

bool CaptureReader::next(Frame &f)
{
    for (;;) {
        if (state_ == State::damaged || state_ == State::clean_eof)
            return false;
        if (pos_ + kFrameHeader <= raw_.size()) {
            const std::uint8_t *p = raw_.data() + pos_;
            const std::uint32_t len = get32(p + 4);
            if (len <= raw_.size() - pos_ - kFrameHeader) {
                f.type = static_cast<FrameType>(get16(p));
                f.mono_ns = get64(p + 8);
                f.data = p + kFrameHeader;
                f.len = len;
                pos_ += kFrameHeader + len;
                return true;
            }
        }
        if (pos_ < raw_.size() && !last_chunk_) {
            // A complete, CRC-checked chunk whose frames do not add up: written wrong.
            state_ = State::damaged;
            problem_ = "a chunk ending before byte " + std::to_string(offset_) +
                       " holds a frame that overruns it";
            return false;
        }
        if (last_chunk_ || state_ == State::cut)
            return false;
        if (!load_chunk())
            return false;
    }
}

} // namespace nsk
