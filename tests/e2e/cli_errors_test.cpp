// Every user mistake prints one line naming file, line, key and value, exits 2 and leaves no
// run directory behind.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_harness.h"

namespace fs = std::filesystem;
using e2e::run_edgesim;

namespace {

class CliErrors : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-err"); }
  void TearDown() override { fs::remove_all(dir_); }

  /// Runs, expects exit 2, one stderr line, no output directory; returns the line.
  std::string expect_user_error(const std::string& args) {
    const auto r = run_edgesim(args + " --out '" + dir_ + "/run'", dir_);
    EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir_ + "/run"));
    EXPECT_FALSE(fs::exists(dir_ + "/run.incomplete"));
    return r.err;
  }
  std::string file(const std::string& name, const std::string& text) {
    e2e::write_file(dir_ + "/" + name, text);
    return name;
  }
  std::string dir_;
};

TEST_F(CliErrors, MissingFileNamesIt) {
  const auto line = expect_user_error("run --platform nothere.yaml");
  EXPECT_NE(line.find("nothere.yaml: cannot open file"), std::string::npos) << line;
}

TEST_F(CliErrors, MalformedYamlNamesLineAndColumn) {
  const auto p = file("bad.yaml", "name: x\naccelerator:\n  pe_array: {rows: 4\n");
  const auto line = expect_user_error("run --platform " + p);
  EXPECT_NE(line.find("bad.yaml:"), std::string::npos) << line;
  EXPECT_NE(line.find("malformed YAML"), std::string::npos) << line;
}

TEST_F(CliErrors, WrongTypeNamesFileLineKeyAndValue) {
  const auto w = file("w.yaml",
                      "name: w\nlayers:\n  - name: fc\n    type: fc\n"
                      "    in_features: lots\n    out_features: 10\n");
  const auto line = expect_user_error("run --workload " + w);
  EXPECT_NE(line.find("w.yaml:5:18: workload.layers[0].in_features: must be a non-negative "
                      "integer, got 'lots'"),
            std::string::npos)
      << line;
}

TEST_F(CliErrors, UnknownKeySuggestsTheClosestKnownKey) {
  const auto line = expect_user_error("run --set accelerator.pe_array.rowz=4");
  EXPECT_NE(line.find("accelerator.pe_array.rowz: unknown key (did you mean 'rows'?)"),
            std::string::npos)
      << line;
}

TEST_F(CliErrors, UnknownKeyInAFileNamesItsLine) {
  const auto w = file("w.yaml",
                      "name: w\nbatchsize: 3\nlayers:\n"
                      "  - {name: fc, type: fc, in_features: 4, out_features: 2}\n");
  const auto line = expect_user_error("run --workload " + w);
  EXPECT_NE(line.find("w.yaml:2:1: workload.batchsize: unknown key (did you mean 'batch'?)"),
            std::string::npos)
      << line;
}

TEST_F(CliErrors, NegativeSizeIsRejected) {
  const auto line = expect_user_error("run --set accelerator.sram.ifmap_bytes=-4");
  EXPECT_NE(line.find("accelerator.sram.ifmap_bytes: must be > 0, got -4"), std::string::npos)
      << line;
}

TEST_F(CliErrors, ZeroSizeInAFileIsRejectedWithItsLocation) {
  const auto p = file("p.yaml", "name: p\naccelerator:\n  pe_array:\n    rows: 0\n");
  const auto line = expect_user_error("run --platform " + p);
  EXPECT_NE(line.find("p.yaml:4:11: accelerator.pe_array.rows: must be > 0, got 0"),
            std::string::npos)
      << line;
}

TEST_F(CliErrors, UnknownPlatformNameListsTheBuiltIns) {
  const auto line = expect_user_error("run --platform edge_nppu");
  EXPECT_NE(line.find("unknown platform 'edge_nppu' (did you mean 'edge_npu'?)"), std::string::npos)
      << line;
}

TEST_F(CliErrors, UnknownWorkloadNameIsAnError) {
  const auto line = expect_user_error("run --workload no_such_net");
  EXPECT_NE(line.find("--workload: unknown workload 'no_such_net'"), std::string::npos) << line;
}

TEST_F(CliErrors, BadChoiceListsTheChoices) {
  const auto line = expect_user_error("run --set accelerator.pe_array.dataflow=wz");
  EXPECT_NE(line.find("must be one of os|ws|is, got 'wz' (did you mean 'ws'?)"), std::string::npos)
      << line;
}

TEST_F(CliErrors, UnknownOptionAndCommandAreUserErrors) {
  expect_user_error("run --frobnicate");
  const auto r = run_edgesim("rnu");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("did you mean 'run'?"), std::string::npos) << r.err;
}

TEST_F(CliErrors, ExistingNonEmptyOutputDirectoryIsNotOverwritten) {
  fs::create_directories(dir_ + "/run");
  e2e::write_file(dir_ + "/run/keep.txt", "mine");
  const auto r = run_edgesim("run --out '" + dir_ + "/run'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(e2e::read_file(dir_ + "/run/keep.txt"), "mine");
}

}  // namespace
