// Capture files: what `record` / `live --record` write and `report` / `live --replay` read.
//
// Layout (all integers little-endian; docs/capture-format.md has the full description):
//
//   file   := file_header chunk*
//   file_header (16 bytes, never compressed):
//            magic "\x89NSKCAP\n" | u32 format_version | u32 reserved (0)
//   chunk  := u32 magic "NSKC" | u8 codec (0 none, 1 zstd) | u8[3] 0 | u32 stored_len
//             | u32 raw_len | u32 crc32(raw bytes) | stored bytes
//   raw    := frame*   (the chunk's bytes after decompression)
//   frame  := u16 type | u16 flags (0) | u32 len | u64 mono_ns | payload[len]
//
// mono_ns is CLOCK_MONOTONIC when the collector handled the frame (the clock of the records'
// ts_ns), so a replay can keep the recorded pace.  Frame types:
//
//   HEADER  JSON: format/tool/module/kernel versions, record version, CPU count, clock, start
//           ts, the probe table (id, name, kind, path, attached, target), filters, collector
//           options (interval, reorder window, journey age), the per-CPU counters right after
//           START (sequence baseline), the percentile scheme ("histogram": "log-linear"; absent
//           in older captures: "log2").  First frame of the file, alone in the first chunk.
//   PROC    JSON ProcSnapshot: the reconciler's look at /proc/net/snmp and /proc/net/udp{,6}
//           (baseline right after the header; every TICK and the END carry their own).
//   BATCH   binary: u32 cpu | u32 count | u64 seq | records, exactly as the kernel sent them
//           (NSK_ATTR_BATCH_RECORDS; struct nsk_event / nsk_drop of NSK_RECORD_VERSION).
//   ENOBUFS empty: the event socket overflowed here.
//   TICK    JSON: {"now_ns", "cpus" (per-CPU counters, may be absent), "proc"}: one interval.
//   END     JSON trailer: {"stop_ns", "stopped", "final_cpus", "proc", "loss", "summary"}:
//           the final per-CPU counters (STOPPED), the loss ledger and the summary the live
//           run printed (report checks its replay against it); "gov_changes" when read.
//   GOVERNOR JSON {"t_ns", "from", "to", "rate", "budget"}: one NSK_CMD_GOVERNOR decision, where
//           it arrived in the event stream (a later addition: older readers skip it).
//
// Drop locations need nothing offline: the kernel resolves them ("symbol+0xoff/0xsize") and
// names the reason in every drop record.
//
// Robustness: the writer appends whole chunks (flushed at the header, every TICK, every
// `chunk_bytes` and at the end), so a file cut anywhere (SIGKILL, disk full) holds every chunk
// before the cut; the reader also salvages the complete frames of a cut final chunk.  A file
// without END is reported as truncated; a chunk whose CRC does not match ends the read as
// damaged.  Memory is bounded by one chunk on both sides.
#pragma once

#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/report.hpp"
#include "nsk/status.hpp"

#include <cstdint>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace nsk {

constexpr std::uint32_t kCaptureVersion = 1;
constexpr std::size_t kCaptureFileHeader = 16;
constexpr std::size_t kChunkHeader = 20;
constexpr std::size_t kFrameHeader = 16;
constexpr std::uint32_t kMaxChunk = 256u << 20; // sanity bound for a chunk's lengths

enum class FrameType : std::uint16_t {
    header = 1,
    proc = 2,
    batch = 3,
    enobufs = 4,
    tick = 5,
    end = 6,
    governor = 7,
};

enum class Codec : std::uint8_t { none = 0, zstd = 1 };

/// Everything a replay needs to know before the first record.
struct CaptureHeader {
    std::uint32_t format_version = kCaptureVersion;
    std::string tool_version;
    std::string command = "live"; // live | drops | record
    std::string hostname;
    std::int64_t start_realtime_ns = 0; // wall clock at START, for people
    std::uint64_t t0_mono_ns = 0;       // CLOCK_MONOTONIC right after START
    Status status;                      // STATUS after START (probe table, versions, clock)
    std::vector<CpuCounters> baseline;  // per-CPU counters at START: zero (START resets them)
    Filters filters;
    double interval_s = 1.0;
    std::uint64_t reorder_window_ns = 300'000'000ULL;
    std::uint64_t idle_slack_ns = 1'000'000'000ULL;
    std::uint64_t age_ns = 10'000'000'000ULL;
    std::uint64_t sweep_ns = 1'000'000'000ULL;
    ReportMode mode = ReportMode::full;
    /// The header carries the governor's budget and START divisor (status), and GOVERNOR frames
    /// follow: true for every capture written since they exist, false for older ones.
    bool governor_recorded = true;
    /// How the run computed its percentiles (header key "histogram"): log-linear for every
    /// capture written since it exists; a header without the key is older, and its replay
    /// reports log2-interpolated percentiles, exactly as that run printed them.
    Precision histogram = Precision::log_linear;
};

nlohmann::ordered_json header_json(const CaptureHeader &h);
Result<CaptureHeader> header_from_json(const nlohmann::json &j);
nlohmann::ordered_json proc_json(const ProcSnapshot &s);
ProcSnapshot proc_from_json(const nlohmann::json &j);
std::vector<CpuCounters> cpus_from_json(const nlohmann::json &j);
Filters filters_from_json(const nlohmann::json &j);
GovernorChange governor_change_from_json(const nlohmann::json &j);

std::uint32_t crc32(const std::uint8_t *data, std::size_t len, std::uint32_t crc = 0);

struct CaptureWriterOptions {
    Codec codec = Codec::zstd;
    int zstd_level = 1;
    std::size_t chunk_bytes = 1u << 20; // flush a chunk when this much is buffered
};

/// Streams frames into chunks.  Errors are sticky: after the first failed write every call is a
/// no-op and error() says what happened.
class CaptureWriter {
public:
    static Result<std::unique_ptr<CaptureWriter>> create(const std::string &path,
                                                         CaptureWriterOptions opts = {});
    /// Write into any stream (tests: std::ostringstream).
    CaptureWriter(std::unique_ptr<std::ostream> out, std::string name, CaptureWriterOptions opts);
    ~CaptureWriter();
    CaptureWriter(const CaptureWriter &) = delete;
    CaptureWriter &operator=(const CaptureWriter &) = delete;

    void frame(FrameType type, std::uint64_t mono_ns, const std::uint8_t *data, std::size_t len);
    void frame(FrameType type, std::uint64_t mono_ns, const std::string &json_text);
    void batch(std::uint64_t mono_ns, std::uint32_t cpu, std::uint64_t seq, std::uint32_t count,
               const std::uint8_t *data, std::size_t len);
    /// Write the buffered frames as one chunk.
    void flush();
    /// Flush and close; returns the sticky error if any.
    Result<void> close();

    bool ok() const { return !failed_; }
    const Error &error() const { return error_; }
    std::uint64_t bytes() const { return bytes_; }
    std::uint64_t frames() const { return frames_; }
    const std::string &name() const { return name_; }
    std::ostream *stream() { return out_.get(); }

private:
    void write_raw(const void *p, std::size_t n);
    void fail(const std::string &what);

    std::unique_ptr<std::ostream> out_;
    std::string name_;
    CaptureWriterOptions opts_;
    std::vector<std::uint8_t> buf_;
    std::vector<std::uint8_t> zbuf_;
    void *cctx_ = nullptr;
    bool failed_ = false;
    Error error_;
    std::uint64_t bytes_ = 0;
    std::uint64_t frames_ = 0;
};

struct Frame {
    FrameType type{};
    std::uint64_t mono_ns = 0;
    const std::uint8_t *data = nullptr; // valid until the next call to next()
    std::size_t len = 0;
    std::string_view text() const { return {reinterpret_cast<const char *>(data), len}; }
};

/// Reads frames chunk by chunk.  next() returns false at the end of what is readable; state()
/// then says whether the file ended cleanly at a chunk boundary, was cut inside a chunk, or is
/// damaged.
class CaptureReader {
public:
    enum class State { reading, clean_eof, cut, damaged };

    static Result<std::unique_ptr<CaptureReader>> open(const std::string &path);
    /// Read from any stream (tests: std::istringstream).  Checks the file header.
    static Result<std::unique_ptr<CaptureReader>> from_stream(std::unique_ptr<std::istream> in,
                                                              std::string name);
    ~CaptureReader();
    CaptureReader(const CaptureReader &) = delete;
    CaptureReader &operator=(const CaptureReader &) = delete;

    bool next(Frame &f);
    State state() const { return state_; }
    /// Human reason when cut / damaged, e.g. "chunk at byte 4096 is cut after 100 of 300 bytes".
    const std::string &problem() const { return problem_; }
    std::uint64_t offset() const { return offset_; } // bytes consumed so far
    std::uint32_t format_version() const { return version_; }
    const std::string &name() const { return name_; }

private:
    CaptureReader(std::unique_ptr<std::istream> in, std::string name);
    bool load_chunk();
    std::size_t read_some(void *p, std::size_t n);

    std::unique_ptr<std::istream> in_;
    std::string name_;
    std::uint32_t version_ = 0;
    std::vector<std::uint8_t> stored_, raw_;
    std::size_t pos_ = 0; // next frame in raw_
    bool last_chunk_ = false;
    State state_ = State::reading;
    std::string problem_;
    std::uint64_t offset_ = 0;
    void *dctx_ = nullptr;
};

} // namespace nsk
