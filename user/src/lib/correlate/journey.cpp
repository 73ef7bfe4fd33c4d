// End-of-journey accounting shared by the receive and the send path.
#include "journey.hpp"

#include "stage_table.hpp"

namespace nsk::corr {

bool end_journey(JourneyBase &j, End how, bool reused, Path path, StageTable &stages,
                 JourneyCounts &n)
{
    stages.account(j.proto, j.visits, j.accounted, path);
    if (!is_reported_proto(j.proto))
        return false;
    switch (how) {
    case End::complete:
        ++n.complete;
        break;
    case End::dropped:
        ++n.dropped;
        break;
    case End::consumed:
        ++n.consumed;
        break;
    case End::incomplete:
        ++n.incomplete;
        if (reused)
            ++n.reused_before_end;
        break;
    case End::queued_at_end: // (receive only: a send journey is never queued)
        ++n.queued_at_end;
        break;
    case End::relayed:    // (receive only) counted by the caller: forwarded or bridged
    case End::gro_merged: // (receive only) counted by the caller
        break;
    }
    if (j.partial)
        ++n.partial;
    return true;
}

} // namespace nsk::corr
