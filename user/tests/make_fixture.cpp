// nsk-make-fixture OUT.nsk OUT.summary.json [--lossy] [--no-compress]: write the synthetic
// rcvbuf capture (synth_capture.hpp) and the summary line the "live" run printed.
#include "synth_capture.hpp"

#include <fstream>
#include <iostream>

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::cerr << "usage: nsk-make-fixture OUT.nsk OUT.summary.json [--lossy] [--no-compress]\n";
        return 2;
    }
    bool lossy = false;
    nsk::CaptureWriterOptions w;
    for (int i = 3; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--lossy")
            lossy = true;
        else if (a == "--no-compress")
            w.codec = nsk::Codec::none;
    }
    const auto run = synth::synth_rcvbuf_run(w, lossy);
    std::ofstream cap(argv[1], std::ios::binary | std::ios::trunc);
    cap << run.capture;
    std::ofstream sum(argv[2], std::ios::trunc);
    for (const auto &l : run.json_lines)
        sum << l << '\n';
    if (!cap || !sum) {
        std::cerr << "nsk-make-fixture: cannot write the output files\n";
        return 1;
    }
    return 0;
}
