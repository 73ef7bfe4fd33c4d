// CaptureWriter: streams frames into chunks (capture.hpp has the layout): a chunk is written
// whole, compressed when that makes it smaller, with the CRC of its raw bytes.
#pragma once

#include "nsk/capture.hpp"
#include "nsk/error.hpp"

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace nsk {

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
    /// One frame: its header, then `prefix` (a BATCH's payload header), then `data`.
    void append(FrameType type, std::uint64_t mono_ns, const std::uint8_t *prefix,
                std::size_t prefix_len, const std::uint8_t *data, std::size_t len);
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
} // namespace nsk
