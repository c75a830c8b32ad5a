// SCALE-Sim INI configs translated into edgesim configuration keys.
#include "platforms/scalesim_config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <string>

#include "sim/core/config.h"

namespace {

const std::string kData = std::string(EDGESIM_SOURCE_DIR) + "/tests/unit/scalesim_data/";

std::string temp_cfg(const std::string& text) {
  // One file per test and text: ctest runs the tests of this file in parallel processes.
  const std::string path = ::testing::TempDir() + "edgesim_scalesim_" +
                           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
                           std::to_string(std::hash<std::string>{}(text)) + ".cfg";
  std::ofstream(path) << text;
  return path;
}

std::string error_of(const std::string& text) {
  sim::Config config;
  try {
    platforms::apply_scalesim_config(temp_cfg(text), config);
  } catch (const sim::ConfigError& e) {
    const std::string message = e.what();
    return message.substr(message.find(".cfg") + 4);  // drop the temporary directory
  }
  return "";
}

const char* const kMinimal =
    "[general]\nrun_name = t\n[architecture_presets]\nArrayHeight: 8\nArrayWidth: 4\n"
    "IfmapSramSzkB: 1\nFilterSramSzkB: 2\nOfmapSramSzkB: 3\nDataflow: is\n"
    "[run_presets]\nInterfaceBandwidth: CALC\n";

TEST(ScalesimConfig, TranslatesShippedStyleCalcConfig) {
  sim::Config config;
  platforms::apply_scalesim_config(kData + "google_ws_32x32.cfg", config);
  auto root = config.root();
  EXPECT_EQ(root.get<std::string>("name", ""), "alexnet_32x32_ws");
  auto pe = root.child("accelerator").child("pe_array");
  EXPECT_EQ(pe.get<std::uint32_t>("rows", 0), 32u);
  EXPECT_EQ(pe.get<std::uint32_t>("cols", 0), 32u);
  EXPECT_EQ(pe.get<std::string>("dataflow", ""), "ws");
  auto sram = root.child("accelerator").child("sram");
  EXPECT_EQ(sram.get<std::uint64_t>("ifmap_bytes", 0), 6144u * 1024u);
  EXPECT_EQ(sram.get<std::uint64_t>("weight_bytes", 0), 6144u * 1024u);
  EXPECT_EQ(sram.get<std::uint64_t>("ofmap_bytes", 0), 2048u * 1024u);
  EXPECT_TRUE(root.child("sim").get<bool>("scalesim_compat", false));
  // CALC: the interface never makes the array wait, a simple DRAM far faster than the array.
  EXPECT_EQ(root.child("dram").get<std::string>("type", ""), "simple");
  EXPECT_GE(root.child("dram").get<double>("bandwidth_gbps", 0), 1000.0);
  // Values point at their line in the SCALE-Sim file.
  const auto where = pe.location("cols");
  EXPECT_EQ(where.line, 6);
  EXPECT_NE(where.file.find("google_ws_32x32.cfg"), std::string::npos);
}

TEST(ScalesimConfig, UserModeSetsDramBandwidthFromFirstBankAndClock) {
  sim::Config config;
  platforms::apply_scalesim_config(kData + "user_os_16x16.cfg", config, 500.0);
  auto root = config.root();
  EXPECT_EQ(root.child("accelerator").child("pe_array").get<std::string>("dataflow", ""), "os");
  EXPECT_EQ(root.child("accelerator").child("pe_array").get<std::uint32_t>("cols", 0), 8u);
  EXPECT_EQ(root.child("dram").get<std::string>("type", ""), "simple");
  // 20 one-byte words per cycle at 500 MHz = 10 GB/s.
  EXPECT_DOUBLE_EQ(root.child("dram").get<double>("bandwidth_gbps", 0), 10.0);
}

TEST(ScalesimConfig, AcceptsLayoutSectionAndRamulatorSwitchOfShippedConfigs) {
  sim::Config config;
  EXPECT_NO_THROW(platforms::apply_scalesim_config(
      temp_cfg(std::string(kMinimal) +
               "UseRamulatorTrace: True\n[layout]\nIfmapCustomLayout: False\n"
               "IfmapSRAMBankNum: 32\n"),
      config));
  EXPECT_NE(error_of(std::string(kMinimal) + "[layout]\nFilterCustomLayout: True\n")
                .find(":13: FilterCustomLayout: custom SRAM layouts are not modelled"),
            std::string::npos);
}

TEST(ScalesimConfig, ValueErrorsNameFileLineAndValue) {
  std::string text = kMinimal;
  text.replace(text.find("ArrayWidth: 4"), 13, "ArrayWidth: 4x");
  EXPECT_EQ(error_of(text), ":5: ArrayWidth: expected an integer in [1, 65536], got '4x'");
  text = kMinimal;
  text.replace(text.find("Dataflow: is"), 12, "Dataflow: rs");
  EXPECT_EQ(error_of(text), ":9: Dataflow: expected os, ws or is, got 'rs'");
  text = kMinimal;
  text.replace(text.find("CALC"), 4, "FAST");
  EXPECT_EQ(error_of(text), ":11: InterfaceBandwidth: expected USER or CALC, got 'FAST'");
}

TEST(ScalesimConfig, UnknownKeysSectionsAndMissingKeysAreErrors) {
  std::string text = kMinimal;
  text.replace(text.find("ArrayWidth"), 10, "ArrayWdith");
  EXPECT_NE(error_of(text).find(":5: [architecture_presets] ArrayWdith: unknown SCALE-Sim key "
                                "(did you mean 'arraywidth'?)"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[extras]\n").find(":12: unknown section [extras]"),
            std::string::npos);
  text = kMinimal;
  text.erase(text.find("Dataflow: is\n"), 13);
  EXPECT_EQ(error_of(text), ": [architecture_presets] Dataflow: required by SCALE-Sim, missing");
  text = kMinimal;
  text.replace(text.find("CALC"), 4, "USER");
  EXPECT_NE(error_of(text).find("InterfaceBandwidth USER needs [architecture_presets] Bandwidth"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[sparsity]\nSparsitySupport: true\n")
                .find(":13: SparsitySupport: sparse layers are not modelled; set it to false"),
            std::string::npos);
  EXPECT_NE(error_of(std::string(kMinimal) + "[general]\nrun_name = again\n")
                .find(":13: [general] run_name: given twice (first on line 2)"),
            std::string::npos);
}

}  // namespace
