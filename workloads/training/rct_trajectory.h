#pragma once
// The RCT bitwidth policy over many iterations, as the device's software runs it between
// iterations: per-layer widths from the G_avg policy (workloads/quant/rct_policy.h) fed with
// gradient statistics from a documented statistical model, or taken from a schedule written by
// a real training run. Iterations with identical widths form one phase, simulated once.

#include <cstdint>
#include <vector>

#include "sim/core/config.h"
#include "workloads/network/network.h"
#include "workloads/quant/rct_policy.h"
#include "workloads/quant/schedule.h"
#include "workloads/training/precision.h"

namespace workloads {

/// Statistical model of a layer's mean |weight gradient| over training (`training.gradient_model`):
/// mean|g|(t) = g0 x (1 + t / tau_iterations)^(-alpha), against weights spanning
/// [-weight_range, weight_range], so one quantisation step at b bits is weight_range / 2^(b-1).
struct GradientModel {
  double g0 = 0.002;
  double tau_iterations = 500.0;
  double alpha = 1.0;
  double weight_range = 1.0;
};
GradientModel parse_gradient_model(const sim::ConfigNode& node);

/// A run of consecutive iterations with the same per-layer widths.
struct BitwidthPhase {
  std::uint64_t first_iteration = 0;
  std::uint64_t iterations = 0;
  std::vector<LayerPrecision> precision;  // one entry per network layer
};

/// Runs the G_avg policy for `iterations` iterations over the network's parameterised layers
/// (starting from `initial`, whose weight widths are replaced by the policy's initial width)
/// and returns the phases; `schedule` receives the per-layer rows (schedule.csv).
std::vector<BitwidthPhase> rct_policy_phases(const Network& network,
                                             const std::vector<LayerPrecision>& initial,
                                             const quant::RctPolicyParams& policy,
                                             const GradientModel& model, std::uint64_t iterations,
                                             quant::BitwidthSchedule& schedule);

/// Phases from a schedule written by a real run (rows matched to layers by name).
std::vector<BitwidthPhase> schedule_phases(const Network& network,
                                           const std::vector<LayerPrecision>& base,
                                           const quant::BitwidthSchedule& schedule);

}  // namespace workloads
