// CaptureReader: frames back, chunk by chunk (capture.hpp has the layout): checks every chunk's
// CRC, salvages the complete frames of a cut final chunk, and says how the file ended.
#pragma once

#include "nsk/capture.hpp"
#include "nsk/error.hpp"

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nsk {

struct Frame {
    FrameType type{};
    std::uint64_t mono_ns = 0;
    const std::uint8_t *data = nullptr; // valid until the next call to next()
    std::size_t len = 0;
    std::string_view text() const { return {reinterpret_cast<const char *>(data), len}; }
};

/// Reads frames chunk by chunk.  next() returns false at the end of what is readable; state()
/// then says whether the file ended cleanly at a chunk boundary, was cut inside a chunk, or is
/// A BATCH frame's payload: u32 cpu | u32 count | u64 seq | the records.
struct BatchPayload {
    std::uint32_t cpu = 0;
    std::uint32_t count = 0;
    std::uint64_t seq = 0;
    const std::uint8_t *records = nullptr; // valid as long as the frame's data
    std::size_t len = 0;
};
/// The payload of a BATCH frame; nullopt when the frame is too short to hold its header.
std::optional<BatchPayload> batch_payload(const Frame &f);

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
    /// Bytes that resize() leaves uninitialised: a chunk is read or decompressed over them
    /// at once (zero-filling every chunk first was 3-4 % of `report`).
    struct NoInit : std::allocator<std::uint8_t> {
        template <class U>
        struct rebind {
            using other = NoInit;
        };
        template <class U>
        void construct(U *p)
        {
            ::new (static_cast<void *>(p)) U; // default-initialised: left as is
        }
        template <class U, class... A>
        void construct(U *p, A &&...a)
        {
            ::new (static_cast<void *>(p)) U(std::forward<A>(a)...);
        }
    };
    std::vector<std::uint8_t, NoInit> stored_, raw_;
    std::size_t pos_ = 0; // next frame in raw_
    bool last_chunk_ = false;
    State state_ = State::reading;
    std::string problem_;
    std::uint64_t offset_ = 0;
    void *dctx_ = nullptr;
};

} // namespace nsk
