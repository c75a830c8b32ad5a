#include "workloads/training/ttm_lowering.h"

#include <algorithm>
#include <stdexcept>

namespace workloads {

namespace {

/// Sizes of the intermediates the forward steps write (all but the last step's output), with
/// the format each is stored in: contraction partials at the intermediate format, merged
/// cores (rebuild_dense) at the cores' format.
struct Partial {
  std::uint64_t elements = 0;
  TensorRef ref;
};

std::vector<Partial> forward_partials(const std::vector<TtmStep>& steps, const TtmFormats& f) {
  std::vector<Partial> out;
  for (std::size_t s = 0; s + 1 < steps.size(); ++s) {
    TensorRef ref = f.intermediate;
    if (steps[s].kind == TtmStep::Kind::kMergeCores) {
      ref.bits = f.core.bits;
      ref.kind = f.core.kind;
    }
    out.push_back({steps[s].output_elements, ref});
  }
  return out;
}

std::vector<Partial> backward_partials(const std::vector<TtmStep>& steps, const TtmFormats& f) {
  std::vector<Partial> out;
  for (std::size_t s = 0; s + 1 < steps.size(); ++s) {
    out.push_back({steps[s].output_elements, f.grad_intermediate});
  }
  return out;
}

std::uint64_t bytes_of(const Partial& p, std::uint32_t container_bits) {
  return packed_bytes(p.elements, p.ref.bits, container_bits);
}

std::uint64_t sum_bytes(const std::vector<Partial>& partials, std::uint32_t container_bits) {
  std::uint64_t total = 0;
  for (const auto& p : partials) total += bytes_of(p, container_bits);
  return total;
}

/// Element offsets of consecutive partials in the intermediate region, starting at `base_bytes`
/// (each offset counts elements of that partial's own format).
std::vector<std::uint64_t> offsets(const std::vector<Partial>& partials, std::uint64_t base_bytes,
                                   std::uint32_t container_bits) {
  std::vector<std::uint64_t> out;
  std::uint64_t bytes = base_bytes;
  for (const auto& p : partials) {
    const std::uint64_t bits = std::max<std::uint64_t>(p.ref.bits, container_bits);
    out.push_back((bytes * 8 + bits - 1) / bits);
    bytes = (out.back() * bits + 7) / 8 + bytes_of(p, container_bits);
  }
  return out;
}

struct Operand {
  TensorRef ref;
  TensorRole role = TensorRole::kInput;
  std::uint64_t offset = 0;
  bool on_chip = false;
};

GemmOp make_op(std::uint32_t layer, Phase phase, const TtmStep& step, const Operand& a,
               const Operand& b, const Operand& c, std::uint32_t acc_bits) {
  GemmOp op;
  op.kind = OpKind::kGemm;
  op.layer = layer;
  op.phase = phase;
  op.shape = {step.gemm_m, step.gemm_n, step.gemm_k, 1};
  op.conv_geometry = false;
  op.acc_bits = acc_bits;
  op.a = a.ref;
  op.b = b.ref;
  op.c = c.ref;
  op.a_role = a.role;
  op.b_role = b.role;
  op.c_role = c.role;
  op.a_offset = a.offset;
  op.b_offset = b.offset;
  op.c_offset = c.offset;
  op.a_on_chip = a.on_chip;
  op.b_on_chip = b.on_chip;
  op.c_on_chip = c.on_chip;
  op.name = std::string("ttm_") +
            (step.kind == TtmStep::Kind::kMergeCores     ? "merge"
             : step.kind == TtmStep::Kind::kDenseGemm    ? "dense"
             : step.kind == TtmStep::Kind::kCoreGradient ? "core_grad"
                                                         : "contract") +
            std::to_string(step.core + 1);
  return op;
}

const Layer& ttm_layer(const Network& network, std::uint32_t layer) {
  const Layer& l = network.layers.at(layer);
  if (!l.is_ttm()) throw std::invalid_argument("layer '" + l.name + "' is not a ttm layer");
  return l;
}

}  // namespace

std::uint64_t ttm_core_offset(const TtmShape& shape, std::size_t core) {
  std::uint64_t offset = 0;
  for (std::size_t k = 0; k < core; ++k) offset += ttm_core_elements(shape, k);
  return offset;
}

TtmOrder ttm_opposite_order(TtmOrder order) {
  if (order == TtmOrder::kRebuildDense) {
    throw std::invalid_argument("rebuild_dense has no opposite sequential order");
  }
  return order == TtmOrder::kLeftToRight ? TtmOrder::kRightToLeft : TtmOrder::kLeftToRight;
}

std::uint64_t ttm_intermediate_bytes(const Layer& layer, std::uint32_t batch,
                                     const TtmFormats& formats, bool training,
                                     std::uint32_t container_bits) {
  const std::uint64_t rows = ttm_batch_rows(layer, batch);
  const TtmShape shape = layer.tt_shape();
  const auto fwd = forward_partials(ttm_forward_steps(shape, layer.tt_order, rows), formats);
  if (training) {
    const auto bwd = backward_partials(
        ttm_backward_data_steps(shape, ttm_opposite_order(layer.tt_order), rows), formats);
    return sum_bytes(fwd, container_bits) + sum_bytes(bwd, container_bits);
  }
  std::uint64_t peak = 0;
  for (std::size_t s = 0; s < fwd.size(); ++s) {
    const std::uint64_t pair =
        bytes_of(fwd[s], container_bits) + (s > 0 ? bytes_of(fwd[s - 1], container_bits) : 0);
    peak = std::max(peak, pair);
  }
  return peak;
}

TtmLayerPlacement place_ttm_layer(const Network& network, std::uint32_t layer,
                                  const TtmFormats& formats, bool training,
                                  const TtmPlacement& placement, std::uint64_t& core_budget) {
  const Layer& l = ttm_layer(network, layer);
  const std::uint32_t cb = placement.container_bits;
  TtmLayerPlacement place;
  const std::uint64_t params = l.weight_elements();
  std::uint64_t core_bytes = packed_bytes(params, formats.core.bits, cb);
  if (training) {
    core_bytes += packed_bytes(params, formats.core_grad.bits, cb) +
                  (params * formats.update_state_bits + 7) / 8 +
                  (params * formats.master_bits + 7) / 8;
  }
  if (core_bytes <= core_budget) {
    place.cores_on_chip = true;
    core_budget -= core_bytes;
  }
  const std::uint64_t rows = ttm_batch_rows(l, network.batch);
  if (training) {
    place.partials_on_chip =
        ttm_intermediate_bytes(l, network.batch, formats, true, cb) <= placement.intermediate_bytes;
    return place;
  }
  const auto fwd = forward_partials(ttm_forward_steps(l.tt_shape(), l.tt_order, rows), formats);
  for (std::size_t s = 0; s < fwd.size(); ++s) {
    // The producer writes intermediate s while its own input (intermediate s-1, if on chip)
    // is still held; both must fit.
    const std::uint64_t held = s > 0 && place.forward_on_chip[s - 1] ? bytes_of(fwd[s - 1], cb) : 0;
    place.forward_on_chip.push_back(bytes_of(fwd[s], cb) + held <= placement.intermediate_bytes);
  }
  return place;
}

void append_ttm_forward(std::vector<GemmOp>& ops, const Network& network, std::uint32_t layer,
                        Phase phase, const TtmFormats& f, const TtmLayerPlacement& place,
                        bool training) {
  const Layer& l = ttm_layer(network, layer);
  const TtmShape shape = l.tt_shape();
  const std::uint64_t rows = ttm_batch_rows(l, network.batch);
  const std::vector<TtmStep> steps = ttm_forward_steps(shape, l.tt_order, rows);
  const std::vector<Partial> partials = forward_partials(steps, f);
  const std::vector<std::uint64_t> at = offsets(partials, 0, 0);
  auto on_chip = [&](std::size_t s) {
    return training ? place.partials_on_chip
                    : s < place.forward_on_chip.size() && place.forward_on_chip[s];
  };
  auto partial = [&](std::size_t s) {
    return Operand{partials[s].ref, TensorRole::kIntermediate, at[s], on_chip(s)};
  };
  auto core = [&](std::size_t k) {
    return Operand{f.core, TensorRole::kWeight, ttm_core_offset(shape, k), place.cores_on_chip};
  };
  const Operand input{f.input, TensorRole::kInput, 0, false};
  const Operand output{f.output, TensorRole::kOutput, 0, false};
  // Merges run left to right when the first merge multiplies by core 2.
  const bool merge_left_to_right =
      steps.front().kind == TtmStep::Kind::kMergeCores && steps.front().core == 1;
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const TtmStep& step = steps[s];
    const bool last = s + 1 == steps.size();
    const Operand c = last ? output : partial(s);
    switch (step.kind) {
      case TtmStep::Kind::kContractInput:
        ops.push_back(make_op(layer, phase, step, s == 0 ? input : partial(s - 1), core(step.core),
                              c, f.acc_bits));
        break;
      case TtmStep::Kind::kMergeCores: {
        // The running product is core 1 (left to right) or core d (right to left) at first.
        const Operand running = s > 0                 ? partial(s - 1)
                                : merge_left_to_right ? core(0)
                                                      : core(shape.cores() - 1);
        if (merge_left_to_right) {
          ops.push_back(make_op(layer, phase, step, running, core(step.core), c, f.acc_bits));
        } else {
          ops.push_back(make_op(layer, phase, step, core(step.core), running, c, f.acc_bits));
        }
        break;
      }
      case TtmStep::Kind::kDenseGemm:
        // The rebuilt W (or the only core) is the weight operand of one dense GEMM.
        ops.push_back(
            make_op(layer, phase, step, input, s > 0 ? partial(s - 1) : core(0), c, f.acc_bits));
        break;
      case TtmStep::Kind::kCoreGradient:
        throw sim::InternalError("ttm lowering: forward steps contain no core gradients");
    }
  }
}

void append_ttm_backward(std::vector<GemmOp>& ops, const Network& network, std::uint32_t layer,
                         const TtmFormats& f, const TtmLayerPlacement& place,
                         bool need_input_grad) {
  const Layer& l = ttm_layer(network, layer);
  if (l.tt_order == TtmOrder::kRebuildDense) {
    throw std::invalid_argument("layer '" + l.name +
                                "': training needs a sequential contraction order, not "
                                "rebuild_dense");
  }
  const TtmShape shape = l.tt_shape();
  const std::uint64_t rows = ttm_batch_rows(l, network.batch);
  const std::uint32_t cb = 0;
  const std::vector<TtmStep> fwd_steps = ttm_forward_steps(shape, l.tt_order, rows);
  const std::vector<Partial> fwd = forward_partials(fwd_steps, f);
  const std::vector<std::uint64_t> fwd_at = offsets(fwd, 0, cb);
  const std::vector<TtmStep> bwd_steps =
      ttm_backward_data_steps(shape, ttm_opposite_order(l.tt_order), rows);
  const std::vector<Partial> bwd = backward_partials(bwd_steps, f);
  const std::uint64_t fwd_end =
      fwd.empty() ? 0
                  : (fwd_at.back() * std::max<std::uint64_t>(fwd.back().ref.bits, cb) + 7) / 8 +
                        bytes_of(fwd.back(), cb);
  const std::vector<std::uint64_t> bwd_at = offsets(bwd, fwd_end, cb);
  const bool partials_on_chip = place.partials_on_chip;
  auto core = [&](std::size_t k) {
    return Operand{f.core, TensorRole::kWeight, ttm_core_offset(shape, k), place.cores_on_chip};
  };
  const Operand dy{f.output_grad, TensorRole::kOutputGrad, 0, false};
  // Backward data: dY through the cores in the opposite order; its partials are kept.
  for (std::size_t s = 0; s < bwd_steps.size(); ++s) {
    const bool last = s + 1 == bwd_steps.size();
    if (last && !need_input_grad) break;
    const Operand a = s == 0 ? dy
                             : Operand{bwd[s - 1].ref, TensorRole::kIntermediate, bwd_at[s - 1],
                                       partials_on_chip};
    const Operand c =
        last ? Operand{f.input_grad, TensorRole::kInputGrad, 0, false}
             : Operand{bwd[s].ref, TensorRole::kIntermediate, bwd_at[s], partials_on_chip};
    GemmOp op =
        make_op(layer, Phase::kBwdData, bwd_steps[s], a, core(bwd_steps[s].core), c, f.acc_bits);
    ops.push_back(op);
  }
  // Core gradients: the forward partial entering core k's step against the backward-data
  // partial entering core k's step.
  const std::vector<TtmStep> grad_steps = ttm_core_gradient_steps(shape, l.tt_order, rows);
  for (const TtmStep& step : grad_steps) {
    std::size_t sf = 0, sb = 0;
    while (fwd_steps[sf].core != step.core) ++sf;
    while (bwd_steps[sb].core != step.core) ++sb;
    const Operand a = sf == 0 ? Operand{f.input, TensorRole::kInput, 0, false}
                              : Operand{fwd[sf - 1].ref, TensorRole::kIntermediate, fwd_at[sf - 1],
                                        partials_on_chip};
    const Operand b = sb == 0 ? dy
                              : Operand{bwd[sb - 1].ref, TensorRole::kIntermediate, bwd_at[sb - 1],
                                        partials_on_chip};
    const Operand c{f.core_grad, TensorRole::kWeightGrad, ttm_core_offset(shape, step.core),
                    place.cores_on_chip};
    ops.push_back(make_op(layer, Phase::kBwdWeight, step, a, b, c, f.acc_bits));
  }
}

TtmReservation ttm_sram_reservation(const Network& network, const Program& program,
                                    std::uint32_t container_bits) {
  TtmReservation r;
  const bool training = program.scheme != Scheme::kInference;
  const std::size_t count = network.layers.size();
  std::vector<std::uint64_t> partials(count, 0), cores(count, 0), grads(count, 0), states(count, 0);
  std::vector<std::vector<std::uint64_t>> kept(count);
  auto bytes = [&](std::uint64_t elements, const TensorRef& ref) {
    return packed_bytes(elements, ref.bits, container_bits);
  };
  for (const auto& op : program.ops) {
    const std::uint32_t l = op.layer;
    if (op.kind == OpKind::kVector) {
      std::uint64_t state = 0;
      for (const auto& o : op.inputs) {
        if (o.on_chip && (o.role == TensorRole::kState0 || o.role == TensorRole::kState1 ||
                          o.role == TensorRole::kMaster)) {
          state += bytes(op.elements, o.ref);
        }
      }
      states[l] = std::max(states[l], state);
      continue;
    }
    const std::uint64_t a = bytes(op.shape.m * op.shape.k, op.a);
    const std::uint64_t b = bytes(op.shape.k * op.shape.n, op.b);
    const std::uint64_t c = bytes(op.shape.m * op.shape.n, op.c);
    if ((op.b_on_chip && op.b_role == TensorRole::kWeight) ||
        (op.a_on_chip && op.a_role == TensorRole::kWeight)) {
      const TensorRef& core = op.b_role == TensorRole::kWeight ? op.b : op.a;
      cores[l] = std::max(cores[l], bytes(network.layers[l].weight_elements(), core));
    }
    if (op.c_on_chip && op.c_role == TensorRole::kWeightGrad) {
      grads[l] = std::max(grads[l], bytes(network.layers[l].weight_elements(), op.c));
    }
    if (training) {
      if (op.c_on_chip && op.c_role == TensorRole::kIntermediate &&
          std::find(kept[l].begin(), kept[l].end(), op.c_offset) == kept[l].end()) {
        kept[l].push_back(op.c_offset);
        partials[l] += c;
      }
    } else {
      std::uint64_t held = 0;
      if (op.a_on_chip && op.a_role == TensorRole::kIntermediate) held += a;
      if (op.b_on_chip && op.b_role == TensorRole::kIntermediate) held += b;
      if (op.c_on_chip && op.c_role == TensorRole::kIntermediate) held += c;
      partials[l] = std::max(partials[l], held);
    }
  }
  for (std::size_t l = 0; l < count; ++l) {
    r.partial_bytes = std::max(r.partial_bytes, partials[l]);
    r.core_bytes += cores[l] + grads[l] + states[l];
  }
  return r;
}

}  // namespace workloads
