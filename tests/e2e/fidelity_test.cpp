// Tile and cycle fidelity agree on the whole platform; cycle fidelity carries real data and
// writes PE-level signals.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

class Fidelity : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-fid"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(Fidelity, CycleAndTileFidelityGiveTheSameLayersForEveryDataflow) {
  for (const char* dataflow : {"os", "ws", "is"}) {
    const std::string common =
        "run -q --set accelerator.pe_array.rows=8 "
        "--set accelerator.pe_array.cols=8 "
        "--set accelerator.pe_array.dataflow=" +
        std::string(dataflow);
    const std::string tile = dir_ + "/tile-" + dataflow;
    const std::string cycle = dir_ + "/cycle-" + dataflow;
    ASSERT_EQ(e2e::run_edgesim(common + " --out '" + tile + "'").exit_code, 0);
    const auto r = e2e::run_edgesim(common + " --set accelerator.pe_array.fidelity=cycle --out '" +
                                    cycle + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(e2e::read_file(tile + "/layers.csv"), e2e::read_file(cycle + "/layers.csv"))
        << dataflow;
  }
}

TEST_F(Fidelity, CycleFidelityComputesTheReferenceProductAndTracesPes) {
  e2e::write_file(dir_ + "/g.yaml",
                  "name: g\nbatch: 3\nlayers:\n"
                  "  - {name: fc1, type: fc, in_features: 37, out_features: 21}\n");
  const auto r = e2e::run_edgesim(
      "run --workload '" + dir_ +
      "/g.yaml' --set sim.functional=true --vcd "
      "--set accelerator.pe_array.fidelity=cycle --set accelerator.pe_array.rows=4 "
      "--set accelerator.pe_array.cols=4 --set accelerator.sram.weight_bytes=512 --out '" +
      dir_ + "/run'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("1 ops matched the reference product"), std::string::npos) << r.out;
  const std::string vcd = e2e::read_file(dir_ + "/run/trace.vcd");
  EXPECT_NE(vcd.find("$scope module pe_r0_c0 $end"), std::string::npos);
  EXPECT_NE(vcd.find(" psum_valid $end"), std::string::npos);
}

TEST_F(Fidelity, CycleFidelityRejectsAPrecisionModeItDoesNotModel) {
  const auto r = e2e::run_edgesim(
      "run --set accelerator.pe_array.fidelity=cycle "
      "--set accelerator.pe_array.precision=fused --out '" +
      dir_ + "/x'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("accelerator.pe_array.precision: must be fixed at cycle fidelity"),
            std::string::npos)
      << r.err;
}

}  // namespace
