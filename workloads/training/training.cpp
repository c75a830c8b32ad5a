#include "workloads/training/training.h"

#include <set>

namespace workloads {

TrainingParams parse_training(const sim::ConfigNode& node) {
  TrainingParams p;
  p.optimizer = node.get_choice("optimizer", p.optimizer, {"sgd", "sgd_momentum", "adam"});
  p.rct_optimizer =
      node.get_choice("rct_optimizer", p.rct_optimizer, {"sgd", "sgd_momentum", "adam"});
  p.optimizer_state_bits =
      static_cast<std::uint32_t>(node.get_positive("optimizer_state_bits", p.optimizer_state_bits));
  if (p.optimizer_state_bits > 32) {
    node.fail("optimizer_state_bits",
              "must be at most 32, got " + std::to_string(p.optimizer_state_bits));
  }
  p.qat_gradient = node.get<std::string>("qat_gradient", p.qat_gradient);
  NumberFormat check;
  if (!parse_number_format(p.qat_gradient, check)) {
    node.fail("qat_gradient", "must be an integer width from 1 to 32 or fp32|fp16|bf16, got '" +
                                  p.qat_gradient + "'");
  }
  p.recompute_activations = node.get<bool>("recompute_activations", p.recompute_activations);
  p.iterations = node.get_positive("iterations", p.iterations);
  p.rct_policy = quant::parse_rct_policy(node.child("rct_policy"));
  p.gradient_model = parse_gradient_model(node.child("gradient_model"));
  return p;
}

Scheme parse_scheme(const std::string& name) {
  if (name == "fp32") return Scheme::kFp32;
  if (name == "qat") return Scheme::kQat;
  if (name == "rct") return Scheme::kRct;
  return Scheme::kInference;
}

namespace {

constexpr NumberFormat kFp32{NumberKind::kFp32, 32};

TensorRef ref(TensorClass cls, const NumberFormat& f) { return TensorRef{cls, f.bits, f.kind}; }

/// Formats a scheme uses for one layer.
struct SchemeFormats {
  NumberFormat w, a, g, acc, state;
};

SchemeFormats formats(const LayerPrecision& p, Scheme scheme, const TrainingParams& t) {
  SchemeFormats f{p.w, p.a, p.g, p.acc, {NumberKind::kInt, t.optimizer_state_bits}};
  if (t.optimizer_state_bits == 32) f.state = kFp32;
  switch (scheme) {
    case Scheme::kFp32:
      f = {kFp32, kFp32, kFp32, kFp32, kFp32};
      break;
    case Scheme::kQat:
      parse_number_format(t.qat_gradient, f.g);
      break;
    case Scheme::kRct:
    case Scheme::kInference:
      break;
  }
  return f;
}

std::uint32_t state_tensors(const std::string& optimizer) {
  return optimizer == "adam" ? 2 : optimizer == "sgd_momentum" ? 1 : 0;
}

}  // namespace

TtmFormats ttm_formats(const Network& network, const std::vector<LayerPrecision>& precision,
                       Scheme scheme, const TrainingParams& training, std::uint32_t layer) {
  auto layer_formats = [&](std::size_t i) {
    return formats(i < precision.size() ? precision[i] : LayerPrecision{}, scheme, training);
  };
  const SchemeFormats f = layer_formats(layer);
  const std::size_t count = network.layers.size();
  TtmFormats t;
  t.input = ref(TensorClass::kActivation, f.a);
  t.core = ref(TensorClass::kWeight, f.w);
  t.output = ref(TensorClass::kActivation, layer + 1 < count ? layer_formats(layer + 1).a : f.a);
  t.intermediate = ref(TensorClass::kIntermediate, f.a);
  t.output_grad = ref(TensorClass::kGradient, f.g);
  t.input_grad = ref(TensorClass::kGradient, layer > 0 ? layer_formats(layer - 1).g : f.g);
  t.grad_intermediate = ref(TensorClass::kIntermediate, f.g);
  t.core_grad = ref(TensorClass::kGradient, scheme == Scheme::kRct ? f.g : kFp32);
  t.acc_bits = f.acc.bits;
  if (scheme != Scheme::kInference) {
    const std::string optimizer =
        scheme == Scheme::kRct ? training.rct_optimizer : training.optimizer;
    t.update_state_bits = std::uint64_t{f.state.bits} * state_tensors(optimizer);
    if (scheme == Scheme::kQat) t.master_bits = 32;
  }
  return t;
}

Program lower_program(const Network& network, const std::vector<LayerPrecision>& precision,
                      Scheme scheme, const TrainingParams& training,
                      const TtmPlacement& placement) {
  Program program;
  program.scheme = scheme;
  const std::size_t count = network.layers.size();
  auto layer_formats = [&](std::size_t i) {
    return formats(i < precision.size() ? precision[i] : LayerPrecision{}, scheme, training);
  };
  // Where each ttm layer's cores and partials live, decided once for the whole program.
  const bool is_training = scheme != Scheme::kInference;
  std::vector<TtmLayerPlacement> ttm_place(count);
  std::uint64_t core_budget = placement.core_bytes;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!network.layers[i].is_ttm()) continue;
    ttm_place[i] = place_ttm_layer(network, i, ttm_formats(network, precision, scheme, training, i),
                                   is_training, placement, core_budget);
  }
  auto ttm_forward = [&](std::uint32_t i, Phase phase) {
    append_ttm_forward(program.ops, network, i, phase,
                       ttm_formats(network, precision, scheme, training, i), ttm_place[i],
                       is_training);
  };
  auto gemm_op = [&](std::uint32_t i, Phase phase) {
    GemmOp op;
    op.kind = OpKind::kGemm;
    op.layer = i;
    op.phase = phase;
    op.acc_bits = layer_formats(i).acc.bits;
    return op;
  };

  // Forward: every layer in order; its outputs are the activations saved for backward.
  auto forward = [&](std::uint32_t i, Phase phase) {
    const Layer& layer = network.layers[i];
    const SchemeFormats f = layer_formats(i);
    const NumberFormat out = i + 1 < count ? layer_formats(i + 1).a : f.a;
    if (!layer.runs_on_pe_array()) {
      GemmOp op;
      op.kind = OpKind::kVector;
      op.layer = i;
      op.phase = phase;
      op.name = layer.op.empty() ? "vector" : layer.op;
      op.elements =
          std::max(layer.output_elements(network.batch), layer.input_elements(network.batch));
      op.inputs = {{ref(TensorClass::kActivation, f.a), TensorRole::kInput}};
      op.outputs = {{ref(TensorClass::kActivation, out), TensorRole::kOutput}};
      return op;
    }
    GemmOp op = gemm_op(i, phase);
    op.shape = layer.gemm(network.batch);
    op.a = ref(TensorClass::kActivation, f.a);
    // Attention's second operand is an activation, not a weight.
    op.b = layer.b_is_weight ? ref(TensorClass::kWeight, f.w) : ref(TensorClass::kActivation, f.a);
    op.c = ref(TensorClass::kActivation, out);
    return op;
  };
  // Layout layers (flatten, reshape, ...) only rename data; they cost nothing here.
  auto is_layout = [&](std::uint32_t i) { return network.layers[i].type == LayerType::kLayout; };
  for (std::uint32_t i = 0; i < count; ++i) {
    if (network.layers[i].is_ttm()) {
      ttm_forward(i, Phase::kFwd);
    } else if (!is_layout(i)) {
      program.ops.push_back(forward(i, Phase::kFwd));
    }
  }
  if (scheme == Scheme::kInference) return program;

  // Loss: softmax and cross-entropy over the last output produce the first gradient.
  {
    const std::uint32_t last = static_cast<std::uint32_t>(count - 1);
    GemmOp loss;
    loss.kind = OpKind::kVector;
    loss.layer = last;
    loss.phase = Phase::kBwdData;
    loss.name = "softmax_cross_entropy";
    loss.elements = network.layers[last].output_elements(network.batch);
    loss.ops_per_element = 4;
    loss.inputs = {{ref(TensorClass::kActivation, layer_formats(last).a), TensorRole::kOutput}};
    loss.outputs = {{ref(TensorClass::kGradient, layer_formats(last).g), TensorRole::kOutputGrad}};
    program.ops.push_back(loss);
  }

  // Backward, last layer first.
  for (std::uint32_t step = 0; step < count; ++step) {
    const std::uint32_t i = static_cast<std::uint32_t>(count - 1 - step);
    const Layer& layer = network.layers[i];
    const SchemeFormats f = layer_formats(i);
    if (is_layout(i)) continue;
    if (!layer.runs_on_pe_array()) {
      GemmOp op;
      op.kind = OpKind::kVector;
      op.layer = i;
      op.phase = Phase::kBwdData;
      op.name = (layer.op.empty() ? std::string("vector") : layer.op) + "_backward";
      op.elements =
          std::max(layer.output_elements(network.batch), layer.input_elements(network.batch));
      op.inputs = {{ref(TensorClass::kGradient, f.g), TensorRole::kOutputGrad},
                   {ref(TensorClass::kActivation, f.a), TensorRole::kInput}};
      op.outputs = {{ref(TensorClass::kGradient, f.g), TensorRole::kInputGrad}};
      if (i > 0) program.ops.push_back(op);
      continue;
    }
    const GemmShape fwd = layer.gemm(network.batch);
    if (training.recompute_activations && i > 0 && !is_layout(i - 1)) {
      // The saved input is not kept: the previous layer's forward runs again.
      if (network.layers[i - 1].is_ttm()) {
        ttm_forward(i - 1, Phase::kBwdData);
      } else {
        program.ops.push_back(forward(i - 1, Phase::kBwdData));
      }
    }
    if (layer.is_ttm()) {
      append_ttm_backward(program.ops, network, i,
                          ttm_formats(network, precision, scheme, training, i), ttm_place[i],
                          i > 0);
    }
    // Backward-data: dX (m x k) = dY (m x n) * W^T (n x k); not needed for the first layer.
    if (i > 0 && !layer.is_ttm()) {
      GemmOp op = gemm_op(i, Phase::kBwdData);
      // Grouped (depthwise) layers fold their groups into the rows: same MACs and operands.
      op.shape = {fwd.m * fwd.groups, fwd.k, fwd.n, 1};
      op.a = ref(TensorClass::kGradient, f.g);
      op.b =
          layer.b_is_weight ? ref(TensorClass::kWeight, f.w) : ref(TensorClass::kActivation, f.a);
      op.c = ref(TensorClass::kGradient, layer_formats(i - 1).g);
      op.a_role = TensorRole::kOutputGrad;
      op.b_role = TensorRole::kWeight;
      op.c_role = TensorRole::kInputGrad;
      op.conv_geometry = false;
      program.ops.push_back(op);
    }
    // Backward-weight: dW (k x n) = X^T (k x m) * dY (m x n), reading the saved input again.
    if (!layer.is_ttm()) {
      GemmOp op = gemm_op(i, Phase::kBwdWeight);
      op.shape = {fwd.k, fwd.n * fwd.groups, fwd.m, 1};
      op.a = ref(TensorClass::kActivation, f.a);
      op.b = ref(TensorClass::kGradient, f.g);
      op.c = ref(TensorClass::kGradient, scheme == Scheme::kRct ? f.g : kFp32);
      op.a_role = TensorRole::kInput;
      op.b_role = TensorRole::kOutputGrad;
      op.c_role = TensorRole::kWeightGrad;
      op.conv_geometry = false;
      program.ops.push_back(op);
    }
    // Update: an elementwise pass over the layer's parameters on the vector unit (layers whose
    // second operand is an activation, such as attention's products, have none).
    if (layer.weight_elements() > 0) {
      GemmOp op;
      op.kind = OpKind::kVector;
      op.layer = i;
      op.phase = Phase::kUpdate;
      op.elements = layer.weight_elements();
      const std::string optimizer =
          scheme == Scheme::kRct ? training.rct_optimizer : training.optimizer;
      const std::uint32_t states = state_tensors(optimizer);
      op.name = optimizer + (scheme == Scheme::kQat ? "_master_quantize" : "") +
                (scheme == Scheme::kRct ? "_stochastic_rounding" : "");
      op.ops_per_element = 2 + 3 * states + (scheme == Scheme::kFp32 ? 0 : 2);
      const TensorRef grad = scheme == Scheme::kRct ? ref(TensorClass::kGradient, f.g)
                                                    : ref(TensorClass::kGradient, kFp32);
      if (scheme == Scheme::kQat) {
        // The FP32 master is read and written; the quantised copy the GEMMs read is written.
        op.inputs.push_back({ref(TensorClass::kMasterWeight, kFp32), TensorRole::kMaster});
        op.outputs.push_back({ref(TensorClass::kMasterWeight, kFp32), TensorRole::kMaster});
        op.outputs.push_back({ref(TensorClass::kWeight, f.w), TensorRole::kWeight});
      } else {
        op.inputs.push_back({ref(TensorClass::kWeight, f.w), TensorRole::kWeight});
        op.outputs.push_back({ref(TensorClass::kWeight, f.w), TensorRole::kWeight});
      }
      op.inputs.push_back({grad, TensorRole::kWeightGrad});
      for (std::uint32_t s = 0; s < states; ++s) {
        const TensorRole role = s == 0 ? TensorRole::kState0 : TensorRole::kState1;
        op.inputs.push_back({ref(TensorClass::kOptimizerState, f.state), role});
        op.outputs.push_back({ref(TensorClass::kOptimizerState, f.state), role});
      }
      // Resident TT cores are updated where they are, with their gradients and state.
      if (layer.is_ttm() && ttm_place[i].cores_on_chip) {
        for (auto* list : {&op.inputs, &op.outputs}) {
          for (auto& operand : *list) operand.on_chip = true;
        }
      }
      program.ops.push_back(op);
    }
  }
  return program;
}

ActivationMemory activation_memory(const Network& network, const Program& program,
                                   std::uint32_t container_bits) {
  ActivationMemory memory;
  const bool training = program.scheme != Scheme::kInference;
  const std::size_t count = network.layers.size();
  std::vector<std::uint64_t> in(count, 0), out(count, 0), partial_peak(count, 0);
  std::set<std::pair<std::uint32_t, std::uint64_t>> kept;  // (layer, offset) of kept partials
  auto bytes = [&](std::uint64_t elements, const TensorRef& r) {
    return packed_bytes(elements, r.bits, container_bits);
  };
  for (const auto& op : program.ops) {
    const bool forward = op.phase == Phase::kFwd;
    if (op.kind == OpKind::kVector) {
      if (!forward) continue;
      for (const auto& o : op.inputs) {
        if (o.role == TensorRole::kInput) {
          in[op.layer] = std::max(in[op.layer], bytes(op.elements, o.ref));
        }
      }
      for (const auto& o : op.outputs) {
        if (o.role == TensorRole::kOutput) {
          out[op.layer] = std::max(out[op.layer], bytes(op.elements, o.ref));
        }
      }
      continue;
    }
    const std::uint64_t a = bytes(op.shape.m * op.shape.k * op.shape.groups, op.a);
    const std::uint64_t b = bytes(op.shape.k * op.shape.n * op.shape.groups, op.b);
    const std::uint64_t c = bytes(op.shape.m * op.shape.n * op.shape.groups, op.c);
    if (forward && op.a_role == TensorRole::kInput) {
      const Layer& layer = network.layers[op.layer];
      in[op.layer] = std::max(in[op.layer], op.conv_geometry && layer.is_conv()
                                                ? bytes(layer.input_elements(network.batch), op.a)
                                                : a);
    }
    if (forward && op.c_role == TensorRole::kOutput) out[op.layer] = std::max(out[op.layer], c);
    if (training) {
      // Every partial a step writes is kept for the core gradients.
      if (op.c_role == TensorRole::kIntermediate && kept.insert({op.layer, op.c_offset}).second) {
        memory.intermediate_bytes += c;
      }
    } else {
      std::uint64_t pair = 0;
      if (op.a_role == TensorRole::kIntermediate) pair += a;
      if (op.b_role == TensorRole::kIntermediate) pair += b;
      if (op.c_role == TensorRole::kIntermediate) pair += c;
      partial_peak[op.layer] = std::max(partial_peak[op.layer], pair);
    }
  }
  if (training) {
    bool first = true;
    for (std::size_t i = 0; i < count; ++i) {
      if (first && in[i] > 0) {
        memory.activation_bytes += in[i];
        first = false;
      }
      memory.activation_bytes += out[i];
    }
    return memory;
  }
  std::uint64_t peak = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (in[i] + out[i] + partial_peak[i] > peak) {
      peak = in[i] + out[i] + partial_peak[i];
      memory.activation_bytes = in[i] + out[i];
      memory.intermediate_bytes = partial_peak[i];
    }
  }
  return memory;
}

std::uint64_t parameter_memory_bytes(const Network& network,
                                     const std::vector<LayerPrecision>& precision, Scheme scheme,
                                     const TrainingParams& training) {
  std::uint64_t bits = 0;
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    const std::uint64_t params = network.layers[i].weight_elements();
    const SchemeFormats f =
        formats(i < precision.size() ? precision[i] : LayerPrecision{}, scheme, training);
    bits += params * f.w.bits;
    if (scheme == Scheme::kQat) bits += params * 32;  // the FP32 master copy
    if (scheme != Scheme::kInference) {
      const std::string optimizer =
          scheme == Scheme::kRct ? training.rct_optimizer : training.optimizer;
      bits += params * f.state.bits * state_tensors(optimizer);
    }
  }
  return (bits + 7) / 8;
}

}  // namespace workloads
