#include "workloads/network/tensor_train.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace workloads {

namespace {

std::uint64_t product(const std::vector<std::uint32_t>& v, std::size_t begin, std::size_t end) {
  std::uint64_t p = 1;
  for (std::size_t i = begin; i < end; ++i) p *= v[i];
  return p;
}

std::uint64_t sum_macs(const std::vector<TtmStep>& steps) {
  std::uint64_t total = 0;
  for (const TtmStep& s : steps) total += s.macs();
  return total;
}

// Cores merged left to right: step for core k (k >= 1) multiplies the partial product of
// cores 0..k-1, (prod_{l<k} m_l n_l) x r_k, by core k, r_k x (m_k n_k r_{k+1}).
std::vector<TtmStep> merge_left_to_right(const TtmShape& s) {
  std::vector<TtmStep> steps;
  std::uint64_t done = std::uint64_t{s.m[0]} * s.n[0];
  for (std::size_t k = 1; k < s.cores(); ++k) {
    TtmStep step;
    step.kind = TtmStep::Kind::kMergeCores;
    step.core = k;
    step.gemm_m = done;
    step.gemm_k = s.ranks[k];
    step.gemm_n = std::uint64_t{s.m[k]} * s.n[k] * s.ranks[k + 1];
    step.input_elements = done * s.ranks[k];
    done *= std::uint64_t{s.m[k]} * s.n[k];
    step.output_elements = done * s.ranks[k + 1];
    steps.push_back(step);
  }
  return steps;
}

// Mirror: step for core k (k <= d-2) multiplies core k, (r_k m_k n_k) x r_{k+1}, by the partial
// product of cores k+1..d-1, r_{k+1} x (prod_{l>k} m_l n_l).
std::vector<TtmStep> merge_right_to_left(const TtmShape& s) {
  std::vector<TtmStep> steps;
  const std::size_t d = s.cores();
  std::uint64_t done = std::uint64_t{s.m[d - 1]} * s.n[d - 1];
  for (std::size_t k = d - 1; k-- > 0;) {
    TtmStep step;
    step.kind = TtmStep::Kind::kMergeCores;
    step.core = k;
    step.gemm_m = std::uint64_t{s.ranks[k]} * s.m[k] * s.n[k];
    step.gemm_k = s.ranks[k + 1];
    step.gemm_n = done;
    step.input_elements = done * s.ranks[k + 1];
    done *= std::uint64_t{s.m[k]} * s.n[k];
    step.output_elements = done * s.ranks[k];
    steps.push_back(step);
  }
  return steps;
}

}  // namespace

void validate_ttm_shape(const TtmShape& shape) {
  const std::size_t d = shape.m.size();
  if (d == 0) throw std::invalid_argument("TTM shape: needs at least one core");
  if (shape.n.size() != d) {
    throw std::invalid_argument("TTM shape: m has " + std::to_string(d) + " factors, n has " +
                                std::to_string(shape.n.size()));
  }
  if (shape.ranks.size() != d + 1) {
    throw std::invalid_argument("TTM shape: ranks must have " + std::to_string(d + 1) +
                                " entries (d+1), got " + std::to_string(shape.ranks.size()));
  }
  if (shape.ranks.front() != 1 || shape.ranks.back() != 1) {
    throw std::invalid_argument("TTM shape: r_0 and r_d must be 1");
  }
  for (std::size_t k = 0; k < d; ++k) {
    if (shape.m[k] == 0 || shape.n[k] == 0 || shape.ranks[k] == 0) {
      throw std::invalid_argument("TTM shape: factors and ranks must be > 0 (core " +
                                  std::to_string(k + 1) + ")");
    }
  }
}

std::vector<std::uint32_t> ttm_uniform_ranks(std::size_t cores, std::uint32_t rank) {
  if (cores == 0) throw std::invalid_argument("TTM ranks: needs at least one core");
  if (rank == 0) throw std::invalid_argument("TTM ranks: rank must be > 0");
  std::vector<std::uint32_t> ranks(cores + 1, rank);
  ranks.front() = 1;
  ranks.back() = 1;
  return ranks;
}

std::vector<std::uint32_t> ttm_capped_ranks(const std::vector<std::uint32_t>& m,
                                            const std::vector<std::uint32_t>& n,
                                            std::uint32_t max_rank) {
  std::vector<std::uint32_t> ranks = ttm_uniform_ranks(m.size(), max_rank);
  if (n.size() != m.size()) throw std::invalid_argument("TTM ranks: m and n differ in length");
  for (std::size_t k = 1; k < m.size(); ++k) {
    std::uint64_t left = 1, right = 1;
    for (std::size_t l = 0; l < k; ++l)
      left = std::min<std::uint64_t>(left * m[l] * n[l], max_rank);
    for (std::size_t l = k; l < m.size(); ++l) {
      right = std::min<std::uint64_t>(right * m[l] * n[l], max_rank);
    }
    ranks[k] = static_cast<std::uint32_t>(std::min({left, right, std::uint64_t{max_rank}}));
  }
  return ranks;
}

std::uint64_t ttm_rows(const TtmShape& shape) { return product(shape.m, 0, shape.m.size()); }
std::uint64_t ttm_cols(const TtmShape& shape) { return product(shape.n, 0, shape.n.size()); }

std::uint64_t ttm_core_elements(const TtmShape& shape, std::size_t core) {
  return std::uint64_t{shape.ranks[core]} * shape.m[core] * shape.n[core] * shape.ranks[core + 1];
}

std::uint64_t ttm_parameters(const TtmShape& shape) {
  validate_ttm_shape(shape);
  std::uint64_t total = 0;
  for (std::size_t k = 0; k < shape.cores(); ++k) total += ttm_core_elements(shape, k);
  return total;
}

std::uint64_t ttm_dense_parameters(const TtmShape& shape) {
  validate_ttm_shape(shape);
  return ttm_rows(shape) * ttm_cols(shape);
}

TtmShape ttm_transposed(const TtmShape& shape) {
  TtmShape t = shape;
  std::swap(t.m, t.n);
  return t;
}

const char* ttm_order_name(TtmOrder order) {
  switch (order) {
    case TtmOrder::kRightToLeft:
      return "right_to_left";
    case TtmOrder::kLeftToRight:
      return "left_to_right";
    case TtmOrder::kRebuildDense:
      return "rebuild_dense";
  }
  return "?";
}

std::vector<TtmStep> ttm_forward_steps(const TtmShape& shape, TtmOrder order, std::uint64_t batch) {
  validate_ttm_shape(shape);
  if (batch == 0) throw std::invalid_argument("TTM steps: batch must be > 0");
  const TtmShape& s = shape;
  const std::size_t d = s.cores();
  std::vector<TtmStep> steps;
  switch (order) {
    case TtmOrder::kLeftToRight:
      // State before core k: (batch, m_1..m_{k-1}, r_{k-1}, n_k..n_d).
      for (std::size_t k = 0; k < d; ++k) {
        const std::uint64_t free = batch * product(s.m, 0, k) * product(s.n, k + 1, d);
        TtmStep step;
        step.core = k;
        step.gemm_m = free;
        step.gemm_k = std::uint64_t{s.ranks[k]} * s.n[k];
        step.gemm_n = std::uint64_t{s.m[k]} * s.ranks[k + 1];
        step.input_elements = free * step.gemm_k;
        step.output_elements = free * step.gemm_n;
        steps.push_back(step);
      }
      break;
    case TtmOrder::kRightToLeft:
      // State before core k: (batch, n_1..n_k, r_k, m_{k+1}..m_d).
      for (std::size_t k = d; k-- > 0;) {
        const std::uint64_t free = batch * product(s.n, 0, k) * product(s.m, k + 1, d);
        TtmStep step;
        step.core = k;
        step.gemm_m = free;
        step.gemm_k = std::uint64_t{s.n[k]} * s.ranks[k + 1];
        step.gemm_n = std::uint64_t{s.ranks[k]} * s.m[k];
        step.input_elements = free * step.gemm_k;
        step.output_elements = free * step.gemm_n;
        steps.push_back(step);
      }
      break;
    case TtmOrder::kRebuildDense: {
      std::vector<TtmStep> ltr = merge_left_to_right(s);
      std::vector<TtmStep> rtl = merge_right_to_left(s);
      steps = sum_macs(rtl) < sum_macs(ltr) ? rtl : ltr;
      TtmStep gemm;
      gemm.kind = TtmStep::Kind::kDenseGemm;
      gemm.gemm_m = batch;
      gemm.gemm_k = ttm_cols(s);
      gemm.gemm_n = ttm_rows(s);
      gemm.input_elements = batch * gemm.gemm_k;
      gemm.output_elements = batch * gemm.gemm_n;
      steps.push_back(gemm);
      break;
    }
  }
  return steps;
}

std::uint64_t ttm_forward_macs(const TtmShape& shape, TtmOrder order, std::uint64_t batch) {
  return sum_macs(ttm_forward_steps(shape, order, batch));
}

TtmOrder ttm_cheapest_forward_order(const TtmShape& shape, std::uint64_t batch) {
  TtmOrder best = TtmOrder::kRightToLeft;
  std::uint64_t best_macs = ttm_forward_macs(shape, best, batch);
  for (TtmOrder order : {TtmOrder::kLeftToRight, TtmOrder::kRebuildDense}) {
    const std::uint64_t macs = ttm_forward_macs(shape, order, batch);
    if (macs < best_macs) {
      best = order;
      best_macs = macs;
    }
  }
  return best;
}

std::uint64_t ttm_peak_intermediate_elements(const TtmShape& shape, TtmOrder order,
                                             std::uint64_t batch) {
  std::uint64_t peak = 0;
  for (const TtmStep& s : ttm_forward_steps(shape, order, batch)) {
    peak = std::max(peak, s.output_elements);
  }
  return peak;
}

std::vector<TtmStep> ttm_backward_data_steps(const TtmShape& shape, TtmOrder order,
                                             std::uint64_t batch) {
  return ttm_forward_steps(ttm_transposed(shape), order, batch);
}

std::uint64_t ttm_backward_data_macs(const TtmShape& shape, TtmOrder order, std::uint64_t batch) {
  return sum_macs(ttm_backward_data_steps(shape, order, batch));
}

std::vector<TtmStep> ttm_core_gradient_steps(const TtmShape& shape, TtmOrder partials,
                                             std::uint64_t batch) {
  if (partials == TtmOrder::kRebuildDense) {
    throw std::invalid_argument(
        "TTM core gradients: partials must come from a sequential order, not rebuild_dense");
  }
  validate_ttm_shape(shape);
  if (batch == 0) throw std::invalid_argument("TTM steps: batch must be > 0");
  const TtmShape& s = shape;
  const std::size_t d = s.cores();
  std::vector<TtmStep> steps;
  for (std::size_t k = 0; k < d; ++k) {
    // kLeftToRight: input partial (batch, m_<k, r_{k-1}, n_k, n_>k), output partial
    // (batch, m_<k, m_k, r_k, n_>k); summed over batch, m_<k and n_>k.
    // kRightToLeft: input partial (batch, n_<k, n_k, r_k, m_>k), output partial
    // (batch, n_<k, r_{k-1}, m_k, m_>k); summed over batch, n_<k and m_>k.
    const std::uint64_t summed = partials == TtmOrder::kLeftToRight
                                     ? batch * product(s.m, 0, k) * product(s.n, k + 1, d)
                                     : batch * product(s.n, 0, k) * product(s.m, k + 1, d);
    TtmStep step;
    step.kind = TtmStep::Kind::kCoreGradient;
    step.core = k;
    step.gemm_m = std::uint64_t{s.ranks[k]} * s.n[k];
    step.gemm_n = std::uint64_t{s.m[k]} * s.ranks[k + 1];
    step.gemm_k = summed;
    step.input_elements = summed * (step.gemm_m + step.gemm_n);
    step.output_elements = ttm_core_elements(s, k);
    steps.push_back(step);
  }
  return steps;
}

std::uint64_t ttm_core_gradient_macs(const TtmShape& shape, TtmOrder partials,
                                     std::uint64_t batch) {
  return sum_macs(ttm_core_gradient_steps(shape, partials, batch));
}

std::vector<std::uint32_t> ttm_balanced_factors(std::uint64_t value, std::size_t count) {
  if (value == 0) throw std::invalid_argument("TTM factors: value must be > 0");
  if (count == 0) throw std::invalid_argument("TTM factors: count must be > 0");
  std::vector<std::uint64_t> primes;
  std::uint64_t rest = value;
  for (std::uint64_t p = 2; p * p <= rest; ++p) {
    while (rest % p == 0) {
      primes.push_back(p);
      rest /= p;
    }
  }
  if (rest > 1) primes.push_back(rest);
  std::sort(primes.rbegin(), primes.rend());
  std::vector<std::uint64_t> factors(count, 1);
  for (std::uint64_t p : primes) {
    *std::min_element(factors.begin(), factors.end()) *= p;
  }
  std::sort(factors.begin(), factors.end());
  if (factors.back() > UINT32_MAX) {
    throw std::invalid_argument("TTM factors: a factor of " + std::to_string(value) +
                                " does not fit 32 bits");
  }
  return std::vector<std::uint32_t>(factors.begin(), factors.end());
}

TtmShape ttm_propose_shape(std::uint64_t rows, std::uint64_t cols, std::size_t cores,
                           std::uint32_t max_rank) {
  TtmShape shape;
  shape.m = ttm_balanced_factors(rows, cores);
  shape.n = ttm_balanced_factors(cols, cores);
  shape.ranks = ttm_capped_ranks(shape.m, shape.n, max_rank);
  return shape;
}

namespace {

void check_cores(const TtmShape& shape, const std::vector<std::vector<double>>& cores) {
  validate_ttm_shape(shape);
  if (cores.size() != shape.cores()) {
    throw std::invalid_argument("TTM reference: expected " + std::to_string(shape.cores()) +
                                " cores, got " + std::to_string(cores.size()));
  }
  for (std::size_t k = 0; k < shape.cores(); ++k) {
    if (cores[k].size() != ttm_core_elements(shape, k)) {
      throw std::invalid_argument("TTM reference: core " + std::to_string(k + 1) +
                                  " has the wrong number of elements");
    }
  }
}

// Core k element [r][i][j][s].
double core_at(const TtmShape& sh, const std::vector<double>& g, std::size_t k, std::uint64_t r,
               std::uint64_t i, std::uint64_t j, std::uint64_t s) {
  return g[((r * sh.m[k] + i) * sh.n[k] + j) * sh.ranks[k + 1] + s];
}

}  // namespace

std::vector<double> ttm_reference_rebuild(const TtmShape& shape,
                                          const std::vector<std::vector<double>>& cores,
                                          std::uint64_t* macs_done) {
  check_cores(shape, cores);
  const TtmShape& sh = shape;
  // P[I][J][r]: I over (m_1..m_k), J over (n_1..n_k), r = r_k.
  std::uint64_t rows = sh.m[0], cols = sh.n[0];
  std::vector<double> p(rows * cols * sh.ranks[1]);
  for (std::uint64_t i = 0; i < rows; ++i) {
    for (std::uint64_t j = 0; j < cols; ++j) {
      for (std::uint64_t s = 0; s < sh.ranks[1]; ++s) {
        p[(i * cols + j) * sh.ranks[1] + s] = core_at(sh, cores[0], 0, 0, i, j, s);
      }
    }
  }
  std::uint64_t macs = 0;
  for (std::size_t k = 1; k < sh.cores(); ++k) {
    const std::uint64_t rk = sh.ranks[k], rn = sh.ranks[k + 1], mk = sh.m[k], nk = sh.n[k];
    const std::uint64_t new_cols = cols * nk;
    std::vector<double> q(rows * mk * new_cols * rn, 0.0);
    for (std::uint64_t big_i = 0; big_i < rows; ++big_i) {
      for (std::uint64_t big_j = 0; big_j < cols; ++big_j) {
        for (std::uint64_t i = 0; i < mk; ++i) {
          for (std::uint64_t j = 0; j < nk; ++j) {
            for (std::uint64_t s = 0; s < rn; ++s) {
              double acc = 0.0;
              for (std::uint64_t r = 0; r < rk; ++r) {
                acc += p[(big_i * cols + big_j) * rk + r] * core_at(sh, cores[k], k, r, i, j, s);
                ++macs;
              }
              q[((big_i * mk + i) * new_cols + big_j * nk + j) * rn + s] = acc;
            }
          }
        }
      }
    }
    rows *= mk;
    cols = new_cols;
    p.swap(q);
  }
  if (macs_done) *macs_done += macs;
  return p;  // r_d = 1: W[I][J]
}

namespace {

// One left-to-right step: t (a = m_<k, r_{k-1}, n_k, c = n_>k) -> (a m_k, r_k, c).
std::vector<double> ltr_step(const TtmShape& sh, const std::vector<double>& g, std::size_t k,
                             const std::vector<double>& t, std::uint64_t& macs) {
  const std::size_t d = sh.cores();
  const std::uint64_t a = product(sh.m, 0, k), c = product(sh.n, k + 1, d);
  const std::uint64_t r0 = sh.ranks[k], r1 = sh.ranks[k + 1], mk = sh.m[k], nk = sh.n[k];
  std::vector<double> u(a * mk * r1 * c, 0.0);
  for (std::uint64_t ia = 0; ia < a; ++ia) {
    for (std::uint64_t i = 0; i < mk; ++i) {
      for (std::uint64_t s = 0; s < r1; ++s) {
        for (std::uint64_t ic = 0; ic < c; ++ic) {
          double acc = 0.0;
          for (std::uint64_t r = 0; r < r0; ++r) {
            for (std::uint64_t j = 0; j < nk; ++j) {
              acc += t[((ia * r0 + r) * nk + j) * c + ic] * core_at(sh, g, k, r, i, j, s);
              ++macs;
            }
          }
          u[((ia * mk + i) * r1 + s) * c + ic] = acc;
        }
      }
    }
  }
  return u;
}

// One right-to-left step: t (a = n_<k, n_k, r_k, c = m_>k) -> (a, r_{k-1}, m_k c).
std::vector<double> rtl_step(const TtmShape& sh, const std::vector<double>& g, std::size_t k,
                             const std::vector<double>& t, std::uint64_t& macs) {
  const std::size_t d = sh.cores();
  const std::uint64_t a = product(sh.n, 0, k), c = product(sh.m, k + 1, d);
  const std::uint64_t r0 = sh.ranks[k], r1 = sh.ranks[k + 1], mk = sh.m[k], nk = sh.n[k];
  std::vector<double> u(a * r0 * mk * c, 0.0);
  for (std::uint64_t ia = 0; ia < a; ++ia) {
    for (std::uint64_t r = 0; r < r0; ++r) {
      for (std::uint64_t i = 0; i < mk; ++i) {
        for (std::uint64_t ic = 0; ic < c; ++ic) {
          double acc = 0.0;
          for (std::uint64_t j = 0; j < nk; ++j) {
            for (std::uint64_t s = 0; s < r1; ++s) {
              acc += t[((ia * nk + j) * r1 + s) * c + ic] * core_at(sh, g, k, r, i, j, s);
              ++macs;
            }
          }
          u[((ia * r0 + r) * mk + i) * c + ic] = acc;
        }
      }
    }
  }
  return u;
}

// Cores of W^T: [r][i][j][s] -> [r][j][i][s].
std::vector<std::vector<double>> transpose_cores(const TtmShape& sh,
                                                 const std::vector<std::vector<double>>& cores) {
  std::vector<std::vector<double>> out;
  for (std::size_t k = 0; k < sh.cores(); ++k) {
    const std::uint64_t r0 = sh.ranks[k], r1 = sh.ranks[k + 1], m = sh.m[k], n = sh.n[k];
    std::vector<double> g(cores[k].size());
    for (std::uint64_t r = 0; r < r0; ++r) {
      for (std::uint64_t i = 0; i < m; ++i) {
        for (std::uint64_t j = 0; j < n; ++j) {
          for (std::uint64_t s = 0; s < r1; ++s) {
            g[((r * n + j) * m + i) * r1 + s] = cores[k][((r * m + i) * n + j) * r1 + s];
          }
        }
      }
    }
    out.push_back(g);
  }
  return out;
}

}  // namespace

std::vector<double> ttm_reference_apply(const TtmShape& shape,
                                        const std::vector<std::vector<double>>& cores,
                                        const std::vector<double>& x, TtmOrder order,
                                        std::uint64_t* macs_done) {
  check_cores(shape, cores);
  const TtmShape& sh = shape;
  const std::size_t d = sh.cores();
  const std::uint64_t big_m = ttm_rows(sh), big_n = ttm_cols(sh);
  if (x.size() != big_n) {
    throw std::invalid_argument("TTM reference: x has " + std::to_string(x.size()) +
                                " elements, expected " + std::to_string(big_n));
  }
  std::uint64_t macs = 0;
  std::vector<double> t = x;
  switch (order) {
    case TtmOrder::kLeftToRight:
      for (std::size_t k = 0; k < d; ++k) t = ltr_step(sh, cores[k], k, t, macs);
      break;
    case TtmOrder::kRightToLeft:
      for (std::size_t k = d; k-- > 0;) t = rtl_step(sh, cores[k], k, t, macs);
      break;
    case TtmOrder::kRebuildDense: {
      const std::vector<double> w = ttm_reference_rebuild(sh, cores, &macs);
      t.assign(big_m, 0.0);
      for (std::uint64_t i = 0; i < big_m; ++i) {
        double acc = 0.0;
        for (std::uint64_t j = 0; j < big_n; ++j) {
          acc += w[i * big_n + j] * x[j];
          ++macs;
        }
        t[i] = acc;
      }
      break;
    }
  }
  if (macs_done) *macs_done += macs;
  return t;
}

std::vector<std::vector<double>> ttm_reference_core_gradients(
    const TtmShape& shape, const std::vector<std::vector<double>>& cores,
    const std::vector<double>& x, const std::vector<double>& dy, TtmOrder partials,
    std::uint64_t* macs_done) {
  check_cores(shape, cores);
  if (partials == TtmOrder::kRebuildDense) {
    throw std::invalid_argument(
        "TTM core gradients: partials must come from a sequential order, not rebuild_dense");
  }
  const TtmShape& sh = shape;
  const std::size_t d = sh.cores();
  if (x.size() != ttm_cols(sh) || dy.size() != ttm_rows(sh)) {
    throw std::invalid_argument("TTM reference: x must have N and dy M elements");
  }
  const TtmShape tsh = ttm_transposed(sh);
  const std::vector<std::vector<double>> tcores = transpose_cores(sh, cores);
  std::uint64_t partial_macs = 0;  // the partials are the forward and backward-data passes
  std::uint64_t macs = 0;
  std::vector<std::vector<double>> grads(d);
  for (std::size_t k = 0; k < d; ++k) {
    const std::uint64_t r0 = sh.ranks[k], r1 = sh.ranks[k + 1], mk = sh.m[k], nk = sh.n[k];
    std::vector<double>& grad = grads[k];
    grad.assign(ttm_core_elements(sh, k), 0.0);
    std::vector<double> in = x, out = dy;
    if (partials == TtmOrder::kLeftToRight) {
      // in: (a = m_<k, r_{k-1}, n_k, c = n_>k); out: (a, m_k, r_k, c).
      for (std::size_t l = 0; l < k; ++l) in = ltr_step(sh, cores[l], l, in, partial_macs);
      for (std::size_t l = d; l-- > k + 1;) out = rtl_step(tsh, tcores[l], l, out, partial_macs);
      const std::uint64_t a = product(sh.m, 0, k), c = product(sh.n, k + 1, d);
      for (std::uint64_t r = 0; r < r0; ++r)
        for (std::uint64_t i = 0; i < mk; ++i)
          for (std::uint64_t j = 0; j < nk; ++j)
            for (std::uint64_t s = 0; s < r1; ++s) {
              double acc = 0.0;
              for (std::uint64_t ia = 0; ia < a; ++ia)
                for (std::uint64_t ic = 0; ic < c; ++ic) {
                  acc += in[((ia * r0 + r) * nk + j) * c + ic] *
                         out[((ia * mk + i) * r1 + s) * c + ic];
                  ++macs;
                }
              grad[((r * mk + i) * nk + j) * r1 + s] = acc;
            }
    } else {
      // in: (a = n_<k, n_k, r_k, c = m_>k); out: (a, r_{k-1}, m_k, c).
      for (std::size_t l = d; l-- > k + 1;) in = rtl_step(sh, cores[l], l, in, partial_macs);
      for (std::size_t l = 0; l < k; ++l) out = ltr_step(tsh, tcores[l], l, out, partial_macs);
      const std::uint64_t a = product(sh.n, 0, k), c = product(sh.m, k + 1, d);
      for (std::uint64_t r = 0; r < r0; ++r)
        for (std::uint64_t i = 0; i < mk; ++i)
          for (std::uint64_t j = 0; j < nk; ++j)
            for (std::uint64_t s = 0; s < r1; ++s) {
              double acc = 0.0;
              for (std::uint64_t ia = 0; ia < a; ++ia)
                for (std::uint64_t ic = 0; ic < c; ++ic) {
                  acc += in[((ia * nk + j) * r1 + s) * c + ic] *
                         out[((ia * r0 + r) * mk + i) * c + ic];
                  ++macs;
                }
              grad[((r * mk + i) * nk + j) * r1 + s] = acc;
            }
    }
  }
  if (macs_done) *macs_done += macs;
  return grads;
}

}  // namespace workloads
