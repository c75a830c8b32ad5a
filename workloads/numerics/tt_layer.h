#pragma once
// A tensor-train-matrix (TTM) linear layer for real training, y = x W^T + b with W (M x N)
// held as d cores, plus the rank-shrinking prior on its rank slices (MAP / EM form of Hawkins &
// Zhang, arXiv 2010.08689) and the pruning of slices the prior has shrunk.
//
// CPU strategy (documented in docs/tensorized.md): once per minibatch the cores are merged left
// to right into W (Eigen GEMMs on partial merges P_k), then the batch runs as dense GEMMs; the
// core gradients come from dW by reverse-mode differentiation of the same merge chain. This is
// the fastest order on a CPU at minibatch sizes; the hardware contraction orders are modelled
// separately by workloads/network/tensor_train.h and the simulator.
//
// Layout: core k is stored row-major as [r_{k-1}][m_k][n_k][r_k], as in tensor_train.h; inputs
// are rows over (n_1..n_d) and outputs rows over (m_1..m_d), first factor slowest.

#include <cstdint>
#include <string>
#include <vector>

#include "workloads/network/tensor_train.h"
#include "workloads/numerics/layers.h"
#include "workloads/quant/fixed_point.h"

namespace workloads::numerics {

/// Hyperprior on the variance lambda_r of one rank slice.
enum class RankPrior {
  kLogUniform,  // p(lambda) proportional to 1 / lambda (Jeffreys)
  kHalfCauchy,  // p(lambda) proportional to 1 / (1 + (lambda / eta)^2), lambda > 0
};
const char* rank_prior_name(RankPrior prior);
/// Parses "log_uniform" or "half_cauchy"; ConfigError naming `what` otherwise.
RankPrior parse_rank_prior(const std::string& text, const std::string& what);

/// A rank slice's hyperprior and its parameter.
struct RankPriorParams {
  RankPrior kind = RankPrior::kLogUniform;
  double half_cauchy_scale = 1.0;  // eta of the half-Cauchy
};

/// log p(slice | lambda) + log p(lambda) up to a constant, for a slice of `elements` values
/// whose squared norm is `squared_norm`: -S / (2 lambda) - (D / 2) log lambda + log p(lambda).
double rank_slice_log_objective(double lambda, double squared_norm, std::uint64_t elements,
                                const RankPriorParams& prior);
/// The lambda maximising rank_slice_log_objective (closed form): log-uniform S / (D + 2);
/// half-Cauchy the best positive root of (D + 4) l^3 - S l^2 + D eta^2 l - S eta^2 = 0.
/// A zero norm gives 0.
double rank_slice_variance_update(double squared_norm, std::uint64_t elements,
                                  const RankPriorParams& prior);

/// Tensor-train-matrix linear layer (float cores, or integer codes with a per-core step).
class TtLinear : public Layer {
 public:
  /// W is (prod m) x (prod n); every inner rank starts at `rank`.
  TtLinear(std::string name, std::vector<std::uint32_t> m, std::vector<std::uint32_t> n,
           std::uint32_t rank);
  void forward(const Matrix& x, Matrix& y) override;
  void backward(const Matrix& dy, Matrix* dx) override;
  std::string name() const override { return name_; }

  const TtmShape& shape() const { return shape_; }
  std::size_t core_count() const { return shape_.cores(); }
  Eigen::Index fan_in() const { return cols_; }
  Eigen::Index fan_out() const { return rows_; }
  /// Core values, layout [r_{k-1}][m_k][n_k][r_k]. In fixed point they mirror code * step and
  /// must not be written (the codes are the model); the next forward rebuilds W from them.
  std::vector<float>& core(std::size_t k) { return cores_[k]; }
  const std::vector<float>& core(std::size_t k) const { return cores_[k]; }
  const std::vector<float>& core_gradient(std::size_t k) const { return core_grads_[k]; }
  RowVector& bias() { return bias_; }
  const RowVector& bias_gradient() const { return bias_grad_; }
  /// TT parameters sum_k r_{k-1} m_k n_k r_k (biases not included).
  std::uint64_t parameter_count() const { return ttm_parameters(shape_); }
  std::uint64_t dense_parameter_count() const { return ttm_dense_parameters(shape_); }

  /// Cores uniform with equal variance each, so that W's elements have variance 2 / N
  /// (He); zero bias.
  void init_uniform(quant::Rng& rng);
  /// Activation and gradient quantisation inside the GEMMs (as ParamLayer's).
  void set_quantization(const LayerQuantization& q) { quant_ = q; }

  /// Dense W (M x N, row-major) merged from the current cores.
  Matrix dense_weight() const;

  /// Switches to fixed point: each core becomes `bits`-bit codes with its own step covering
  /// headroom x max |core| (`scale` chooses the step); biases get `bits`-bit codes with a step
  /// covering `bias_range`. The values are rounded to nearest.
  void use_fixed_point(std::uint32_t bits, double headroom, double bias_range,
                       quant::ScaleKind scale);
  bool fixed_point() const { return fixed_point_; }
  const std::vector<std::int32_t>& core_codes(std::size_t k) const { return codes_[k]; }
  const quant::FixedPointFormat& core_format(std::size_t k) const { return formats_[k]; }
  const std::vector<std::int32_t>& bias_codes() const { return bias_codes_; }
  const quant::FixedPointFormat& bias_format() const { return bias_format_; }

  /// Bonds between neighbouring cores: d - 1. Bond b joins core b's last index and core
  /// b + 1's first index; its rank is shape().ranks[b + 1].
  std::size_t bond_count() const { return shape_.cores() - 1; }
  std::uint32_t bond_rank(std::size_t bond) const { return shape_.ranks[bond + 1]; }
  /// Squared norm of rank slice r of `bond`: core b's [:, :, :, r] and core b+1's [r, :, :, :].
  double slice_squared_norm(std::size_t bond, std::uint32_t r) const;
  /// Elements in one slice of `bond`: r_{b-1} m_b n_b + m_{b+1} n_{b+1} r_{b+1}.
  std::uint64_t slice_elements(std::size_t bond) const;
  /// Current prior variances lambda_r of each bond's slices.
  const std::vector<double>& slice_variances(std::size_t bond) const { return lambdas_[bond]; }
  /// Sets every lambda_r to its closed-form MAP value given the current slice norms.
  void update_slice_variances(const RankPriorParams& prior);
  /// sum over bonds and slices of ||slice_r||^2 / (2 lambda_r), times `scale`.
  double prior_penalty(double scale) const;
  /// Adds the penalty's gradient, scale x w x (sum over the element's bonds of 1 / lambda_r),
  /// to the core gradients (of the last backward).
  void add_prior_gradient(double scale);
  /// Removes, in every bond, the slices whose lambda_r < threshold x (the bond's largest
  /// lambda) or is 0, keeping at least one slice per bond (threshold 0: none). Both adjacent cores
  /// (values, codes, gradients) shrink; W keeps the contribution of the remaining slices. Returns
  /// slices removed.
  std::size_t prune_slices(double threshold);
  /// Removes the slices of `bond` whose flag in `remove` is set (at least one must stay).
  void remove_slices(std::size_t bond, const std::vector<bool>& remove);

  /// What one SGD step did to fixed-point codes (zero in floating point).
  struct StepStats {
    std::size_t nonzero = 0, underflow = 0, saturated = 0;
  };
  /// One SGD step with the current gradients: floats w -= lr g, or codes += stochastic_round(
  /// -lr g / step) saturated (needs `rng`).
  StepStats sgd_step(float lr, quant::Rng* rng);

 private:
  void rebuild();
  void decode_cores();

  std::string name_;
  TtmShape shape_;
  Eigen::Index rows_ = 0, cols_ = 0;  // M, N
  std::vector<std::vector<float>> cores_, core_grads_;
  RowVector bias_, bias_grad_;
  std::vector<std::vector<double>> lambdas_;  // per bond
  LayerQuantization quant_;
  // Fixed point.
  bool fixed_point_ = false;
  std::vector<std::vector<std::int32_t>> codes_;
  std::vector<quant::FixedPointFormat> formats_;
  std::vector<std::int32_t> bias_codes_;
  quant::FixedPointFormat bias_format_;
  // Dense position (j, i) of W^T -> position in the interleaved (i_1 j_1 .. i_d j_d) order.
  std::vector<std::uint32_t> interleaved_index_;
  // Per batch.
  std::vector<Matrix> partials_;  // partials_[k]: P_k, (prod_{l<k} m_l n_l) x r_k, k = 1..d
  Matrix weight_t_;               // W^T, N x M
  Matrix input_, grad_weight_t_, dy_quantized_;
  std::vector<float> grad_interleaved_;
};

}  // namespace workloads::numerics
