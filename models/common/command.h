#pragma once
// The command descriptor the host writes to the accelerator's registers: a plain-old-data
// record of one GEMM op, its tensors' DRAM addresses and the tile plan the software chose.

#include <cstdint>
#include <type_traits>
#include <vector>

#include "workloads/mapping/tiler.h"
#include "workloads/network/network.h"
#include "workloads/training/program.h"

namespace models {

/// Register map of the accelerator's control block.
inline constexpr std::uint64_t kRegDescriptor = 0x000;  // CommandDescriptor bytes
inline constexpr std::uint64_t kRegDoorbell = 0x800;    // write 1: start the command
inline constexpr std::uint64_t kRegIrqAck = 0x804;      // write 1: clear the interrupt
inline constexpr std::uint64_t kRegStatus = 0x808;      // read: 1 while busy
inline constexpr std::uint64_t kRegBlockBytes = 0x1000;

/// One operand stream of a vector command.
struct VectorStreamDescriptor {
  std::uint64_t address;  // DRAM address
  std::uint32_t bits;
  std::uint8_t cls;  // workloads::TensorClass
};
inline constexpr std::size_t kMaxVectorInputs = 4;
inline constexpr std::size_t kMaxVectorOutputs = 3;

/// One command (a GEMM or a vector op). Plain data so it crosses TLM as bytes.
struct CommandDescriptor {
  std::uint8_t kind;  // workloads::OpKind
  std::uint32_t op_index;
  std::uint32_t layer;
  std::uint8_t phase;
  std::uint8_t a_class, b_class, c_class;
  std::uint8_t functional;
  std::uint8_t layer_type;
  std::uint8_t order[3];
  std::uint8_t a_kind, b_kind;  // workloads::NumberKind of the operands
  std::uint32_t a_bits, b_bits, c_bits, acc_bits;
  std::uint64_t m, n, k, groups;
  // Convolution geometry (used for input footprints).
  std::uint32_t in_h, in_w, in_c, out_c, kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
  // Tile plan.
  std::uint64_t tile_m, tile_n, tile_k;
  // DRAM addresses (system bus) of A, B and C.
  std::uint64_t a_address, b_address, c_address;
  std::uint64_t psum_address;  // scratch for partial sums spilled to DRAM
  // Vector commands: elements in chunks of tile_m.
  std::uint64_t elements;
  std::uint32_t ops_per_element;
  std::uint32_t input_count, output_count;
  VectorStreamDescriptor inputs[kMaxVectorInputs];
  VectorStreamDescriptor outputs[kMaxVectorOutputs];
};
static_assert(std::is_trivially_copyable_v<CommandDescriptor>);

/// Builds the descriptor of `op` with its plan and tensor addresses.
CommandDescriptor make_descriptor(std::uint32_t op_index, const workloads::GemmOp& op,
                                  const workloads::Layer& layer, const workloads::TilePlan& plan,
                                  std::uint64_t a_address, std::uint64_t b_address,
                                  std::uint64_t c_address, std::uint64_t psum_address,
                                  bool functional);
/// Builds the descriptor of a vector op; `input_addresses` and `output_addresses` follow the
/// op's operand order.
CommandDescriptor make_vector_descriptor(std::uint32_t op_index, const workloads::GemmOp& op,
                                         std::uint64_t chunk_elements,
                                         const std::vector<std::uint64_t>& input_addresses,
                                         const std::vector<std::uint64_t>& output_addresses);
/// The layer geometry a descriptor carries (name left empty).
workloads::Layer descriptor_layer(const CommandDescriptor& d);
/// The op a descriptor carries.
workloads::GemmOp descriptor_op(const CommandDescriptor& d);

}  // namespace models
