// One decoded record, owned and trivially copyable (so the reorder heap moves it cheaply).
#pragma once

#include "nsk/uapi.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace nsk {

struct Record {
    std::uint16_t type = 0; // NSK_REC_EVENT or NSK_REC_DROP
    std::uint32_t cpu = 0;  // CPU of the batch (== ev.cpu)
    std::uint64_t seq = 0;  // per-CPU record sequence number
    nsk_event ev{};
    char location[sizeof(nsk_drop::location)] = {}; // drops only, NUL terminated
    char reason_name[sizeof(nsk_drop::reason_name)] = {};

    bool is_drop() const { return type == NSK_REC_DROP; }
    std::string_view location_sv() const { return {location, strnlen(location, sizeof(location))}; }
    std::string_view reason_sv() const
    {
        return {reason_name, strnlen(reason_name, sizeof(reason_name))};
    }
};

} // namespace nsk
