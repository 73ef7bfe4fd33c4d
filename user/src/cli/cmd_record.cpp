#include "commands.hpp"

namespace nsk::cli {

CLI::App *setup_record(CLI::App &app, RecordOptions &opts)
{
    auto *sub = app.add_subcommand(
        "record", "Capture to a file for later analysis: 'report FILE' on any machine");
    sub->add_option("-o,--output", opts.record, "Capture file to write (replaced if it exists)")
        ->required();
    add_collect_options(sub, opts);
    sub->add_flag("--no-compress", opts.no_compress,
                  "Store chunks uncompressed (default: zstd level 1, about 5-10x smaller)");
    sub->footer(
        "Writes a self-describing capture (versions, probe table, filters, the kernel's records\n"
        "as they came, /proc counter snapshots, the loss ledger) with bounded memory; an\n"
        "interrupted file still reports everything before the cut.  Prints the summary at the\n"
        "end.\n"
        "Examples:\n"
        "  sudo netstack-kmon record -o rcvbuf.nsk --duration 30 --proto udp --port 9000\n"
        "  sudo netstack-kmon record -o all.nsk            # until Ctrl-C\n"
        "  netstack-kmon report rcvbuf.nsk                 # anywhere, no module needed");
    return sub;
}

Result<void> run_record(const RecordOptions &opts)
{
    return run_collect(opts, ReportMode::full, "record");
}

} // namespace nsk::cli
