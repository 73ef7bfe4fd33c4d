// CRC-32 (IEEE 802.3, zlib's): the check of every capture chunk.
#pragma once

#include <cstddef>
#include <cstdint>

namespace nsk {

/// CRC-32 of `len` bytes; pass a previous result as `crc` to continue over more bytes.
std::uint32_t crc32(const std::uint8_t *data, std::size_t len, std::uint32_t crc = 0);

} // namespace nsk
