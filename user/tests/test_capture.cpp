#define BOOST_TEST_MODULE capture
#include <algorithm>
#include <boost/test/unit_test.hpp>

#include "synth_capture.hpp"

#include "nsk/capture.hpp"
#include "nsk/replay.hpp"

#include <sstream>

namespace {

std::unique_ptr<nsk::CaptureReader> reader_of(const std::string &bytes)
{
    auto r = nsk::CaptureReader::from_stream(std::make_unique<std::istringstream>(bytes), "t.nsk");
    BOOST_REQUIRE(r.ok());
    return std::move(*r);
}

std::string summary_line(const nsk::Summary &s)
{
    return nsk::summary_json(s).dump();
}

/// Replay a synthetic run's capture through a JSON printer: it prints exactly what the run did.
std::vector<std::string> replay_matches_run(const synth::SynthRun &run)
{
    auto r = reader_of(run.capture);
    std::ostringstream out;
    nsk::PrinterOptions po;
    po.json = true;
    nsk::Printer p(out, po);
    auto res = nsk::replay(*r, &p);
    BOOST_REQUIRE(res.ok());
    BOOST_TEST(res->complete);
    std::vector<std::string> lines;
    std::istringstream in(out.str());
    for (std::string l; std::getline(in, l);)
        lines.push_back(l);
    BOOST_REQUIRE(lines.size() == run.json_lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i)
        BOOST_TEST(lines[i] == run.json_lines[i]);
    BOOST_REQUIRE(res->recorded_summary);
    BOOST_TEST(nlohmann::json::parse(summary_line(res->summary)) == *res->recorded_summary);
    return lines;
}

} // namespace

BOOST_AUTO_TEST_CASE(frames_round_trip_both_codecs)
{
    for (auto codec : {nsk::Codec::none, nsk::Codec::zstd}) {
        nsk::CaptureWriterOptions o;
        o.codec = codec;
        o.chunk_bytes = 100;
        nsk::CaptureWriter w(std::make_unique<std::ostringstream>(), "x", o);
        const std::string big(1000, 'a');
        w.frame(nsk::FrameType::header, 1, R"({"a":1})");
        const std::uint8_t rec[] = {1, 2, 3, 4, 5};
        w.batch(2, 3, 40, 1, rec, sizeof(rec));
        w.frame(nsk::FrameType::enobufs, 3, nullptr, 0);
        w.frame(nsk::FrameType::proc, 4, big);
        BOOST_TEST(w.close().ok());
        const auto bytes = static_cast<std::ostringstream *>(w.stream())->str();
        if (codec == nsk::Codec::zstd)
            BOOST_TEST(bytes.size() < 500u); // the 1000 'a's compressed
        auto r = reader_of(bytes);
        nsk::Frame f;
        BOOST_REQUIRE(r->next(f));
        BOOST_TEST(static_cast<int>(f.type) == static_cast<int>(nsk::FrameType::header));
        BOOST_TEST(f.text() == R"({"a":1})");
        BOOST_REQUIRE(r->next(f));
        BOOST_TEST(static_cast<int>(f.type) == static_cast<int>(nsk::FrameType::batch));
        BOOST_TEST(f.mono_ns == 2u);
        BOOST_TEST(f.len == 16u + sizeof(rec));
        BOOST_TEST(f.data[0] == 3);
        BOOST_TEST(f.data[4] == 1);
        BOOST_TEST(f.data[8] == 40);
        BOOST_TEST(f.data[16] == 1);
        BOOST_REQUIRE(r->next(f));
        BOOST_TEST(f.len == 0u);
        BOOST_REQUIRE(r->next(f));
        BOOST_TEST(f.text() == big);
        BOOST_TEST(!r->next(f));
        BOOST_TEST((r->state() == nsk::CaptureReader::State::clean_eof));
    }
}

BOOST_AUTO_TEST_CASE(not_a_capture_and_newer_version)
{
    auto r =
        nsk::CaptureReader::from_stream(std::make_unique<std::istringstream>("hello world"), "t");
    BOOST_TEST(!r.ok());
    BOOST_TEST(nsk::exit_code(r.error()) == 5);
    std::string hdr = "\x89NSKCAP\n";
    hdr += std::string("\x09\0\0\0\0\0\0\0", 8);
    auto r2 = nsk::CaptureReader::from_stream(std::make_unique<std::istringstream>(hdr), "t");
    BOOST_TEST(!r2.ok());
    BOOST_TEST(r2.error().message.find("version 9") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(cpu_counters_are_one_field_table)
{
    // Every counter is in the table, in the JSON in table order after "cpu", and reads back.
    nsk::CpuCounters c;
    c.cpu = 3;
    std::uint64_t v = 10;
    for (const auto &f : nsk::kCpuCounterFields)
        c.*f.member = v++;
    const nlohmann::ordered_json j = c;
    BOOST_TEST(j.size() == 1 + nsk::kCpuCounterFields.size());
    BOOST_TEST(j.begin().key() == "cpu");
    std::size_t i = 0;
    for (auto it = std::next(j.begin()); it != j.end(); ++it, ++i)
        BOOST_TEST(it.key() == nsk::kCpuCounterFields[i].key);
    const auto back = nlohmann::json::parse(j.dump()).get<nsk::CpuCounters>();
    BOOST_TEST(nlohmann::ordered_json(back).dump() == j.dump());
    // none left out but nmi_refused, whose key is written only when not 0 (below)
    BOOST_TEST(sizeof(nsk::CpuCounters) ==
               sizeof(std::uint64_t) * (2 + nsk::kCpuCounterFields.size()));
    BOOST_TEST(!j.contains("nmi_refused"));
    c.nmi_refused = 7;
    const nlohmann::ordered_json jn = c;
    BOOST_TEST(jn.size() == 2 + nsk::kCpuCounterFields.size());
    BOOST_TEST(jn["nmi_refused"].get<std::uint64_t>() == 7u);
    BOOST_TEST(nlohmann::json::parse(jn.dump()).get<nsk::CpuCounters>().nmi_refused == 7u);
    // Lenient: what is missing or not a number reads 0; not an array reads as no CPUs.
    const auto partial = nlohmann::json::parse(R"({"cpu": 1, "hits": "x", "sent": 5})");
    BOOST_TEST(partial.get<nsk::CpuCounters>().hits == 0u);
    BOOST_TEST(partial.get<nsk::CpuCounters>().sent == 5u);
    BOOST_TEST(nsk::cpus_from_json(partial).empty());
}

BOOST_AUTO_TEST_CASE(tick_and_end_frames_round_trip)
{
    nsk::TickFrame t;
    t.now_ns = 123;
    t.cpus = synth::synth_status().cpus;
    t.proc.base = false;
    t.proc.snmp = nsk::CounterMap{{"Udp.InErrors", 4}};
    t.gov_changes = 2;
    t.probe_missed = std::map<std::string, std::uint64_t>{{"ip_rcv", 7}};
    t.reader_behind = true;
    const auto tj = nlohmann::json::parse(nsk::tick_json(t).dump());
    const auto tb = nsk::tick_from_json(tj, 999);
    BOOST_TEST(nsk::tick_json(tb).dump() == nsk::tick_json(t).dump());
    BOOST_TEST(tb.reader_behind);
    // Older ticks: no cpus, no probe_missed; no now_ns: the frame's clock.
    const auto old = nsk::tick_from_json(nlohmann::json::parse(R"({"proc": {}})"), 999);
    BOOST_TEST(old.now_ns == 999u);
    BOOST_TEST(!old.cpus);
    BOOST_TEST(!old.probe_missed);
    BOOST_TEST(!old.gov_changes);
    BOOST_TEST(!old.reader_behind); // a reader not behind: the tick releases, as it did

    nsk::EndFrame e;
    e.stop_ns = 456;
    e.stopped = true;
    e.final_cpus = *t.cpus;
    e.gov_changes = 3;
    const nsk::Summary s;
    const auto ej = nlohmann::json::parse(nsk::end_json(e, s).dump());
    BOOST_TEST(ej["proc"].is_null());
    BOOST_TEST(ej["loss"] == ej["summary"]["loss"]);
    const auto eb = nsk::end_from_json(ej, 0);
    BOOST_TEST(eb.stop_ns == 456u);
    BOOST_TEST(eb.stopped);
    BOOST_TEST(!eb.proc);
    BOOST_TEST(eb.final_cpus.size() == e.final_cpus.size());
    BOOST_REQUIRE(eb.summary);
    BOOST_TEST(nsk::end_json(eb, s).dump() == nsk::end_json(e, s).dump());
}

BOOST_AUTO_TEST_CASE(batch_payload_reads_what_the_writer_wrote)
{
    auto os = std::make_unique<std::ostringstream>();
    auto *raw = os.get();
    nsk::CaptureWriterOptions o;
    o.codec = nsk::Codec::none;
    {
        nsk::CaptureWriter w(std::move(os), "t.nsk", o);
        const std::uint8_t rec[3] = {1, 2, 3};
        w.batch(5, 7, 0x1122334455667788ULL, 9, rec, sizeof(rec));
        w.frame(nsk::FrameType::batch, 6, rec, sizeof(rec)); // too short for a payload header
        BOOST_REQUIRE(w.close().ok());
        auto r = reader_of(raw->str());
        nsk::Frame f;
        BOOST_REQUIRE(r->next(f));
        const auto b = nsk::batch_payload(f);
        BOOST_REQUIRE(b);
        BOOST_TEST(b->cpu == 7u);
        BOOST_TEST(b->count == 9u);
        BOOST_TEST(b->seq == 0x1122334455667788ULL);
        BOOST_TEST(b->len == 3u);
        BOOST_TEST(b->records[2] == 3);
        BOOST_REQUIRE(r->next(f));
        BOOST_TEST(!nsk::batch_payload(f));
    }
}

BOOST_AUTO_TEST_CASE(header_json_round_trip)
{
    nsk::CaptureHeader h;
    h.tool_version = "9.9";
    h.status = synth::synth_status();
    h.baseline = h.status.cpus;
    h.baseline[1].sent = 77;
    nsk::FilterOptions fo;
    fo.proto = "udp";
    fo.port = 9000;
    fo.addr = "10.0.0.0/8";
    fo.sample = "1/4";
    h.filters = *nsk::parse_filters(fo);
    h.interval_s = 2.5;
    h.age_ns = 42;
    h.mode = nsk::ReportMode::drops;
    h.status.gov_budget = 5000;
    h.status.sample_effective = 8;
    const auto j = nlohmann::json::parse(nsk::header_json(h).dump());
    BOOST_TEST(j["drop_locations"].get<std::string>().find("symbol+0xoff/0xsize") !=
               std::string::npos);
    auto back = nsk::header_from_json(j);
    BOOST_REQUIRE(back.ok());
    BOOST_TEST(back->status.probes.size() == h.status.probes.size());
    BOOST_TEST(back->status.probes[3].name == h.status.probes[3].name);
    BOOST_TEST(back->baseline[1].sent == 77u);
    BOOST_TEST(nsk::filters_text(back->filters) == nsk::filters_text(h.filters));
    BOOST_TEST(back->interval_s == 2.5);
    BOOST_TEST(back->age_ns == 42u);
    BOOST_TEST((back->mode == nsk::ReportMode::drops));
    BOOST_TEST(back->status.kernel_release == "6.1.0-synthetic-amd64");
    BOOST_TEST(back->governor_recorded);
    BOOST_TEST(back->status.gov_budget == 5000u);
    BOOST_TEST(back->status.sample_effective == 8u);
    // A header written before the governor was recorded.
    auto old = j;
    old.erase("governor");
    const auto back_old = nsk::header_from_json(old);
    BOOST_REQUIRE(back_old.ok());
    BOOST_TEST(!back_old->governor_recorded);
    BOOST_TEST(back_old->status.gov_budget == 0u);
    // The percentile scheme: written by every capture from now on; absent = an older capture,
    // whose run printed log2-interpolated percentiles.
    BOOST_TEST(j["histogram"] == "log-linear");
    BOOST_TEST((back->histogram == nsk::Precision::log_linear));
    old.erase("histogram");
    BOOST_TEST((nsk::header_from_json(old)->histogram == nsk::Precision::log2));
    auto newer = j;
    newer["histogram"] = "log-linear-v2"; // a newer writer's: the best this reader has
    BOOST_TEST((nsk::header_from_json(newer)->histogram == nsk::Precision::log_linear));
}

// A capture written before the log-linear histograms (its header has no "histogram" key) replays
// with the log2 percentiles its run printed; the same run recorded now replays with log-linear.
BOOST_AUTO_TEST_CASE(old_capture_replays_with_log2_percentiles)
{
    const auto run = synth::synth_rcvbuf_run();
    // Rewrite the capture frame by frame, without the header's "histogram" key.
    auto r = reader_of(run.capture);
    auto os = std::make_unique<std::ostringstream>();
    auto *raw = os.get();
    {
        nsk::CaptureWriter w(std::move(os), "old.nsk", {});
        nsk::Frame f;
        while (r->next(f)) {
            if (f.type == nsk::FrameType::header) {
                auto h = nlohmann::ordered_json::parse(f.text());
                BOOST_REQUIRE(h.erase("histogram") == 1u);
                w.frame(f.type, f.mono_ns, h.dump());
                w.flush();
            } else {
                w.frame(f.type, f.mono_ns, f.data, f.len);
            }
        }
        BOOST_REQUIRE(w.close().ok());
        std::string bytes = raw->str();
        auto old = reader_of(bytes);
        auto res = nsk::replay(*old, nullptr);
        BOOST_REQUIRE(res.ok());
        BOOST_TEST(res->complete);
        BOOST_TEST((res->header.histogram == nsk::Precision::log2));
        const auto j = nlohmann::json::parse(summary_line(res->summary));
        BOOST_TEST(j["histogram"] == "log2");
        // the live run's own histograms, percentiles computed the old way
        nsk::Summary expect = run.summary;
        nsk::set_precision(expect, nsk::Precision::log2);
        expect.verdicts = nsk::diagnose(expect); // (the latency verdict quotes percentiles)
        BOOST_TEST(j == nlohmann::json::parse(summary_line(expect)));
        const auto now = nlohmann::json::parse(run.json_lines.back());
        BOOST_TEST(now["histogram"] == "log-linear");
        BOOST_TEST(j["totals"]["queue"]["hist"] == now["totals"]["queue"]["hist"]);
        BOOST_TEST(j["totals"]["queue"]["max_ns"] == now["totals"]["queue"]["max_ns"]);
        BOOST_TEST(nsk::summary_text(res->summary)
                       .find("note: this capture predates the "
                             "log-linear histograms") != std::string::npos);
        BOOST_TEST(nsk::summary_text(run.summary).find("predates") == std::string::npos);
    }
}

// The core promise: the replay prints exactly what the live run printed.
BOOST_AUTO_TEST_CASE(replay_reproduces_live_output_exactly)
{
    for (auto codec : {nsk::Codec::none, nsk::Codec::zstd}) {
        nsk::CaptureWriterOptions o;
        o.codec = codec;
        replay_matches_run(synth::synth_rcvbuf_run(o));
    }
}

BOOST_AUTO_TEST_CASE(replay_exact_numbers)
{
    const auto run = synth::synth_rcvbuf_run();
    auto r = reader_of(run.capture);
    auto res = nsk::replay(*r, nullptr);
    BOOST_REQUIRE(res.ok());
    const auto j = nlohmann::json::parse(summary_line(res->summary));
    BOOST_TEST(j["type"] == "summary");
    BOOST_TEST(j["duration_s"].get<double>() == 5.2);
    BOOST_TEST(j["kernel"] == "6.1.0-synthetic-amd64");
    BOOST_REQUIRE(j["sockets"].size() == 2u);
    for (const auto &s : j["sockets"]) {
        if (s["local"] == "127.0.0.1:9000") {
            BOOST_TEST(s["rx_packets"].get<int>() == 84);
            BOOST_TEST(s["drops_total"].get<int>() == 16);
            BOOST_TEST(s["drops"]["SOCKET_RCVBUFF"].get<int>() == 16);
            BOOST_TEST(s["kernel_drops_delta"].get<int>() == 16);
            BOOST_TEST(s["pid"].get<int>() == 4242);
            BOOST_TEST(s["comm"] == "rx-app");
        } else {
            BOOST_TEST(s["local"] == "127.0.0.1:9001");
            BOOST_TEST(s["rx_packets"].get<int>() == 25);
            BOOST_TEST(s["drops_total"].get<int>() == 0);
            BOOST_TEST(s["kernel_drops_delta"].get<int>() == 0);
        }
    }
    BOOST_TEST(j["journeys"]["rx"]["complete"].get<int>() == 109);
    BOOST_TEST(j["journeys"]["rx"]["dropped"].get<int>() == 16);
    BOOST_TEST(j["journeys"]["rx"]["incomplete"].get<int>() == 0);
    BOOST_TEST(j["counters"]["Udp.RcvbufErrors"].get<int>() == 16);
    BOOST_TEST(j["counters"]["Udp.InDatagrams"].get<int>() == 109);
    BOOST_TEST(j["counters"]["Udp6.NoPorts"].get<int>() == 10);
    BOOST_TEST(j["counters"]["Udp6.RcvbufErrors"].get<int>() == 0);
    BOOST_TEST(j["counters"]["TcpExt.TCPBacklogDrop"].get<int>() == 0);
    BOOST_TEST(j["softnet"]["processed"].get<int>() == 125); // CPU 0's u32 wrapped
    BOOST_TEST(j["softnet"]["time_squeeze"].get<int>() == 5);
    BOOST_TEST(j["softnet"]["dropped"].get<int>() == 0);
    BOOST_REQUIRE(j["softnet"]["cpus"].size() == 2u);
    BOOST_TEST(j["softnet"]["cpus"][0]["processed"].get<int>() == 125);
    BOOST_TEST(j["softnet"]["cpus"][1]["processed"].get<int>() == 0);
    BOOST_TEST(j["reconciled"].get<bool>());                  // one UDP check over IPv4 and IPv6
    BOOST_TEST(j["totals"]["rx"]["count"].get<int>() == 109); // accepted by a queue
    BOOST_TEST(j["totals"]["queue"]["count"].get<int>() == 109);
    for (const auto *k : {"ring", "netlink", "user", "incomplete_journeys"})
        BOOST_TEST(j["loss"][k].get<int>() == 0);
    BOOST_REQUIRE(j["drops"].size() == 1u);
    BOOST_TEST(j["drops"][0]["location"] == "__udp_enqueue_schedule_skb+0x1c2");
    BOOST_TEST(j["drops"][0]["count"].get<int>() == 16);
    BOOST_TEST(j["cpus"].size() == 2u);
    // the STATUS read after START already showed 12 records on CPU 0: they are the
    // collection's own (START resets the counters), not a baseline to subtract
    std::uint64_t written = 0;
    for (const auto &c : j["cpus"])
        written += c["written"].get<std::uint64_t>();
    BOOST_TEST(written == j["events"].get<std::uint64_t>());
    BOOST_TEST(j["cpus"][0]["hits"].get<std::uint64_t>() ==
               j["cpus"][0]["written"].get<std::uint64_t>() + 3);
}

// /proc/net/dev of every namespace is in the capture's PROC snapshots: the replay prints the
// same lines (per interval too) and the same device deltas; a capture without it has no key.
BOOST_AUTO_TEST_CASE(device_counters_recorded_and_replayed)
{
    const auto run = synth::synth_rcvbuf_run({}, false, 5, 10, false, true);
    replay_matches_run(run);
    auto r = reader_of(run.capture);
    auto res = nsk::replay(*r, nullptr);
    BOOST_REQUIRE(res.ok());
    const auto j = nlohmann::json::parse(summary_line(res->summary));
    BOOST_REQUIRE(j.contains("devices"));
    const auto &d = j["devices"];
    BOOST_REQUIRE(d.size() == 2u); // eth0 and the peer's lo did not move
    BOOST_TEST(d[0]["netns"].get<std::uint32_t>() == 4026531840U);
    BOOST_TEST(d[0]["name"] == "lo");
    BOOST_TEST(d[0]["rx_packets"].get<int>() == 125); // every datagram crossed lo
    BOOST_TEST(d[0]["tx_packets"].get<int>() == 125);
    BOOST_TEST(d[0]["rx_bytes"].get<int>() == 12500);
    BOOST_TEST(d[0]["rx_dropped"].get<int>() == 0);
    BOOST_TEST(d[1]["netns"].get<std::uint32_t>() == 4026532100U);
    BOOST_TEST(d[1]["name"] == "veth0");
    BOOST_TEST(d[1]["tx_packets"].get<int>() == 10);
    BOOST_TEST(d[1]["tx_bytes"].get<int>() == 350);
    BOOST_TEST(d[1]["tx_dropped"].get<int>() == 1);
    BOOST_TEST(d[1]["rx_packets"].get<int>() == 0);
    // the replay's summary is the one the run printed, devices included
    BOOST_TEST(nlohmann::json::parse(run.json_lines.back())["devices"] == d);
    BOOST_TEST(run.text.find("/proc/net/dev (devices whose counters moved)") != std::string::npos);
    // the rest of the run is the same as without devices
    auto without = nlohmann::json::parse(synth::synth_rcvbuf_run().json_lines.back());
    auto with = nlohmann::json::parse(run.json_lines.back());
    BOOST_TEST(!without.contains("devices"));
    with.erase("devices");
    // (and the verdict on veth0's drop; the other verdicts are the same)
    auto &wv = with["verdicts"];
    wv.erase(std::remove_if(wv.begin(), wv.end(), [](const auto &v) { return v["kind"] == "device"; }),
             wv.end());
    BOOST_TEST(with == without);
}

// Every governor decision the tool received is in the capture, replayed, and in the summary;
// totals are marked sampled and estimates scale each period by its own divisor.
BOOST_AUTO_TEST_CASE(governor_changes_recorded_replayed_and_estimated)
{
    const auto run = synth::synth_rcvbuf_run({}, false, 5, 10, true);
    const auto lines = replay_matches_run(run);

    const auto j = nlohmann::json::parse(lines.back());
    BOOST_TEST(j["sampled"].get<bool>());
    BOOST_TEST(j["sample_divisors"] == nlohmann::json::parse("[1, 2]"));
    const auto &g = j["governor"];
    BOOST_TEST(g["budget"].get<int>() == 100);
    BOOST_TEST(g["start_divisor"].get<int>() == 1);
    BOOST_TEST(g["kernel_changes"].get<int>() == 2);
    BOOST_TEST(g["missed"].get<int>() == 0);
    BOOST_TEST(g["changes"] == nlohmann::json::parse(
                                   R"([{"t_ns":7000000000,"from":1,"to":2,"rate":150,"budget":100},
                                       {"t_ns":9000000000,"from":2,"to":1,"rate":20,"budget":100}])"));
    // Measured numbers stay measured.
    BOOST_TEST(j["events"].get<int>() == 766);
    BOOST_TEST(j["journeys"]["rx"]["complete"].get<int>() == 109);
    // Periods: [0, 2 s) x1: 300 events, 46 rx, 4 drops; [2 s, 4 s) x2: 308, 42, 8;
    // [4 s, end) x1: 158, 21, 4 (dequeues of slots 8 and 9 fall into the next second).
    const auto &e = j["estimated"];
    BOOST_TEST(e["available"].get<bool>());
    BOOST_TEST(e["events"].get<int>() == 300 + 2 * 308 + 158);
    BOOST_TEST(e["rx_packets"].get<int>() == 46 + 2 * 42 + 21);
    BOOST_TEST(e["drops"].get<int>() == 4 + 2 * 8 + 4);
    BOOST_TEST(e["tx_packets"].get<int>() == 0);
    BOOST_TEST(e["factor"].is_null());
    BOOST_TEST(e["per_period"].get<bool>());
    BOOST_TEST(e["exact"].get<bool>());
    BOOST_TEST(e["note"] == "each period scaled by its own divisor (1/1, 1/2); flows are kept or "
                            "dropped whole, so with few flows the error is large");

    // The same in the text report.
    BOOST_TEST(run.text.find("sampling: 1/1, 1/2 of flows (no --sample, governor); counts are "
                             "measured on the sampled flows\n"
                             "    events      ~1074  (estimate, each period scaled by its own "
                             "divisor)\n") != std::string::npos,
               run.text);
    BOOST_TEST(
        run.text.find("governor: budget 100 records/s per CPU, 2 change(s) (kernel counted "
                      "2)\n"
                      "    +2.000 s  1/1 → 1/2  rate 150 records/s > budget 100\n"
                      "    +4.000 s  1/2 → 1/1  rate 20 records/s < budget/4, budget 100\n") !=
            std::string::npos,
        run.text);
}

// Without governor decisions and without sampling: said in one line, no estimates.
BOOST_AUTO_TEST_CASE(governor_off_is_said)
{
    const auto run = synth::synth_rcvbuf_run();
    BOOST_TEST(run.text.find("\ngovernor: off (no budget)\n") != std::string::npos, run.text);
    BOOST_TEST(run.text.find("sampling:") == std::string::npos);
    const auto j = nlohmann::json::parse(run.json_lines.back());
    BOOST_TEST(!j["sampled"].get<bool>());
    BOOST_TEST(j["governor"]["changes"].empty());
    BOOST_TEST(j["governor"]["budget"].get<int>() == 0);
    BOOST_TEST(!j.contains("estimated"));
}

BOOST_AUTO_TEST_CASE(lossy_run_keeps_its_ledger)
{
    const auto run = synth::synth_rcvbuf_run({}, true);
    auto r = reader_of(run.capture);
    auto res = nsk::replay(*r, nullptr);
    BOOST_REQUIRE(res.ok());
    BOOST_TEST(res->summary.loss.netlink == 7u);
    BOOST_TEST(res->summary.loss.enobufs == 1u);
    BOOST_TEST(res->summary.loss.probe_missed == 3u);
    BOOST_TEST(res->summary.loss.probe_missed_by.at("udp_rcv") == 2u);
    BOOST_TEST(res->summary.loss.probe_missed_by.at("ip_rcv") == 1u);
    BOOST_TEST(summary_line(res->summary) == run.json_lines.back());
    BOOST_TEST(run.json_lines.back().find(
                   R"("probe_missed":3,"probe_missed_by":{"ip_rcv":1,"udp_rcv":2})") !=
               std::string::npos);
    BOOST_TEST(run.text.find("probe hits the kernel skipped 3 (ip_rcv 1, udp_rcv 2;") !=
               std::string::npos);
}

namespace {

struct Cut {
    bool complete;
    std::uint64_t batches;
    nsk::Summary summary;
};

Cut replay_prefix(const std::string &bytes, std::size_t n)
{
    auto r = nsk::CaptureReader::from_stream(
        std::make_unique<std::istringstream>(bytes.substr(0, n)), "cut.nsk");
    if (!r.ok())
        return {false, 0, {}};
    auto res = nsk::replay(**r, nullptr);
    if (!res.ok())
        return {false, 0, {}};
    return {res->complete, res->batches, res->summary};
}

} // namespace

// A cut at every byte offset: never a crash, always "not complete" before the end, and (one
// frame per chunk, uncompressed) exactly the batches whose chunk ends before the cut.
BOOST_AUTO_TEST_CASE(truncated_at_every_byte_offset_one_frame_per_chunk)
{
    nsk::CaptureWriterOptions o;
    o.codec = nsk::Codec::none;
    o.chunk_bytes = 1; // every frame is its own chunk
    const auto run = synth::synth_rcvbuf_run(o, false, 2, 2);
    const std::string &bytes = run.capture;

    // Chunk boundaries and which of them end a batch frame.
    std::vector<std::pair<std::size_t, bool>> ends; // (end offset, is batch)
    for (std::size_t off = nsk::kCaptureFileHeader; off < bytes.size();) {
        const auto *p = reinterpret_cast<const std::uint8_t *>(bytes.data()) + off;
        const std::uint32_t stored = p[8] | (p[9] << 8) | (p[10] << 16) | (p[11] << 24);
        const bool batch = p[nsk::kChunkHeader] == static_cast<int>(nsk::FrameType::batch);
        off += nsk::kChunkHeader + stored;
        ends.emplace_back(off, batch);
    }
    BOOST_REQUIRE(ends.back().first == bytes.size());
    const std::uint64_t all_batches = run.batches;

    std::uint64_t checked = 0;
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        const Cut c = replay_prefix(bytes, n);
        std::uint64_t expect = 0;
        for (const auto &[end, batch] : ends)
            if (batch && end <= n)
                ++expect;
        if (c.batches != expect)
            BOOST_FAIL("cut at " << n << ": " << c.batches << " batches, expected " << expect);
        if (c.complete != (n == bytes.size()))
            BOOST_FAIL("cut at " << n << ": complete flag wrong");
        ++checked;
    }
    BOOST_TEST(checked == bytes.size() + 1);
    BOOST_TEST(replay_prefix(bytes, bytes.size()).batches == all_batches);
}

// Compressed, many frames per chunk: a cut keeps every complete chunk (and what zstd can give
// of the cut one); the recovered prefix only grows with the cut.
BOOST_AUTO_TEST_CASE(truncated_at_every_byte_offset_compressed_chunks)
{
    nsk::CaptureWriterOptions o;
    o.codec = nsk::Codec::zstd;
    o.chunk_bytes = 4096;
    const auto run = synth::synth_rcvbuf_run(o, false, 3, 3);
    const std::string &bytes = run.capture;
    std::uint64_t prev = 0;
    for (std::size_t n = 0; n <= bytes.size(); ++n) {
        const Cut c = replay_prefix(bytes, n);
        if (c.batches < prev)
            BOOST_FAIL("cut at " << n << ": fewer batches than a shorter cut");
        if (c.complete != (n == bytes.size()))
            BOOST_FAIL("cut at " << n << ": complete flag wrong");
        prev = c.batches;
    }
    BOOST_TEST(prev == run.batches);
}

// A cut file's summary holds exactly the records before the cut: the cut after interval 2's
// flush equals the live run's interval-2 numbers for what had been sent by then.
BOOST_AUTO_TEST_CASE(truncated_summary_counts_what_it_holds)
{
    const auto run = synth::synth_rcvbuf_run();
    // Find the end of the 2nd TICK chunk: the writer flushes at every tick.
    auto r = reader_of(run.capture);
    nsk::Frame f;
    int ticks = 0;
    std::uint64_t cut = 0;
    while (r->next(f))
        if (f.type == nsk::FrameType::tick && ++ticks == 2) {
            cut = r->offset();
            break;
        }
    BOOST_REQUIRE(cut > 0);
    const Cut c = replay_prefix(run.capture, cut);
    BOOST_TEST(!c.complete);
    // 2 s of traffic: A got 40 packets (4 dropped in second 1), B 10.
    std::uint64_t rx_a = 0, drops_a = 0;
    for (const auto &s : c.summary.sockets)
        if (s.local == "127.0.0.1:9000") {
            rx_a = s.rx_packets;
            drops_a = s.drops_total;
        }
    BOOST_TEST(rx_a == 36u);
    BOOST_TEST(drops_a == 4u);
    BOOST_TEST(c.summary.loss.netlink == 0u);
}

BOOST_AUTO_TEST_CASE(damaged_chunk_stops_with_damage)
{
    nsk::CaptureWriterOptions o;
    o.codec = nsk::Codec::none;
    o.chunk_bytes = 1;
    auto run = synth::synth_rcvbuf_run(o);
    std::string bytes = run.capture;
    bytes[bytes.size() / 2] ^= 0x55;
    auto r = reader_of(bytes);
    auto res = nsk::replay(*r, nullptr);
    BOOST_REQUIRE(res.ok());
    BOOST_TEST(!res->complete);
    BOOST_TEST(res->damaged);
    BOOST_TEST(res->batches < run.batches);
    BOOST_TEST(!res->problem.empty());
}

BOOST_AUTO_TEST_CASE(writer_errors_are_sticky)
{
    auto bad = std::make_unique<std::ostringstream>();
    bad->setstate(std::ios::badbit);
    nsk::CaptureWriter w(std::move(bad), "full.nsk", {});
    BOOST_TEST(!w.ok());
    w.frame(nsk::FrameType::enobufs, 1, nullptr, 0);
    auto r = w.close();
    BOOST_TEST(!r.ok());
    BOOST_TEST(r.error().message.find("full.nsk") != std::string::npos);
}

// A hand-made or damaged capture: numbers out of range or of the wrong type read as the
// defaults (converting 1e30 to an integer is undefined behaviour; -1 for an unsigned field is a
// silent wrap), never an abort.
BOOST_AUTO_TEST_CASE(hostile_numbers_read_as_defaults)
{
    const auto j = nlohmann::json::parse(R"({
        "format": "netstack-kmon capture", "nr_cpus": 1e30, "t0_mono_ns": -5,
        "interval_s": "x", "ring_bytes": 4294967296, "start_ts": 2.5,
        "filters": {"port": 70000, "pid": -1, "netns": 1e300, "budget": 7},
        "limits": {"max_sockets": 1.5, "socket_age_ns": 5000000000, "max_journeys": -3},
        "baseline_cpus": [{"cpu": 1e20, "written": -1}], "probes": [7, "x"]})");
    const auto h = nsk::header_from_json(j);
    BOOST_REQUIRE(h);
    BOOST_TEST(h->status.nr_cpus == 0u);
    BOOST_TEST(h->t0_mono_ns == 0u);
    BOOST_TEST(h->interval_s == 1.0);
    BOOST_TEST(h->status.ring_bytes == 0u);
    BOOST_TEST(h->status.start_ts == 0u);
    BOOST_TEST(!h->filters.port.has_value());
    BOOST_TEST(!h->filters.pid.has_value());
    BOOST_TEST(!h->filters.netns.has_value());
    BOOST_TEST(h->filters.budget.value_or(0) == 7u);
    BOOST_TEST(h->max_sockets == nsk::CorrelatorOptions{}.max_sockets);
    BOOST_TEST(h->socket_age_ns == 5'000'000'000u);
    BOOST_TEST(h->max_journeys == nsk::CorrelatorOptions{}.max_journeys);
    BOOST_REQUIRE(h->baseline.size() == 1u);
    BOOST_TEST(h->baseline[0].cpu == 0u);
    BOOST_TEST(h->baseline[0].written == 0u);
    // a PROC frame whose "base" is not a boolean: read as false, no exception
    BOOST_TEST(!nsk::proc_from_json(nlohmann::json::parse(R"({"base": 5, "own_netns": -1})")).base);
}
