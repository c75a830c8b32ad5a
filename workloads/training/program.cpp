#include "workloads/training/program.h"

#include "workloads/training/ttm_lowering.h"

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
    case TensorClass::kIntermediate:
      return "intermediate";
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

const char* tensor_role_name(TensorRole role) {
  switch (role) {
    case TensorRole::kInput:
      return "input";
    case TensorRole::kOutput:
      return "output";
    case TensorRole::kWeight:
      return "weight";
    case TensorRole::kMaster:
      return "master";
    case TensorRole::kWeightGrad:
      return "weight_grad";
    case TensorRole::kInputGrad:
      return "input_grad";
    case TensorRole::kOutputGrad:
      return "output_grad";
    case TensorRole::kState0:
      return "state0";
    case TensorRole::kState1:
      return "state1";
    case TensorRole::kIntermediate:
      return "intermediate";
  }
  return "input";
}

bool functionally_checked(const Network& network, const GemmOp& op) {
  if (op.kind != OpKind::kGemm || op.phase != Phase::kFwd) return false;
  const Layer& layer = network.layers.at(op.layer);
  if (layer.is_conv()) return false;
  return !layer.is_ttm() || (!op.a_on_chip && !op.b_on_chip && !op.c_on_chip);
}

Program lower_inference(const Network& network, const std::vector<LayerPrecision>& precision) {
  Program program;
  program.scheme = Scheme::kInference;
  auto layer_precision = [&](std::size_t i) {
    return i < precision.size() ? precision[i] : LayerPrecision{};
  };
  auto ref = [](TensorClass cls, const NumberFormat& f) { return TensorRef{cls, f.bits, f.kind}; };
  for (std::uint32_t i = 0; i < network.layers.size(); ++i) {
    const LayerPrecision p = layer_precision(i);
    // A layer writes its output in the width the next layer reads.
    const NumberFormat out = i + 1 < network.layers.size() ? layer_precision(i + 1).a : p.a;
    if (!network.layers[i].runs_on_pe_array()) continue;
    if (network.layers[i].is_ttm()) {
      TtmFormats f;
      f.input = ref(TensorClass::kActivation, p.a);
      f.core = ref(TensorClass::kWeight, p.w);
      f.output = ref(TensorClass::kActivation, out);
      f.intermediate = ref(TensorClass::kIntermediate, p.a);
      f.acc_bits = p.acc.bits;
      append_ttm_forward(program.ops, network, i, Phase::kFwd, f, {}, false);
      continue;
    }
    GemmOp op;
    op.layer = i;
    op.phase = Phase::kFwd;
    op.shape = network.layers[i].gemm(network.batch);
    op.a = ref(TensorClass::kActivation, p.a);
    op.b = network.layers[i].b_is_weight ? ref(TensorClass::kWeight, p.w)
                                         : ref(TensorClass::kActivation, p.a);
    op.c = ref(TensorClass::kActivation, out);
    op.acc_bits = p.acc.bits;
    program.ops.push_back(op);
  }
  return program;
}

}  // namespace workloads
