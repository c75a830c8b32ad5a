// `edgesim run` on tensorised workloads: ttm layers in layers.csv, summary.json and
// tensorized.csv with the counts their ranks give, MACs equal to the contraction formulas,
// per-class traffic that adds up, intermediates on chip or spilled, and bad tensorize keys.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <sstream>

#include "cli_harness.h"

namespace fs = std::filesystem;

namespace {

long long json_int(const std::string& json, const std::string& key, std::size_t from = 0) {
  std::smatch match;
  const std::string rest = json.substr(std::min(from, json.size()));
  if (!std::regex_search(rest, match, std::regex("\"" + key + "\": (-?[0-9]+)"))) return -1;
  return std::stoll(match[1]);
}

/// Column `name` of every layers.csv row of layer `layer` and phase `phase`, summed.
long long csv_sum(const std::string& csv, const std::string& layer, const std::string& phase,
                  const std::string& name) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<std::string> header;
  std::stringstream h(line);
  for (std::string f; std::getline(h, f, ',');) header.push_back(f);
  const auto col = std::find(header.begin(), header.end(), name) - header.begin();
  long long total = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> fields;
    std::stringstream l(line);
    for (std::string f; std::getline(l, f, ',');) fields.push_back(f);
    if (fields.size() > static_cast<std::size_t>(col) && fields[1] == layer &&
        (phase.empty() || fields[3] == phase)) {
      total += std::stoll(fields[col]);
    }
  }
  return total;
}

class TensorizedRun : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = e2e::make_temp_dir("edgesim-tt"); }
  void TearDown() override { fs::remove_all(dir_); }
  std::string run(const std::string& args, const std::string& name) {
    const auto r = e2e::run_edgesim("run -q " + args + " --out '" + dir_ + "/" + name + "'");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return e2e::read_file(dir_ + "/" + name + "/summary.json");
  }
  std::string dir_;
};

TEST_F(TensorizedRun, InferenceReportsTtmLayersWithTheirRanksCounts) {
  const std::string s = run("--workload tt_mlp --set workload.batch=1", "inf");
  const std::string layers = e2e::read_file(dir_ + "/inf/layers.csv");
  EXPECT_NE(layers.find(",fc1,ttm,fwd,"), std::string::npos) << layers;
  const std::size_t tt = s.find("\"tensorized_layers\"");
  ASSERT_NE(tt, std::string::npos) << s;
  EXPECT_EQ(json_int(s, "parameters", tt), 24880);
  EXPECT_EQ(json_int(s, "dense_parameters", tt), 401408);
  // Batch 1: fc1 contracts left to right, 2,822,400 MACs, as simulated.
  EXPECT_EQ(json_int(s, "forward_macs", tt), 2822400);
  EXPECT_EQ(csv_sum(layers, "fc1", "fwd", "macs"), 2822400);
  EXPECT_EQ(csv_sum(layers, "fc1", "fwd", "weight_elements"), 24880);
  EXPECT_EQ(csv_sum(layers, "fc2", "fwd", "weight_elements"), 3840);
  EXPECT_NE(s.find("\"order\": \"left_to_right\""), std::string::npos);
  const std::string csv = e2e::read_file(dir_ + "/inf/tensorized.csv");
  EXPECT_NE(csv.find("fc1,fc,4;4;8;4,4;7;4;7,1;20;20;20;1,left_to_right,24880,401408,2822400,"
                     "401408"),
            std::string::npos)
      << csv;
  // Every contraction step with its shape and intermediate sizes.
  const std::string steps = e2e::read_file(dir_ + "/inf/tensorized_steps.csv");
  EXPECT_NE(steps.find(",fc1,fwd,ttm_contract3,112,160,80,1433600,intermediate,8960,"),
            std::string::npos)
      << steps;
  EXPECT_NE(steps.find(",fc1,fwd,ttm_contract4,128,4,140,71680,intermediate,17920,"),
            std::string::npos)
      << steps;
  // Rank 8 from the command line: 4,192 parameters, 483,840 MACs.
  const std::string r8 =
      run("--workload tt_mlp --set workload.batch=1 --set workload.tensorize.fc1.rank=8", "r8");
  EXPECT_EQ(json_int(r8, "parameters", r8.find("\"tensorized_layers\"")), 4192);
  EXPECT_EQ(csv_sum(e2e::read_file(dir_ + "/r8/layers.csv"), "fc1", "fwd", "macs"), 483840);
  // Parameter memory (int8 weights) follows the ranks.
  EXPECT_EQ(json_int(s, "param_memory_bytes"), 24880 + 3840);
  EXPECT_EQ(json_int(r8, "param_memory_bytes"), 4192 + 3840);
}

TEST_F(TensorizedRun, Fp32TrainingCostsThreeForwardPassesAndTrafficAddsUp) {
  const std::string s = run("--workload tt_mlp --scheme fp32 --set workload.batch=4", "fp32");
  const std::string layers = e2e::read_file(dir_ + "/fp32/layers.csv");
  const long long fwd = csv_sum(layers, "fc2", "fwd", "macs");
  // fc2 at batch 4, left to right: 4 x 26,880.
  EXPECT_EQ(fwd, 4 * 26880);
  EXPECT_EQ(csv_sum(layers, "fc2", "bwd_data", "macs"), fwd);
  EXPECT_EQ(csv_sum(layers, "fc2", "bwd_weight", "macs"), fwd);
  EXPECT_EQ(csv_sum(layers, "fc1", "bwd_weight", "macs"), 4 * 2822400);
  // Every byte of DRAM traffic belongs to exactly one tensor class, intermediates included.
  const std::size_t block = s.find("\"dram_bytes_by_tensor_class\"");
  long long by_class = 0;
  for (const char* c : {"weight", "master_weight", "activation", "psum", "gradient",
                        "optimizer_state", "intermediate"}) {
    by_class += json_int(s, c, block);
  }
  EXPECT_EQ(by_class, json_int(s, "dram_read_bytes") + json_int(s, "dram_write_bytes"));
  EXPECT_GT(json_int(s, "intermediate", block), 0);
  EXPECT_EQ(csv_sum(layers, "fc1", "", "dram_intermediate_bytes") +
                csv_sum(layers, "fc2", "", "dram_intermediate_bytes"),
            json_int(s, "intermediate", block));
  // fp32 parameters, gradients' momentum: 4 + 4 bytes per TT parameter.
  EXPECT_EQ(json_int(s, "param_memory_bytes"), (24880 + 3840) * 8);
  EXPECT_GT(json_int(s, "intermediate_memory_bytes"), 0);
}

TEST_F(TensorizedRun, IntermediatesOnChipMoveNoDramBytes) {
  // A 1 MiB ifmap buffer holds every partial of fc1 at batch 1.
  const std::string common =
      "--workload tt_mlp --set workload.batch=1 --set accelerator.sram.ifmap_bytes=1048576 ";
  const std::string on = run(common, "on");
  const std::string off = run(common + "--set workload.tensorize_on_chip=false", "off");
  const std::size_t on_block = on.find("\"dram_bytes_by_tensor_class\"");
  const std::size_t off_block = off.find("\"dram_bytes_by_tensor_class\"");
  EXPECT_EQ(json_int(on, "intermediate", on_block), 0);
  // Spilled: fc1's three partials (15,680 + 8,960 + 17,920 int8 bytes) written and read back,
  // and fc2's one (2 x 32 x 20 = 1,280).
  EXPECT_EQ(json_int(off, "intermediate", off_block), 2 * (15680 + 8960 + 17920 + 1280));
  EXPECT_EQ(json_int(on, "macs"), json_int(off, "macs"));
  EXPECT_LT(json_int(on, "total_cycles"), json_int(off, "total_cycles"));
}

TEST_F(TensorizedRun, FunctionalRunChecksEveryContractionStepAgainstAReferenceProduct) {
  // Operands in DRAM: the host places fresh int8 operands at each step's core and partial
  // offsets and compares the array's int32 results with its own product.
  const std::string seq =
      run("--workload tt_mlp --set workload.batch=1 --set sim.functional=true "
          "--set workload.tensorize_on_chip=false",
          "fseq");
  EXPECT_EQ(json_int(seq, "functional_checked_ops"), 4 + 2);
  // Batch 8 rebuilds W: three merges and a dense GEMM for fc1, one and one for fc2.
  const std::string rebuild =
      run("--workload tt_mlp --set workload.batch=8 --set sim.functional=true "
          "--set workload.tensorize_on_chip=false",
          "freb");
  EXPECT_EQ(json_int(rebuild, "functional_checked_ops"), 4 + 2);
}

TEST_F(TensorizedRun, OrderByLatencyIsRecordedAndNoSlowerThanByMacs) {
  const std::string common = "--platform tt_edge --workload tt_mlp --set workload.batch=4 ";
  const std::string by_macs = run(common, "macs");
  const std::string by_latency = run(common + "--set workload.tensorize_order_by=latency", "lat");
  const std::string resolved = e2e::read_file(dir_ + "/lat/config.resolved.yaml");
  EXPECT_NE(resolved.find("tensorize_order_by: latency"), std::string::npos) << resolved;
  // By MACs fc1 contracts left to right at batch 4; the latency rule may pick another order,
  // and whatever it picks does not take longer in the simulation.
  EXPECT_NE(
      by_macs.find("\"name\": \"fc1\", \"source\": \"fc\", \"m\": [4, 4, 8, 4], \"n\": "
                   "[4, 7, 4, 7], \"ranks\": [1, 20, 20, 20, 1], \"order\": \"left_to_right\""),
      std::string::npos)
      << by_macs;
  EXPECT_LE(json_int(by_latency, "total_cycles"), json_int(by_macs, "total_cycles"));
}

TEST_F(TensorizedRun, QatAndRctTrainTtmLayersWithTrafficThatAddsUp) {
  for (const char* scheme : {"qat", "rct"}) {
    const std::string s =
        run(std::string("--workload tt_mlp --set workload.batch=2 --scheme ") + scheme, scheme);
    const std::size_t block = s.find("\"dram_bytes_by_tensor_class\"");
    long long by_class = 0;
    for (const char* c : {"weight", "master_weight", "activation", "psum", "gradient",
                          "optimizer_state", "intermediate"}) {
      by_class += json_int(s, c, block);
    }
    EXPECT_EQ(by_class, json_int(s, "dram_read_bytes") + json_int(s, "dram_write_bytes")) << scheme;
    const std::string layers = e2e::read_file(dir_ + "/" + scheme + "/layers.csv");
    EXPECT_EQ(csv_sum(layers, "fc2", "bwd_weight", "macs"), 2 * 26880) << scheme;
  }
}

TEST_F(TensorizedRun, BadTensorizeKeysExitTwoWithOneLine) {
  const auto unknown = e2e::run_edgesim(
      "run -q --workload tt_mlp --set workload.tensorize.fc9.rank=4 --out '" + dir_ + "/bad1'");
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("workload.tensorize.fc9"), std::string::npos) << unknown.err;
  EXPECT_EQ(std::count(unknown.err.begin(), unknown.err.end(), '\n'), 1) << unknown.err;
  const auto product = e2e::run_edgesim(
      "run -q --workload tt_mlp --set 'workload.tensorize.fc2.m=[3,5]' --out '" + dir_ + "/bad2'");
  EXPECT_EQ(product.exit_code, 2);
  EXPECT_NE(product.err.find("workload.tensorize.fc2.m: must multiply to the layer's 10 outputs"),
            std::string::npos)
      << product.err;
  const auto rebuild = e2e::run_edgesim(
      "run -q --workload tt_mlp --scheme fp32 --set workload.tensorize.fc1.order=rebuild_dense "
      "--out '" +
      dir_ + "/bad3'");
  EXPECT_EQ(rebuild.exit_code, 2);
  EXPECT_NE(rebuild.err.find("workload.tensorize.fc1.order"), std::string::npos) << rebuild.err;
  EXPECT_FALSE(fs::exists(dir_ + "/bad3"));
  // The pipelined accelerator has no engine for TT contractions.
  const auto pipelined =
      e2e::run_edgesim("run -q --platform ull_z7020 --workload tt_mlp --out '" + dir_ + "/bad4'");
  EXPECT_EQ(pipelined.exit_code, 2);
  EXPECT_NE(pipelined.err.find("accelerator.type: must be systolic to run tensorised (ttm) layers"),
            std::string::npos)
      << pipelined.err;
}

}  // namespace
