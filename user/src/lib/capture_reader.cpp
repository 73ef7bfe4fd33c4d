#include "nsk/capture_reader.hpp"

#include "le.hpp"
#include "nsk/crc.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <zstd.h>

namespace nsk {

using le::get16;
using le::get32;
using le::get64;

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
    if (n < sizeof(kCaptureMagic) || std::memcmp(hdr, kCaptureMagic, sizeof(kCaptureMagic)) != 0)
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
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    // (the fuzzers' build takes any CRC, so that mutated frames reach the parsers behind it)
    if (crc32(raw_.data(), raw_.size()) != get32(ch + 16)) {
        state_ = State::damaged;
        problem_ = "chunk at byte " + std::to_string(at) + " fails its CRC";
        raw_.clear();
        return false;
    }
#endif
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

std::optional<BatchPayload> batch_payload(const Frame &f)
{
    if (f.len < kBatchHeader)
        return std::nullopt;
    BatchPayload b;
    b.cpu = get32(f.data);
    b.count = get32(f.data + 4);
    b.seq = get64(f.data + 8);
    b.records = f.data + kBatchHeader;
    b.len = f.len - kBatchHeader;
    return b;
}

} // namespace nsk
