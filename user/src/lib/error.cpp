#include "nsk/error.hpp"

namespace nsk {

int exit_code(const Error &e)
{
    switch (e.code) {
    case Errc::usage:
        return 2;
    case Errc::module_not_loaded:
        return 3;
    case Errc::permission_denied:
        return 4;
    case Errc::capture:
        return 5;
    default:
        return 1;
    }
}

Error module_not_loaded_error()
{
    return Error{Errc::module_not_loaded,
                 "netstack_kmon module is not loaded: run 'sudo modprobe netstack_kmon' (or "
                 "insmod netstack_kmon.ko)",
                 0};
}

Error permission_error(const std::string &what)
{
    return Error{Errc::permission_denied,
                 "permission denied" + (what.empty() ? std::string() : " (" + what + ")") +
                     ": netstack-kmon needs CAP_NET_ADMIN, run it as root or grant the capability",
                 1};
}

} // namespace nsk
