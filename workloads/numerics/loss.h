#pragma once
// Softmax cross-entropy over a batch of logits.

#include <cstddef>
#include <cstdint>

#include "workloads/numerics/layers.h"

namespace workloads::numerics {

/// Loss and hits of one batch.
struct LossResult {
  double loss_sum = 0.0;    // sum over samples of -log softmax(logits)[label]
  std::size_t correct = 0;  // samples whose largest logit is the label (first maximum wins)
};

/// Softmax cross-entropy of `logits` (one sample per row) against `labels`. When `dlogits`
/// is given it receives the gradient of the batch-mean loss: (softmax - onehot) / batch.
LossResult softmax_cross_entropy(const Matrix& logits, const std::uint8_t* labels, Matrix* dlogits);

}  // namespace workloads::numerics
