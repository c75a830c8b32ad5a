// accelerator.pipeline parsing (platforms/pipelined.h; an sc test only because the platform library
// links SystemC): defaults, device presets cut down key by key, custom budgets, unroll overrides
// with their location, resource rules, and one-line errors naming file, line, key and value.
#include <gtest/gtest.h>

#include "platforms/platform.h"

namespace {

platforms::PlatformParams parse(const std::string& yaml) {
  sim::Config config;
  config.load_text(yaml, "p.yaml");
  auto root = config.root();
  auto params = platforms::parse_platform(root);
  config.check_all_read();
  return params;
}

std::string error_of(const std::string& yaml) {
  try {
    parse(yaml);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(PipelineParams, DefaultsAreTheZynq7020WithTwoRowFifos) {
  const auto p = parse("accelerator: {type: pipelined}\n");
  EXPECT_EQ(p.accelerator.type, "pipelined");
  const auto& pp = p.accelerator.pipeline;
  EXPECT_EQ(pp.device, "xc7z020");
  EXPECT_EQ(pp.fifo_depth_rows, 2u);
  EXPECT_EQ(pp.frames, 0u);
  EXPECT_EQ(pp.budget().dsps, 220u);
  EXPECT_EQ(pp.budget().luts, 53200u);
  EXPECT_EQ(pp.rules.lut_mult_max_product, 16u);
  EXPECT_FALSE(pp.rules.lut_fallback);
  EXPECT_EQ(pp.objective, "latency");
  EXPECT_TRUE(pp.unroll.empty());
}

TEST(PipelineParams, ResourceRulesAreParameters) {
  const auto p = parse(
      "accelerator:\n  type: pipelined\n  pipeline:\n    resources:\n"
      "      lut_mult_max_product: 64\n      luts_per_bit_product: 0.5\n"
      "      lut_fallback: true\n      bram_port_bits: 36\n");
  const auto& r = p.accelerator.pipeline.rules;
  EXPECT_EQ(r.lut_mult_max_product, 64u);
  EXPECT_DOUBLE_EQ(r.luts_per_bit_product, 0.5);
  EXPECT_TRUE(r.lut_fallback);
  EXPECT_EQ(r.bram_port_bits, 36u);
  EXPECT_TRUE(workloads::multiplier_cost(8, 8, r).in_luts);  // 64 partial-product bits
  EXPECT_EQ(workloads::multiplier_cost(8, 8, r).luts, 32u);
}

TEST(PipelineParams, PresetBudgetsCanBeCutKeyByKey) {
  const auto p = parse(
      "accelerator:\n  type: pipelined\n  pipeline:\n    device: xczu3eg\n"
      "    budget_dsps: 100\n");
  const auto b = p.accelerator.pipeline.budget();
  EXPECT_EQ(b.name, "xczu3eg");
  EXPECT_EQ(b.dsps, 100u);
  EXPECT_EQ(b.luts, 70560u);  // kept from the preset
}

TEST(PipelineParams, CustomDeviceNeedsItsWholeBudget) {
  const auto p = parse(
      "accelerator:\n  type: pipelined\n  pipeline:\n    device: custom\n"
      "    budget_luts: 4000\n    budget_dsps: 0\n    budget_bram36: 40\n");
  const auto b = p.accelerator.pipeline.budget();
  EXPECT_EQ(b.luts, 4000u);
  EXPECT_EQ(b.dsps, 0u);
  EXPECT_EQ(b.bram_bits, 40u * 36 * 1024);
  const std::string e = error_of(
      "accelerator:\n  type: pipelined\n  pipeline:\n    device: custom\n    budget_luts: 10\n");
  EXPECT_NE(e.find("accelerator.pipeline.budget_dsps: is required with device: custom"),
            std::string::npos)
      << e;
}

TEST(PipelineParams, UnrollOverridesKeepTheirLocation) {
  const auto p = parse(
      "accelerator:\n  type: pipelined\n  pipeline:\n    unroll:\n"
      "      conv2: {pi: 6, pw: 2}\n");
  const auto& u = p.accelerator.pipeline.unroll;
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].unroll.layer, "conv2");
  EXPECT_EQ(u[0].unroll.pi, 6u);
  EXPECT_EQ(u[0].unroll.po, 0u);  // chosen by the allocator
  EXPECT_EQ(u[0].unroll.pw, 2u);
  EXPECT_EQ(u[0].where.rfind("p.yaml:5:", 0), 0u) << u[0].where;
  EXPECT_NE(u[0].where.find("accelerator.pipeline.unroll.conv2"), std::string::npos);
}

TEST(PipelineParams, BadValuesAreOneLineErrorsWithFileLineAndKey) {
  struct Case {
    std::string yaml, expected;
  };
  const std::vector<Case> cases = {
      {"accelerator:\n  type: pipelined\n  pipeline:\n    fifo_depth_rows: 0\n",
       "p.yaml:4:22: accelerator.pipeline.fifo_depth_rows: must be > 0"},
      {"accelerator:\n  type: pipelined\n  pipeline:\n    device: xc9\n",
       "accelerator.pipeline.device"},
      {"accelerator:\n  type: pipelined\n  pipeline:\n    objective: speed\n",
       "accelerator.pipeline.objective"},
      {"accelerator:\n  type: pipelined\n  pipeline:\n    resources: {lut_mult_max_product: -1}\n",
       "accelerator.pipeline.resources.lut_mult_max_product"},
      {"accelerator:\n  type: pipelined\n  pipeline:\n    unroll: {conv1: {pj: 2}}\n",
       "accelerator.pipeline.unroll.conv1.pj"},
      {"scheme: rct\naccelerator: {type: pipelined}\n",
       "scheme: must be inference with accelerator.type pipelined, got rct"},
      {"accelerator: {type: pipelined}\nsim: {functional: true}\n",
       "sim.functional: is not supported with accelerator.type pipelined"},
      // The pipeline section belongs to pipelined accelerators only.
      {"accelerator:\n  type: systolic\n  pipeline: {frames: 2}\n", "accelerator.pipeline"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of(c.yaml);
    EXPECT_NE(e.find(c.expected), std::string::npos) << c.yaml << "\n-> " << e;
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
}

}  // namespace
