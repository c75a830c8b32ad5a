#pragma once
// Turns the options of a run (platform, workload, scheme, overrides) into a checked config,
// typed platform params, a network and its program, before anything is elaborated.

#include <memory>
#include <string>
#include <vector>

#include "platforms/platform.h"
#include "sim/core/config.h"
#include "workloads/network/network.h"
#include "workloads/training/program.h"
#include "workloads/training/training.h"

namespace app {

/// What the user asked for on the command line.
struct RunOptions {
  std::string platform = "edge_npu";  // built-in name or YAML file
  std::string workload = "tiny_cnn";  // built-in name or YAML file
  std::string scheme;                 // empty: from --config, else inference
  std::string config_file;            // a config.resolved.yaml to reproduce
  std::vector<std::string> sets;      // key.path=value overrides
  bool vcd = false;
  std::string scalesim_config;           // a SCALE-Sim .cfg applied over the platform
  std::string bitwidth_schedule;         // schedule.csv from `edgesim train`
  std::string topology_format = "auto";  // for .csv workloads: conv | gemm | auto
};

/// Everything a simulation needs, validated.
struct RunSetup {
  std::unique_ptr<sim::Config> config;
  platforms::PlatformParams platform;
  workloads::Network network;
  workloads::Program program;
  std::string scheme;
  workloads::TrainingParams training;
  std::vector<workloads::LayerPrecision> precision;
  /// Runs of iterations with identical widths (one for a static run); each is simulated once
  /// and counted for its iterations.
  std::vector<workloads::BitwidthPhase> phases;
  /// rct: the per-layer widths the policy chose (schedule.csv).
  workloads::quant::BitwidthSchedule schedule;
};

/// Loads, overrides, parses and validates; throws sim::ConfigError on any user mistake.
RunSetup prepare_run(const RunOptions& options);

/// Names of the built-in files of a kind ("platform" or "workload").
std::vector<std::string> builtin_names(const std::string& kind);

}  // namespace app
