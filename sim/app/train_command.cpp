// `edgesim train`: real training on Fashion-MNIST under fp32, QAT or RCT (workloads/numerics).
#include <Eigen/Core>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <string>

#include "sim/app/commands.h"
#include "sim/core/config.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/trainer.h"
#include "workloads/quant/schedule.h"

namespace app {
namespace {

namespace po = boost::program_options;
namespace numerics = workloads::numerics;
namespace quant = workloads::quant;

constexpr const char* kUsage =
    "usage: edgesim train --model mlp|lenet5 --scheme fp32|qat|rct [options]";

constexpr const char* kExamples = R"(Examples:
  edgesim train --model mlp --scheme fp32 --out runs/mlp-fp32
  edgesim train --model lenet5 --scheme qat --w-bits 8 --epochs 15 --out runs/lenet5-qat
  edgesim train --model mlp --scheme rct --rct-t-min 2 --rct-t-max 16 --rct-k 100 --out runs/mlp-rct
  edgesim train --model mlp --scheme rct --train-subset 2000 --epochs 2 --out /tmp/quick

Outputs in --out: metrics.csv (per epoch), schedule.csv (per layer and iteration window:
widths, G_avg, underflow fraction; read by `edgesim run --bitwidth-schedule`) and
summary.json (accuracy, average widths, parameter memory in bits). Formats: docs/numerics.md.
)";

po::options_description make_options(numerics::TrainOptions& o, std::string& model,
                                     std::string& scheme, std::string& lr_schedule,
                                     std::string& scale, std::string& data_dir, std::string& out,
                                     std::size_t& train_subset, std::size_t& test_subset) {
  po::options_description desc("Options");
  // clang-format off
  desc.add_options()
    ("help,h", "print this help and exit")
    ("model", po::value(&model)->default_value("mlp"),
     "network: mlp (784-512-10) or lenet5 (conv 6, conv 16, fc 120-84-10)")
    ("scheme", po::value(&scheme)->default_value("fp32"),
     "precision scheme: fp32; qat (FP32 master + fake-quantised copy, STE); "
     "rct (integer weights only, stochastic-rounding updates, G_avg bitwidth policy)")
    ("epochs", po::value(&o.epochs)->default_value(o.epochs), "passes over the training set")
    ("batch", po::value(&o.batch)->default_value(o.batch), "minibatch size")
    ("lr", po::value(&o.lr)->default_value(o.lr), "peak learning rate of SGD")
    ("lr-schedule", po::value(&lr_schedule)->default_value("cosine"),
     "cosine (decays to 0 over the run) or constant")
    ("momentum", po::value(&o.momentum)->default_value(o.momentum),
     "SGD momentum in [0, 1); 0 = plain SGD (no FP32 optimizer state)")
    ("seed", po::value(&o.seed)->default_value(o.seed),
     "seed of initialisation, shuffling and stochastic rounding; same seed = identical outputs")
    ("train-subset", po::value(&train_subset)->default_value(0),
     "use only the first N training images (0 = all 60000)")
    ("test-subset", po::value(&test_subset)->default_value(0),
     "use only the first N test images (0 = all 10000)")
    ("data-dir", po::value(&data_dir)->default_value(numerics::kDefaultFashionMnistDir),
     "folder with the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist)")
    ("out", po::value(&out)->default_value("runs/train"), "output folder (created)")
    ("w-bits", po::value(&o.w_bits)->default_value(o.w_bits), "qat: weight width in bits")
    ("a-bits", po::value(&o.a_bits)->default_value(o.a_bits),
     "qat, rct: width of every GEMM's input activations")
    ("g-bits", po::value(&o.g_bits)->default_value(o.g_bits),
     "width of the output gradients fed to the backward GEMMs (stochastic rounding); "
     "0 = scheme default (qat 32 = FP32, rct 8)")
    ("scale", po::value(&scale)->default_value("pow2"),
     "step of every fixed-point format: pow2 (power of two) or float")
    ("rct-initial-bits", po::value(&o.policy.initial_bits)->default_value(o.policy.initial_bits),
     "rct: every layer's weight width at the start")
    ("rct-b-min", po::value(&o.policy.b_min)->default_value(o.policy.b_min),
     "rct: smallest weight width the policy may choose")
    ("rct-b-max", po::value(&o.policy.b_max)->default_value(o.policy.b_max),
     "rct: largest weight width the policy may choose")
    ("rct-t-min", po::value(&o.policy.t_min)->default_value(o.policy.t_min),
     "rct: a layer whose G_avg = mean|dW| / step is below this gains a bit")
    ("rct-t-max", po::value(&o.policy.t_max)->default_value(o.policy.t_max),
     "rct: a layer whose G_avg is above this loses a bit")
    ("rct-k", po::value(&o.policy.k_iterations)->default_value(o.policy.k_iterations),
     "rct: policy interval in iterations (also the schedule.csv window for every scheme)")
    ("rct-headroom", po::value(&o.rct_headroom)->default_value(o.rct_headroom),
     "rct: initial weight range = this x max |initial weight|");
  // clang-format on
  return desc;
}

}  // namespace

int train_command(int argc, const char* const* argv) {
  numerics::TrainOptions options;
  std::string model, scheme, lr_schedule, scale, data_dir, out;
  std::size_t train_subset = 0, test_subset = 0;
  const auto desc = make_options(options, model, scheme, lr_schedule, scale, data_dir, out,
                                 train_subset, test_subset);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim train: ") + e.what() +
                           " (see edgesim train --help)");
  }
  if (vm.count("help")) {
    std::cout << kUsage
              << "\n\nTrains a small network on Fashion-MNIST for real, with the "
                 "number formats the accelerator uses.\n\n"
              << desc << "\n"
              << kExamples;
    return 0;
  }
  options.model = model;
  options.scheme = numerics::parse_train_scheme(scheme);
  if (lr_schedule == "cosine")
    options.lr_schedule = numerics::LrSchedule::kCosine;
  else if (lr_schedule == "constant")
    options.lr_schedule = numerics::LrSchedule::kConstant;
  else
    throw sim::ConfigError("edgesim train: --lr-schedule: must be one of cosine, constant, got " +
                           lr_schedule);
  options.scale = quant::parse_scale_kind(scale, "edgesim train: --scale");
  numerics::validate_train_options(options);

  // Dense algebra stays single-threaded, so a seed gives bit-identical results.
  Eigen::setNbThreads(1);
  const auto data = numerics::load_fashion_mnist(data_dir, train_subset, test_subset);
  std::error_code ec;
  std::filesystem::create_directories(out, ec);
  if (ec)
    throw sim::ConfigError("edgesim train: --out: cannot create " + out + ": " + ec.message());

  std::cout << "edgesim train: " << model << ", " << scheme << ", " << data.train.count()
            << " training / " << data.test.count() << " test images, " << options.epochs
            << " epochs, batch " << options.batch << ", seed " << options.seed << std::endl;
  const auto result = numerics::train(options, data, [&](const numerics::EpochMetrics& m) {
    std::cout << numerics::format_epoch_line(m, options.epochs) << std::endl;
  });
  numerics::write_metrics_csv(out + "/metrics.csv", result);
  quant::write_schedule_csv(out + "/schedule.csv", result.schedule);
  numerics::write_summary_json(out + "/summary.json", options, result);
  std::ostringstream tail;
  tail.precision(4);
  tail << "final test accuracy " << 100.0 * result.epochs.back().test_accuracy
       << "%, mean weight bits " << result.mean_w_bits << ", parameter memory "
       << result.param_memory_bits << " bits, " << result.samples_per_second << " samples/s; wrote "
       << out << "/{metrics.csv,schedule.csv,summary.json}";
  std::cout << tail.str() << std::endl;
  return 0;
}

}  // namespace app
