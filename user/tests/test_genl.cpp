// genl.cpp without a kernel: the version check `live` applies to the module's STATUS.
#define BOOST_TEST_MODULE genl
#include <boost/test/unit_test.hpp>

#include "nsk/genl.hpp"
#include "nsk/uapi.hpp"

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
