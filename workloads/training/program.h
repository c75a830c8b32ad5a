#pragma once
// A Program: the ordered operations one iteration of a workload performs, each tagged with
// its layer, phase and the tensors it touches. Schemes (inference, fp32, qat, rct) lower a
// Network into a Program.

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/network/network.h"
#include "workloads/training/precision.h"

namespace workloads {

/// What a tensor is, for breaking every counter down.
enum class TensorClass : std::uint8_t {
  kWeight,
  kMasterWeight,
  kActivation,
  kPsum,
  kGradient,
  kOptimizerState,
  kIntermediate,  // partial products of a ttm layer's contraction steps (docs/tensorized.md)
};
inline constexpr std::size_t kTensorClassCount = 7;
const char* tensor_class_name(TensorClass cls);

/// Which part of an iteration an op belongs to.
enum class Phase : std::uint8_t { kFwd, kBwdData, kBwdWeight, kUpdate };
inline constexpr std::size_t kPhaseCount = 4;
const char* phase_name(Phase phase);

/// Training or inference scheme.
enum class Scheme { kInference, kFp32, kQat, kRct };
const char* scheme_name(Scheme scheme);

/// Packed size of `elements` values of `bits` each, stored in containers of `container_bits`
/// (0 = packed densely): ceil(elements * stored_bits / 8).
std::uint64_t packed_bytes(std::uint64_t elements, std::uint32_t bits,
                           std::uint32_t container_bits = 0);

/// One operand of an op: which tensor, its class and its element width.
struct TensorRef {
  TensorClass cls = TensorClass::kActivation;
  std::uint32_t bits = 8;
  NumberKind kind = NumberKind::kInt;
};

/// GEMMs run on the PE array, vector ops on the vector unit.
enum class OpKind : std::uint8_t { kGemm, kVector };

/// Where an op's tensor lives, so the driver can give it a DRAM address: the layer that owns
/// it and its role in that layer.
enum class TensorRole : std::uint8_t {
  kInput,         // the layer's input activation (the previous layer's output)
  kOutput,        // the layer's output activation
  kWeight,        // the weights GEMMs read (quantised copy under QAT)
  kMaster,        // QAT's FP32 master weights
  kWeightGrad,    // dW
  kInputGrad,     // dX (the previous layer's output gradient)
  kOutputGrad,    // dY
  kState0,        // optimizer state (momentum, Adam's first moment)
  kState1,        // Adam's second moment
  kIntermediate,  // a ttm layer's partial products (each op addresses its part by offset)
};
inline constexpr std::size_t kTensorRoleCount = 10;

/// One operand of a vector op.
struct VectorOperand {
  TensorRef ref;
  TensorRole role = TensorRole::kInput;
  bool on_chip = false;  // held in the accelerator's SRAM: no DRAM traffic
};

/// One op of a program. A GEMM computes C (m x n) = A (m x k) * B (k x n), repeated `groups`
/// times; a vector op streams `elements` through the vector unit, reading `inputs` and
/// writing `outputs` element by element.
struct GemmOp {
  OpKind kind = OpKind::kGemm;
  std::uint32_t layer = 0;  // index into Network::layers
  Phase phase = Phase::kFwd;
  GemmShape shape;
  TensorRef a{TensorClass::kActivation, 8};  // streamed operand (ifmap / im2col rows)
  TensorRef b{TensorClass::kWeight, 8};      // stationary candidate operand (filters)
  TensorRef c{TensorClass::kActivation, 8};  // result
  std::uint32_t acc_bits = 32;               // partial-sum width
  // GEMM operand roles (what the driver allocates for A, B and C).
  TensorRole a_role = TensorRole::kInput, b_role = TensorRole::kWeight,
             c_role = TensorRole::kOutput;
  bool conv_geometry = true;  // A is read as a convolution input (halo), else a plain matrix
  // Where in its (layer, role) region each operand starts, in elements: the cores of a ttm
  // layer share the layer's weight region, its partial products the intermediate region.
  std::uint64_t a_offset = 0, b_offset = 0, c_offset = 0;
  // Operands held in the accelerator's SRAM across ops (no DRAM traffic): ttm intermediates
  // and resident TT cores (docs/tensorized.md, "On chip or spilled").
  bool a_on_chip = false, b_on_chip = false, c_on_chip = false;
  // Vector ops.
  std::string name;  // e.g. "relu", "sgd_momentum", "quantize"
  std::uint64_t elements = 0;
  std::uint32_t ops_per_element = 1;  // arithmetic operations per element
  std::vector<VectorOperand> inputs;
  std::vector<VectorOperand> outputs;
};

/// Short name of a role ("input", "weight_grad", ...).
const char* tensor_role_name(TensorRole role);

/// An iteration's operations, in execution order.
struct Program {
  Scheme scheme = Scheme::kInference;
  std::vector<GemmOp> ops;
};

/// True for the ops a functional run checks against a reference product: forward GEMMs of fc
/// and gemm layers, and forward steps of ttm layers whose operands all live in DRAM (the host
/// places fresh operands there before each checked op).
bool functionally_checked(const Network& network, const GemmOp& op);

/// Lowers a network for inference: one forward GEMM per layer, each operand at its layer's
/// width (`precision` has one entry per layer; empty means int8 with int32 accumulators).
Program lower_inference(const Network& network, const std::vector<LayerPrecision>& precision = {});

}  // namespace workloads
