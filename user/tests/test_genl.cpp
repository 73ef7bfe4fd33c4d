// genl.cpp without a kernel: the version check `live` applies to the module's STATUS.
#define BOOST_TEST_MODULE genl
#include <boost/test/unit_test.hpp>

#include "nsk/format.hpp"
#include "nsk/genl.hpp"
#include "nsk/uapi.hpp"

#include <netlink/attr.h>
#include <netlink/msg.h>
#include <nlohmann/json.hpp>

namespace {

nsk::Status status(std::uint32_t family, std::uint32_t record)
{
    nsk::Status s;
    s.module_version = "9.9.9";
    s.family_version = family;
    s.record_version = record;
    return s;
}

} // namespace

BOOST_AUTO_TEST_CASE(same_versions_are_accepted)
{
    BOOST_TEST(
        static_cast<bool>(nsk::check_versions(status(NSK_GENL_VERSION, NSK_RECORD_VERSION))));
}

BOOST_AUTO_TEST_CASE(another_family_version_is_refused_with_both_versions)
{
    const auto r = nsk::check_versions(status(NSK_GENL_VERSION + 1, NSK_RECORD_VERSION));
    BOOST_REQUIRE(!r);
    BOOST_TEST((r.error().code == nsk::Errc::incompatible));
    BOOST_TEST(nsk::exit_code(r.error()) == 1);
    const std::string want =
        "the loaded netstack_kmon module speaks family version " +
        std::to_string(NSK_GENL_VERSION + 1) + " and record version " +
        std::to_string(NSK_RECORD_VERSION) + ", this netstack-kmon speaks " +
        std::to_string(NSK_GENL_VERSION) + " and " + std::to_string(NSK_RECORD_VERSION) +
        ": load the module built with this tool (module 9.9.9, tool " + NSK_VERSION + ")";
    BOOST_TEST(r.error().message == want);
}

BOOST_AUTO_TEST_CASE(another_record_version_is_refused)
{
    BOOST_TEST(!nsk::check_versions(status(NSK_GENL_VERSION, NSK_RECORD_VERSION + 1)));
    BOOST_TEST(!nsk::check_versions(status(NSK_GENL_VERSION, 0))); // a module without the attr
}

namespace {

// A STATUS reply's attributes as the module puts them, parsed as parse_status() gets them.
struct Attrs {
    nl_msg *m = nlmsg_alloc();
    nlattr *tb[NSK_ATTR_MAX + 1] = {};
    ~Attrs() { nlmsg_free(m); }
    nlattr **parse()
    {
        nlmsghdr *h = nlmsg_hdr(m);
        BOOST_REQUIRE(
            nla_parse(tb, NSK_ATTR_MAX, nlmsg_attrdata(h, 0), nlmsg_attrlen(h, 0), nullptr) == 0);
        return tb;
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(status_carries_the_state_and_a_failed_start)
{
    Attrs a;
    nla_put_string(a.m, NSK_ATTR_MODULE_VERSION, "9.9.9");
    nla_put_u32(a.m, NSK_ATTR_FAMILY_VERSION, NSK_GENL_VERSION);
    nla_put_u8(a.m, NSK_ATTR_COLLECTING, 0);
    nla_put_u8(a.m, NSK_ATTR_STATE, NSK_STATE_IDLE);
    nla_put_u32(a.m, NSK_ATTR_START_ERROR, static_cast<std::uint32_t>(-12));
    nla_put_string(a.m, NSK_ATTR_START_MESSAGE,
                   "cannot allocate the per-CPU rings (ring_kb too large?)");
    nla_put_u64(a.m, NSK_ATTR_COLLECTION, 3);
    const auto s = nsk::parse_status(a.parse());
    BOOST_REQUIRE(static_cast<bool>(s));
    BOOST_TEST(s->state == NSK_STATE_IDLE);
    BOOST_TEST(s->start_error == -12);
    BOOST_TEST(s->collection == 3u);
    const auto j = nsk::status_json(*s);
    BOOST_TEST(j["state"].get<std::string>() == "idle");
    BOOST_TEST(j["collecting"].get<bool>() == false);
    BOOST_TEST(j["start_error"]["error"].get<std::string>() == nsk::errno_name(-12));
    BOOST_TEST(j["start_error"]["code"].get<int>() == -12);
    BOOST_TEST(j["start_error"]["message"].get<std::string>() ==
               "cannot allocate the per-CPU rings (ring_kb too large?)");
    BOOST_TEST(j["nmi_refused"].get<std::uint64_t>() == 0u);
    BOOST_TEST(nsk::status_text(*s).find("last start failed: ") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_states_by_name_and_from_an_older_module)
{
    BOOST_TEST(std::string(nsk::state_name(NSK_STATE_STARTING)) == "starting");
    BOOST_TEST(std::string(nsk::state_name(NSK_STATE_RUNNING)) == "running");
    BOOST_TEST(std::string(nsk::state_name(NSK_STATE_STOPPING)) == "stopping");
    BOOST_TEST(std::string(nsk::state_name(200)) == "unknown");
    // a module without NSK_ATTR_STATE: running or idle from "collecting"; no start error
    Attrs a;
    nla_put_string(a.m, NSK_ATTR_MODULE_VERSION, "0.1.0");
    nla_put_u8(a.m, NSK_ATTR_COLLECTING, 1);
    const auto s = nsk::parse_status(a.parse());
    BOOST_REQUIRE(static_cast<bool>(s));
    BOOST_TEST(s->state == NSK_STATE_RUNNING);
    BOOST_TEST(s->start_error == 0);
    BOOST_TEST(nsk::status_json(*s)["start_error"].is_null());
}

BOOST_AUTO_TEST_CASE(status_sums_nmi_refused)
{
    Attrs a;
    nla_put_string(a.m, NSK_ATTR_MODULE_VERSION, "9.9.9");
    nlattr *all = nla_nest_start(a.m, NSK_ATTR_CPU_STATS);
    for (std::uint32_t cpu = 0; cpu < 2; ++cpu) {
        nlattr *one = nla_nest_start(a.m, NSK_ATTR_CPU);
        nla_put_u32(a.m, NSK_CPU_ATTR_ID, cpu);
        nla_put_u64(a.m, NSK_CPU_ATTR_HITS, 10);
        nla_put_u64(a.m, NSK_CPU_ATTR_NMI_REFUSED, cpu + 1);
        nla_nest_end(a.m, one);
    }
    nla_nest_end(a.m, all);
    const auto s = nsk::parse_status(a.parse());
    BOOST_REQUIRE(static_cast<bool>(s));
    BOOST_REQUIRE(s->cpus.size() == 2u);
    BOOST_TEST(s->cpus[1].nmi_refused == 2u);
    const auto j = nsk::status_json(*s);
    BOOST_TEST(j["nmi_refused"].get<std::uint64_t>() == 3u);
    BOOST_TEST(j["cpus"][0]["nmi_refused"].get<std::uint64_t>() == 1u);
    BOOST_TEST(nsk::status_text(*s).find("refused in NMI context: 3 hits") != std::string::npos);
}
