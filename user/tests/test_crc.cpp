#define BOOST_TEST_MODULE crc
#include <boost/test/unit_test.hpp>

#include "nsk/crc.hpp"

#include <cstdint>
#include <string>
#include <vector>

BOOST_AUTO_TEST_CASE(crc32_known_value)
{
    const std::string s = "123456789";
    BOOST_TEST(nsk::crc32(reinterpret_cast<const std::uint8_t *>(s.data()), s.size()) ==
               0xCBF43926u);
}

BOOST_AUTO_TEST_CASE(crc32_long_input_and_continuation)
{
    const std::string s = "The quick brown fox jumps over the lazy dog";
    const auto *p = reinterpret_cast<const std::uint8_t *>(s.data());
    BOOST_TEST(nsk::crc32(p, s.size()) == 0x414fa339u);
    for (std::size_t cut = 0; cut <= s.size(); ++cut) // any split, any alignment
        BOOST_TEST(nsk::crc32(p + cut, s.size() - cut, nsk::crc32(p, cut)) == 0x414fa339u);
}

// The fast paths (PCLMULQDQ for 64 bytes and more, slicing-by-8) against the bit-at-a-time
// definition, for every alignment and the lengths around their block sizes.
BOOST_AUTO_TEST_CASE(crc32_matches_bitwise_definition)
{
    auto reference = [](const std::uint8_t *p, std::size_t n) {
        std::uint32_t c = ~0u;
        for (std::size_t i = 0; i < n; ++i) {
            c ^= p[i];
            for (int k = 0; k < 8; ++k)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        return ~c;
    };
    std::vector<std::uint8_t> buf(4096 + 16);
    std::uint32_t x = 1;
    for (auto &b : buf) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::uint8_t>(x >> 16);
    }
    for (std::size_t len :
         {0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 79, 80, 127, 128, 129, 191, 255, 256, 1000, 4096})
        for (std::size_t off = 0; off < 16; ++off) {
            const std::uint8_t *p = buf.data() + off;
            const std::uint32_t want = reference(p, len);
            BOOST_TEST(nsk::crc32(p, len) == want, "len " << len << " offset " << off);
            const std::size_t cut = len / 3;
            BOOST_TEST(nsk::crc32(p + cut, len - cut, nsk::crc32(p, cut)) == want);
        }
}
