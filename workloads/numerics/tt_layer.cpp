#include "workloads/numerics/tt_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "sim/core/config.h"

namespace workloads::numerics {
namespace {

using MatrixMap = Eigen::Map<Matrix>;
using ConstMatrixMap = Eigen::Map<const Matrix>;

// Real roots of a x^3 + b x^2 + c x + d (a != 0), each polished by Newton steps.
std::vector<double> cubic_real_roots(double a, double b, double c, double d) {
  const double p = (3.0 * a * c - b * b) / (3.0 * a * a);
  const double q = (2.0 * b * b * b - 9.0 * a * b * c + 27.0 * a * a * d) / (27.0 * a * a * a);
  const double shift = -b / (3.0 * a);
  std::vector<double> roots;
  const double disc = q * q / 4.0 + p * p * p / 27.0;
  if (disc > 0.0 || p >= 0.0) {
    const double s = std::sqrt(std::max(disc, 0.0));
    roots.push_back(std::cbrt(-q / 2.0 + s) + std::cbrt(-q / 2.0 - s) + shift);
  } else {
    const double radius = 2.0 * std::sqrt(-p / 3.0);
    const double arg = std::clamp(3.0 * q / (p * radius), -1.0, 1.0);
    const double theta = std::acos(arg) / 3.0;
    for (int k = 0; k < 3; ++k)
      roots.push_back(radius * std::cos(theta - 2.0 * M_PI * k / 3.0) + shift);
  }
  for (double& x : roots) {
    for (int it = 0; it < 3; ++it) {
      const double f = ((a * x + b) * x + c) * x + d;
      const double df = (3.0 * a * x + 2.0 * b) * x + c;
      if (df == 0.0) break;
      const double next = x - f / df;
      if (!std::isfinite(next)) break;
      x = next;
    }
  }
  return roots;
}

// Removes index `r` positions flagged in `remove` from the last (is_last) or first index of a
// core stored [r_a][mn][r_b].
template <typename T>
std::vector<T> drop_rank_entries(const std::vector<T>& core, std::uint32_t r_a, std::uint64_t mn,
                                 std::uint32_t r_b, bool last_index,
                                 const std::vector<bool>& remove) {
  std::vector<T> out;
  out.reserve(core.size());
  for (std::uint32_t a = 0; a < r_a; ++a) {
    if (!last_index && remove[a]) continue;
    for (std::uint64_t c = 0; c < mn; ++c) {
      for (std::uint32_t b = 0; b < r_b; ++b) {
        if (last_index && remove[b]) continue;
        out.push_back(core[(a * mn + c) * r_b + b]);
      }
    }
  }
  return out;
}

}  // namespace

const char* rank_prior_name(RankPrior prior) {
  return prior == RankPrior::kLogUniform ? "log_uniform" : "half_cauchy";
}

RankPrior parse_rank_prior(const std::string& text, const std::string& what) {
  if (text == "log_uniform") return RankPrior::kLogUniform;
  if (text == "half_cauchy") return RankPrior::kHalfCauchy;
  throw sim::ConfigError(what + ": must be one of log_uniform, half_cauchy, got " + text);
}

double rank_slice_log_objective(double lambda, double squared_norm, std::uint64_t elements,
                                const RankPriorParams& prior) {
  const double d = static_cast<double>(elements);
  double value = -squared_norm / (2.0 * lambda) - 0.5 * d * std::log(lambda);
  if (prior.kind == RankPrior::kLogUniform) {
    value -= std::log(lambda);
  } else {
    const double ratio = lambda / prior.half_cauchy_scale;
    value -= std::log1p(ratio * ratio);
  }
  return value;
}

double rank_slice_variance_update(double squared_norm, std::uint64_t elements,
                                  const RankPriorParams& prior) {
  if (!(squared_norm > 0.0)) return 0.0;
  const double s = squared_norm;
  const double d = static_cast<double>(elements);
  if (prior.kind == RankPrior::kLogUniform) return s / (d + 2.0);
  // d/dl [-S/(2l) - (D/2) log l - log(1 + l^2/eta^2)] = 0, times 2 l^2 (eta^2 + l^2):
  // (D + 4) l^3 - S l^2 + D eta^2 l - S eta^2 = 0. Solved in units of S / D for conditioning.
  const double unit = s / d;
  const double eta = prior.half_cauchy_scale / unit;
  const double e2 = eta * eta;
  // In x = l / unit: (D + 4) x^3 - D x^2 + D e2 x - D e2 = 0.
  double best = std::nan(""), best_value = -std::numeric_limits<double>::infinity();
  for (double x : cubic_real_roots(d + 4.0, -d, d * e2, -d * e2)) {
    if (!(x > 0.0)) continue;
    const double value = rank_slice_log_objective(x * unit, s, elements, prior);
    if (value > best_value) {
      best_value = value;
      best = x * unit;
    }
  }
  EDGESIM_CHECK(std::isfinite(best), "half-Cauchy variance update found no positive root");
  return best;
}

TtLinear::TtLinear(std::string name, std::vector<std::uint32_t> m, std::vector<std::uint32_t> n,
                   std::uint32_t rank)
    : name_(std::move(name)) {
  shape_.m = std::move(m);
  shape_.n = std::move(n);
  shape_.ranks = ttm_uniform_ranks(shape_.m.size(), rank);
  validate_ttm_shape(shape_);
  EDGESIM_CHECK(shape_.cores() >= 2, "a TT layer needs at least two cores");
  rows_ = static_cast<Eigen::Index>(ttm_rows(shape_));
  cols_ = static_cast<Eigen::Index>(ttm_cols(shape_));
  cores_.resize(shape_.cores());
  core_grads_.resize(shape_.cores());
  for (std::size_t k = 0; k < shape_.cores(); ++k) {
    cores_[k].assign(ttm_core_elements(shape_, k), 0.0f);
    core_grads_[k].assign(cores_[k].size(), 0.0f);
  }
  bias_ = RowVector::Zero(rows_);
  bias_grad_ = RowVector::Zero(rows_);
  lambdas_.assign(bond_count(), {});
  for (std::size_t b = 0; b < bond_count(); ++b) lambdas_[b].assign(bond_rank(b), 1.0);
  // Interleaved position of W[i][j]: digits (i_1, j_1, ..., i_d, j_d), first slowest.
  const std::size_t d = shape_.cores();
  interleaved_index_.resize(static_cast<std::size_t>(rows_ * cols_));
  std::vector<std::uint32_t> id(d), jd(d);
  for (Eigen::Index j = 0; j < cols_; ++j) {
    std::uint64_t rest = static_cast<std::uint64_t>(j);
    for (std::size_t k = d; k-- > 0;) {
      jd[k] = static_cast<std::uint32_t>(rest % shape_.n[k]);
      rest /= shape_.n[k];
    }
    for (Eigen::Index i = 0; i < rows_; ++i) {
      rest = static_cast<std::uint64_t>(i);
      for (std::size_t k = d; k-- > 0;) {
        id[k] = static_cast<std::uint32_t>(rest % shape_.m[k]);
        rest /= shape_.m[k];
      }
      std::uint64_t pos = 0;
      for (std::size_t k = 0; k < d; ++k) pos = (pos * shape_.m[k] + id[k]) * shape_.n[k] + jd[k];
      interleaved_index_[static_cast<std::size_t>(j * rows_ + i)] = static_cast<std::uint32_t>(pos);
    }
  }
}

void TtLinear::init_uniform(quant::Rng& rng) {
  // Var(W_ij) = prod_k var_k x prod_bonds r_b; every core gets var_k = (2/N / prod r)^(1/d).
  double rank_product = 1.0;
  for (std::size_t b = 0; b < bond_count(); ++b) rank_product *= bond_rank(b);
  const double d = static_cast<double>(shape_.cores());
  const double variance = std::pow(2.0 / static_cast<double>(cols_) / rank_product, 1.0 / d);
  const double bound = std::sqrt(3.0 * variance);
  for (auto& core : cores_)
    for (float& v : core) v = static_cast<float>((2.0 * rng.uniform_double() - 1.0) * bound);
  bias_.setZero();
  if (fixed_point_) {
    for (std::size_t k = 0; k < cores_.size(); ++k)
      quant::quantize_to_codes(cores_[k].data(), codes_[k].data(), codes_[k].size(), formats_[k],
                               quant::RoundingMode::kNearestEven);
    std::fill(bias_codes_.begin(), bias_codes_.end(), 0);
    decode_cores();
  }
}

void TtLinear::use_fixed_point(std::uint32_t bits, double headroom, double bias_range,
                               quant::ScaleKind scale) {
  fixed_point_ = true;
  codes_.resize(cores_.size());
  formats_.resize(cores_.size());
  for (std::size_t k = 0; k < cores_.size(); ++k) {
    const double range = headroom * quant::max_abs(cores_[k].data(), cores_[k].size());
    formats_[k] = {bits, quant::choose_step(range, bits, scale)};
    codes_[k].resize(cores_[k].size());
    quant::quantize_to_codes(cores_[k].data(), codes_[k].data(), codes_[k].size(), formats_[k],
                             quant::RoundingMode::kNearestEven);
  }
  bias_format_ = {bits, quant::choose_step(bias_range, bits, scale)};
  bias_codes_.resize(static_cast<std::size_t>(bias_.size()));
  quant::quantize_to_codes(bias_.data(), bias_codes_.data(), bias_codes_.size(), bias_format_,
                           quant::RoundingMode::kNearestEven);
  decode_cores();
}

void TtLinear::decode_cores() {
  for (std::size_t k = 0; k < cores_.size(); ++k)
    quant::dequantize_codes(codes_[k].data(), cores_[k].data(), codes_[k].size(), formats_[k]);
  quant::dequantize_codes(bias_codes_.data(), bias_.data(), bias_codes_.size(), bias_format_);
}

void TtLinear::rebuild() {
  const std::size_t d = shape_.cores();
  partials_.resize(d + 1);
  partials_[0] = Matrix::Ones(1, 1);
  Eigen::Index rows = 1;  // prod_{l<k} m_l n_l
  for (std::size_t k = 0; k < d; ++k) {
    const auto r_in = static_cast<Eigen::Index>(shape_.ranks[k]);
    const auto r_out = static_cast<Eigen::Index>(shape_.ranks[k + 1]);
    const auto mn = static_cast<Eigen::Index>(shape_.m[k]) * shape_.n[k];
    const ConstMatrixMap g(cores_[k].data(), r_in, mn * r_out);
    Matrix& next = partials_[k + 1];
    next.resize(rows * mn, r_out);
    MatrixMap(next.data(), rows, mn * r_out).noalias() = partials_[k] * g;
    rows *= mn;
  }
  const float* w = partials_[d].data();
  weight_t_.resize(cols_, rows_);
  float* wt = weight_t_.data();
  for (std::size_t p = 0; p < interleaved_index_.size(); ++p) wt[p] = w[interleaved_index_[p]];
}

Matrix TtLinear::dense_weight() const {
  TtLinear copy = *this;
  copy.rebuild();
  return copy.weight_t_.transpose();
}

void TtLinear::forward(const Matrix& x, Matrix& y) {
  EDGESIM_CHECK(x.size() % cols_ == 0, "TT layer input is not a whole number of samples");
  const Eigen::Index batch = x.size() / cols_;
  input_ = ConstMatrixMap(x.data(), batch, cols_);
  if (quant_.act_bits > 0)
    fake_quantize_tensor(input_.data(), static_cast<std::size_t>(input_.size()), quant_.act_bits,
                         quant_.scale, quant::RoundingMode::kNearestEven, nullptr);
  rebuild();
  y.resize(batch, rows_);
  y.noalias() = input_ * weight_t_;
  y.rowwise() += bias_;
}

void TtLinear::backward(const Matrix& dy_in, Matrix* dx) {
  const Matrix* dy = &dy_in;
  if (quant_.grad_bits > 0) {
    dy_quantized_ = dy_in;
    fake_quantize_tensor(dy_quantized_.data(), static_cast<std::size_t>(dy_quantized_.size()),
                         quant_.grad_bits, quant_.scale, quant::RoundingMode::kStochastic,
                         quant_.rng);
    dy = &dy_quantized_;
  }
  grad_weight_t_.resize(cols_, rows_);
  grad_weight_t_.noalias() = input_.transpose() * (*dy);
  bias_grad_ = dy->colwise().sum();
  if (dx) {
    dx->resize(dy->rows(), cols_);
    dx->noalias() = (*dy) * weight_t_.transpose();
  }
  // dW in the interleaved order, then back through P_{k+1} = P_k G_k.
  grad_interleaved_.resize(interleaved_index_.size());
  const float* gw = grad_weight_t_.data();
  for (std::size_t p = 0; p < interleaved_index_.size(); ++p)
    grad_interleaved_[interleaved_index_[p]] = gw[p];
  Matrix upstream = ConstMatrixMap(grad_interleaved_.data(), rows_ * cols_, 1);  // dP_d
  Eigen::Index rows = rows_ * cols_;
  for (std::size_t k = shape_.cores(); k-- > 0;) {
    const auto r_in = static_cast<Eigen::Index>(shape_.ranks[k]);
    const auto r_out = static_cast<Eigen::Index>(shape_.ranks[k + 1]);
    const auto mn = static_cast<Eigen::Index>(shape_.m[k]) * shape_.n[k];
    rows /= mn;
    const ConstMatrixMap dp(upstream.data(), rows, mn * r_out);
    const ConstMatrixMap g(cores_[k].data(), r_in, mn * r_out);
    core_grads_[k].resize(cores_[k].size());
    MatrixMap(core_grads_[k].data(), r_in, mn * r_out).noalias() = partials_[k].transpose() * dp;
    if (k > 0) {
      Matrix down(rows, r_in);
      down.noalias() = dp * g.transpose();
      upstream.swap(down);
    }
  }
}

double TtLinear::slice_squared_norm(std::size_t bond, std::uint32_t r) const {
  const std::size_t left = bond, right = bond + 1;
  const std::uint32_t r_left_out = shape_.ranks[left + 1];
  double sum = 0.0;
  const std::vector<float>& a = cores_[left];
  for (std::size_t p = r; p < a.size(); p += r_left_out) sum += double{a[p]} * a[p];
  const std::uint64_t row = ttm_core_elements(shape_, right) / shape_.ranks[right];
  const std::vector<float>& b = cores_[right];
  for (std::uint64_t p = r * row; p < (r + 1) * row; ++p) sum += double{b[p]} * b[p];
  return sum;
}

std::uint64_t TtLinear::slice_elements(std::size_t bond) const {
  return std::uint64_t{shape_.ranks[bond]} * shape_.m[bond] * shape_.n[bond] +
         std::uint64_t{shape_.m[bond + 1]} * shape_.n[bond + 1] * shape_.ranks[bond + 2];
}

void TtLinear::update_slice_variances(const RankPriorParams& prior) {
  for (std::size_t b = 0; b < bond_count(); ++b) {
    lambdas_[b].resize(bond_rank(b));
    for (std::uint32_t r = 0; r < bond_rank(b); ++r)
      lambdas_[b][r] =
          rank_slice_variance_update(slice_squared_norm(b, r), slice_elements(b), prior);
  }
}

double TtLinear::prior_penalty(double scale) const {
  double total = 0.0;
  for (std::size_t b = 0; b < bond_count(); ++b)
    for (std::uint32_t r = 0; r < bond_rank(b); ++r)
      if (lambdas_[b][r] > 0.0) total += slice_squared_norm(b, r) / (2.0 * lambdas_[b][r]);
  return scale * total;
}

void TtLinear::add_prior_gradient(double scale) {
  const std::size_t d = shape_.cores();
  // Precision 1 / lambda per slice; a slice with lambda 0 has only zeros (no gradient needed).
  auto precision = [&](std::size_t bond, std::uint32_t r) {
    const double lambda = lambdas_[bond][r];
    return lambda > 0.0 ? scale / lambda : 0.0;
  };
  for (std::size_t k = 0; k < d; ++k) {
    const std::uint32_t r_in = shape_.ranks[k], r_out = shape_.ranks[k + 1];
    const std::uint64_t mn = std::uint64_t{shape_.m[k]} * shape_.n[k];
    std::vector<float>& grad = core_grads_[k];
    const std::vector<float>& w = cores_[k];
    for (std::uint32_t a = 0; a < r_in; ++a) {
      const double left = k > 0 ? precision(k - 1, a) : 0.0;
      for (std::uint32_t b = 0; b < r_out; ++b) {
        const auto factor = static_cast<float>(left + (k + 1 < d ? precision(k, b) : 0.0));
        for (std::uint64_t c = 0; c < mn; ++c) {
          const std::size_t p = (a * mn + c) * r_out + b;
          grad[p] += factor * w[p];
        }
      }
    }
  }
}

void TtLinear::remove_slices(std::size_t bond, const std::vector<bool>& remove) {
  const std::uint32_t rank = bond_rank(bond);
  EDGESIM_CHECK(remove.size() == rank, "remove_slices: one flag per slice expected");
  const auto removed = static_cast<std::uint32_t>(std::count(remove.begin(), remove.end(), true));
  EDGESIM_CHECK(removed < rank, "remove_slices: at least one slice must stay");
  if (removed == 0) return;
  const std::size_t left = bond, right = bond + 1;
  const std::uint64_t mn_left = std::uint64_t{shape_.m[left]} * shape_.n[left];
  const std::uint64_t mn_right = std::uint64_t{shape_.m[right]} * shape_.n[right];
  const std::uint32_t r_before = shape_.ranks[left], r_after = shape_.ranks[right + 1];
  cores_[left] = drop_rank_entries(cores_[left], r_before, mn_left, rank, true, remove);
  cores_[right] = drop_rank_entries(cores_[right], rank, mn_right, r_after, false, remove);
  core_grads_[left] = drop_rank_entries(core_grads_[left], r_before, mn_left, rank, true, remove);
  core_grads_[right] =
      drop_rank_entries(core_grads_[right], rank, mn_right, r_after, false, remove);
  if (fixed_point_) {
    codes_[left] = drop_rank_entries(codes_[left], r_before, mn_left, rank, true, remove);
    codes_[right] = drop_rank_entries(codes_[right], rank, mn_right, r_after, false, remove);
  }
  std::vector<double> kept;
  for (std::uint32_t r = 0; r < rank; ++r)
    if (!remove[r]) kept.push_back(lambdas_[bond][r]);
  lambdas_[bond] = std::move(kept);
  shape_.ranks[bond + 1] = rank - removed;
}

std::size_t TtLinear::prune_slices(double threshold) {
  std::size_t removed = 0;
  if (!(threshold > 0.0)) return removed;
  for (std::size_t b = 0; b < bond_count(); ++b) {
    const std::vector<double>& lambdas = lambdas_[b];
    const double largest = *std::max_element(lambdas.begin(), lambdas.end());
    std::vector<bool> remove(lambdas.size(), false);
    std::size_t count = 0;
    for (std::size_t r = 0; r < lambdas.size(); ++r) {
      remove[r] = lambdas[r] <= 0.0 || lambdas[r] < threshold * largest;
      count += remove[r];
    }
    if (count == lambdas.size()) {
      // Everything below the bar (all slices zero): keep the first.
      const auto best = std::max_element(lambdas.begin(), lambdas.end()) - lambdas.begin();
      remove[static_cast<std::size_t>(best)] = false;
      --count;
    }
    remove_slices(b, remove);
    removed += count;
  }
  return removed;
}

TtLinear::StepStats TtLinear::sgd_step(float lr, quant::Rng* rng) {
  StepStats stats;
  if (!fixed_point_) {
    for (std::size_t k = 0; k < cores_.size(); ++k)
      for (std::size_t p = 0; p < cores_[k].size(); ++p) cores_[k][p] -= lr * core_grads_[k][p];
    bias_.noalias() -= lr * bias_grad_;
    return stats;
  }
  EDGESIM_CHECK(rng != nullptr, "fixed-point SGD needs a generator for stochastic rounding");
  auto add = [&](std::vector<std::int32_t>& codes, const float* grad,
                 const quant::FixedPointFormat& format) {
    const auto s = quant::add_stochastic(codes.data(), grad, -lr / static_cast<float>(format.step),
                                         codes.size(), format, *rng);
    stats.nonzero += s.nonzero;
    stats.underflow += s.underflow;
    stats.saturated += s.saturated;
  };
  for (std::size_t k = 0; k < cores_.size(); ++k)
    add(codes_[k], core_grads_[k].data(), formats_[k]);
  add(bias_codes_, bias_grad_.data(), bias_format_);
  decode_cores();
  return stats;
}

}  // namespace workloads::numerics
