// ConfigNode: typed getters, defaults, error text, unknown keys, overrides, resolved output.
#include "sim/core/config.h"

#include <gtest/gtest.h>

namespace {

std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const sim::ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Config, TypedGettersReturnValuesAndRecordDefaults) {
  sim::Config config;
  config.load_text("a:\n  rows: 32\n  name: npu\n  ratio: 0.5\n  on: true\n", "t.yaml");
  auto a = config.root().child("a");
  EXPECT_EQ(a.get<std::uint32_t>("rows", 1), 32u);
  EXPECT_EQ(a.get<std::string>("name", ""), "npu");
  EXPECT_DOUBLE_EQ(a.get<double>("ratio", 0), 0.5);
  EXPECT_TRUE(a.get<bool>("on", false));
  EXPECT_EQ(a.get<std::uint64_t>("cols", 16), 16u);  // absent: default, and recorded
  config.check_all_read();
  EXPECT_NE(config.resolved_yaml().find("cols: 16"), std::string::npos);
  EXPECT_NE(config.resolved_yaml().find("rows: 32"), std::string::npos);
}

TEST(Config, WrongTypeNamesFileLineColumnKeyAndValue) {
  sim::Config config;
  config.load_text("a:\n  rows: many\n", "p.yaml");
  EXPECT_EQ(error_of([&] { config.root().child("a").get<std::uint32_t>("rows", 1); }),
            "p.yaml:2:9: a.rows: must be a non-negative integer below 2^32, got 'many'");
}

TEST(Config, PositiveRejectsZeroAndNegative) {
  sim::Config config;
  config.load_text("x: 0\ny: -3\n", "f.yaml");
  auto root = config.root();
  EXPECT_EQ(error_of([&] { root.get_positive("x", 1); }), "f.yaml:1:4: x: must be > 0, got 0");
  EXPECT_EQ(error_of([&] { root.get_positive("y", 1); }), "f.yaml:2:4: y: must be > 0, got -3");
}

TEST(Config, UnknownKeyIsReportedWithSuggestion) {
  sim::Config config;
  config.load_text("a:\n  rows: 2\n  colz: 3\n", "f.yaml");
  auto a = config.root().child("a");
  a.get<std::uint32_t>("rows", 1);
  a.get<std::uint32_t>("cols", 1);
  const std::string error = error_of([&] { config.check_all_read(); });
  EXPECT_NE(error.find("f.yaml:3:3: a.colz: unknown key (did you mean 'cols'?)"), std::string::npos)
      << error;
}

TEST(Config, UnknownSectionIsReported) {
  sim::Config config;
  config.load_text("a: {rows: 1}\nzzz: {q: 1}\n", "f.yaml");
  config.root().child("a").get<std::uint32_t>("rows", 1);
  EXPECT_NE(error_of([&] { config.check_all_read(); }).find("zzz: unknown key"), std::string::npos);
}

TEST(Config, OverrideReplacesAFileValueAndIsTypeChecked) {
  sim::Config config;
  config.load_text("a:\n  rows: 2\n", "f.yaml");
  config.apply_override("a.rows=64");
  EXPECT_EQ(config.root().child("a").get<std::uint32_t>("rows", 1), 64u);
  sim::Config bad;
  bad.load_text("a:\n  rows: 2\n", "f.yaml");
  bad.apply_override("a.rows=abc");
  EXPECT_EQ(error_of([&] { bad.root().child("a").get<std::uint32_t>("rows", 1); }),
            "--set: a.rows: must be a non-negative integer below 2^32, got 'abc'");
}

TEST(Config, AMapAnOverrideCreatesIsBlamedOnTheOverride) {
  // The map `b` is new: errors about it or below it name --set, not the file holding `a`.
  sim::Config config;
  config.load_text("a:\n  x: 1\n", "f.yaml");
  config.apply_override("a.b.rows=4");
  const sim::ConfigNode a = config.root().child("a");
  a.get<std::uint32_t>("x", 0);
  EXPECT_EQ(error_of([&] { a.fail("b", "must name something else"); }),
            "--set: a.b: must name something else");
  EXPECT_EQ(error_of([&] { config.check_all_read(); }).rfind("--set: a.b: unknown key", 0), 0u);
}

TEST(Config, OverrideWithoutEqualsOrWithEmptyComponentIsAnError) {
  sim::Config config;
  EXPECT_NE(error_of([&] { config.apply_override("a.rows"); }).find("expected key.path=value"),
            std::string::npos);
  EXPECT_NE(error_of([&] { config.apply_override("a..rows=1"); }).find("empty component"),
            std::string::npos);
}

TEST(Config, OverrideIntoAScalarIsAnError) {
  sim::Config config;
  config.load_text("a: 3\n", "f.yaml");
  EXPECT_NE(error_of([&] { config.apply_override("a.b=1"); }).find("so it has no key 'b'"),
            std::string::npos);
}

TEST(Config, MalformedYamlNamesThePosition) {
  sim::Config config;
  const std::string error = error_of([&] { config.load_text("a: [1, 2\n", "m.yaml"); });
  EXPECT_EQ(error.rfind("m.yaml:", 0), 0u) << error;
  EXPECT_NE(error.find("malformed YAML"), std::string::npos);
}

TEST(Config, ChoiceSuggestsTheClosestOption) {
  sim::Config config;
  config.load_text("mode: opn\n", "f.yaml");
  EXPECT_EQ(error_of([&] {
              config.root().get_choice("mode", "open", {"open", "close"});
            }),
            "f.yaml:1:7: mode: must be one of open|close, got 'opn' (did you mean 'open'?)");
}

TEST(Config, ResolvedTreeRoundTripsDoublesExactly) {
  sim::Config config;
  config.load_text("v: 0.1\n", "f.yaml");
  const double v = config.root().get<double>("v", 0);
  sim::Config again;
  again.load_text(config.resolved_yaml(), "r.yaml");
  EXPECT_EQ(again.root().get<double>("v", 0), v);
}

TEST(Config, ListsOfMapsAreCheckedElementByElement) {
  sim::Config config;
  config.load_text("layers:\n  - {name: a}\n  - {name: b, extra: 1}\n", "f.yaml");
  for (const auto& layer : config.root().child_list("layers")) {
    layer.get<std::string>("name", "");
  }
  EXPECT_NE(error_of([&] { config.check_all_read(); }).find("layers[1].extra: unknown key"),
            std::string::npos);
}

TEST(Config, EditDistanceAndClosestMatch) {
  EXPECT_EQ(sim::edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(sim::closest_match("colz", {"rows", "cols"}), "cols");
  EXPECT_EQ(sim::closest_match("completely_different", {"rows", "cols"}), "");
}

}  // namespace
