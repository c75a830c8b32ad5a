// Number formats, PE precision-mode throughput rules and the energy table.
#include <gtest/gtest.h>

#include "models/energy/energy.h"
#include "models/pe_array/pe_array_params.h"
#include "workloads/training/precision.h"

namespace {

using workloads::NumberFormat;
using workloads::NumberKind;

NumberFormat int_bits(std::uint32_t bits) { return {NumberKind::kInt, bits}; }

std::vector<workloads::LayerPrecision> parse(const std::string& precision_yaml) {
  sim::Config config;
  config.load_text(
      "name: n\nlayers:\n  - {name: a, type: gemm, m: 1, n: 1, k: 1}\n"
      "  - {name: b, type: gemm, m: 1, n: 1, k: 1}\n"
      "precision:\n" +
          precision_yaml,
      "w.yaml", "workload");
  auto workload = config.root().child("workload");
  const auto network = workloads::parse_network(workload);
  auto result = workloads::parse_precision(workload.child("precision"), network);
  config.check_all_read();
  return result;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Precision, GlobalThenPerLayerByNameAndIndex) {
  const auto p = parse(
      "  w_bits: 4\n  a_bits: fp16\n  layers:\n    b: {w_bits: 2}\n"
      "    \"0\": {acc_bits: 16}\n");
  EXPECT_EQ(p[0].w, int_bits(4));
  EXPECT_EQ(p[0].a.kind, NumberKind::kFp16);
  EXPECT_EQ(p[0].acc, int_bits(16));
  EXPECT_EQ(p[1].w, int_bits(2));
  EXPECT_EQ(p[1].acc, int_bits(32));
}

TEST(Precision, BadWidthAndUnknownLayerAreClearErrors) {
  EXPECT_NE(error_of("  w_bits: 33\n")
                .find("workload.precision.w_bits: must be an integer width "
                      "from 1 to 32 or one of fp32|fp16|bf16, got '33'"),
            std::string::npos);
  EXPECT_NE(error_of("  layers:\n    bb: {w_bits: 4}\n")
                .find("workload.precision.layers.bb: is not a layer name or index of network 'n' "
                      "(did you mean 'b'?)"),
            std::string::npos);
}

TEST(PrecisionModes, FixedIsZeroGatedAtTheSameSpeed) {
  models::PeArrayParams p;
  p.precision = "fixed";
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(8), int_bits(8)), 1.0);
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(4), int_bits(4)), 1.0);
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(16), int_bits(8)), 2.0);  // two passes
}

TEST(PrecisionModes, FusedBricksFollowTheBitFusionRule) {
  models::PeArrayParams p;
  p.precision = "fused";
  EXPECT_DOUBLE_EQ(1.0 / models::cycles_per_mac(p, int_bits(8), int_bits(8)), 1.0);
  EXPECT_DOUBLE_EQ(1.0 / models::cycles_per_mac(p, int_bits(4), int_bits(4)), 4.0);
  EXPECT_DOUBLE_EQ(1.0 / models::cycles_per_mac(p, int_bits(2), int_bits(2)), 16.0);
  EXPECT_DOUBLE_EQ(1.0 / models::cycles_per_mac(p, int_bits(8), int_bits(2)), 4.0);
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(16), int_bits(8)), 2.0);
}

TEST(PrecisionModes, BitSerialGrowsWithWeightBits) {
  models::PeArrayParams p;
  p.precision = "bit_serial";
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(8), int_bits(8)), 8.0);
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, int_bits(3), int_bits(8)), 3.0);
}

TEST(PrecisionModes, FloatingPointHasItsOwnRates) {
  models::PeArrayParams p;
  p.precision = "fp";
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, {NumberKind::kFp32, 32}, {NumberKind::kFp32, 32}),
                   4.0);
  EXPECT_DOUBLE_EQ(models::cycles_per_mac(p, {NumberKind::kBf16, 16}, {NumberKind::kFp16, 16}),
                   1.0);
}

TEST(Energy, MultiplierScalesWithTheProductOfWidths) {
  models::EnergyParams e;
  e.register_pj_per_bit = 0;
  e.int_add_8_pj = e.int_add_16_pj = e.int_add_32_pj = 0;
  const double eight = models::mac_energy_pj(e, int_bits(8), int_bits(8), 32);
  const double four = models::mac_energy_pj(e, int_bits(4), int_bits(4), 32);
  EXPECT_DOUBLE_EQ(eight, 0.2);
  EXPECT_DOUBLE_EQ(eight / four, 4.0);
  EXPECT_NEAR(models::mac_energy_pj(e, int_bits(32), int_bits(32), 32), 3.2, 1e-12);
}

TEST(Energy, PublishedPointsAreReproducedAndTechnologyScales) {
  models::EnergyParams e;
  EXPECT_NEAR(models::sram_energy_pj_per_bit(e, 8192, false) * 64, 10.0, 1e-9);
  EXPECT_NEAR(models::sram_energy_pj_per_bit(e, 32768, false) * 64, 20.0, 1e-9);
  EXPECT_NEAR(models::sram_energy_pj_per_bit(e, 1 << 20, false) * 64, 100.0, 1e-9);
  // Sub-linear: 4x the capacity costs less than 4x the energy per bit.
  EXPECT_LT(models::sram_energy_pj_per_bit(e, 262144, false),
            4 * models::sram_energy_pj_per_bit(e, 65536, false));
  const double base =
      models::mac_energy_pj(e, {NumberKind::kFp32, 32}, {NumberKind::kFp32, 32}, 32);
  e.technology_scale = 0.5;
  EXPECT_DOUBLE_EQ(models::mac_energy_pj(e, {NumberKind::kFp32, 32}, {NumberKind::kFp32, 32}, 32),
                   base / 2);
}

TEST(Energy, SplitExactlyKeepsTheTotal) {
  const auto parts = models::split_exactly(1000, {1, 1, 1});
  EXPECT_EQ(parts[0] + parts[1] + parts[2], 1000u);
  EXPECT_EQ(models::split_exactly(7, {0, 3, 4})[0], 0u);
}

}  // namespace
