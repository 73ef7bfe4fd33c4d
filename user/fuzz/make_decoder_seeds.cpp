// Writes seeds for fuzz_decoder from a capture: its first BATCH frames, each in the fuzzer's
// input format (u8 cpu | u32 count | u64 seq | u16 len | records), N batches per seed file.
//   make_decoder_seeds CAPTURE OUTDIR [FILES] [BATCHES_PER_FILE]
#include "nsk/capture_reader.hpp"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s CAPTURE OUTDIR [FILES] [BATCHES_PER_FILE]\n", argv[0]);
        return 2;
    }
    const int files = argc > 3 ? std::stoi(argv[3]) : 4;
    const int per = argc > 4 ? std::stoi(argv[4]) : 3;
    auto r = nsk::CaptureReader::open(argv[1]);
    if (!r) {
        std::fprintf(stderr, "%s\n", r.error().message.c_str());
        return 1;
    }
    std::vector<std::uint8_t> cur;
    int in_file = 0, written = 0;
    nsk::Frame f;
    while (written < files && (*r)->next(f)) {
        if (f.type != nsk::FrameType::batch)
            continue;
        auto b = nsk::batch_payload(f);
        if (!b)
            continue;
        const std::size_t len = std::min<std::size_t>(b->len, 0xFFFF);
        const std::uint8_t cpu = static_cast<std::uint8_t>(b->cpu);
        const std::uint16_t l16 = static_cast<std::uint16_t>(len);
        auto put = [&](const void *p, std::size_t n) {
            const auto *c = static_cast<const std::uint8_t *>(p);
            cur.insert(cur.end(), c, c + n);
        };
        put(&cpu, 1);
        put(&b->count, 4);
        put(&b->seq, 8);
        put(&l16, 2);
        put(b->records, len);
        if (++in_file == per) {
            std::ofstream(std::string(argv[2]) + "/seed" + std::to_string(written) + ".bin",
                          std::ios::binary)
                .write(reinterpret_cast<const char *>(cur.data()),
                       static_cast<std::streamsize>(cur.size()));
            cur.clear();
            in_file = 0;
            ++written;
        }
    }
    return 0;
}
