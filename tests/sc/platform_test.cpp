// The platform end to end in one process (one simulation per test): bytes are conserved
// across DMA, DRAM and SRAM. Comparisons between runs live in tests/e2e (one process each).
#include "platforms/platform.h"

#include <gtest/gtest.h>

namespace {

platforms::RunResult run(const std::string& workload_yaml,
                         const std::vector<std::string>& overrides = {}) {
  sim::Config config;
  config.load_text("name: t\ndram: {type: lpddr4, preset: lpddr4-3200}\n", "t.yaml");
  config.load_text(workload_yaml, "w.yaml", "workload");
  for (const auto& o : overrides) config.apply_override(o);
  auto root = config.root();
  const auto params = platforms::parse_platform(root);
  const auto network = workloads::parse_network(root.child("workload"));
  config.check_all_read();
  const auto program = workloads::lower_inference(network, {});
  const auto planned = platforms::plan_program(params, network, program);
  return platforms::simulate(params, network, program, planned, nullptr);
}

std::uint64_t counter(const platforms::RunResult& r, const std::string& name) {
  for (const auto& [n, v] : r.counters) {
    if (n == name) return v;
  }
  ADD_FAILURE() << "no counter " << name;
  return 0;
}

const char* kConvNet =
    "name: c\nlayers:\n"
    "  - {name: c1, in_h: 28, in_w: 28, in_c: 32, out_c: 64, kernel: 3, padding: 1}\n"
    "  - {name: c2, out_c: 64, kernel: 3, padding: 1}\n"
    "  - {name: fc, type: fc, out_features: 10}\n";

TEST(Platform, BytesAreConservedAcrossDmaDramAndSram) {
  const auto r =
      run(kConvNet, {"accelerator.sram.ifmap_bytes=16384", "accelerator.sram.weight_bytes=16384"});
  ASSERT_TRUE(r.feasible) << r.reason;
  // What the DMA read is what DRAM served; what it wrote is what DRAM stored.
  EXPECT_EQ(counter(r, "top.dma.dram_read_bytes"), counter(r, "top.dram.bytes_read"));
  EXPECT_EQ(counter(r, "top.dma.dram_write_bytes"), counter(r, "top.dram.bytes_written"));
  EXPECT_EQ(counter(r, "top.dma.local_bytes"),
            counter(r, "top.dma.dram_read_bytes") + counter(r, "top.dma.dram_write_bytes"));
  // Every operand byte loaded lands in its buffer.
  EXPECT_EQ(r.dram_bytes_by_class[static_cast<int>(workloads::TensorClass::kWeight)],
            counter(r, "top.weight_sram.bytes_written"));
  std::uint64_t layer_sum = 0;
  for (const auto& layer : r.layers) layer_sum += layer.dram_read_bytes + layer.dram_write_bytes;
  EXPECT_EQ(layer_sum, r.dram_read_bytes + r.dram_write_bytes);
}

}  // namespace
