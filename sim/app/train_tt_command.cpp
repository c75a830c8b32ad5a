// `edgesim train --model tt_mlp`: real rank-adaptive tensorised training on Fashion-MNIST
// (workloads/numerics/tt_trainer.h). train_command() hands over when --model is tt_mlp.
#include <Eigen/Core>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>

#include "sim/app/commands.h"
#include "sim/core/config.h"
#include "workloads/network/rank_schedule.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/tt_trainer.h"

namespace app {
namespace {

namespace po = boost::program_options;
namespace numerics = workloads::numerics;

constexpr const char* kUsage =
    "usage: edgesim train --model tt_mlp --precision fp32|fixed8 [options]";

constexpr const char* kExamples = R"(Examples:
  edgesim train --model tt_mlp --precision fp32 --out runs/tt-fp32
  edgesim train --model tt_mlp --precision fixed8 --out runs/tt-fixed8
  edgesim train --model tt_mlp --prior half_cauchy --half-cauchy-scale 0.01 --out runs/tt-hc
  edgesim train --model tt_mlp --max-rank 8 --prune-threshold 0 --epochs 5 --out runs/tt-r8
  edgesim train --model tt_mlp --train-subset 2000 --test-subset 500 --epochs 2 --out /tmp/tt

Outputs in --out: metrics.csv (per epoch: losses, accuracies, ranks of fc1 and fc2, TT
parameters, compression), rank_schedule.csv (per layer, the ranks over iteration ranges; read
by `edgesim run --rank-schedule`) and summary.json. See docs/tensorized.md.
)";

// Options as typed: integers signed so that "-3" is reported instead of wrapping around.
struct CommandLine {
  std::string model = "tt_mlp";
  std::string precision = "fp32";
  std::string prior = "log_uniform";
  std::string lr_schedule = "cosine";
  long long max_rank = 0, prune_every = 0, prior_epochs = 0, epochs = 0, batch = 0, seed = 0;
  long long train_subset = 0, test_subset = 0, validation = 0;
  std::string data_dir = numerics::kDefaultFashionMnistDir;
  std::string out = "runs/train-tt";
};

po::options_description make_options(const numerics::TtTrainOptions& d, numerics::TtTrainOptions& o,
                                     CommandLine& c) {
  auto integer = [](long long* target, long long fallback) {
    return po::value(target)->default_value(fallback);
  };
  auto real = [](double* target, double fallback) {
    return po::value(target)->default_value(fallback, sim::format_double(fallback));
  };
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("model", po::value(&c.model)->default_value(c.model),
     "tt_mlp: 784 - TTM fc1 (m 4,4,8,4 n 4,7,4,7) - ReLU - TTM fc2 (m 2,5 n 16,32) - 10")
    ("precision", po::value(&c.precision)->default_value(c.precision),
     "fp32, or fixed8 (8-bit core and bias codes updated with stochastic rounding; 8-bit "
     "activations and output gradients in the GEMMs)")
    ("max-rank", integer(&c.max_rank, d.max_rank), "every inner TT rank at the start")
    ("prior", po::value(&c.prior)->default_value(c.prior),
     "hyperprior on each rank slice's variance: log_uniform or half_cauchy")
    ("half-cauchy-scale", real(&o.prior.half_cauchy_scale, d.prior.half_cauchy_scale),
     "half_cauchy: its scale eta (a variance)")
    ("prior-strength", real(&o.prior_strength, d.prior_strength),
     "multiplies the prior; 1 = the Bayesian weight (penalty / training-set size); 0 = off")
    ("prune-threshold", real(&o.prune_threshold, d.prune_threshold),
     "a slice is pruned when its variance falls below this fraction of its bond's largest; "
     "0 = never prune")
    ("prune-every", integer(&c.prune_every, d.prune_interval),
     "K: iterations between the variance updates and pruning")
    ("prior-epochs", integer(&c.prior_epochs, d.prior_epochs),
     "the prior and pruning act in the first N epochs, the rest fine-tune without them "
     "(0 = all epochs)")
    ("epochs", integer(&c.epochs, d.epochs), "passes over the training set")
    ("batch", integer(&c.batch, d.batch), "minibatch size")
    ("lr", real(&o.lr, d.lr), "peak learning rate of SGD")
    ("lr-schedule", po::value(&c.lr_schedule)->default_value(c.lr_schedule),
     "cosine (decays to 0 over the run) or constant")
    ("seed", integer(&c.seed, static_cast<long long>(d.seed)),
     "seed of initialisation, shuffling and stochastic rounding; same seed = identical outputs")
    ("core-headroom", real(&o.core_headroom, d.core_headroom),
     "fixed8: each core's step covers this x its initial max |value|")
    ("bias-range", real(&o.bias_range, d.bias_range),
     "fixed8: the bias codes' step covers [-range, range]")
    ("train-subset", integer(&c.train_subset, 0),
     "use only the first N training images (0 = all 60000)")
    ("test-subset", integer(&c.test_subset, 0),
     "use only the first N test images (0 = all 10000)")
    ("validation", integer(&c.validation, 0),
     "hold out the last N training images and evaluate on them instead of the test set, to "
     "choose options without looking at the test set (0 = evaluate on the test set)")
    ("data-dir", po::value(&c.data_dir)->default_value(c.data_dir),
     "folder with the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist)")
    ("out", po::value(&c.out)->default_value(c.out), "output folder (created if missing)");
  // clang-format on
  return desc;
}

std::uint64_t checked(const char* option, long long value, long long lo, long long hi) {
  if (value < lo || value > hi)
    throw sim::ConfigError(std::string("edgesim train: --") + option + ": must be in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                           std::to_string(value));
  return static_cast<std::uint64_t>(value);
}

numerics::TtTrainOptions to_options(const CommandLine& c, numerics::TtTrainOptions o) {
  if (c.model != "tt_mlp")
    throw sim::ConfigError("edgesim train: --model: must be tt_mlp here, got " + c.model);
  o.precision = numerics::parse_tt_precision(c.precision);
  o.prior.kind = numerics::parse_rank_prior(c.prior, "edgesim train: --prior");
  o.max_rank = static_cast<std::uint32_t>(checked("max-rank", c.max_rank, 1, 64));
  o.prune_interval =
      static_cast<std::uint32_t>(checked("prune-every", c.prune_every, 1, 1LL << 31));
  o.epochs = static_cast<std::uint32_t>(checked("epochs", c.epochs, 1, 100000));
  o.prior_epochs = static_cast<std::uint32_t>(checked("prior-epochs", c.prior_epochs, 0, 100000));
  o.batch = static_cast<std::uint32_t>(checked("batch", c.batch, 1, 60000));
  o.seed = checked("seed", c.seed, 0, std::numeric_limits<long long>::max());
  if (c.lr_schedule == "cosine")
    o.lr_schedule = numerics::LrSchedule::kCosine;
  else if (c.lr_schedule == "constant")
    o.lr_schedule = numerics::LrSchedule::kConstant;
  else
    throw sim::ConfigError("edgesim train: --lr-schedule: must be one of cosine, constant, got " +
                           c.lr_schedule);
  numerics::validate_tt_train_options(o);
  return o;
}

}  // namespace

int train_tt_command(int argc, const char* const* argv) {
  const numerics::TtTrainOptions defaults;
  numerics::TtTrainOptions parsed = defaults;
  CommandLine line;
  const auto desc = make_options(defaults, parsed, line);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv)
                  .options(desc)
                  .positional(po::positional_options_description())
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim train: ") + e.what() +
                           " (see edgesim train --model tt_mlp --help)");
  }
  if (vm.count("help")) {
    std::cout << kUsage
              << "\n\nTrains the MLP 784-512-10 with both layers in tensor-train-matrix format on "
                 "Fashion-MNIST,\nshrinking the TT ranks with a prior on every rank slice and "
                 "pruning the slices it shrinks.\n\n"
              << desc << "\n"
              << kExamples;
    return 0;
  }
  const numerics::TtTrainOptions options = to_options(line, parsed);
  const auto train_subset = checked("train-subset", line.train_subset, 0, 1LL << 40);
  const auto test_subset = checked("test-subset", line.test_subset, 0, 1LL << 40);

  // Dense algebra stays single-threaded, so a seed gives bit-identical results.
  Eigen::setNbThreads(1);
  const auto validation = checked("validation", line.validation, 0, 1LL << 40);
  auto data = numerics::load_fashion_mnist(line.data_dir, train_subset, test_subset);
  if (validation > 0) numerics::hold_out_validation(data, validation);
  const char* evaluated = validation > 0 ? "validation" : "test";
  std::error_code ec;
  std::filesystem::create_directories(line.out, ec);
  if (ec)
    throw sim::ConfigError("edgesim train: --out: cannot create " + line.out + ": " + ec.message());

  std::cout << "edgesim train: tt_mlp, " << numerics::tt_precision_name(options.precision)
            << ", max rank " << options.max_rank << ", prior "
            << numerics::rank_prior_name(options.prior.kind) << " (strength "
            << options.prior_strength << "), prune below " << options.prune_threshold << " every "
            << options.prune_interval << " iterations, " << data.train.count() << " training / "
            << data.test.count() << " " << evaluated << " images, " << options.epochs
            << " epochs, batch " << options.batch << ", lr " << options.lr << ", seed "
            << options.seed << std::endl;
  const auto result = numerics::train_tt(options, data, [&](const numerics::TtEpochMetrics& m) {
    std::string text = numerics::format_tt_epoch_line(m, options.epochs);
    if (validation > 0) {  // the test_* figures are the held-out validation set's
      for (auto at = text.find("test_"); at != std::string::npos; at = text.find("test_", at))
        text.replace(at, 5, "val_");
    }
    std::cout << text << std::endl;
  });
  numerics::write_tt_metrics_csv(line.out + "/metrics.csv", result);
  workloads::write_rank_schedule_csv(line.out + "/rank_schedule.csv", result.schedule);
  numerics::write_tt_summary_json(line.out + "/summary.json", options, result, evaluated);
  const auto& last = result.epochs.back();
  std::ostringstream tail;
  tail.precision(4);
  tail << "final " << evaluated << " accuracy " << 100.0 * last.test_accuracy << "%, TT parameters "
       << last.tt_parameters << " ("
       << static_cast<double>(result.dense_parameters) / static_cast<double>(last.tt_parameters)
       << "x fewer than dense " << result.dense_parameters << "), " << result.train_seconds
       << " s training; wrote " << line.out << "/{metrics.csv,rank_schedule.csv,summary.json}";
  std::cout << tail.str() << std::endl;
  return 0;
}

}  // namespace app
