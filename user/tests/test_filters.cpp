#define BOOST_TEST_MODULE filters
#include <boost/test/unit_test.hpp>

#include "nsk/filters.hpp"

#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>

BOOST_AUTO_TEST_CASE(empty_means_no_filter)
{
    auto f = nsk::parse_filters({});
    BOOST_REQUIRE(f.ok());
    BOOST_TEST(!f->any());
    BOOST_TEST(nsk::filters_text(*f) == "none");
    BOOST_TEST(
        nsk::filters_json(*f).dump() ==
        R"({"proto":null,"port":null,"addr":null,"pid":null,"netns":null,"sample":1,"budget":null})");
}

BOOST_AUTO_TEST_CASE(all_filters)
{
    nsk::FilterOptions o;
    o.proto = "udp";
    o.port = 9000;
    o.addr = "10.1.2.0/24";
    o.pid = 1234;
    o.netns = 4026531840LL;
    o.sample = "1/10";
    auto f = nsk::parse_filters(o);
    BOOST_REQUIRE(f.ok());
    BOOST_TEST(*f->proto == IPPROTO_UDP);
    BOOST_TEST(*f->port == 9000);
    BOOST_TEST(f->addr->family == AF_INET);
    BOOST_TEST(f->addr->prefix == 24);
    BOOST_TEST(f->addr->bytes[0] == 10);
    BOOST_TEST(f->addr->text == "10.1.2.0/24");
    BOOST_TEST(*f->pid == 1234u);
    BOOST_TEST(*f->netns == 4026531840U);
    BOOST_TEST(f->sample == 10u);
    BOOST_TEST(nsk::filters_text(*f) ==
               "proto=udp port=9000 addr=10.1.2.0/24 pid=1234 netns=4026531840 sample=1/10");
}

BOOST_AUTO_TEST_CASE(addresses)
{
    BOOST_TEST(nsk::parse_addr("::1")->prefix == 128);
    BOOST_TEST(nsk::parse_addr("::1")->family == AF_INET6);
    BOOST_TEST(nsk::parse_addr("fe80::/10")->text == "fe80::/10");
    BOOST_TEST(nsk::parse_addr("127.0.0.1")->text == "127.0.0.1/32");
    BOOST_TEST(!nsk::parse_addr("10.0.0.1/33").ok());
    BOOST_TEST(!nsk::parse_addr("example.com").ok());
    BOOST_TEST(!nsk::parse_addr("10.0.0.1/x").ok());
}

BOOST_AUTO_TEST_CASE(bad_values_are_usage_errors)
{
    auto check = [](nsk::FilterOptions o) {
        auto f = nsk::parse_filters(o);
        BOOST_REQUIRE(!f.ok());
        BOOST_TEST(nsk::exit_code(f.error()) == 2);
    };
    nsk::FilterOptions o;
    o.proto = "icmp";
    check(o);
    o = {};
    o.port = 70000;
    check(o);
    o = {};
    o.sample = "2/10";
    check(o);
    o = {};
    o.sample = "1/0";
    check(o);
    BOOST_TEST(*nsk::parse_sample("7") == 7u);
    BOOST_TEST(*nsk::parse_sample("1/1") == 1u);
}
