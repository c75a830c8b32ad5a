#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "sim/core/config.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/trainer.h"

namespace n = workloads::numerics;

namespace {

const n::FashionMnist& subset() {
  // 3000 training and 1000 test images keep the whole file at a few seconds.
  static const n::FashionMnist data = n::load_fashion_mnist(n::kDefaultFashionMnistDir, 3000, 1000);
  return data;
}

n::TrainOptions quick(n::TrainScheme scheme, std::uint32_t epochs = 3) {
  n::TrainOptions o;
  o.scheme = scheme;
  o.epochs = epochs;
  o.policy.k_iterations = 10;
  return o;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string outputs_of(const n::TrainOptions& o, const std::string& tag) {
  const auto result = n::train(o, subset());
  const std::string dir = ::testing::TempDir() + "edgesim_numerics_";
  n::write_metrics_csv(dir + tag + "_metrics.csv", result);
  workloads::quant::write_schedule_csv(dir + tag + "_schedule.csv", result.schedule);
  const std::string text =
      read_text(dir + tag + "_metrics.csv") + "\n" + read_text(dir + tag + "_schedule.csv");
  std::remove((dir + tag + "_metrics.csv").c_str());
  std::remove((dir + tag + "_schedule.csv").c_str());
  return text;
}

}  // namespace

TEST(Dataset, ReadsFashionMnistFromTheDebianPackage) {
  const auto& data = subset();
  ASSERT_EQ(data.train.count(), 3000u);
  ASSERT_EQ(data.test.count(), 1000u);
  EXPECT_EQ(data.train.rows, 28u);
  EXPECT_EQ(data.train.pixels(), 784u);
  std::array<int, 10> per_class{};
  for (auto label : data.train.labels) ++per_class.at(label);
  for (int count : per_class) EXPECT_GT(count, 200);  // classes are balanced
  double mean = 0.0;
  for (float v : data.train.images) mean += v;
  EXPECT_NEAR(mean / data.train.images.size(), 0.0, 1e-3);  // standardised
}

TEST(Dataset, MissingFilesNameTheDebianPackage) {
  try {
    n::load_fashion_mnist("/nonexistent-edgesim-dir");
    FAIL() << "expected ConfigError";
  } catch (const sim::ConfigError& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("dataset-fashion-mnist"), std::string::npos) << text;
    EXPECT_NE(text.find("/nonexistent-edgesim-dir"), std::string::npos) << text;
    EXPECT_EQ(text.find('\n'), std::string::npos);
  }
}

TEST(Training, Fp32MlpLossFallsAndAccuracyIsWellAboveChance) {
  const auto result = n::train(quick(n::TrainScheme::kFp32), subset());
  ASSERT_EQ(result.epochs.size(), 3u);
  EXPECT_LT(result.epochs.back().train_loss, 0.8 * result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test_accuracy, 0.70);  // chance is 0.10
  EXPECT_EQ(result.param_memory_bits, 32u * (784 * 512 + 512 + 512 * 10 + 10));
  EXPECT_DOUBLE_EQ(result.mean_w_bits, 32.0);
}

TEST(Training, QatLearnsAndKeepsTwoCopiesOfTheWeights) {
  const auto result = n::train(quick(n::TrainScheme::kQat), subset());
  EXPECT_LT(result.epochs.back().train_loss, 0.8 * result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test_accuracy, 0.70);
  const std::uint64_t weights = 784 * 512 + 512 * 10, biases = 522;
  EXPECT_EQ(result.param_memory_bits, 32 * (weights + biases) + 8 * weights);
  EXPECT_EQ(result.model_bits, 8 * weights + 32 * biases);
}

TEST(Training, RctLearnsWithIntegerWeightsAndRecordsTheSchedule) {
  auto options = quick(n::TrainScheme::kRct);
  const auto result = n::train(options, subset());
  EXPECT_LT(result.epochs.back().train_loss, 0.8 * result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test_accuracy, 0.70);
  // 3 epochs x 47 iterations in windows of 10 for 2 layers.
  ASSERT_EQ(result.iterations, 141u);
  ASSERT_EQ(result.schedule.rows.size(), 2u * 15);
  std::uint64_t bits = 0;
  for (const auto& layer : result.layers) {
    EXPECT_GE(layer.final_w_bits, options.policy.b_min);
    EXPECT_LE(layer.final_w_bits, options.policy.b_max);
    bits += layer.final_w_bits * (layer.weights + layer.biases) + 32;
  }
  EXPECT_EQ(result.param_memory_bits, bits);
  for (const auto& row : result.schedule.rows) {
    EXPECT_GE(row.underflow_fraction, 0.0);
    EXPECT_LE(row.underflow_fraction, 1.0);
    EXPECT_GT(row.g_avg, 0.0);
    EXPECT_EQ(row.g_bits, 8u);
    // Each window's width follows the policy rule applied to the previous window.
    if (row.iter_begin == 0) continue;
    const auto* previous = result.schedule.find(row.layer, row.iter_begin - 1);
    ASSERT_NE(previous, nullptr);
    EXPECT_EQ(row.w_bits,
              workloads::quant::next_bits(previous->w_bits, previous->g_avg, options.policy));
  }
  EXPECT_EQ(result.schedule.rows.back().iter_end, 141u);
}

TEST(Training, RctPolicyAddsBitsWhenGradientsAreSmallAgainstTheStep) {
  auto options = quick(n::TrainScheme::kRct, 1);
  options.policy.t_min = 1e6;  // every window is "too small": each layer gains a bit per window
  options.policy.t_max = 2e6;
  options.policy.b_max = 12;
  const auto result = n::train(options, subset());
  for (const auto& layer : result.layers) EXPECT_EQ(layer.final_w_bits, 12u);  // 8 + 4 windows
}

TEST(Training, LeNet5LearnsOnASubset) {
  auto options = quick(n::TrainScheme::kFp32, 2);
  options.model = "lenet5";
  const auto result = n::train(options, subset());
  EXPECT_LT(result.epochs.back().train_loss, result.epochs.front().train_loss);
  EXPECT_GT(result.epochs.back().test_accuracy, 0.55);
}

TEST(Training, SameSeedGivesBitIdenticalMetricsAndSchedules) {
  auto options = quick(n::TrainScheme::kRct, 2);
  const auto first = outputs_of(options, "a");
  const auto second = outputs_of(options, "b");
  EXPECT_EQ(first, second);
  options.seed = 2;
  EXPECT_NE(first, outputs_of(options, "c"));
}

TEST(Training, RejectsBadOptionsWithTheOptionName) {
  auto options = quick(n::TrainScheme::kRct);
  options.batch = 0;
  try {
    n::train(options, subset());
    FAIL() << "expected ConfigError";
  } catch (const sim::ConfigError& e) {
    EXPECT_STREQ(e.what(), "edgesim train: --batch: must be > 0, got 0");
  }
  options = quick(n::TrainScheme::kRct);
  options.model = "resnet";
  EXPECT_THROW(n::train(options, subset()), sim::ConfigError);
  EXPECT_THROW(n::parse_train_scheme("int4"), sim::ConfigError);
}
