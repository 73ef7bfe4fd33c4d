// The drop table: drops by (reason, location, stage), the stage the skb last reached (one
// netfilter call site drops on the local-in hook of one packet and on the forward hook of
// another: two rows, each with its own stage); and the
// reason of a drop from a kernel without drop reasons (the call site's).  Not aged (its size is
// bounded by the kernel's reasons and call sites).
#pragma once

#include "nsk/correlator.hpp"
#include "nsk/record.hpp"

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace nsk::corr {

/// Why and where an skb was freed with a drop.
struct DropCause {
    explicit DropCause(const Record &r);
    /// No reason from the kernel (before 5.17): the call site's, else UNKNOWN.
    void fill(const nsk_event &ev, std::string_view stage = {});

    std::string reason;
    std::string location;
    bool by_location = false; // reason inferred from the call site
};

class DropTable {
public:
    /// One drop; `proto` names the entry when it is the first of its kind.
    void add(const DropCause &c, const std::string &stage, std::uint8_t proto,
             bool by_location = true, const nsk_event *ev = nullptr);
    std::vector<DropStat> sorted() const; // by count desc

private:
    std::map<std::tuple<std::string, std::string, std::string>, DropStat> table_;
};

} // namespace nsk::corr
