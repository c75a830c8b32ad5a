#pragma once
// Turns the options of a run (platform, workload, scheme, overrides) into a checked config,
// typed platform params, a network and its program, before anything is elaborated.

#include <memory>
#include <string>
#include <vector>

#include "platforms/platform.h"
#include "sim/core/config.h"
#include "workloads/network/network.h"
#include "workloads/network/rank_schedule.h"
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
  std::string rank_schedule;             // rank_schedule.csv: ttm ranks over iterations
  std::string tensorize_file;  // YAML with tensorize: (and tensorize_*) merged into the workload
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
  /// SRAM the lowering may keep ttm cores and partial products in (docs/tensorized.md).
  workloads::TtmPlacement ttm_placement;
  /// With a rank schedule: the network of each phase (its ttm ranks and orders); empty when
  /// every phase runs `network`. `network` is then phase 0's.
  std::vector<workloads::Network> phase_networks;
  /// The rank schedule read (empty without one).
  workloads::RankSchedule rank_schedule;

  /// The network phase `index` runs.
  const workloads::Network& network_of(std::size_t index) const {
    return phase_networks.empty() ? network : phase_networks.at(index);
  }
};

/// The SRAM a platform lends to ttm layers: half the ifmap buffer for partial products and half
/// the weight buffer for resident cores (a quarter of a unified buffer each); none when
/// `on_chip` is false.
workloads::TtmPlacement ttm_placement(const platforms::PlatformParams& platform, bool on_chip);

/// The platform the tiler plans `program` with: its buffers less the SRAM that on-chip ttm
/// tensors hold beside the tiles (ttm_sram_reservation). The simulation runs the full platform.
platforms::PlatformParams planning_platform(const platforms::PlatformParams& platform,
                                            const workloads::Network& network,
                                            const workloads::Program& program);

/// Resolves the contraction order of every auto ttm layer of `network` for `scheme`: by MACs,
/// or with network.tt_order_by == "latency" by the tiler's latency estimate on `platform`.
void choose_ttm_orders(workloads::Network& network, const platforms::PlatformParams& platform,
                       const std::vector<workloads::LayerPrecision>& precision,
                       workloads::Scheme scheme, const workloads::TrainingParams& training,
                       const workloads::TtmPlacement& placement);

/// Loads, overrides, parses and validates; throws sim::ConfigError on any user mistake.
RunSetup prepare_run(const RunOptions& options);

/// Names of the built-in files of a kind ("platform" or "workload").
std::vector<std::string> builtin_names(const std::string& kind);

}  // namespace app
