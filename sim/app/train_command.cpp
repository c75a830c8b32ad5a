// `edgesim train`: real training on Fashion-MNIST under fp32, QAT or RCT (workloads/numerics).
#include <Eigen/Core>
#include <boost/program_options.hpp>
#include <filesystem>
#include <iostream>
#include <limits>
#include <sstream>
#include <string>

#include "sim/app/commands.h"
#include "sim/core/config.h"
#include "workloads/numerics/mnist.h"
#include "workloads/numerics/trainer.h"
#include "workloads/quant/schedule.h"
#include "workloads/quant/ultra_low.h"

namespace app {
namespace {

namespace po = boost::program_options;
namespace numerics = workloads::numerics;
namespace quant = workloads::quant;

constexpr const char* kUsage =
    "usage: edgesim train --model mlp|lenet5 --scheme fp32|qat|rct [options]\n"
    "       edgesim train --model tt_mlp [options]   (tensor-train MLP with rank pruning; "
    "see edgesim train --model tt_mlp --help)";

constexpr const char* kExamples = R"(Examples:
  edgesim train --model mlp --scheme fp32 --out runs/mlp-fp32
  edgesim train --model lenet5 --scheme qat --w-bits 8 --epochs 15 --out runs/lenet5-qat
  edgesim train --model lenet5 --scheme qat --w-quantizer ul2q --w-bits 2 --out runs/lenet5-ul2q2
  edgesim train --model lenet5 --scheme qat --w-quantizer binary --out runs/lenet5-binary
  edgesim train --model mlp --scheme rct --rct-t-min 2 --rct-t-max 16 --rct-k 100 --out runs/mlp-rct
  edgesim train --model mlp --scheme rct --train-subset 2000 --epochs 2 --out /tmp/quick

Outputs in --out: metrics.csv (per epoch), schedule.csv (per layer and iteration window:
widths, G_avg, underflow fraction; read by `edgesim run --bitwidth-schedule`) and
summary.json (accuracy, average widths, parameter memory in bits). Formats: docs/numerics.md.
)";

// Options as typed on the command line: integers are read signed so that "-3" is reported
// instead of wrapping around in an unsigned type.
struct CommandLine {
  std::string model = "mlp";
  std::string scheme = "fp32";
  long long epochs = 0, batch = 0, seed = 0, train_subset = 0, test_subset = 0;
  long long w_bits = 0, a_bits = 0, g_bits = 0;
  long long initial_bits = 0, b_min = 0, b_max = 0, k_iterations = 0;
  std::string lr_schedule = "cosine";
  std::string scale = "pow2";
  std::string w_quantizer = "uniform";
  std::string a_format = "signed";
  std::string rct_update_rounding = "stochastic";
  std::string data_dir = numerics::kDefaultFashionMnistDir;
  std::string out = "runs/train";
};

po::options_description make_options(const numerics::TrainOptions& d, numerics::TrainOptions& o,
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
     "network: mlp (784-512-10) or lenet5 (conv 6, conv 16, fc 120-84-10); tt_mlp (the MLP "
     "with tensor-train layers and rank pruning) has its own options, see --model tt_mlp --help")
    ("scheme", po::value(&c.scheme)->default_value(c.scheme),
     "precision scheme: fp32; qat (FP32 master + fake-quantised copy, STE); "
     "rct (integer weights only, stochastic-rounding updates, G_avg bitwidth policy)")
    ("epochs", integer(&c.epochs, d.epochs), "passes over the training set")
    ("batch", integer(&c.batch, d.batch), "minibatch size")
    ("lr", real(&o.lr, d.lr), "peak learning rate of SGD")
    ("lr-schedule", po::value(&c.lr_schedule)->default_value(c.lr_schedule),
     "cosine (decays to 0 over the run) or constant")
    ("momentum", real(&o.momentum, d.momentum),
     "SGD momentum in [0, 1); 0 = plain SGD, no FP32 optimizer state")
    ("seed", integer(&c.seed, static_cast<long long>(d.seed)),
     "seed of initialisation, shuffling and stochastic rounding; same seed = identical outputs")
    ("train-subset", integer(&c.train_subset, 0),
     "use only the first N training images (0 = all 60000)")
    ("test-subset", integer(&c.test_subset, 0),
     "use only the first N test images (0 = all 10000)")
    ("data-dir", po::value(&c.data_dir)->default_value(c.data_dir),
     "folder with the Fashion-MNIST IDX files (Debian package dataset-fashion-mnist)")
    ("out", po::value(&c.out)->default_value(c.out), "output folder (created if missing)")
    ("w-bits", integer(&c.w_bits, d.w_bits),
     "qat: weight width in bits (default 1 for binary, 2 for ternary)")
    ("w-quantizer", po::value(&c.w_quantizer)->default_value(c.w_quantizer),
     "qat: weight quantiser: uniform (fixed point, step from max |w| and --scale; 2-32 bits), "
     "ul2q (standardised by mean and std, L2-optimal uniform grid; 1-16 bits), binary "
     "(mean|w| sign(w); 1 bit), ternary (TWN: threshold 0.7 mean|w|; 2 bits)")
    ("a-bits", integer(&c.a_bits, d.a_bits), "qat, rct: width of every GEMM's input activations")
    ("a-format", po::value(&c.a_format)->default_value(c.a_format),
     "qat, rct: signed (symmetric grid, step from max |x|, for every activation) or unsigned "
     "(activations with no negative value, i.e. after a ReLU, on 2^a-bits levels from 0; "
     "others stay signed)")
    ("g-bits", integer(&c.g_bits, d.g_bits),
     "width of the output gradients fed to the backward GEMMs (stochastic rounding); "
     "0 = scheme default (qat 32 = FP32, rct 8)")
    ("scale", po::value(&c.scale)->default_value(c.scale),
     "step of every fixed-point format: pow2 (power of two) or float")
    ("rct-initial-bits", integer(&c.initial_bits, d.policy.initial_bits),
     "rct: every layer's weight width at the start")
    ("rct-b-min", integer(&c.b_min, d.policy.b_min),
     "rct: smallest weight width the policy may choose")
    ("rct-b-max", integer(&c.b_max, d.policy.b_max),
     "rct: largest weight width the policy may choose")
    ("rct-t-min", real(&o.policy.t_min, d.policy.t_min),
     "rct: a layer whose G_avg = mean|dW| / step is below this gains a bit")
    ("rct-t-max", real(&o.policy.t_max, d.policy.t_max),
     "rct: a layer whose G_avg is above this loses a bit")
    ("rct-k", integer(&c.k_iterations, d.policy.k_iterations),
     "rct: policy interval in iterations (also the schedule.csv window for every scheme)")
    ("rct-headroom", real(&o.rct_headroom, d.rct_headroom),
     "rct: initial weight range = this x max |initial weight|")
    ("rct-update-rounding", po::value(&c.rct_update_rounding)->default_value(c.rct_update_rounding),
     "rct: rounding of the weight update: stochastic, or nearest (an ablation: updates below "
     "half a step are lost)");
  // clang-format on
  return desc;
}

// A command-line integer in [lo, hi], or a ConfigError naming the option.
std::uint64_t checked(const char* option, long long value, long long lo, long long hi) {
  if (value < lo || value > hi)
    throw sim::ConfigError(std::string("edgesim train: --") + option + ": must be in [" +
                           std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                           std::to_string(value));
  return static_cast<std::uint64_t>(value);
}

numerics::TrainOptions to_train_options(const CommandLine& c, bool w_bits_given,
                                        numerics::TrainOptions o) {
  constexpr long long kBig = 1LL << 31;
  o.model = c.model;
  o.scheme = numerics::parse_train_scheme(c.scheme);
  o.epochs = static_cast<std::uint32_t>(checked("epochs", c.epochs, 1, 100000));
  o.batch = static_cast<std::uint32_t>(checked("batch", c.batch, 1, 60000));
  o.seed = checked("seed", c.seed, 0, std::numeric_limits<long long>::max());
  o.w_quantizer = quant::parse_weight_quantizer(c.w_quantizer, "edgesim train: --w-quantizer");
  // Binary and ternary have one width each; it is the default when --w-bits is not given.
  const long long w_bits = w_bits_given || o.w_quantizer == quant::WeightQuantizerKind::kUniform ||
                                   o.w_quantizer == quant::WeightQuantizerKind::kUl2q
                               ? c.w_bits
                               : quant::min_weight_bits(o.w_quantizer);
  o.w_bits = static_cast<std::uint32_t>(checked("w-bits", w_bits, 1, 32));
  o.a_bits = static_cast<std::uint32_t>(checked("a-bits", c.a_bits, 2, 32));
  if (c.a_format != "signed" && c.a_format != "unsigned")
    throw sim::ConfigError("edgesim train: --a-format: must be signed or unsigned, got " +
                           c.a_format);
  o.unsigned_activations = c.a_format == "unsigned";
  if (c.g_bits != 0) o.g_bits = static_cast<std::uint32_t>(checked("g-bits", c.g_bits, 2, 32));
  o.policy.initial_bits =
      static_cast<std::uint32_t>(checked("rct-initial-bits", c.initial_bits, 2, 32));
  o.policy.b_min = static_cast<std::uint32_t>(checked("rct-b-min", c.b_min, 2, 32));
  o.policy.b_max = static_cast<std::uint32_t>(checked("rct-b-max", c.b_max, 2, 32));
  o.policy.k_iterations = static_cast<std::uint32_t>(checked("rct-k", c.k_iterations, 1, kBig));
  if (c.lr_schedule == "cosine")
    o.lr_schedule = numerics::LrSchedule::kCosine;
  else if (c.lr_schedule == "constant")
    o.lr_schedule = numerics::LrSchedule::kConstant;
  else
    throw sim::ConfigError("edgesim train: --lr-schedule: must be one of cosine, constant, got " +
                           c.lr_schedule);
  o.scale = quant::parse_scale_kind(c.scale, "edgesim train: --scale");
  if (c.rct_update_rounding == "stochastic")
    o.rct_update_rounding = quant::RoundingMode::kStochastic;
  else if (c.rct_update_rounding == "nearest")
    o.rct_update_rounding = quant::RoundingMode::kNearestEven;
  else
    throw sim::ConfigError(
        "edgesim train: --rct-update-rounding: must be one of stochastic, nearest, got " +
        c.rct_update_rounding);
  numerics::validate_train_options(o);
  return o;
}

}  // namespace

int train_command(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {  // --model tt_mlp: tensorised training, train_tt_command.cpp
    const std::string arg = argv[i], next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--model=tt_mlp" || (arg == "--model" && next == "tt_mlp"))
      return train_tt_command(argc, argv);
  }
  const numerics::TrainOptions defaults;
  numerics::TrainOptions parsed = defaults;
  CommandLine line;
  const auto desc = make_options(defaults, parsed, line);
  po::variables_map vm;
  try {
    // The parser skips argv[0] (the subcommand name); a stray positional argument is an error.
    po::store(po::command_line_parser(argc, argv)
                  .options(desc)
                  .positional(po::positional_options_description())
                  .run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    throw sim::ConfigError(std::string("edgesim train: ") + e.what() +
                           " (see edgesim train --help)");
  }
  if (vm.count("help")) {
    std::cout << kUsage
              << "\n\nTrains a small network on Fashion-MNIST for real, with the number formats "
                 "the accelerator uses.\n\n"
              << desc << "\n"
              << kExamples;
    return 0;
  }
  const numerics::TrainOptions options = to_train_options(line, !vm["w-bits"].defaulted(), parsed);
  const auto train_subset = checked("train-subset", line.train_subset, 0, 1LL << 40);
  const auto test_subset = checked("test-subset", line.test_subset, 0, 1LL << 40);

  // Dense algebra stays single-threaded, so a seed gives bit-identical results.
  Eigen::setNbThreads(1);
  const auto data = numerics::load_fashion_mnist(line.data_dir, train_subset, test_subset);
  std::error_code ec;
  std::filesystem::create_directories(line.out, ec);
  if (ec)
    throw sim::ConfigError("edgesim train: --out: cannot create " + line.out + ": " + ec.message());

  std::cout << "edgesim train: " << options.model << ", "
            << numerics::train_scheme_name(options.scheme);
  if (options.scheme == numerics::TrainScheme::kQat)
    std::cout << " (" << quant::weight_quantizer_name(options.w_quantizer) << " weights, "
              << options.w_bits << (options.w_bits == 1 ? " bit)" : " bits)");
  std::cout << ", " << data.train.count() << " training / " << data.test.count() << " test images, "
            << options.epochs << " epochs, batch " << options.batch << ", lr " << options.lr
            << ", seed " << options.seed << std::endl;
  const auto result = numerics::train(options, data, [&](const numerics::EpochMetrics& m) {
    std::cout << numerics::format_epoch_line(m, options.epochs) << std::endl;
  });
  numerics::write_metrics_csv(line.out + "/metrics.csv", result);
  quant::write_schedule_csv(line.out + "/schedule.csv", result.schedule);
  numerics::write_summary_json(line.out + "/summary.json", options, result);
  std::ostringstream tail;
  tail.precision(4);
  tail << "final test accuracy " << 100.0 * result.epochs.back().test_accuracy
       << "%, mean weight bits " << result.mean_w_bits << ", parameter memory "
       << result.param_memory_bits << " bits, " << result.samples_per_second << " samples/s; wrote "
       << line.out << "/{metrics.csv,schedule.csv,summary.json}";
  std::cout << tail.str() << std::endl;
  return 0;
}

}  // namespace app
