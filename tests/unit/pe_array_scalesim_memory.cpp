// Replaying SCALE-Sim's CALC-mode buffers: its published AlexNet Conv1 reports, and agreement
// with the analytic SRAM windows.
#include <gtest/gtest.h>

#include "models/pe_array/scalesim_memory.h"
#include "sim/report/scalesim_report.h"
#include "workloads/network/scalesim_topology.h"

namespace {

const std::string kData = std::string(EDGESIM_SOURCE_DIR) + "/tests/unit/scalesim_data/";

// SCALE-Sim v2 test/general/golden_trace (AlexNet Conv1, 32x32, ws, CALC, the 64 kB buffers of
// its configs/scale.cfg): every column of the three reports.
TEST(ScalesimMemory, ReplayReproducesAllAlexNetConv1GoldenReports) {
  const auto net = workloads::load_scalesim_topology(kData + "topology_alexnet.csv", "conv");
  models::ScalesimMemoryConfig memory;  // 64 kB each, SCALE-Sim's default offsets
  const auto rows = report::scalesim_replayed_rows_for_layer(
      net.layers[0], 1, 32, 32, models::Dataflow::kWs, memory, models::PythonSum::kNaive);
  ASSERT_EQ(rows.size(), 1u);
  const std::string compute = report::scalesim_compute_report(rows);
  EXPECT_EQ(compute.substr(compute.find('\n') + 1),
            "0, 112283, 0, 91.68309650614964, 94.53125, 90.78000992063485,\n");
  const std::string detail = report::scalesim_detailed_access_report(rows);
  EXPECT_EQ(detail.substr(detail.find('\n') + 1),
            "0, 33.0, 112176.0, 3294225, 1.0, 109197.0, 34848, 63.0, 112283.0, 3484800, -3243.0, "
            "111824.0, 1805023, -3275.0, 102937.0, 34848, 1102.0, 112639.0, 3484831,\n");
  const std::string bandwidth = report::scalesim_bandwidth_report(rows);
  EXPECT_EQ(bandwidth.substr(bandwidth.find('\n') + 1),
            "0, 29.338590881967885, 0.31035864734643714, 31.035864734643713, 15.686576632947475, "
            "0.3280954308794592, 31.243441697000126,\n");
}

TEST(ScalesimMemory, ReplayedSramWindowsEqualTheAnalyticOnes) {
  struct Shape {
    std::uint64_t ih, iw, fh, fw, ch, filters, sh, sw;
    std::uint32_t rows, cols;
  };
  const Shape shapes[] = {{13, 13, 3, 3, 8, 20, 1, 1, 8, 8},
                          {20, 17, 5, 3, 2, 7, 3, 2, 4, 8},
                          {9, 9, 9, 9, 1, 1, 1, 1, 4, 4},
                          {30, 30, 4, 4, 3, 40, 3, 3, 16, 8},
                          {40, 12, 1, 12, 1, 33, 1, 1, 8, 16}};
  models::ScalesimMemoryConfig memory;
  memory.ifmap_sram_bytes = memory.filter_sram_bytes = memory.ofmap_sram_bytes = 2048;
  for (const Shape& s : shapes) {
    models::ScalesimConvGeometry g;
    g.ifmap_h = s.ih;
    g.ifmap_w = s.iw;
    g.filter_h = s.fh;
    g.filter_w = s.fw;
    g.channels = s.ch;
    g.filters = s.filters;
    g.stride_h = s.sh;
    g.stride_w = s.sw;
    for (auto dataflow : {models::Dataflow::kOs, models::Dataflow::kWs, models::Dataflow::kIs}) {
      SCOPED_TRACE(std::string(models::dataflow_name(dataflow)) + " " + std::to_string(s.ih) + "x" +
                   std::to_string(s.iw));
      const auto replay = models::scalesim_calc_memory(g, s.rows, s.cols, dataflow, memory);
      const auto window = models::scalesim_sram_window(g, s.rows, s.cols, dataflow);
      const auto metrics = models::gemm_metrics(g.gemm(), s.rows, s.cols, dataflow,
                                                models::Accounting::kScalesimCompat);
      EXPECT_EQ(replay.stall_cycles, 0u);
      EXPECT_EQ(replay.total_cycles, metrics.compat_cycles);
      EXPECT_EQ(replay.sram_ifmap.start, static_cast<std::int64_t>(window.ifmap_start));
      EXPECT_EQ(replay.sram_ifmap.stop, static_cast<std::int64_t>(window.ifmap_stop));
      EXPECT_EQ(replay.sram_filter.start, static_cast<std::int64_t>(window.filter_start));
      EXPECT_EQ(replay.sram_filter.stop, static_cast<std::int64_t>(window.filter_stop));
      EXPECT_EQ(replay.sram_ofmap.start, static_cast<std::int64_t>(window.ofmap_start));
      EXPECT_EQ(replay.sram_ofmap.stop, static_cast<std::int64_t>(window.ofmap_stop));
      // Every distinct filter word comes from DRAM at least once; writes reach DRAM in full.
      EXPECT_GE(replay.dram_filter.count, g.filter_h * g.filter_w * g.channels * g.filters);
      EXPECT_GE(replay.dram_ofmap.count, g.gemm().m * g.filters);
    }
  }
}

}  // namespace
