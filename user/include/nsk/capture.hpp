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
//
// This header is the format: its constants and the JSON of the HEADER, PROC, TICK and END
// frames (capture_schema.cpp).  capture_writer.hpp writes a file, capture_reader.hpp reads one,
// replay.hpp drives a Session from it.
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/error.hpp"
#include "nsk/filters.hpp"
#include "nsk/reconciler.hpp"
#include "nsk/report.hpp"
#include "nsk/status.hpp"

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp> // the frames' JSON is this API's currency: callers parse and dump
#include <optional>
#include <string>
#include <vector>

namespace nsk {

constexpr char kCaptureMagic[8] = {'\x89', 'N', 'S', 'K', 'C', 'A', 'P', '\n'};
constexpr std::uint32_t kChunkMagic = 0x434b534e; // "NSKC" little-endian
constexpr std::uint32_t kCaptureVersion = 1;
constexpr std::size_t kCaptureFileHeader = 16;
constexpr std::size_t kChunkHeader = 20;
constexpr std::size_t kFrameHeader = 16;
constexpr std::size_t kBatchHeader = 16;        // BATCH payload: u32 cpu | u32 count | u64 seq
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
    // The correlator's bounds (header key "limits"; absent in older captures: the defaults,
    // which no earlier capture comes near).  A replay applies them as the run did.
    std::uint64_t socket_age_ns = CorrelatorOptions{}.socket_age_ns;
    std::uint64_t max_sockets = CorrelatorOptions{}.max_sockets;
    std::uint64_t queued_age_ns = CorrelatorOptions{}.queued_age_ns;
    std::uint64_t max_journeys = CorrelatorOptions{}.max_journeys;
    ReportMode mode = ReportMode::full;
    /// The header carries the governor's budget and START divisor (status), and GOVERNOR frames
    /// follow: true for every capture written since they exist, false for older ones.
    bool governor_recorded = true;
    /// How the run computed its percentiles (header key "histogram"): log-linear for every
    /// capture written since it exists; a header without the key is older, and its replay
    /// reports log2-interpolated percentiles, exactly as that run printed them.
    Precision histogram = Precision::log_linear;
    /// Its reports carry verdicts (header key "sysctls", the settings they size changes
    /// against, read at START): true for every capture written since verdicts exist; an older
    /// capture replays without them, as its run printed.
    bool verdicts = true;
    std::map<std::string, std::int64_t> sysctls; // "net.core.rmem_max" -> value
};

/// TICK: one interval's inputs.
struct TickFrame {
    std::uint64_t now_ns = 0;
    std::optional<std::vector<CpuCounters>> cpus; // STATUS read with the tick (absent: unread)
    ProcSnapshot proc;
    std::optional<std::uint32_t> gov_changes;
    /// Kprobe hits skipped so far, by probe (absent: STATUS unread, or an older capture).
    std::optional<std::map<std::string, std::uint64_t>> probe_missed;
    /// The events socket still held records when the tick ran: the wall clock said nothing
    /// about them, so the tick released nothing by it (absent in older captures: false).
    bool reader_behind = false;
};

/// END, the trailer: the collection's last inputs, and the summary the run printed.
struct EndFrame {
    std::uint64_t stop_ns = 0;
    bool stopped = false; // STOPPED arrived
    std::vector<CpuCounters> final_cpus;
    std::optional<ProcSnapshot> proc;
    std::optional<std::uint32_t> gov_changes;
    std::optional<std::map<std::string, std::uint64_t>> probe_missed;
    std::optional<nlohmann::json> summary; // read back only (end_json() writes it from a Summary)
};

nlohmann::ordered_json header_json(const CaptureHeader &h);
Result<CaptureHeader> header_from_json(const nlohmann::json &j);
nlohmann::ordered_json proc_json(const ProcSnapshot &s);
/// One other namespace's counters: {"netns", "name" (when it has one), "counters"}; the same in
/// captures (netns_counters) and reports (namespaces).
nlohmann::ordered_json netns_counters_json(const NetnsCounters &c);
ProcSnapshot proc_from_json(const nlohmann::json &j);
/// {"now_ns", "cpus"?, "proc", "gov_changes"?, "probe_missed"?}
nlohmann::ordered_json tick_json(const TickFrame &t);
/// `mono_ns`: the frame's clock, for a TICK without "now_ns".
TickFrame tick_from_json(const nlohmann::json &j, std::uint64_t mono_ns);
/// {"stop_ns", "stopped", "final_cpus", "proc", "gov_changes"?, "probe_missed"?, "loss",
/// "summary"}: `s` is the summary the run printed (its loss ledger is repeated as "loss").
nlohmann::ordered_json end_json(const EndFrame &e, const Summary &s);
EndFrame end_from_json(const nlohmann::json &j, std::uint64_t mono_ns);

} // namespace nsk
