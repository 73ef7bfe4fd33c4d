#include "commands.hpp"

#include "nsk/genl.hpp"
#include "nsk/status.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

namespace nsk::cli {

CLI::App *setup_status(CLI::App &app, StatusOptions &opts)
{
    auto *sub = app.add_subcommand("status", "Show the module: version, probes, per-CPU counters");
    sub->add_flag("--json", opts.json, "Print one JSON object instead of tables");
    sub->footer("Examples:\n"
                "  sudo netstack-kmon status           # probes attached? any ring-full drops?\n"
                "  sudo netstack-kmon status --json | jq '.probes[] | select(.error != null)'");
    return sub;
}

Result<void> run_status(const StatusOptions &opts)
{
    auto client = GenlClient::open();
    if (!client) {
        if (opts.json && client.error().code == Errc::module_not_loaded)
            std::cout << R"({"module_loaded":false})" << '\n';
        return client.error();
    }
    auto st = client->status();
    if (!st)
        return st.error();
    if (opts.json)
        std::cout << status_json(*st).dump() << '\n';
    else
        std::cout << status_text(*st);
    return {};
}

} // namespace nsk::cli
