// nsk-bench-pipeline CAPTURE [RUNS]: the per-record cost of what `live` does with a batch
// (decoder -> reorder FIFOs -> correlator: nsk::Pipeline), without reading the capture.  The
// capture's batch frames are read into memory first (not timed), then fed RUNS times (default
// 5) to a fresh Pipeline; prints the CPU time (CLOCK_PROCESS_CPUTIME_ID) of each run, the
// median, and records per CPU second.  docs/performance.md, "Tool hot path, part 2".
#include "nsk/capture_reader.hpp"
#include "nsk/pipeline.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

namespace {
struct Batch {
    std::uint32_t cpu, count;
    std::uint64_t seq;
    std::vector<std::uint8_t> bytes;
};

double cpu_s()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
} // namespace

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: nsk-bench-pipeline CAPTURE [RUNS]\n");
        return 2;
    }
    const int runs = argc > 2 ? std::max(1, std::stoi(argv[2])) : 5;
    auto reader = nsk::CaptureReader::open(argv[1]);
    if (!reader) {
        std::fprintf(stderr, "nsk-bench-pipeline: %s\n", reader.error().message.c_str());
        return 1;
    }
    std::vector<Batch> batches;
    nsk::Frame f;
    while ((*reader)->next(f))
        if (f.type == nsk::FrameType::batch)
            if (auto b = nsk::batch_payload(f))
                batches.push_back({b->cpu, b->count, b->seq,
                                   std::vector<std::uint8_t>(b->records, b->records + b->len)});
    std::vector<double> t;
    std::uint64_t events = 0;
    std::size_t peak = 0; // most records the reorder FIFOs held at once
    for (int r = 0; r < runs; ++r) {
        const double t0 = cpu_s();
        {
            nsk::Pipeline p;
            for (const Batch &b : batches)
                p.on_batch(b.cpu, b.seq, b.count, b.bytes.data(), b.bytes.size());
            p.finish({});
            events = p.correlator().events();
            peak = p.reorder().peak_size();
        } // (the pipeline's teardown counts too)
        t.push_back(cpu_s() - t0);
        std::printf("run %d: %.1f ms\n", r + 1, t.back() * 1e3);
    }
    std::vector<double> s = t;
    std::sort(s.begin(), s.end());
    const double med = s[s.size() / 2];
    std::printf("%zu batches, %llu events: median %.1f ms CPU, %.1f ns/event, %.2f M events/s"
                " (reorder peak %zu records)\n",
                batches.size(), static_cast<unsigned long long>(events), med * 1e3,
                med * 1e9 / static_cast<double>(events), static_cast<double>(events) / med / 1e6,
                peak);
    return 0;
}
