#pragma once
// Parameters of the PE array and the throughput rules of its precision modes. Plain C++ (no
// kernel), shared by the SystemC array, the tiler's cost estimates and the tests.

#include <cstdint>
#include <string>

#include "models/pe_array/systolic_model.h"
#include "sim/core/config.h"
#include "workloads/training/precision.h"

namespace models {

/// PE array parameters (`accelerator.pe_array`).
struct PeArrayParams {
  std::uint32_t rows = 16;
  std::uint32_t cols = 16;
  Dataflow dataflow = Dataflow::kWs;
  std::string fidelity = "tile";  // tile | cycle
  std::uint32_t trace_row = 0;    // cycle fidelity: the PE row and column traced in the VCD
  std::uint32_t trace_col = 0;
  std::string precision = "fixed";   // fixed | fused | bit_serial | fp
  std::uint32_t native_bits = 8;     // fixed: operand width of the multipliers
  std::uint32_t brick_bits = 2;      // fused: width of a bit brick
  std::uint32_t fused_max_bits = 8;  // fused: widest operand one fused PE takes in one pass
  double fp32_cycles_per_mac = 4.0;  // fp: cycles a PE needs for one MAC of each format
  double fp16_cycles_per_mac = 1.0;
  double bf16_cycles_per_mac = 1.0;
};

/// Cycles one PE needs per MAC for operands of these formats under the array's precision
/// mode (1 for the native width; below 1 when narrow operands fuse into one PE).
double cycles_per_mac(const PeArrayParams& params, const workloads::NumberFormat& weight,
                      const workloads::NumberFormat& activation);
PeArrayParams parse_pe_array(const sim::ConfigNode& node);

}  // namespace models
