// The trace writers on their own (no SystemC): VcdWriter levels, window, glob filters, rate
// signals and ordering; the timeline's JSON, window and ordering; the GTKWave save file.
#include <gtest/gtest.h>

#include "sim/core/gtkw_writer.h"
#include "sim/core/timeline.h"
#include "sim/core/vcd_writer.h"
#include "tests/e2e/trace_readers.h"

namespace {

using sim::TraceLevel;
using sim::VcdOptions;
using sim::VcdWriter;

TEST(TraceVcd, ChangesRecordedOutOfOrderComeOutInTimeOrderLastRecordWinning) {
  VcdWriter vcd;
  const auto busy = vcd.add_signal("top.pe_array", "busy", 1);
  const auto fold = vcd.add_signal("top.pe_array", "fold_index", 32);
  vcd.change(busy, 5000, 1);
  vcd.change(busy, 9000, 0);
  vcd.change(fold, 7000, 3);  // another component, behind in time
  vcd.change(fold, 2000, 1);
  vcd.change(busy, 9000, 1);  // back-to-back tile: stays high
  vcd.change(busy, 12000, 0);
  vcd.set_end_time(20000);
  const auto parsed = trace_test::parse_vcd(vcd.to_string());
  const auto& b = parsed.var("top.pe_array.busy");
  EXPECT_EQ(b.high_time(20000), 7000u);
  EXPECT_EQ(b.at(9000), 1u);
  EXPECT_EQ(parsed.var("top.pe_array.fold_index").at(2500), 1u);
  EXPECT_EQ(parsed.var("top.pe_array.fold_index").at(7000), 3u);
  EXPECT_EQ(parsed.last_time, 20000u);
}

TEST(TraceVcd, LevelAndGlobsDecideWhichSignalsAreDeclared) {
  VcdOptions options;
  options.level = TraceLevel::kLayer;
  options.signals = {"top.controller.*", "*op_index"};
  VcdWriter vcd(options);
  const auto layer = vcd.add_signal("top.controller", "layer_index", 16, TraceLevel::kLayer);
  const auto stalled = vcd.add_signal("top.controller", "stalled", 1, TraceLevel::kTile);
  const auto op = vcd.add_signal("top.host", "op_index", 32, TraceLevel::kLayer);
  const auto phase = vcd.add_signal("top.host", "phase", 3, TraceLevel::kLayer);
  EXPECT_TRUE(vcd.enabled(layer));
  EXPECT_FALSE(vcd.enabled(stalled));
  EXPECT_TRUE(vcd.enabled(op));
  EXPECT_FALSE(vcd.enabled(phase));
  vcd.change(stalled, 10, 1);
  vcd.change(phase, 10, 2);
  vcd.change(layer, 10, 4);
  EXPECT_EQ(vcd.change_count(), 1u);
  const auto parsed = trace_test::parse_vcd(vcd.to_string());
  EXPECT_EQ(parsed.vars.size(), 2u);
  EXPECT_TRUE(parsed.has("top.host.op_index"));
  EXPECT_FALSE(parsed.has("top.host.phase"));
}

TEST(TraceVcd, WindowStartsFromTheValuesAtItsStartAndEndsAtItsEnd) {
  VcdOptions options;
  options.window_start_ps = 1000;
  options.window_end_ps = 3000;
  VcdWriter vcd(options);
  const auto s = vcd.add_signal("top.x", "s", 8);
  vcd.change(s, 100, 7);
  vcd.change(s, 50, 9);  // older than the 100 ps record: not the value at the start
  vcd.change(s, 2000, 5);
  vcd.change(s, 4000, 6);
  const auto parsed = trace_test::parse_vcd(vcd.to_string());
  EXPECT_EQ(parsed.first_time, 1000u);
  EXPECT_EQ(parsed.var("top.x.s").at(1000), 7u);
  EXPECT_EQ(parsed.var("top.x.s").at(2500), 5u);
  EXPECT_LE(parsed.last_time, 3000u);
}

TEST(TraceVcd, RateSignalsIntegrateToTheAmountAdded) {
  VcdOptions options;
  options.rate_window_ps = 1000;
  VcdWriter vcd(options);
  const auto bytes = vcd.add_rate_signal("top.dma.ch0", "bytes_per_window");
  std::uint64_t total = 0;
  for (std::uint64_t t = 0; t < 20000; t += 370) {
    vcd.add_amount(bytes, t, 64 + t % 7);
    total += 64 + t % 7;
  }
  vcd.add_amount(bytes, 500, 1);  // late record into an early window
  total += 1;
  const auto parsed = trace_test::parse_vcd(vcd.to_string());
  const auto& var = parsed.var("top.dma.ch0.bytes_per_window");
  EXPECT_EQ(static_cast<std::uint64_t>(var.integral(parsed.last_time) / 1000), total);
  EXPECT_EQ(var.at(25000), 0u);
}

TEST(TraceVcd, ValuesAreMaskedToTheirWidthAndLegendsGoInTheHeader) {
  VcdWriter vcd;
  const auto phase = vcd.add_signal("top.host", "phase", 3);
  vcd.change(phase, 10, 0xF);
  vcd.set_legend(phase, {"fwd", "bwd_data"});
  const std::string text = vcd.to_string();
  EXPECT_NE(text.find("$comment legend top.host.phase: 0=fwd 1=bwd_data $end"), std::string::npos);
  EXPECT_EQ(trace_test::parse_vcd(text).var("top.host.phase").at(10), 7u);
  EXPECT_EQ(vcd.find_signal("top.host.phase"), phase);
  EXPECT_FALSE(vcd.find_signal("top.host.nothing").has_value());
}

TEST(TraceVcd, GlobsTreatDotsAsOrdinaryCharacters) {
  EXPECT_TRUE(sim::glob_match("top.dma.*", "top.dma.ch0.bytes_in_flight"));
  EXPECT_TRUE(sim::glob_match("*busy", "top.pe_array.busy"));
  EXPECT_TRUE(sim::glob_match("top.dma.ch[01].*", "top.dma.ch1.descriptor"));
  EXPECT_FALSE(sim::glob_match("top.dma.*", "top.pe_array.busy"));
  EXPECT_EQ(sim::parse_trace_level("cycle"), TraceLevel::kCycle);
  EXPECT_FALSE(sim::parse_trace_level("fold").has_value());
}

TEST(TraceTimeline, WritesSortedNestedSlicesInMicroseconds) {
  sim::Timeline timeline;
  const auto ops = timeline.track("top.controller");
  const auto dma = timeline.track("top.dma.ch0");
  EXPECT_EQ(timeline.track("top.controller"), ops);
  timeline.slice(ops, "stall", 2500000, 3000000, {{"cycles", 500}});
  timeline.slice(ops, "conv1 \"fwd\"", 1000000, 9000001, {{"op_index", 0}, {"tiles", 4}});
  timeline.slice(dma, "load", 1000000, 2500000, {{"bytes", 4096}});
  const auto doc = trace_test::parse_json(timeline.to_string());
  std::map<int, std::string> tracks;
  const auto slices = trace_test::timeline_slices(doc, &tracks);
  ASSERT_EQ(slices.size(), 3u);
  EXPECT_EQ(trace_test::check_nesting(slices), "");
  EXPECT_EQ(tracks[1], "top.controller");
  EXPECT_EQ(tracks[2], "top.dma.ch0");
  // The enclosing op comes before the stall it contains; times survive to the picosecond.
  EXPECT_EQ(slices[0].name, "conv1 \"fwd\"");
  EXPECT_EQ(slices[0].end_ps, 9000001u);
  EXPECT_EQ(slices[1].name, "stall");
  const auto& events = doc["traceEvents"].array;
  bool found = false;
  for (const auto& e : events) {
    if (e["ph"].string == "X" && e["name"].string == "load") {
      EXPECT_EQ(static_cast<int>(e["args"]["bytes"].number), 4096);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(TraceTimeline, NestingCheckFindsPartialOverlap) {
  std::vector<trace_test::TimelineSlice> slices = {{1, "a", 0, 10}, {1, "b", 5, 15}};
  EXPECT_NE(trace_test::check_nesting(slices), "");
  slices[1] = {2, "b", 5, 15};  // another track
  EXPECT_EQ(trace_test::check_nesting(slices), "");
}

TEST(TraceTimeline, WindowDropsAndClipsSlices) {
  sim::Timeline timeline(1000, 2000);
  const auto t = timeline.track("top.pe_array");
  timeline.slice(t, "before", 0, 999);
  timeline.slice(t, "across", 500, 1500);
  timeline.slice(t, "after", 2001, 3000);
  const auto slices = trace_test::timeline_slices(trace_test::parse_json(timeline.to_string()));
  ASSERT_EQ(slices.size(), 1u);
  EXPECT_EQ(slices[0].name, "across");
  EXPECT_EQ(slices[0].start_ps, 1000u);
  EXPECT_EQ(slices[0].end_ps, 1500u);
}

TEST(TraceGtkw, GroupsComponentsInDataFlowOrderWithFormatsAndFilters) {
  VcdWriter vcd;
  vcd.add_signal("top.dma.ch0", "bytes_in_flight", 32);
  const auto layer = vcd.add_signal("top.controller", "layer_index", 16);
  vcd.add_signal("top.pe_array", "busy", 1);
  vcd.add_rate_signal("top.weight_sram", "read_bytes_per_window");
  vcd.add_signal("top.host", "op_index", 32);
  vcd.set_legend(layer, {"conv1", "fc2"});
  std::vector<sim::GtkwFilter> filters;
  const std::string text = sim::gtkw_text(vcd, "run/trace.vcd", "run", &filters);
  EXPECT_NE(text.find("[dumpfile] \"run/trace.vcd\""), std::string::npos);
  const auto host = text.find("-host\n");
  const auto controller = text.find("-controller\n");
  const auto pe = text.find("-pe_array\n");
  const auto dma = text.find("-dma\n");
  const auto sram = text.find("-weight_sram\n");
  ASSERT_NE(host, std::string::npos);
  EXPECT_LT(host, controller);
  EXPECT_LT(controller, pe);
  EXPECT_LT(pe, dma);
  EXPECT_LT(dma, sram);
  EXPECT_NE(text.find("@28\ntop.pe_array.busy\n"), std::string::npos);
  EXPECT_NE(text.find("@2024\ntop.controller.layer_index[15:0]\n"), std::string::npos);
  EXPECT_NE(text.find("@8024\ntop.weight_sram.read_bytes_per_window[31:0]\n"), std::string::npos);
  ASSERT_EQ(filters.size(), 1u);
  EXPECT_EQ(filters[0].file, "run/trace.top_controller_layer_index.txt");
  EXPECT_EQ(filters[0].text, "0 conv1\n1 fc2\n");
  EXPECT_NE(text.find("^1 run/trace.top_controller_layer_index.txt\n"), std::string::npos);
}

}  // namespace
