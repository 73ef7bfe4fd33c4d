#include "nsk/crc.hpp"

#include "le.hpp"

#include <array>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace nsk {

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
        const std::uint32_t lo = crc ^ le::get32(data), hi = le::get32(data + 4);
        crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
              t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    }
    for (; len; ++data, --len)
        crc = t[0][(crc ^ *data) & 0xff] ^ (crc >> 8);
    return ~crc;
}

} // namespace nsk
