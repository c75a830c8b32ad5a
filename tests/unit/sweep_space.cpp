// Point spaces: full products in nested-loop order, zip groups, random and Latin-hypercube
// samples, constraints and shards, all generated from the index without storing points.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "sim/sweep/space.h"
#include "sim/sweep/spec.h"

namespace {

sweep::SweepSpec spec_of(const std::string& text) {
  return sweep::parse_sweep_text(text, "s.yaml", "");
}

TEST(SweepSpace, FullProductRunsTheLastAxisFastest) {
  const auto spec =
      spec_of("axes:\n  - {key: a, values: [x, y]}\n  - {key: b, values: [1, 2, 3]}\n");
  const sweep::PointSpace space(spec);
  ASSERT_EQ(space.size(), 6u);
  EXPECT_EQ(space.point(0).values, (std::vector<std::string>{"x", "1"}));
  EXPECT_EQ(space.point(2).values, (std::vector<std::string>{"x", "3"}));
  EXPECT_EQ(space.point(3).values, (std::vector<std::string>{"y", "1"}));
  EXPECT_EQ(space.overrides(space.point(5)), (std::vector<std::string>{"a=y", "b=3"}));
}

TEST(SweepSpace, ZipGroupMovesTogether) {
  const auto spec = spec_of(R"(
axes:
  - {key: rows, values: [8, 16, 32], zip: square}
  - {key: df, values: [os, ws]}
  - {key: cols, values: [8, 16, 32], zip: square}
)");
  const sweep::PointSpace space(spec);
  ASSERT_EQ(space.size(), 6u);
  for (std::uint64_t i = 0; i < space.size(); ++i) {
    const auto p = space.point(i);
    EXPECT_EQ(p.values[0], p.values[2]);
  }
}

TEST(SweepSpace, PermutationIsABijection) {
  for (const std::uint64_t n : {1ull, 2ull, 7ull, 100ull, 1000ull, 4097ull}) {
    std::set<std::uint64_t> seen;
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t j = sweep::permute_index(i, n, 42);
      ASSERT_LT(j, n);
      seen.insert(j);
    }
    EXPECT_EQ(seen.size(), n);
  }
}

TEST(SweepSpace, RandomSampleDrawsDistinctPointsReproducibly) {
  const std::string text = R"(
axes:
  - {key: a, range: {from: 1, to: 100, step: 1}}
  - {key: b, range: {from: 1, to: 100, step: 1}}
sample: {method: random, count: 500, seed: 7}
)";
  const auto spec = spec_of(text);
  const sweep::PointSpace space(spec);
  ASSERT_EQ(space.size(), 500u);
  std::set<std::vector<std::string>> distinct;
  for (std::uint64_t i = 0; i < space.size(); ++i) distinct.insert(space.point(i).values);
  EXPECT_EQ(distinct.size(), 500u);
  const auto again = spec_of(text);
  EXPECT_EQ(sweep::PointSpace(again).point(123).values, space.point(123).values);
  const auto other = spec_of(
      "axes:\n  - {key: a, range: {from: 1, to: 100, step: 1}}\n"
      "  - {key: b, range: {from: 1, to: 100, step: 1}}\n"
      "sample: {method: random, count: 500, seed: 8}\n");
  int same = 0;
  for (std::uint64_t i = 0; i < 50; ++i)
    same += sweep::PointSpace(other).point(i).values == space.point(i).values;
  EXPECT_LT(same, 5);
}

TEST(SweepSpace, RandomSampleLargerThanTheSpaceIsAnError) {
  EXPECT_THROW(spec_of("axes:\n  - {key: a, values: [1, 2]}\nsample: {method: random, count: 3}\n"),
               sim::ConfigError);
}

TEST(SweepSpace, LatinHypercubePutsOnePointInEveryStratumOfEveryAxis) {
  const auto spec = spec_of(R"(
axes:
  - {key: a, range: {from: 0, to: 1.0}}
  - {key: b, log_range: {from: 1.0, to: 1000.0}}
sample: {method: latin_hypercube, count: 64, seed: 3}
)");
  const sweep::PointSpace space(spec);
  ASSERT_EQ(space.size(), 64u);
  std::set<int> strata_a, strata_b;
  for (std::uint64_t i = 0; i < 64; ++i) {
    const auto p = space.point(i);
    const double a = std::stod(p.values[0]);
    const double b = std::stod(p.values[1]);
    ASSERT_GE(a, 0.0);
    ASSERT_LT(a, 1.0);
    ASSERT_GE(b, 1.0);
    ASSERT_LT(b, 1000.0);
    strata_a.insert(static_cast<int>(a * 64));
    strata_b.insert(static_cast<int>(std::log10(b) / 3.0 * 64));
  }
  EXPECT_EQ(strata_a.size(), 64u);
  EXPECT_EQ(strata_b.size(), 64u);
}

TEST(SweepSpace, ConstraintsSkipPointsUsingTheBaseConfig) {
  const auto spec = spec_of(R"(
axes:
  - {key: accelerator.pe_array.rows, values: [8, 16, 32, 64]}
constraints: ["pe_count <= 512"]
)");
  const sweep::PointSpace space(spec, "accelerator:\n  pe_array: {rows: 16, cols: 16}\n");
  std::vector<std::string> kept;
  space.for_each(sweep::Shard{}, [&](const sweep::Point& p) {
    kept.push_back(p.values[0]);
    return true;
  });
  EXPECT_EQ(kept, (std::vector<std::string>{"8", "16", "32"}));
}

TEST(SweepSpace, ShardsPartitionTheSpace) {
  const auto spec = spec_of("axes:\n  - {key: a, range: {from: 0, to: 99, step: 1}}\n");
  const sweep::PointSpace space(spec);
  std::vector<std::uint64_t> all;
  for (std::uint64_t s = 0; s < 3; ++s) {
    space.for_each(sweep::Shard{s, 3}, [&](const sweep::Point& p) {
      EXPECT_EQ(p.index % 3, s);
      all.push_back(p.index);
      return true;
    });
  }
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), 100u);
  for (std::uint64_t i = 0; i < 100; ++i) EXPECT_EQ(all[i], i);
}

TEST(SweepSpace, ShardTextIsChecked) {
  EXPECT_EQ(sweep::parse_shard("2/5").index, 2u);
  EXPECT_THROW(sweep::parse_shard("5/5"), sim::ConfigError);
  EXPECT_THROW(sweep::parse_shard("1-4"), sim::ConfigError);
  EXPECT_THROW(sweep::parse_shard("0/0"), sim::ConfigError);
}

TEST(SweepSpace, MillionPointSampleOfAHugeSpaceIsGeneratedOnDemand) {
  const auto spec = spec_of(R"(
axes:
  - {key: a, range: {from: 1, to: 1000, step: 1}}
  - {key: b, range: {from: 1, to: 1000, step: 1}}
  - {key: c, range: {from: 1, to: 1000, step: 1}}
sample: {method: random, count: 1000000, seed: 1}
)");
  const sweep::PointSpace space(spec);
  EXPECT_EQ(space.size(), 1000000u);
  const auto p = space.point(999999);
  EXPECT_EQ(p.values.size(), 3u);
  EXPECT_NE(p.values, space.point(999998).values);
}

}  // namespace
