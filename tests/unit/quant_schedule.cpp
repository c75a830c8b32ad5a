#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "sim/core/config.h"
#include "workloads/quant/schedule.h"

namespace q = workloads::quant;

namespace {
q::BitwidthSchedule sample_schedule() {
  q::BitwidthSchedule s;
  s.rows.push_back({0, "fc1", 0, 100, 8, 8, 8, 1.25, 0.5});
  s.rows.push_back({0, "fc1", 100, 150, 9, 8, 8, 0.75, 0.875});
  s.rows.push_back({1, "fc2", 0, 100, 8, 8, 8, 20.5, 0.125});
  s.rows.push_back({1, "fc2", 100, 150, 7, 8, 8, std::nan(""), 0.0});
  return s;
}

std::string expect_error(const std::string& text) {
  std::istringstream in(text);
  try {
    q::read_schedule_csv(in, "s.csv");
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected ConfigError for:\n" << text;
  return "";
}
}  // namespace

TEST(Schedule, WriteThenReadGivesTheSameRows) {
  const auto original = sample_schedule();
  std::stringstream buffer;
  q::write_schedule_csv(buffer, original);
  const auto text = buffer.str();
  EXPECT_EQ(text.substr(0, text.find('\n')), q::schedule_csv_header());
  EXPECT_NE(text.find("1,fc2,100,150,7,8,8,,0.0\n"), std::string::npos) << text;
  const auto read = q::read_schedule_csv(buffer, "mem");
  ASSERT_EQ(read.rows.size(), original.rows.size());
  for (std::size_t i = 0; i < read.rows.size(); ++i) {
    const auto& a = original.rows[i];
    const auto& b = read.rows[i];
    EXPECT_EQ(a.layer, b.layer);
    EXPECT_EQ(a.layer_name, b.layer_name);
    EXPECT_EQ(a.iter_begin, b.iter_begin);
    EXPECT_EQ(a.iter_end, b.iter_end);
    EXPECT_EQ(a.w_bits, b.w_bits);
    EXPECT_EQ(a.a_bits, b.a_bits);
    EXPECT_EQ(a.g_bits, b.g_bits);
    if (std::isnan(a.g_avg))
      EXPECT_TRUE(std::isnan(b.g_avg));
    else
      EXPECT_EQ(a.g_avg, b.g_avg);
    EXPECT_EQ(a.underflow_fraction, b.underflow_fraction);
  }
}

TEST(Schedule, FindsTheRowOfAnIterationAndAveragesWidths) {
  const auto s = sample_schedule();
  EXPECT_EQ(s.layer_count(), 2u);
  EXPECT_EQ(s.iteration_count(), 150u);
  ASSERT_NE(s.find(0, 99), nullptr);
  EXPECT_EQ(s.find(0, 99)->w_bits, 8u);
  EXPECT_EQ(s.find(0, 100)->w_bits, 9u);
  EXPECT_EQ(s.find(1, 149)->w_bits, 7u);
  EXPECT_EQ(s.find(1, 150), nullptr);
  EXPECT_DOUBLE_EQ(s.mean_w_bits(0), (8.0 * 100 + 9.0 * 50) / 150);
}

TEST(Schedule, ReaderRejectsMalformedFilesWithLineAndColumn) {
  const std::string header = std::string(q::schedule_csv_header()) + "\n";
  EXPECT_NE(expect_error("layer,w_bits\n").find("s.csv:1: expected the header"), std::string::npos);
  EXPECT_EQ(expect_error(header + "0,fc1,0,10,40,8,8,1,0.5\n"),
            "s.csv:2: w_bits: expected a width in [1, 32], got '40'");
  EXPECT_EQ(expect_error(header + "0,fc1,0,10,8,0,8,1,0.5\n"),
            "s.csv:2: a_bits: expected a width in [1, 32], got '0'");
  // Binary weights (1 bit) are a valid width.
  std::istringstream binary(header + "0,fc1,0,10,1,8,8,1,0.5\n");
  EXPECT_EQ(q::read_schedule_csv(binary, "s.csv").rows.at(0).w_bits, 1u);
  EXPECT_EQ(expect_error(header + "0,fc1,0,10,8,8,8,1,0.5\n0,fc1,12,20,8,8,8,1,0.5\n"),
            "s.csv:3: iter_begin: expected 10 (each layer's rows must cover iterations "
            "contiguously from 0), got '12'");
  EXPECT_EQ(expect_error(header + "0,fc1,0,10,8,8,8,1,1.5\n"),
            "s.csv:2: underflow_fraction: expected a fraction in [0, 1], got '1.5'");
  EXPECT_EQ(expect_error(header + "0,fc1,0,10,8,8\n"), "s.csv:2: expected 9 columns, got 6");
  EXPECT_EQ(expect_error(header + "1,fc2,0,10,8,8,8,1,0.5\n"),
            "s.csv: layer 0 has no rows (layers must be numbered 0..N-1)");
  EXPECT_EQ(expect_error(header + "0,fc1,5,5,8,8,8,1,0.5\n"),
            "s.csv:2: iter_end: expected a value > iter_begin, got '5'");
}

TEST(Schedule, ConstantWidthRangesMergeWindowsWithoutChanges) {
  q::BitwidthSchedule s;
  s.rows.push_back({0, "fc1", 0, 100, 8, 8, 8, 1.0, 0.5});
  s.rows.push_back({1, "fc2", 0, 100, 8, 8, 8, 1.0, 0.5});
  s.rows.push_back({0, "fc1", 100, 200, 8, 8, 8, 1.0, 0.5});  // no change at 100
  s.rows.push_back({1, "fc2", 100, 200, 8, 8, 8, 1.0, 0.5});
  s.rows.push_back({0, "fc1", 200, 300, 9, 8, 8, 1.0, 0.5});  // fc1 changes at 200
  s.rows.push_back({1, "fc2", 200, 300, 8, 8, 8, 1.0, 0.5});
  s.rows.push_back({0, "fc1", 300, 350, 9, 8, 8, 1.0, 0.5});
  s.rows.push_back({1, "fc2", 300, 350, 7, 8, 8, 1.0, 0.5});  // fc2 changes at 300
  const auto ranges = s.constant_width_ranges();
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].begin, 0u);
  EXPECT_EQ(ranges[0].end, 200u);
  EXPECT_EQ(ranges[1].begin, 200u);
  EXPECT_EQ(ranges[1].end, 300u);
  EXPECT_EQ(ranges[2].begin, 300u);
  EXPECT_EQ(ranges[2].end, 350u);
}
