#include "models/common/command.h"

#include "sim/core/config.h"

namespace models {

CommandDescriptor make_descriptor(std::uint32_t op_index, const workloads::GemmOp& op,
                                  const workloads::Layer& layer, const workloads::TilePlan& plan,
                                  std::uint64_t a_address, std::uint64_t b_address,
                                  std::uint64_t c_address, std::uint64_t psum_address,
                                  bool functional) {
  CommandDescriptor d{};
  d.kind = static_cast<std::uint8_t>(workloads::OpKind::kGemm);
  d.op_index = op_index;
  d.layer = op.layer;
  d.phase = static_cast<std::uint8_t>(op.phase);
  d.a_class = static_cast<std::uint8_t>(op.a.cls);
  d.b_class = static_cast<std::uint8_t>(op.b.cls);
  d.c_class = static_cast<std::uint8_t>(op.c.cls);
  d.functional = functional ? 1 : 0;
  d.layer_type = static_cast<std::uint8_t>(layer.type);
  for (int i = 0; i < 3; ++i) d.order[i] = static_cast<std::uint8_t>(plan.order[i]);
  d.a_kind = static_cast<std::uint8_t>(op.a.kind);
  d.b_kind = static_cast<std::uint8_t>(op.b.kind);
  d.a_bits = op.a.bits;
  d.b_bits = op.b.bits;
  d.c_bits = op.c.bits;
  d.acc_bits = op.acc_bits;
  d.m = op.shape.m;
  d.n = op.shape.n;
  d.k = op.shape.k;
  d.groups = op.shape.groups;
  d.in_h = layer.in_h;
  d.in_w = layer.in_w;
  d.in_c = layer.in_c;
  d.out_c = layer.out_c;
  d.kernel_h = layer.kernel_h;
  d.kernel_w = layer.kernel_w;
  d.stride_h = layer.stride_h;
  d.stride_w = layer.stride_w;
  d.pad_h = layer.pad_h;
  d.pad_w = layer.pad_w;
  d.tile_m = plan.tile_m;
  d.tile_n = plan.tile_n;
  d.tile_k = plan.tile_k;
  d.a_address = a_address;
  d.b_address = b_address;
  d.c_address = c_address;
  d.psum_address = psum_address;
  return d;
}

CommandDescriptor make_vector_descriptor(std::uint32_t op_index, const workloads::GemmOp& op,
                                         std::uint64_t chunk_elements,
                                         const std::vector<std::uint64_t>& input_addresses,
                                         const std::vector<std::uint64_t>& output_addresses) {
  EDGESIM_CHECK(op.inputs.size() <= kMaxVectorInputs && op.outputs.size() <= kMaxVectorOutputs,
                "vector op with too many operands: " + op.name);
  CommandDescriptor d{};
  d.kind = static_cast<std::uint8_t>(workloads::OpKind::kVector);
  d.op_index = op_index;
  d.layer = op.layer;
  d.phase = static_cast<std::uint8_t>(op.phase);
  d.elements = op.elements;
  d.ops_per_element = op.ops_per_element;
  d.tile_m = chunk_elements;
  d.input_count = static_cast<std::uint32_t>(op.inputs.size());
  d.output_count = static_cast<std::uint32_t>(op.outputs.size());
  for (std::size_t i = 0; i < op.inputs.size(); ++i) {
    d.inputs[i] = {input_addresses[i], op.inputs[i].ref.bits,
                   static_cast<std::uint8_t>(op.inputs[i].ref.cls)};
  }
  for (std::size_t i = 0; i < op.outputs.size(); ++i) {
    d.outputs[i] = {output_addresses[i], op.outputs[i].ref.bits,
                    static_cast<std::uint8_t>(op.outputs[i].ref.cls)};
  }
  return d;
}

workloads::Layer descriptor_layer(const CommandDescriptor& d) {
  workloads::Layer layer;
  layer.type = static_cast<workloads::LayerType>(d.layer_type);
  layer.in_h = d.in_h;
  layer.in_w = d.in_w;
  layer.in_c = d.in_c;
  layer.out_c = d.out_c;
  layer.kernel_h = d.kernel_h;
  layer.kernel_w = d.kernel_w;
  layer.stride_h = d.stride_h;
  layer.stride_w = d.stride_w;
  layer.pad_h = d.pad_h;
  layer.pad_w = d.pad_w;
  layer.m = d.m;
  layer.n = d.n;
  layer.k = d.k;
  return layer;
}

workloads::GemmOp descriptor_op(const CommandDescriptor& d) {
  workloads::GemmOp op;
  op.layer = d.layer;
  op.phase = static_cast<workloads::Phase>(d.phase);
  op.shape = {d.m, d.n, d.k, d.groups};
  op.a = {static_cast<workloads::TensorClass>(d.a_class), d.a_bits,
          static_cast<workloads::NumberKind>(d.a_kind)};
  op.b = {static_cast<workloads::TensorClass>(d.b_class), d.b_bits,
          static_cast<workloads::NumberKind>(d.b_kind)};
  op.c = {static_cast<workloads::TensorClass>(d.c_class), d.c_bits};
  op.acc_bits = d.acc_bits;
  return op;
}

}  // namespace models
