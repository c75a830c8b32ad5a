#pragma once
// Lowering a tensor-train-matrix (ttm) layer onto the accelerator: its forward pass, backward
// data and core gradients as sequences of small GEMMs (the steps of tensor_train.h), with the
// cores in the layer's weight region, the partial products in its intermediate region, and
// the rule deciding which of them stay in SRAM (docs/tensorized.md).

#include <cstdint>
#include <vector>

#include "workloads/network/network.h"
#include "workloads/training/program.h"

namespace workloads {

/// SRAM a program may keep ttm tensors in across ops, from the platform's buffers.
struct TtmPlacement {
  std::uint64_t intermediate_bytes = 0;  // for partial products (0: all go through DRAM)
  std::uint64_t core_bytes = 0;          // for resident TT cores, shared by every ttm layer
  std::uint32_t container_bits = 0;      // storage container per element (0: packed)
};

/// Formats of a ttm layer's tensors.
struct TtmFormats {
  TensorRef input{TensorClass::kActivation, 8};
  TensorRef core{TensorClass::kWeight, 8};
  TensorRef output{TensorClass::kActivation, 8};
  TensorRef intermediate{TensorClass::kIntermediate, 8};       // forward partials
  TensorRef output_grad{TensorClass::kGradient, 8};            // dY
  TensorRef input_grad{TensorClass::kGradient, 8};             // dX
  TensorRef grad_intermediate{TensorClass::kIntermediate, 8};  // backward-data partials
  TensorRef core_grad{TensorClass::kGradient, 32};             // dG_k
  std::uint32_t acc_bits = 32;
  std::uint64_t update_state_bits = 0;  // optimizer state bits per parameter (training)
  std::uint32_t master_bits = 0;        // qat: the fp32 master copy of every parameter
};

/// Where one ttm layer's tensors live, decided once per program.
struct TtmLayerPlacement {
  bool cores_on_chip = false;         // cores (and in training their gradients and state)
  bool partials_on_chip = false;      // training: every kept partial product in SRAM
  std::vector<bool> forward_on_chip;  // inference: output of forward step s stays in SRAM
};

/// Element offset of core `core` in the layer's weight region (cores stored one after the
/// other, core 1 first).
std::uint64_t ttm_core_offset(const TtmShape& shape, std::size_t core);

/// The opposite sequential order (left to right <-> right to left): backward data runs in it,
/// so its partials pair with the forward pass's for the core gradients.
TtmOrder ttm_opposite_order(TtmOrder order);

/// Decides the placement of ttm layer `layer` (network.layers[layer], tt_order resolved).
/// `core_budget` is the SRAM still free for resident cores; what this layer takes is
/// subtracted. In training the cores stay only if their gradients and optimizer state fit
/// too, and the partials stay only if all of them fit at once.
TtmLayerPlacement place_ttm_layer(const Network& network, std::uint32_t layer,
                                  const TtmFormats& formats, bool training,
                                  const TtmPlacement& placement, std::uint64_t& core_budget);

/// Appends the forward ops of ttm layer `layer` in its tt_order. Training keeps every
/// partial product (each has its own place in the intermediate region).
void append_ttm_forward(std::vector<GemmOp>& ops, const Network& network, std::uint32_t layer,
                        Phase phase, const TtmFormats& formats, const TtmLayerPlacement& place,
                        bool training);

/// Appends backward data (dX = W^T dY in the opposite order; its last step only when
/// `need_input_grad`) and one core-gradient GEMM per core, pairing the kept forward partials
/// with the backward-data ones. tt_order must be sequential.
void append_ttm_backward(std::vector<GemmOp>& ops, const Network& network, std::uint32_t layer,
                         const TtmFormats& formats, const TtmLayerPlacement& place,
                         bool need_input_grad);

/// SRAM a program's on-chip ttm tensors occupy while tiles run beside them: the largest set
/// of partials any layer holds at once, and every resident core with (in training) its
/// gradient and optimizer state.
struct TtmReservation {
  std::uint64_t partial_bytes = 0;  // in the buffer of A operands (ifmap)
  std::uint64_t core_bytes = 0;     // in the buffer of B operands (weights)
};
TtmReservation ttm_sram_reservation(const Network& network, const Program& program,
                                    std::uint32_t container_bits = 0);

/// Bytes of partial products a ttm layer holds at its peak: the largest producer-consumer
/// pair in inference, every kept forward and backward-data partial in training.
std::uint64_t ttm_intermediate_bytes(const Layer& layer, std::uint32_t batch,
                                     const TtmFormats& formats, bool training,
                                     std::uint32_t container_bits = 0);

}  // namespace workloads
