// rank_schedule.csv: round trip, ranges of constant ranks, and one-line errors for bad files.
#include "workloads/network/rank_schedule.h"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/core/config.h"

namespace {

using workloads::RankSchedule;
using workloads::RankScheduleRow;

RankScheduleRow row(std::uint32_t layer, const std::string& name, std::uint64_t begin,
                    std::uint64_t end, std::vector<std::uint32_t> m, std::vector<std::uint32_t> n,
                    std::vector<std::uint32_t> ranks) {
  RankScheduleRow r;
  r.layer = layer;
  r.layer_name = name;
  r.iter_begin = begin;
  r.iter_end = end;
  r.m = std::move(m);
  r.n = std::move(n);
  r.ranks = std::move(ranks);
  return r;
}

RankSchedule two_layers() {
  RankSchedule s;
  s.rows.push_back(row(0, "fc1", 0, 100, {4, 4, 8, 4}, {4, 7, 4, 7}, {1, 20, 20, 20, 1}));
  s.rows.push_back(row(0, "fc1", 100, 300, {4, 4, 8, 4}, {4, 7, 4, 7}, {1, 12, 9, 8, 1}));
  s.rows.push_back(row(1, "fc2", 0, 200, {2, 5}, {16, 32}, {1, 10, 1}));
  s.rows.push_back(row(1, "fc2", 200, 300, {2, 5}, {16, 32}, {1, 6, 1}));
  return s;
}

RankSchedule parse(const std::string& text) {
  std::istringstream in(text);
  return workloads::read_rank_schedule_csv(in, "ranks.csv");
}

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(RankSchedule, RoundTripsAndComputesParameters) {
  std::ostringstream out;
  workloads::write_rank_schedule_csv(out, two_layers());
  const std::string text = out.str();
  // fc1 at rank 20: 1*4*4*20 + 20*4*7*20 + 20*8*4*20 + 20*4*7*1 = 24,880 parameters.
  EXPECT_NE(text.find("0,fc1,0,100,4;4;8;4,4;7;4;7,1;20;20;20;1,24880\n"), std::string::npos);
  const RankSchedule back = parse(text);
  ASSERT_EQ(back.rows.size(), 4u);
  EXPECT_EQ(back.rows[1].ranks, (std::vector<std::uint32_t>{1, 12, 9, 8, 1}));
  EXPECT_EQ(back.rows[3].parameters, 2u * 16 * 6 + 6u * 5 * 32);
  EXPECT_EQ(back.layer_count(), 2u);
  EXPECT_EQ(back.iteration_count(), 300u);
  ASSERT_NE(back.find("fc2", 250), nullptr);
  EXPECT_EQ(back.find("fc2", 250)->ranks[1], 6u);
  EXPECT_EQ(back.find("fc3", 0), nullptr);
}

TEST(RankSchedule, ConstantRankRangesSplitWhereAnyLayerChanges) {
  const auto ranges = two_layers().constant_rank_ranges();
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0].begin, 0u);
  EXPECT_EQ(ranges[0].end, 100u);
  EXPECT_EQ(ranges[1].begin, 100u);
  EXPECT_EQ(ranges[1].end, 200u);
  EXPECT_EQ(ranges[2].begin, 200u);
  EXPECT_EQ(ranges[2].end, 300u);
  // A row boundary with unchanged ranks does not split a range.
  RankSchedule same;
  same.rows.push_back(row(0, "fc2", 0, 5, {2, 5}, {16, 32}, {1, 4, 1}));
  same.rows.push_back(row(0, "fc2", 5, 9, {2, 5}, {16, 32}, {1, 4, 1}));
  const auto merged = same.constant_rank_ranges();
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].end, 9u);
}

TEST(RankSchedule, BadFilesGiveOneLineNamingLineColumnAndValue) {
  const std::string header = std::string(workloads::rank_schedule_csv_header()) + "\n";
  EXPECT_EQ(error_of(header + "0,fc2,0,10,2;5,16;32,1;10;1,999\n"),
            "ranks.csv:2: parameters: expected 1920 (sum of r_{k-1} m_k n_k r_k for these factors "
            "and ranks), got '999'");
  EXPECT_EQ(error_of(header + "0,fc2,0,10,2;5,16;32,2;10;1,1920\n"),
            "ranks.csv:2: ranks: expected the first and last rank to be 1, got '2;10;1'");
  EXPECT_EQ(error_of(header + "0,fc2,0,10,2;5,16;32,1;0;1,0\n"),
            "ranks.csv:2: ranks: expected integers >= 1 separated by ';' (e.g. 1;20;20;1), got "
            "'1;0;1'");
  EXPECT_EQ(error_of(header + "0,fc2,5,10,2;5,16;32,1;10;1,1920\n"),
            "ranks.csv:2: iter_begin: expected 0 (each layer's rows must cover iterations "
            "contiguously from 0), got '5'");
  EXPECT_EQ(error_of(header + "0,fc2,0,10,2;5,16,1;10;1,1920\n"),
            "ranks.csv:2: n: expected 2 factors, as many as m, got '16'");
  EXPECT_EQ(error_of("layer,ranks\n"), "ranks.csv:1: expected the header " +
                                           header.substr(0, header.size() - 1) +
                                           ", got 'layer,ranks'");
  EXPECT_EQ(
      error_of(header + "0,fc2,0,10,2;5,16;32,1;10;1,1920\n1,fc1,0,5,2;5,16;32,1;10;1,1920\n"),
      "ranks.csv: layer 1 ends at iteration 5, expected 10 like the longest layer");
  EXPECT_NE(error_of(header + "0,fc2,0,10,2;5,16;32,1;10;1\n").find("expected 8 columns"),
            std::string::npos);
  EXPECT_EQ(error_of(header), "ranks.csv: no rows after the header");
}

}  // namespace
