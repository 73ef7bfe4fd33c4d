#include "nsk/capture_writer.hpp"

#include "le.hpp"
#include "nsk/crc.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <zstd.h>

namespace nsk {

using le::put16;
using le::put32;
using le::put64;

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
    std::memcpy(hdr, kCaptureMagic, sizeof(kCaptureMagic));
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

void CaptureWriter::append(FrameType type, std::uint64_t mono_ns, const std::uint8_t *prefix,
                           std::size_t prefix_len, const std::uint8_t *data, std::size_t len)
{
    if (failed_)
        return;
    std::uint8_t fh[kFrameHeader] = {};
    put16(fh, static_cast<std::uint16_t>(type));
    put32(fh + 4, static_cast<std::uint32_t>(prefix_len + len));
    put64(fh + 8, mono_ns);
    buf_.insert(buf_.end(), fh, fh + sizeof(fh));
    buf_.insert(buf_.end(), prefix, prefix + prefix_len);
    if (len)
        buf_.insert(buf_.end(), data, data + len);
    ++frames_;
    if (buf_.size() >= opts_.chunk_bytes)
        flush();
}

void CaptureWriter::frame(FrameType type, std::uint64_t mono_ns, const std::uint8_t *data,
                          std::size_t len)
{
    append(type, mono_ns, nullptr, 0, data, len);
}

void CaptureWriter::frame(FrameType type, std::uint64_t mono_ns, const std::string &json_text)
{
    frame(type, mono_ns, reinterpret_cast<const std::uint8_t *>(json_text.data()),
          json_text.size());
}

void CaptureWriter::batch(std::uint64_t mono_ns, std::uint32_t cpu, std::uint64_t seq,
                          std::uint32_t count, const std::uint8_t *data, std::size_t len)
{
    std::uint8_t bh[kBatchHeader] = {};
    put32(bh, cpu);
    put32(bh + 4, count);
    put64(bh + 8, seq);
    append(FrameType::batch, mono_ns, bh, sizeof(bh), data, len);
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

} // namespace nsk
