// Memory signals in the trace: buffer occupancy stays within each buffer, DRAM banks show
// their state, open row and refreshes, and refreshes appear on the timeline.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_harness.h"
#include "trace_readers.h"

namespace fs = std::filesystem;

namespace {

TEST(TraceMemory, OccupancyBankStateAndRefreshesAreTraced) {
  const std::string dir = e2e::make_temp_dir("edgesim-tmem");
  const auto r = e2e::run_edgesim("run -q --vcd --set trace.timeline=true --out '" + dir +
                                  "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto vcd = trace_test::parse_vcd(e2e::read_file(dir + "/run/trace.vcd"));
  for (const char* buffer : {"ifmap_sram", "weight_sram", "ofmap_sram"}) {
    const auto& occupancy = vcd.var(std::string("top.") + buffer + ".occupancy_bytes");
    std::uint64_t peak = 0;
    for (const auto& [time, value] : occupancy.changes) peak = std::max(peak, value);
    EXPECT_GT(peak, 0u) << buffer;
    EXPECT_LE(peak, 65536u) << buffer;  // the default platform's buffers are 64 KiB each
    EXPECT_EQ(occupancy.changes.back().second, 0u) << buffer;  // empty after the last op
  }
  // Bank 0 opens rows, and every bank is refreshed during a ~100 us run (tREFI/8 per bank).
  const auto& state = vcd.var("top.dram.bank0.state");
  bool opened = false, refreshed = false;
  for (const auto& [time, value] : state.changes) {
    EXPECT_LE(value, 2u);
    opened = opened || value == 1;
    refreshed = refreshed || value == 2;
  }
  EXPECT_TRUE(opened);
  EXPECT_TRUE(refreshed);
  EXPECT_TRUE(vcd.has("top.dram.bank15.open_row"));
  std::map<int, std::string> tracks;
  const auto slices =
      trace_test::timeline_slices(trace_test::parse_json(e2e::read_file(dir + "/run/timeline.json")),
                                  &tracks);
  std::size_t refreshes = 0;
  for (const auto& s : slices) refreshes += s.name.rfind("refresh", 0) == 0;
  EXPECT_GT(refreshes, 0u);
  EXPECT_EQ(trace_test::check_nesting(slices), "");
  fs::remove_all(dir);
}

}  // namespace
