// `edgesim train --w-quantizer`: every weight quantiser trains LeNet-5 through the CLI and is
// recorded in the outputs; bad quantiser options are one line and exit code 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_harness.h"

namespace fs = std::filesystem;
using e2e::run_edgesim;

namespace {

class UltraLowCli : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-ull"); }
  void TearDown() override { fs::remove_all(dir_); }

  /// Runs a bad option set; expects exit 2, one stderr line, no output folder; returns the line.
  std::string expect_user_error(const std::string& args) {
    const auto r = run_edgesim("train " + args + " --out '" + dir_ + "/run'", dir_);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir_ + "/run"));
    return r.err;
  }
  std::string dir_;
};

}  // namespace

TEST_F(UltraLowCli, EveryQuantizerTrainsLeNet5AndIsRecorded) {
  struct Case {
    const char* quantizer;
    const char* bits_option;  // empty: the quantiser's own width
    int bits;
  };
  for (const Case& c :
       {Case{"uniform", "--w-bits 4", 4}, Case{"ul2q", "--w-bits 2", 2},
        Case{"ul2q", "--w-bits 1", 1}, Case{"binary", "", 1}, Case{"ternary", "", 2}}) {
    const std::string out = dir_ + "/" + c.quantizer + std::to_string(c.bits);
    const auto r = run_edgesim(
        std::string("train --model lenet5 --scheme qat --w-quantizer ") + c.quantizer + " " +
        c.bits_option + " --epochs 1 --train-subset 300 --test-subset 100 --out '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
    const std::string banner = std::string("(") + c.quantizer + " weights, " +
                               std::to_string(c.bits) + (c.bits == 1 ? " bit)" : " bits)");
    EXPECT_NE(r.out.find(banner), std::string::npos) << r.out;
    const auto summary = e2e::read_file(out + "/summary.json");
    EXPECT_NE(summary.find(std::string("\"w_quantizer\": \"") + c.quantizer + "\""),
              std::string::npos)
        << summary;
    EXPECT_NE(summary.find("\"w_bits\": " + std::to_string(c.bits) + ","), std::string::npos);
    // Only ul2q records its step (in standard deviations).
    EXPECT_EQ(summary.find("\"ul2q_step_sigmas\": null") == std::string::npos,
              std::string(c.quantizer) == "ul2q")
        << summary;
    const auto metrics = e2e::read_file(out + "/metrics.csv");
    EXPECT_NE(metrics.find(",w_quantizer\n1,"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find(std::string(",") + c.quantizer + "\n"), std::string::npos) << metrics;
  }
}

TEST_F(UltraLowCli, DefaultRunRecordsTheUniformQuantizer) {
  const auto r = run_edgesim(
      "train --model mlp --scheme qat --epochs 1 --train-subset 200 "
      "--test-subset 50 --out '" +
      dir_ + "/default'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string summary = e2e::read_file(dir_ + "/default/summary.json");
  EXPECT_NE(summary.find("\"w_quantizer\": \"uniform\""), std::string::npos);
  EXPECT_NE(summary.find("\"a_format\": \"signed\""), std::string::npos);
}

TEST_F(UltraLowCli, UnsignedActivationsChangeTheRunAndAreRecorded) {
  const std::string common =
      "train --model lenet5 --scheme qat --w-quantizer ul2q --w-bits 2 --a-bits 2 --epochs 1 "
      "--train-subset 300 --test-subset 100 ";
  const auto s = run_edgesim(common + "--out '" + dir_ + "/signed'");
  const auto u = run_edgesim(common + "--a-format unsigned --out '" + dir_ + "/unsigned'");
  ASSERT_EQ(s.exit_code, 0) << s.err;
  ASSERT_EQ(u.exit_code, 0) << u.err;
  const std::string summary = e2e::read_file(dir_ + "/unsigned/summary.json");
  EXPECT_NE(summary.find("\"a_format\": \"unsigned\""), std::string::npos) << summary;
  // Same seed and data: only the activation grid differs, so the losses differ.
  EXPECT_NE(e2e::read_file(dir_ + "/signed/metrics.csv"),
            e2e::read_file(dir_ + "/unsigned/metrics.csv"));
  EXPECT_NE(expect_user_error("--scheme qat --a-format biased")
                .find("edgesim train: --a-format: must be signed or unsigned, got biased"),
            std::string::npos);
}

TEST_F(UltraLowCli, BadQuantizerOptionsExitTwoWithOneLine) {
  EXPECT_NE(expect_user_error("--scheme qat --w-quantizer binary --w-bits 4")
                .find("edgesim train: --w-bits: binary weights are 1 bit, got 4"),
            std::string::npos);
  EXPECT_NE(expect_user_error("--scheme qat --w-quantizer ternary --w-bits 3")
                .find("--w-bits: ternary weights are 2 bits, got 3"),
            std::string::npos);
  EXPECT_NE(expect_user_error("--scheme qat --w-quantizer octal")
                .find("--w-quantizer: must be one of uniform, ul2q, binary, ternary, got octal"),
            std::string::npos);
  EXPECT_NE(expect_user_error("--scheme qat --w-quantizer uniform --w-bits 1")
                .find("uniform needs a width in [2, 32]"),
            std::string::npos);
  EXPECT_NE(expect_user_error("--scheme qat --w-quantizer ul2q --w-bits 17")
                .find("ul2q needs a width in [1, 16], got 17"),
            std::string::npos);
  EXPECT_NE(expect_user_error("--scheme rct --w-quantizer ul2q")
                .find("--w-quantizer: only --scheme qat quantises weights this way"),
            std::string::npos);
}

TEST_F(UltraLowCli, HelpListsTheQuantizers) {
  const auto r = run_edgesim("train --help");
  EXPECT_EQ(r.exit_code, 0);
  for (const char* text : {"--w-quantizer", "ul2q", "binary", "ternary"})
    EXPECT_NE(r.out.find(text), std::string::npos) << text;
}
