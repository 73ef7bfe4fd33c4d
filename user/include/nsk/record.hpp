// One decoded record, trivially copyable: what the reorder FIFOs hold and the correlator reads.
//
// Kept small, because every record is written into its CPU's FIFO once and read out once: the
// event itself (160 bytes) and where it came from.  The 96 bytes of a drop's location and
// reason name travel on the side (DropText), only for drops; whoever produced the record owns
// that text for as long as the record is in flight (the reorder buffer: until the sink returns).
#pragma once

#include "nsk/uapi.hpp"

#include <cstdint>
#include <cstring>
#include <string_view>

namespace nsk {

/// A drop's strings (NSK_REC_DROP), NUL terminated.
struct DropText {
    char location[sizeof(nsk_drop::location)] = {};
    char reason_name[sizeof(nsk_drop::reason_name)] = {};
};

struct Record {
    nsk_event ev{};
    std::uint64_t seq = 0;          // per-CPU record sequence number
    const DropText *drop = nullptr; // drops only (NSK_REC_DROP); see above for its owner
    std::uint32_t cpu = 0;          // CPU of the batch (== ev.cpu)
    std::uint16_t type = 0;         // NSK_REC_EVENT or NSK_REC_DROP

    bool is_drop() const { return type == NSK_REC_DROP; }
    std::string_view location_sv() const
    {
        return drop ? std::string_view{drop->location,
                                       strnlen(drop->location, sizeof(drop->location))}
                    : std::string_view{};
    }
    std::string_view reason_sv() const
    {
        return drop ? std::string_view{drop->reason_name,
                                       strnlen(drop->reason_name, sizeof(drop->reason_name))}
                    : std::string_view{};
    }
};

} // namespace nsk
