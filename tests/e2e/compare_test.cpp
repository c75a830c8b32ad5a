// `edgesim compare`: schemes side by side, computed from the same counters the runs report.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

double number_after(const std::string& text, const std::string& key, std::size_t from = 0) {
  std::smatch match;
  const std::string rest = text.substr(from);
  if (!std::regex_search(rest, match, std::regex("\"" + key + "\": (-?[0-9.]+)"))) return -1;
  return std::stod(match[1]);
}

class Compare : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-cmp"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string dir_;
};

TEST_F(Compare, SchemesSideBySideFromTheirOwnSummaries) {
  const auto r = e2e::run_edgesim(
      "compare --schemes fp32,qat,rct --workload mlp "
      "--set workload.batch=8 --out '" +
      dir_ + "/cmp'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rct vs qat"), std::string::npos) << r.out;
  const std::string json = e2e::read_file(dir_ + "/cmp/compare.json");
  const std::string qat = e2e::read_file(dir_ + "/cmp/qat/summary.json");
  const std::string rct = e2e::read_file(dir_ + "/cmp/rct/summary.json");
  ASSERT_FALSE(json.empty() || qat.empty() || rct.empty());
  // QAT's parameter traffic is its weight plus master-weight DRAM bytes, as its run counted.
  const std::size_t dram = qat.find("dram_bytes_by_tensor_class");
  const double qat_param_dram =
      number_after(qat, "weight", dram) + number_after(qat, "master_weight", dram);
  const std::size_t qat_entry = json.find("\"qat\": {");
  EXPECT_DOUBLE_EQ(number_after(json, "param_dram_bytes", qat_entry), qat_param_dram);
  // Savings are computed from the same figures.
  const double qat_memory = number_after(qat, "param_memory_bytes");
  const double rct_memory = number_after(rct, "param_memory_bytes");
  const std::size_t pair = json.find("\"rct_vs_qat\"");
  ASSERT_NE(pair, std::string::npos);
  EXPECT_NEAR(number_after(json, "param_memory_bytes", pair),
              (qat_memory - rct_memory) / qat_memory * 100.0, 1e-3);
  // The direction the papers report: RCT keeps less parameter memory and moves fewer bytes.
  EXPECT_LT(rct_memory, qat_memory);
  EXPECT_GT(number_after(json, "param_dram_bytes", pair), 0.0);
  const std::string html = e2e::read_file(dir_ + "/cmp/compare.html");
  std::size_t bars = 0;
  for (std::size_t at = html.find("class='bar'"); at != std::string::npos;
       at = html.find("class='bar'", at + 1)) {
    ++bars;
  }
  EXPECT_EQ(bars, 3u * 12u);
  EXPECT_TRUE(fs::exists(dir_ + "/cmp/compare.csv"));
}

TEST_F(Compare, UnknownSchemeIsAUserError) {
  const auto r = e2e::run_edgesim("compare --schemes fp32,qta --out '" + dir_ + "/x'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown scheme 'qta'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ + "/x"));
}

}  // namespace
