#include "workloads/numerics/loss.h"

#include <cmath>

namespace workloads::numerics {

LossResult softmax_cross_entropy(const Matrix& logits, const std::uint8_t* labels,
                                 Matrix* dlogits) {
  LossResult result;
  const Eigen::Index batch = logits.rows();
  const Eigen::Index classes = logits.cols();
  if (dlogits) dlogits->resize(batch, classes);
  const float inv_batch = 1.0f / static_cast<float>(batch);
  for (Eigen::Index r = 0; r < batch; ++r) {
    const float* z = logits.row(r).data();
    Eigen::Index best = 0;
    for (Eigen::Index c = 1; c < classes; ++c)
      if (z[c] > z[best]) best = c;
    if (best == labels[r]) ++result.correct;
    const double max_z = z[best];
    double sum = 0.0;
    for (Eigen::Index c = 0; c < classes; ++c) sum += std::exp(static_cast<double>(z[c]) - max_z);
    const double log_sum = std::log(sum) + max_z;
    result.loss_sum += log_sum - static_cast<double>(z[labels[r]]);
    if (dlogits) {
      float* d = dlogits->row(r).data();
      for (Eigen::Index c = 0; c < classes; ++c) {
        const double p = std::exp(static_cast<double>(z[c]) - log_sum);
        d[c] = static_cast<float>(p - (c == labels[r] ? 1.0 : 0.0)) * inv_batch;
      }
    }
  }
  return result;
}

}  // namespace workloads::numerics
