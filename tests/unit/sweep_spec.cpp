// Sweep files: structure, axis forms, zip groups, sampling, constraints and objectives, and
// the one-line errors they give before anything runs.
#include <gtest/gtest.h>

#include <map>

#include "sim/sweep/constraint.h"
#include "sim/sweep/space.h"
#include "sim/sweep/spec.h"

namespace {

using sweep::parse_sweep_text;

/// A stand-in for prepare_run: knows a few platform keys and builds the resolved YAML.
std::string fake_resolve(const std::vector<std::string>& sets) {
  std::map<std::string, std::string> values = {
      {"accelerator.pe_array.rows", "16"},       {"accelerator.pe_array.cols", "16"},
      {"accelerator.pe_array.dataflow", "ws"},   {"accelerator.sram.organisation", "split"},
      {"accelerator.sram.ifmap_bytes", "65536"}, {"accelerator.sram.weight_bytes", "65536"},
      {"accelerator.sram.ofmap_bytes", "65536"}};
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    const std::string key = s.substr(0, eq);
    if (!values.count(key)) throw sim::ConfigError("--set: " + key + ": unknown key");
    if (key == "accelerator.pe_array.rows" && s.substr(eq + 1) == "0") {
      throw sim::ConfigError("--set: accelerator.pe_array.rows: must be > 0, got 0");
    }
    values[key] = s.substr(eq + 1);
  }
  std::string yaml = "accelerator:\n  pe_array:\n";
  for (const char* k : {"rows", "cols", "dataflow"}) {
    yaml +=
        std::string("    ") + k + ": " + values[std::string("accelerator.pe_array.") + k] + "\n";
  }
  yaml += "  sram:\n";
  for (const char* k : {"organisation", "ifmap_bytes", "weight_bytes", "ofmap_bytes"}) {
    yaml += std::string("    ") + k + ": " + values[std::string("accelerator.sram.") + k] + "\n";
  }
  return yaml;
}

std::string error_of(const std::string& text) {
  try {
    const auto spec = parse_sweep_text(text, "s.yaml", "");
    sweep::validate_spec(spec, fake_resolve);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(SweepSpec, ParsesBaseAxesSamplingConstraintsAndObjectives) {
  const auto spec = parse_sweep_text(R"(
base:
  platform: edge_npu
  workload: tiny_cnn
  set: {accelerator.pe_array.dataflow: os}
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16, 32]}
  - {key: accelerator.sram.weight_bytes, log_range: {from: 16384, to: 262144, factor: 2}}
  - {key: accelerator.pe_array.cols, range: {from: 8, to: 32, step: 8}}
constraints: ["sram_total_bytes <= 393216"]
objectives:
  - {minimize: total_cycles}
  - {maximize: pe_utilization}
)",
                                     "s.yaml", "");
  EXPECT_EQ(spec.platform, "edge_npu");
  ASSERT_EQ(spec.sets.size(), 1u);
  EXPECT_EQ(spec.sets[0], "accelerator.pe_array.dataflow=os");
  ASSERT_EQ(spec.axes.size(), 3u);
  EXPECT_EQ(spec.axes[1].size(), 5u);
  EXPECT_EQ(spec.axes[1].value_at(4), "262144");
  EXPECT_TRUE(spec.axes[1].logarithmic());
  EXPECT_EQ(spec.axes[2].size(), 4u);
  EXPECT_EQ(spec.axes[2].value_at(3), "32");
  ASSERT_EQ(spec.objectives.size(), 2u);
  EXPECT_FALSE(spec.objectives[1].minimize);
  EXPECT_EQ(sweep::PointSpace(spec).size(), 3u * 5u * 4u);
}

TEST(SweepSpec, FloatAndCountedRangesGiveEvenlySpacedValues) {
  const auto spec = parse_sweep_text(R"(
axes:
  - {key: a, range: {from: 0.5, to: 1.5, step: 0.25}}
  - {key: b, log_range: {from: 1, to: 1000, count: 4}}
)",
                                     "s.yaml", "");
  EXPECT_EQ(spec.axes[0].size(), 5u);
  EXPECT_EQ(spec.axes[0].value_at(1), "0.75");
  EXPECT_EQ(spec.axes[1].value_at(2), "100");
}

TEST(SweepSpec, UnknownSweepFileKeyIsALocatedError) {
  const std::string e =
      error_of("axes:\n  - {key: accelerator.pe_array.rows, values: [8]}\nobjectivs: []\n");
  EXPECT_NE(e.find("s.yaml:3:1: objectivs: unknown key"), std::string::npos) << e;
}

TEST(SweepSpec, AxisKeyMissingFromTheSchemaFailsBeforeRunning) {
  const std::string e = error_of("axes:\n  - {key: accelerator.pe_array.rowz, values: [8, 16]}\n");
  EXPECT_NE(e.find("s.yaml:2:11: axes[0].key"), std::string::npos) << e;
  EXPECT_NE(e.find("accelerator.pe_array.rowz: unknown key"), std::string::npos) << e;
}

TEST(SweepSpec, AxisValueTheConfigRejectsFailsBeforeRunning) {
  const std::string e = error_of("axes:\n  - {key: accelerator.pe_array.rows, values: [8, 0]}\n");
  EXPECT_NE(e.find("'accelerator.pe_array.rows=0' is not accepted"), std::string::npos) << e;
}

TEST(SweepSpec, AxisNeedsExactlyOneForm) {
  const std::string e = error_of(
      "axes:\n  - {key: accelerator.pe_array.rows, values: [8], range: {from: 1, to: 2}}\n");
  EXPECT_NE(e.find("exactly one of values, range or log_range"), std::string::npos) << e;
}

TEST(SweepSpec, ZipGroupsNeedEqualLengths) {
  const std::string e = error_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16], zip: square}
  - {key: accelerator.pe_array.cols, values: [8, 16, 32], zip: square}
)");
  EXPECT_NE(e.find("zip group 'square' must have the same number of values"), std::string::npos)
      << e;
}

TEST(SweepSpec, ContinuousRangeNeedsSampling) {
  const std::string e =
      error_of("axes:\n  - {key: accelerator.pe_array.rows, range: {from: 1, to: 64}}\n");
  EXPECT_NE(e.find("continuous"), std::string::npos) << e;
}

TEST(SweepSpec, ConstraintNamingAnUnknownKeySuggestsTheClosest) {
  const std::string e = error_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16]}
constraints: ["accelerator.sram.ifmap_byte + 1 <= 10"]
)");
  EXPECT_NE(e.find("constraints[0]"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'accelerator.sram.ifmap_bytes'"), std::string::npos) << e;
}

TEST(SweepSpec, MalformedConstraintIsAnError) {
  const std::string e = error_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16]}
constraints: ["pe_count 1024"]
)");
  EXPECT_NE(e.find("expected a comparison"), std::string::npos) << e;
}

TEST(SweepSpec, ObjectiveMustNameASummaryFigure) {
  const std::string e = error_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16]}
objectives:
  - {minimize: total_cycle}
)");
  EXPECT_NE(
      e.find("s.yaml:5:16: objectives[0].minimize: 'total_cycle' is not a summary.json figure"),
      std::string::npos)
      << e;
  EXPECT_NE(e.find("did you mean 'total_cycles'"), std::string::npos) << e;
}

TEST(SweepSpec, NestedFiguresAreAcceptedByPrefix) {
  EXPECT_EQ(error_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16]}
objectives:
  - {minimize: counters.top.dram.row_misses}
  - {minimize: dram_bytes_by_tensor_class.weight}
  - {minimize: pipeline.latency_cycles}
  - {minimize: intermediate_memory_bytes}
)"),
            "");
}

TEST(SweepSpec, SweepIdIgnoresFormattingButNotContent) {
  const auto a = parse_sweep_text("axes:\n  - {key: x, values: [1, 2]}\n", "a.yaml", "");
  const auto b =
      parse_sweep_text("# comment\naxes:\n  - key: x\n    values: [1, 2]\n", "b.yaml", "");
  const auto c = parse_sweep_text("axes:\n  - {key: x, values: [1, 3]}\n", "a.yaml", "");
  EXPECT_EQ(a.sweep_id(), b.sweep_id());
  EXPECT_NE(a.sweep_id(), c.sweep_id());
}

TEST(SweepConstraint, ComparesArithmeticOverKeysAndDerivedQuantities) {
  const std::map<std::string, std::string> config = {{"accelerator.pe_array.rows", "32"},
                                                     {"accelerator.pe_array.cols", "16"},
                                                     {"accelerator.pe_array.dataflow", "os"}};
  const sweep::ValueLookup lookup = [&](const std::string& name) -> std::optional<std::string> {
    const auto it = config.find(name);
    if (it != config.end()) return it->second;
    return sweep::derived_value(name, [&](const std::string& k) -> std::optional<std::string> {
      const auto j = config.find(k);
      return j == config.end() ? std::nullopt : std::optional<std::string>(j->second);
    });
  };
  EXPECT_TRUE(sweep::Constraint("pe_count <= 512").holds(lookup));
  EXPECT_FALSE(sweep::Constraint("pe_count < 512").holds(lookup));
  EXPECT_TRUE(sweep::Constraint("(accelerator.pe_array.rows - 2) * 2 == 60").holds(lookup));
  EXPECT_TRUE(sweep::Constraint("accelerator.pe_array.dataflow != 'ws'").holds(lookup));
  EXPECT_FALSE(sweep::Constraint("accelerator.pe_array.dataflow == \"ws\"").holds(lookup));
  EXPECT_THROW(sweep::Constraint("rows <="), std::invalid_argument);
}

TEST(SweepConstraint, MeanWeightBitsAveragesPerLayerWidthsOverTheGlobalOne) {
  const std::map<std::string, std::string> config = {
      {"workload.layers[0].name", "conv1"},
      {"workload.layers[1].name", "conv2"},
      {"workload.layers[2].name", "fc"},
      {"workload.layers[3].name", "head"},
      {"workload.layers[4].name", "relu"},
      {"workload.layers[4].type", "vector"},
      {"workload.precision.w_bits", "8"},
      {"workload.precision.layers.conv2.w_bits", "2"},
      {"workload.precision.layers.2.w_bits", "4"},
      {"workload.precision.layers.head.w_bits", "fp16"}};
  const sweep::ValueLookup lookup = [&](const std::string& k) -> std::optional<std::string> {
    const auto j = config.find(k);
    return j == config.end() ? std::nullopt : std::optional<std::string>(j->second);
  };
  // (8 + 2 + 4 + 16) / 4: the vector layer has no weights.
  EXPECT_EQ(sweep::derived_value("mean_w_bits", lookup), "7.5");
  EXPECT_THROW(sweep::derived_value("pe_count", lookup), std::invalid_argument);
  EXPECT_EQ(sweep::derived_value("not_derived", lookup), std::nullopt);
}

}  // namespace
