#pragma once
// Lowering a network into one training iteration: forward, backward-data, backward-weight and
// the weight update, under a scheme (fp32, qat, rct) that decides formats and which tensors
// exist. Every choice the papers leave open is a parameter (docs/training.md).

#include <cstdint>
#include <string>
#include <vector>

#include "sim/core/config.h"
#include "workloads/network/network.h"
#include "workloads/training/precision.h"
#include "workloads/training/program.h"
#include "workloads/training/rct_trajectory.h"
#include "workloads/training/ttm_lowering.h"

namespace workloads {

/// `training` section.
struct TrainingParams {
  std::string optimizer = "sgd_momentum";  // fp32 and qat: sgd | sgd_momentum | adam
  std::string rct_optimizer = "sgd";       // rct keeps no full-precision state by default
  std::uint32_t optimizer_state_bits = 32;
  std::string qat_gradient = "fp32";   // format of gradients under QAT ("fp32" or a width)
  bool recompute_activations = false;  // re-run the forward GEMM instead of re-reading inputs
  std::uint64_t iterations = 1;        // iterations the run stands for
  quant::RctPolicyParams rct_policy;   // rct: the G_avg bitwidth policy
  GradientModel gradient_model;        // rct: gradient statistics the policy sees
};
TrainingParams parse_training(const sim::ConfigNode& node);

/// Parses a scheme name ("inference", "fp32", "qat", "rct").
Scheme parse_scheme(const std::string& name);

/// One iteration of `scheme` over `network` with per-layer `precision` (weights of a layer in
/// rct and qat use its w format; fp32 ignores precision). Inference is the forward pass only.
/// ttm layers become their contraction steps (ttm_lowering.h); `placement` says how much SRAM
/// may keep their cores and partial products (default: none, everything through DRAM).
/// Training needs every ttm layer in a sequential order (std::invalid_argument otherwise).
Program lower_program(const Network& network, const std::vector<LayerPrecision>& precision,
                      Scheme scheme, const TrainingParams& training,
                      const TtmPlacement& placement = {});

/// The formats a ttm layer's ops use under a scheme (what lower_program uses).
TtmFormats ttm_formats(const Network& network, const std::vector<LayerPrecision>& precision,
                       Scheme scheme, const TrainingParams& training, std::uint32_t layer);

/// Memory the data flowing through an iteration takes, from its program.
struct ActivationMemory {
  std::uint64_t activation_bytes = 0;    // layer inputs and outputs
  std::uint64_t intermediate_bytes = 0;  // ttm partial products
  std::uint64_t total() const { return activation_bytes + intermediate_bytes; }
};
/// Inference: the largest layer (its input, output and the largest pair of partials a step
/// reads and writes). Training: every output saved for the backward pass plus the first
/// input, and every kept ttm partial (forward and backward data).
ActivationMemory activation_memory(const Network& network, const Program& program,
                                   std::uint32_t container_bits = 0);

/// Parameter memory of a scheme in bytes: every copy of the weights the scheme keeps, plus
/// optimizer state.
std::uint64_t parameter_memory_bytes(const Network& network,
                                     const std::vector<LayerPrecision>& precision, Scheme scheme,
                                     const TrainingParams& training);

}  // namespace workloads
