// netstack-kmon: thin main.  Parses the command line, runs one subcommand, turns an error into
// one sentence on stderr and the exit code of cli-contract.md.
#include "commands.hpp"

#include <iostream>
#include <malloc.h>

int main(int argc, char **argv)
{
    using namespace nsk::cli;
    // A collector runs for weeks: large buffers (reorder FIFOs after a backlog, a burst's
    // netlink batches) are mmapped and go back to the system when freed.  Without a fixed
    // threshold glibc raises it to the largest block freed so far, and such blocks then stay
    // in the heap: the RSS keeps the largest burst's size (docs/performance.md, the soak).
    mallopt(M_MMAP_THRESHOLD, 256 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    // The /metrics server's worker threads would each get an arena of their own: two are
    // plenty for one collector thread and an occasional scrape.
    mallopt(M_ARENA_MAX, 2);
    CLI::App app{"netstack-kmon: where packets spend their time in the Linux network stack, and "
                 "where they are dropped (needs the netstack_kmon module and CAP_NET_ADMIN; "
                 "report and live --replay need neither)",
                 "netstack-kmon"};
    app.set_version_flag("--version", std::string("netstack-kmon ") + NSK_VERSION);
    app.require_subcommand(1);
    app.footer("Examples:\n"
               "  sudo netstack-kmon status\n"
               "  sudo netstack-kmon live --duration 10 --proto udp --port 9000\n"
               "  sudo netstack-kmon drops --json\n"
               "  sudo netstack-kmon record -o cap.nsk --duration 30\n"
               "  netstack-kmon report cap.nsk\n"
               "  sudo netstack-kmon diagnose --duration 30 --port 9000\n"
               "Run 'netstack-kmon SUBCOMMAND --help' for each one's options and examples.\n"
               "Exit codes: 0 ok, 1 error, 2 usage, 3 module not loaded, 4 permission denied,\n"
               "5 capture truncated or damaged (the summary is printed anyway).");

    StatusOptions status_opts;
    LiveOptions live_opts;
    DropsOptions drops_opts;
    RecordOptions record_opts;
    ReportOptions report_opts;
    DiagnoseOptions diagnose_opts;
    auto *status = setup_status(app, status_opts);
    auto *live = setup_live(app, live_opts);
    auto *drops = setup_drops(app, drops_opts);
    auto *record = setup_record(app, record_opts);
    auto *report = setup_report(app, report_opts);
    auto *diagnose = setup_diagnose(app, diagnose_opts);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError &e) {
        if (e.get_exit_code() == 0) // --help, --version
            return app.exit(e);
        std::cerr << "netstack-kmon: " << e.what() << " (see 'netstack-kmon --help')\n";
        return 2;
    }

    nsk::Result<void> r;
    if (status->parsed())
        r = run_status(status_opts);
    else if (live->parsed())
        r = run_live(live_opts);
    else if (drops->parsed())
        r = run_drops(drops_opts);
    else if (record->parsed())
        r = run_record(record_opts);
    else if (report->parsed())
        r = run_report(report_opts);
    else if (diagnose->parsed())
        r = run_diagnose(diagnose_opts);
    if (!r.ok()) {
        std::cerr << "netstack-kmon: " << r.error().message << '\n';
        return nsk::exit_code(r.error());
    }
    return 0;
}
