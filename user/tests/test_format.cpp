#define BOOST_TEST_MODULE format
#include <boost/test/unit_test.hpp>

#include "nsk/error.hpp"
#include "nsk/format.hpp"
#include "nsk/probes.hpp"
#include "nsk/uapi.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

BOOST_AUTO_TEST_CASE(endpoints)
{
    std::uint8_t a[16] = {127, 0, 0, 1};
    BOOST_TEST(nsk::format_endpoint(AF_INET, a, 9000) == "127.0.0.1:9000");
    std::uint8_t b[16] = {};
    inet_pton(AF_INET6, "2001:db8::1", b);
    BOOST_TEST(nsk::format_endpoint(AF_INET6, b, 53) == "[2001:db8::1]:53");
    BOOST_TEST(nsk::format_endpoint(0, a, 1).empty());
    BOOST_TEST(nsk::family_number(AF_INET6) == 6);
    std::uint8_t c[16] = {255, 10, 0, 199};
    BOOST_TEST(nsk::format_endpoint(AF_INET, c, 65535) == "255.10.0.199:65535");
    std::uint8_t z[16] = {};
    BOOST_TEST(nsk::format_endpoint(AF_INET, z, 0) == "0.0.0.0:0");
}

// IPv4 is formatted by hand: the same text as inet_ntop for every byte value.
BOOST_AUTO_TEST_CASE(ipv4_like_inet_ntop)
{
    for (unsigned v = 0; v < 256; ++v) {
        std::uint8_t a[16] = {static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(255 - v),
                              static_cast<std::uint8_t>(v / 3), static_cast<std::uint8_t>(v * 7)};
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, a, buf, sizeof(buf));
        const auto port = static_cast<std::uint16_t>(v * 257);
        BOOST_TEST(nsk::format_endpoint(AF_INET, a, port) ==
                   std::string(buf) + ":" + std::to_string(port));
    }
}

BOOST_AUTO_TEST_CASE(human_units)
{
    BOOST_TEST(nsk::human_ns(850) == "850ns");
    BOOST_TEST(nsk::human_ns(1000) == "1.00µs");
    BOOST_TEST(nsk::human_ns(12345) == "12.3µs");
    BOOST_TEST(nsk::human_ns(456789) == "457µs");
    BOOST_TEST(nsk::human_ns(4560000) == "4.56ms");
    BOOST_TEST(nsk::human_ns(1230000000) == "1.23s");
    BOOST_TEST(nsk::pow2_label(0) == "0");
    BOOST_TEST(nsk::pow2_label(512) == "512");
    BOOST_TEST(nsk::pow2_label(4096) == "4K");
    BOOST_TEST(nsk::pow2_label(1ULL << 20) == "1M");
    BOOST_TEST(nsk::pow2_label(1ULL << 31) == "2G");
}

BOOST_AUTO_TEST_CASE(names)
{
    BOOST_TEST(nsk::errno_name(-2) == "ENOENT");
    BOOST_TEST(nsk::errno_name(524) == "ENOTSUPP");
    BOOST_TEST(nsk::errno_name(0).empty());
    BOOST_TEST(nsk::proto_name(IPPROTO_UDP) == "udp");
    BOOST_TEST(nsk::proto_name(200) == "proto200");
    BOOST_TEST(nsk::strip_location_size("__udp_enqueue_schedule_skb+0x1c2/0x2d0") ==
               "__udp_enqueue_schedule_skb+0x1c2");
    BOOST_TEST(nsk::strip_location_size("foo+0x1") == "foo+0x1");
    BOOST_TEST(nsk::probe_name(NSK_PROBE_UDP_ENQUEUE) == "udp_enqueue");
    BOOST_TEST(nsk::probe_name(999) == "probe_999");
    BOOST_TEST(nsk::probe_kind_name(NSK_PROBE_KIND_TRACEPOINT) == "tracepoint");
    BOOST_TEST(nsk::path_name(static_cast<std::uint32_t>(NSK_PATH_DROP)) == "drop");
}

BOOST_AUTO_TEST_CASE(tables)
{
    const std::string t = nsk::render_table({{"A", "COUNT"}, {"xyz", "5"}, {"µs", "12"}}, {1});
    BOOST_TEST(t == "A    COUNT\nxyz      5\nµs      12\n");
}

BOOST_AUTO_TEST_CASE(error_exit_codes)
{
    BOOST_TEST(nsk::exit_code(nsk::module_not_loaded_error()) == 3);
    BOOST_TEST(nsk::module_not_loaded_error().message ==
               "netstack_kmon module is not loaded: run 'sudo modprobe netstack_kmon' (or insmod "
               "netstack_kmon.ko)");
    const auto p = nsk::permission_error("status");
    BOOST_TEST(nsk::exit_code(p) == 4);
    BOOST_TEST(p.message.find("CAP_NET_ADMIN") != std::string::npos);
    BOOST_TEST(nsk::exit_code(nsk::Error{nsk::Errc::busy, "x", 0}) == 1);
    BOOST_TEST(nsk::exit_code(nsk::Error{nsk::Errc::usage, "x", 0}) == 2);
}

// Strings from the kernel go into JSON, which must be UTF-8: invalid bytes become '?', valid
// sequences (any length) stay (found by fuzz_decoder: a comm or drop location with a stray
// byte made the JSON writer throw).
BOOST_AUTO_TEST_CASE(valid_utf8_replaces_only_invalid_bytes)
{
    BOOST_TEST(nsk::valid_utf8("rx-app") == "rx-app");
    BOOST_TEST(nsk::valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") ==
               "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    BOOST_TEST(nsk::valid_utf8("a\xFF"
                               "b") == "a?b");
    BOOST_TEST(nsk::valid_utf8("\xC3") == "?");           // cut sequence
    BOOST_TEST(nsk::valid_utf8("\xC0\xAF") == "??");      // overlong
    BOOST_TEST(nsk::valid_utf8("\xED\xA0\x80") == "???"); // surrogate
    BOOST_TEST(nsk::valid_utf8("\xE2\x82"
                               "x") == "??x");                 // cut in the middle
    BOOST_TEST(nsk::bounded_string("ab\x80\0zz", 6) == "ab?"); // stops at the NUL
}
