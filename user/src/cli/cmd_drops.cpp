#include "commands.hpp"

namespace nsk::cli {

CLI::App *setup_drops(CLI::App &app, DropsOptions &opts)
{
    auto *sub = app.add_subcommand(
        "drops", "Like live, focused on drops: by reason and location, and per socket");
    add_collect_options(sub, opts);
    add_output_options(sub, opts);
    sub->footer("Examples:\n"
                "  sudo netstack-kmon drops --duration 30               # who drops, where, why\n"
                "  sudo netstack-kmon drops --port 5353 --json | tail -1 | jq .drops\n"
                "  sudo netstack-kmon drops --duration 60 --record drops.nsk");
    return sub;
}

Result<void> run_drops(const DropsOptions &opts)
{
    return run_collect(opts, ReportMode::drops, "drops");
}

} // namespace nsk::cli
