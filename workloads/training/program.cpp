#include "workloads/training/program.h"

namespace workloads {

const char* tensor_class_name(TensorClass cls) {
  switch (cls) {
    case TensorClass::kWeight:
      return "weight";
    case TensorClass::kMasterWeight:
      return "master_weight";
    case TensorClass::kActivation:
      return "activation";
    case TensorClass::kPsum:
      return "psum";
    case TensorClass::kGradient:
      return "gradient";
    case TensorClass::kOptimizerState:
      return "optimizer_state";
  }
  return "activation";
}

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kFwd:
      return "fwd";
    case Phase::kBwdData:
      return "bwd_data";
    case Phase::kBwdWeight:
      return "bwd_weight";
    case Phase::kUpdate:
      return "update";
  }
  return "fwd";
}

const char* scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::kInference:
      return "inference";
    case Scheme::kFp32:
      return "fp32";
    case Scheme::kQat:
      return "qat";
    case Scheme::kRct:
      return "rct";
  }
  return "inference";
}

std::uint64_t packed_bytes(std::uint64_t elements, std::uint32_t bits,
                           std::uint32_t container_bits) {
  const std::uint64_t stored_bits = container_bits > bits ? container_bits : bits;
  return (elements * stored_bits + 7) / 8;
}

Program lower_inference(const Network& network, const PrecisionParams& precision) {
  Program program;
  program.scheme = Scheme::kInference;
  for (std::uint32_t i = 0; i < network.layers.size(); ++i) {
    GemmOp op;
    op.layer = i;
    op.phase = Phase::kFwd;
    op.shape = network.layers[i].gemm(network.batch);
    op.a = {TensorClass::kActivation, precision.a_bits};
    op.b = {TensorClass::kWeight, precision.w_bits};
    op.c = {TensorClass::kActivation, precision.a_bits};
    op.acc_bits = precision.acc_bits;
    program.ops.push_back(op);
  }
  return program;
}

}  // namespace workloads
