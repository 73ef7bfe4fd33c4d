// libFuzzer target: the record decoder and what consumes its records (reorder buffer,
// correlator, summary, JSON report).  The input is a sequence of batches as the kernel sends
// them:  u8 cpu | u32 count | u64 seq | u16 len | len bytes of records  (little-endian), so the
// fuzzer controls the batch header as well as the records (make_decoder_seeds.cpp writes seeds
// in this format from a real capture).
#include "nsk/pipeline.hpp"
#include "nsk/report.hpp"
#include "nsk/summary.hpp"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>

namespace {

template <typename T>
bool take(const std::uint8_t *&p, std::size_t &left, T &v)
{
    if (left < sizeof(T))
        return false;
    std::memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    left -= sizeof(T);
    return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    nsk::Pipeline pipe;
    std::map<std::uint32_t, std::uint64_t> sent;
    const std::uint8_t *p = data;
    std::size_t left = size;
    std::uint64_t batches = 0;
    for (;;) {
        std::uint8_t cpu8 = 0;
        std::uint32_t count = 0;
        std::uint64_t seq = 0;
        std::uint16_t len = 0;
        if (!take(p, left, cpu8) || !take(p, left, count) || !take(p, left, seq) ||
            !take(p, left, len))
            break;
        const std::size_t n = std::min<std::size_t>(len, left);
        // CPU numbers: mostly small, and now and then an impossible one (0xFF: 2^32 - 1)
        const std::uint32_t cpu = cpu8 == 0xFF ? 0xFFFFFFFFu : cpu8;
        pipe.on_batch(cpu, seq, count, p, n);
        if (cpu < nsk::kMaxCpus)
            sent[cpu] = seq + count;
        p += n;
        left -= n;
        if (++batches % 8 == 0) // an interval: idle tick and a report
            pipe.tick(pipe.correlator().now() + 2'000'000'000ULL);
    }
    pipe.finish(sent);
    nsk::SummaryContext ctx;
    const nsk::Summary s = nsk::build_summary(pipe, ctx);
    (void)nsk::summary_json(s, "summary", std::nullopt).dump();
    return 0;
}
