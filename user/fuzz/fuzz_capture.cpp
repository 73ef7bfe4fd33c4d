// libFuzzer target: the capture reader and everything a `report` of a capture runs (header,
// frames, CRC, zstd, the JSON of PROC/TICK/END frames, the replay through the session into the
// JSON and text reports and the metrics).  Any input must end with a result or an error,
// never an abort or undefined behaviour (issue 16: hostile captures).
#include "nsk/capture_reader.hpp"
#include "nsk/metrics.hpp"
#include "nsk/printer.hpp"
#include "nsk/replay.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

namespace {

// Every output a replay can feed: the JSON Lines and text printers, and the metrics model.
class Outputs : public nsk::SessionOutput {
public:
    void interval(const nsk::Summary &s, int n, double interval_s) override
    {
        json_.interval(s, n, interval_s);
        text_.interval(s, n, interval_s);
        (void)nsk::render_text(s, false);
    }
    void summary(const nsk::Summary &s) override
    {
        json_.summary(s);
        text_.summary(s);
        (void)nsk::render_openmetrics(s, true);
    }

private:
    std::ostringstream sink_;
    nsk::Printer json_{sink_, nsk::PrinterOptions{true, true, nsk::ReportMode::full}};
    nsk::Printer text_{sink_, nsk::PrinterOptions{false, true, nsk::ReportMode::full}};
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    auto in = std::make_unique<std::istringstream>(
        std::string(reinterpret_cast<const char *>(data), size));
    auto reader = nsk::CaptureReader::from_stream(std::move(in), "fuzz.nsk");
    if (!reader)
        return 0; // not a capture: refused with an error, fine
    Outputs out;
    nsk::ReplayOptions o;
    o.speed = 0; // as fast as possible: no waiting for the recorded pace
    (void)nsk::replay(**reader, &out, o);
    return 0;
}
