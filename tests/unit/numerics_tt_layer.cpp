// The training TTM layer: forward against the rebuilt W and the double-precision reference,
// gradients against finite differences, the rank-slice prior's closed-form update, pruning and
// the 8-bit fixed-point cores.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "workloads/network/tensor_train.h"
#include "workloads/numerics/tt_layer.h"
#include "workloads/numerics/tt_trainer.h"

namespace {

using workloads::TtmOrder;
using workloads::numerics::Matrix;
using workloads::numerics::rank_slice_log_objective;
using workloads::numerics::rank_slice_variance_update;
using workloads::numerics::RankPrior;
using workloads::numerics::RankPriorParams;
using workloads::numerics::RowVector;
using workloads::numerics::TtLinear;
namespace quant = workloads::quant;

Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, quant::Rng& rng) {
  Matrix x(rows, cols);
  for (Eigen::Index i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(2.0 * rng.uniform_double() - 1.0);
  return x;
}

TtLinear small_layer(quant::Rng& rng, std::uint32_t rank = 3) {
  TtLinear layer("t", {2, 3, 2}, {3, 2, 2}, rank);
  layer.init_uniform(rng);
  // Cores of order one and a non-zero bias, so every term matters.
  for (std::size_t k = 0; k < layer.core_count(); ++k)
    for (float& v : layer.core(k)) v = static_cast<float>(2.0 * rng.uniform_double() - 1.0);
  for (Eigen::Index i = 0; i < layer.bias().size(); ++i)
    layer.bias()[i] = static_cast<float>(rng.uniform_double());
  return layer;
}

std::vector<std::vector<double>> cores_as_double(const TtLinear& layer) {
  std::vector<std::vector<double>> cores;
  for (std::size_t k = 0; k < layer.core_count(); ++k)
    cores.emplace_back(layer.core(k).begin(), layer.core(k).end());
  return cores;
}

double max_abs_diff(const Matrix& a, const Matrix& b) { return (a - b).cwiseAbs().maxCoeff(); }

TEST(TtLayer, ForwardEqualsDenseProductOfRebuiltWAndTheReferenceContraction) {
  quant::Rng rng(11);
  TtLinear layer = small_layer(rng);
  const Matrix x = random_matrix(5, layer.fan_in(), rng);
  Matrix y;
  layer.forward(x, y);
  const Matrix w = layer.dense_weight();
  ASSERT_EQ(w.rows(), 12);
  ASSERT_EQ(w.cols(), 12);
  Matrix expected = x * w.transpose();
  expected.rowwise() += layer.bias();
  EXPECT_LT(max_abs_diff(y, expected), 1e-5);

  const auto cores = cores_as_double(layer);
  const auto rebuilt = workloads::ttm_reference_rebuild(layer.shape(), cores);
  for (Eigen::Index i = 0; i < w.rows(); ++i)
    for (Eigen::Index j = 0; j < w.cols(); ++j)
      EXPECT_NEAR(w(i, j), rebuilt[i * w.cols() + j], 1e-5);
  for (Eigen::Index b = 0; b < x.rows(); ++b) {
    const std::vector<double> xb(x.row(b).data(), x.row(b).data() + x.cols());
    for (TtmOrder order : {TtmOrder::kRightToLeft, TtmOrder::kLeftToRight}) {
      const auto ref = workloads::ttm_reference_apply(layer.shape(), cores, xb, order);
      for (Eigen::Index i = 0; i < y.cols(); ++i)
        EXPECT_NEAR(y(b, i), ref[i] + layer.bias()[i], 1e-5) << "sample " << b << " out " << i;
    }
  }
}

TEST(TtLayer, BenchmarkFc1AtRank20MatchesTheSequentialContraction) {
  quant::Rng rng(5);
  auto layers = workloads::numerics::build_tt_mlp_layers(20);
  TtLinear& fc1 = layers[0];
  fc1.init_uniform(rng);
  EXPECT_EQ(fc1.parameter_count(), 24880u);
  EXPECT_EQ(layers[1].parameter_count(), 3840u);
  const Matrix x = random_matrix(2, 784, rng);
  Matrix y;
  fc1.forward(x, y);
  ASSERT_EQ(y.cols(), 512);
  const auto cores = cores_as_double(fc1);
  double scale = 0.0;
  for (Eigen::Index b = 0; b < 2; ++b) {
    const std::vector<double> xb(x.row(b).data(), x.row(b).data() + 784);
    const auto ref = workloads::ttm_reference_apply(fc1.shape(), cores, xb, TtmOrder::kLeftToRight);
    for (double v : ref) scale = std::max(scale, std::fabs(v));
    for (Eigen::Index i = 0; i < 512; ++i) EXPECT_NEAR(y(b, i), ref[i], 1e-4 * scale + 1e-6);
  }
  EXPECT_GT(scale, 0.1);  // He-scaled cores give outputs of order one
}

// L = sum(dy .* y) is linear in every single core element and in x, so central differences are
// exact up to float rounding.
TEST(TtLayer, CoreGradientsAndInputGradientMatchFiniteDifferences) {
  quant::Rng rng(3);
  TtLinear layer = small_layer(rng);
  const Matrix x = random_matrix(4, layer.fan_in(), rng);
  const Matrix dy = random_matrix(4, layer.fan_out(), rng);
  Matrix y, dx;
  layer.forward(x, y);
  layer.backward(dy, &dx);
  auto loss = [&](TtLinear& l, const Matrix& input) {
    Matrix out;
    l.forward(input, out);
    return static_cast<double>((out.cast<double>().array() * dy.cast<double>().array()).sum());
  };
  const float h = 0.25f;
  std::size_t checked = 0;
  for (std::size_t k = 0; k < layer.core_count(); ++k) {
    for (std::size_t p = 0; p < layer.core(k).size(); ++p) {
      TtLinear probe = layer;
      probe.core(k)[p] += h;
      const double up = loss(probe, x);
      probe.core(k)[p] -= 2 * h;
      const double down = loss(probe, x);
      EXPECT_NEAR(layer.core_gradient(k)[p], (up - down) / (2 * h), 2e-4)
          << "core " << k << " element " << p;
      ++checked;
    }
  }
  EXPECT_EQ(checked, layer.parameter_count());
  for (Eigen::Index i = 0; i < x.size(); ++i) {
    Matrix xp = x, xm = x;
    xp.data()[i] += h;
    xm.data()[i] -= h;
    TtLinear probe = layer;
    EXPECT_NEAR(dx.data()[i], (loss(probe, xp) - loss(probe, xm)) / (2 * h), 2e-4) << i;
  }
  const RowVector bias_grad = dy.colwise().sum();
  EXPECT_LT((layer.bias_gradient() - bias_grad).cwiseAbs().maxCoeff(), 1e-6);

  // The same gradients as the reference's contraction of partials, summed over the batch.
  const auto cores = cores_as_double(layer);
  for (std::size_t k = 0; k < layer.core_count(); ++k) {
    std::vector<double> sum(layer.core(k).size(), 0.0);
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      const std::vector<double> xb(x.row(b).data(), x.row(b).data() + x.cols());
      const std::vector<double> db(dy.row(b).data(), dy.row(b).data() + dy.cols());
      const auto g = workloads::ttm_reference_core_gradients(layer.shape(), cores, xb, db,
                                                             TtmOrder::kLeftToRight);
      for (std::size_t p = 0; p < sum.size(); ++p) sum[p] += g[k][p];
    }
    for (std::size_t p = 0; p < sum.size(); ++p)
      EXPECT_NEAR(layer.core_gradient(k)[p], sum[p], 1e-4);
  }
}

TEST(TtPrior, LogUniformUpdateIsTheClosedFormMaximiser) {
  const RankPriorParams prior{RankPrior::kLogUniform, 1.0};
  for (double s : {1e-6, 0.3, 5.0, 400.0}) {
    for (std::uint64_t d : {1u, 20u, 560u}) {
      const double best = rank_slice_variance_update(s, d, prior);
      EXPECT_DOUBLE_EQ(best, s / (static_cast<double>(d) + 2.0));
      const double at_best = rank_slice_log_objective(best, s, d, prior);
      for (double f : {0.5, 0.9, 0.999, 1.001, 1.1, 2.0})
        EXPECT_GT(at_best, rank_slice_log_objective(best * f, s, d, prior))
            << s << " " << d << " " << f;
    }
  }
  EXPECT_EQ(rank_slice_variance_update(0.0, 10, prior), 0.0);
}

TEST(TtPrior, HalfCauchyUpdateIsTheBestRootOfItsStationarityEquation) {
  for (double eta : {1e-4, 0.01, 1.0, 100.0}) {
    const RankPriorParams prior{RankPrior::kHalfCauchy, eta};
    for (double s : {1e-4, 0.5, 30.0}) {
      for (std::uint64_t d : {2u, 40u, 560u}) {
        const double best = rank_slice_variance_update(s, d, prior);
        ASSERT_GT(best, 0.0);
        const double dd = static_cast<double>(d);
        // Stationarity, relative to the size of its terms.
        const double residual =
            (dd + 4) * best * best * best - s * best * best + dd * eta * eta * best - s * eta * eta;
        const double size =
            (dd + 4) * best * best * best + s * best * best + dd * eta * eta * best + s * eta * eta;
        EXPECT_LT(std::fabs(residual), 1e-9 * size) << eta << " " << s << " " << d;
        const double at_best = rank_slice_log_objective(best, s, d, prior);
        for (double f : {0.5, 0.9, 0.999, 1.001, 1.1, 2.0})
          EXPECT_GT(at_best, rank_slice_log_objective(best * f, s, d, prior))
              << eta << " " << s << " " << d << " " << f;
        // No point of a wide log grid does better.
        for (double l = 1e-9; l < 1e6; l *= 1.5)
          EXPECT_GE(at_best, rank_slice_log_objective(l, s, d, prior) - 1e-9);
        // Between the limits S / (D + 4) (tiny eta) and S / D (flat prior).
        EXPECT_GE(best, s / (dd + 4) * (1 - 1e-9));
        EXPECT_LE(best, s / dd * (1 + 1e-9));
      }
    }
  }
}

TEST(TtPrior, PenaltyGradientIsTheDerivativeOfThePenalty) {
  quant::Rng rng(21);
  TtLinear layer = small_layer(rng, 4);
  layer.update_slice_variances({RankPrior::kLogUniform, 1.0});
  const Matrix x = random_matrix(2, layer.fan_in(), rng);
  Matrix y;
  layer.forward(x, y);
  layer.backward(Matrix::Zero(2, layer.fan_out()), nullptr);  // data gradient 0
  const double scale = 0.01;
  layer.add_prior_gradient(scale);
  const float h = 1e-2f;
  for (std::size_t k = 0; k < layer.core_count(); ++k) {
    for (std::size_t p = 0; p < layer.core(k).size(); ++p) {
      TtLinear probe = layer;
      probe.core(k)[p] += h;
      const double up = probe.prior_penalty(scale);
      probe.core(k)[p] -= 2 * h;
      const double down = probe.prior_penalty(scale);
      EXPECT_NEAR(layer.core_gradient(k)[p], (up - down) / (2 * h), 1e-5) << k << " " << p;
    }
  }
}

TEST(TtPruning, RemovesExactlyTheSlicesBelowTheThresholdAndKeepsTheRest) {
  quant::Rng rng(8);
  TtLinear layer("t", {2, 3, 2, 2}, {2, 2, 3, 2}, 6);
  for (std::size_t k = 0; k < layer.core_count(); ++k)
    for (float& v : layer.core(k)) v = static_cast<float>(2.0 * rng.uniform_double() - 1.0);
  // Shrink slices 1 and 4 of bond 1 (core 1's last index, core 2's first index) by 100x and
  // slice 0 of bond 2 by 5x: lambda scales with the square, so 1e-4 and 0.04 of the others.
  const auto shrink = [&](std::size_t bond, std::uint32_t r, float factor) {
    const auto& s = layer.shape();
    std::vector<float>& left = layer.core(bond);
    for (std::size_t p = r; p < left.size(); p += s.ranks[bond + 1]) left[p] *= factor;
    std::vector<float>& right = layer.core(bond + 1);
    const std::size_t row = right.size() / s.ranks[bond + 1];
    for (std::size_t p = r * row; p < (r + 1) * row; ++p) right[p] *= factor;
  };
  shrink(1, 1, 0.01f);
  shrink(1, 4, 0.01f);
  shrink(2, 0, 0.2f);
  layer.update_slice_variances({RankPrior::kLogUniform, 1.0});
  const double threshold = 0.01;
  std::vector<std::vector<bool>> expected(layer.bond_count());
  for (std::size_t b = 0; b < layer.bond_count(); ++b) {
    const auto& lambdas = layer.slice_variances(b);
    const double largest = *std::max_element(lambdas.begin(), lambdas.end());
    for (double l : lambdas) expected[b].push_back(l < threshold * largest);
  }
  EXPECT_EQ(expected[1], (std::vector<bool>{false, true, false, false, true, false}));
  EXPECT_EQ(expected[2], std::vector<bool>(6, false));  // 0.04 of the largest stays

  // W without the doomed slices: zero them, rebuild.
  TtLinear zeroed = layer;
  {
    const auto& s = zeroed.shape();
    for (std::uint32_t r : {1u, 4u}) {
      std::vector<float>& left = zeroed.core(1);
      for (std::size_t p = r; p < left.size(); p += s.ranks[2]) left[p] = 0.0f;
    }
  }
  const Matrix w_expected = zeroed.dense_weight();
  const std::uint64_t before = layer.parameter_count();
  const auto kept_lambdas = layer.slice_variances(1);

  EXPECT_EQ(layer.prune_slices(threshold), 2u);
  EXPECT_EQ(layer.shape().ranks, (std::vector<std::uint32_t>{1, 6, 4, 6, 1}));
  EXPECT_EQ(layer.parameter_count(), workloads::ttm_parameters(layer.shape()));
  EXPECT_LT(layer.parameter_count(), before);
  EXPECT_EQ(layer.core(1).size(), 6u * 3 * 2 * 4);
  EXPECT_EQ(layer.core(2).size(), 4u * 2 * 3 * 6);
  EXPECT_EQ(layer.slice_variances(1), (std::vector<double>{kept_lambdas[0], kept_lambdas[2],
                                                           kept_lambdas[3], kept_lambdas[5]}));
  const Matrix w_after = layer.dense_weight();
  EXPECT_LT(max_abs_diff(w_after, w_expected), 1e-5 * w_expected.cwiseAbs().maxCoeff());
  // Nothing left below the bar: a second pass removes nothing.
  layer.update_slice_variances({RankPrior::kLogUniform, 1.0});
  EXPECT_EQ(layer.prune_slices(threshold), 0u);
}

TEST(TtPruning, KeepsOneSliceWhenABondIsAllZero) {
  quant::Rng rng(2);
  TtLinear layer = small_layer(rng, 3);
  std::fill(layer.core(1).begin(), layer.core(1).end(), 0.0f);
  std::fill(layer.core(2).begin(), layer.core(2).end(), 0.0f);
  layer.update_slice_variances({RankPrior::kLogUniform, 1.0});
  EXPECT_EQ(layer.prune_slices(1e-3), 2u);
  EXPECT_EQ(layer.bond_rank(1), 1u);
  EXPECT_EQ(layer.bond_rank(0), 3u);  // bond 0's slices live in core 0 too (non-zero)
}

TEST(TtFixedPoint, CodesStayInRangeAndStochasticUpdatesAreUnbiased) {
  quant::Rng rng(4);
  auto layers = workloads::numerics::build_tt_mlp_layers(20);
  TtLinear& fc1 = layers[0];
  fc1.init_uniform(rng);
  fc1.use_fixed_point(8, 2.0, 4.0, quant::ScaleKind::kPowerOfTwo);
  for (std::size_t k = 0; k < fc1.core_count(); ++k) {
    const auto& f = fc1.core_format(k);
    EXPECT_EQ(f.bits, 8u);
    EXPECT_EQ(std::log2(f.step), std::round(std::log2(f.step)));  // a power of two
    for (std::size_t p = 0; p < fc1.core(k).size(); ++p)
      EXPECT_EQ(fc1.core(k)[p], static_cast<float>(fc1.core_codes(k)[p] * f.step));
  }
  const Matrix x = random_matrix(8, 784, rng);
  const Matrix dy = random_matrix(8, 512, rng);
  quant::Rng rounding(9);
  double expected_sum = 0.0, actual_sum = 0.0, variance = 0.0;
  std::size_t moved = 0;
  for (int step = 0; step < 4; ++step) {
    Matrix y;
    fc1.forward(x, y);
    fc1.backward(dy, nullptr);
    // An lr that makes the largest update half a step: round-to-nearest would lose every one.
    double largest = 0.0;
    for (std::size_t k = 0; k < fc1.core_count(); ++k)
      for (float g : fc1.core_gradient(k))
        largest = std::max(largest, std::fabs(g) / fc1.core_format(k).step);
    const auto lr = static_cast<float>(0.5 / largest);
    std::vector<std::vector<std::int32_t>> before;
    for (std::size_t k = 0; k < fc1.core_count(); ++k) before.push_back(fc1.core_codes(k));
    const auto stats = fc1.sgd_step(lr, &rounding);
    EXPECT_EQ(stats.saturated, 0u);
    EXPECT_GT(stats.underflow, 0u);
    for (std::size_t k = 0; k < fc1.core_count(); ++k) {
      for (std::size_t p = 0; p < before[k].size(); ++p) {
        const double want = -lr * fc1.core_gradient(k)[p] / fc1.core_format(k).step;
        const double frac = want - std::floor(want);
        expected_sum += want;
        variance += frac * (1 - frac);
        const int delta = fc1.core_codes(k)[p] - before[k][p];
        actual_sum += delta;
        moved += delta != 0;
        EXPECT_LE(std::abs(delta), 1);
      }
    }
  }
  EXPECT_GT(moved, 1000u);
  EXPECT_LT(std::fabs(actual_sum - expected_sum), 5.0 * std::sqrt(variance) + 1.0)
      << actual_sum << " vs " << expected_sum;

  // Huge updates saturate instead of wrapping: every code stays in [-128, 127].
  Matrix y;
  fc1.forward(x, y);
  fc1.backward(dy * 1e6f, nullptr);
  const auto stats = fc1.sgd_step(1.0f, &rounding);
  EXPECT_GT(stats.saturated, 0u);
  for (std::size_t k = 0; k < fc1.core_count(); ++k)
    for (std::int32_t c : fc1.core_codes(k)) {
      EXPECT_GE(c, -128);
      EXPECT_LE(c, 127);
    }
  for (std::int32_t c : fc1.bias_codes()) {
    EXPECT_GE(c, -128);
    EXPECT_LE(c, 127);
  }
}

TEST(TtFixedPoint, PruningShrinksTheCodesWithTheCores) {
  quant::Rng rng(6);
  TtLinear layer = small_layer(rng, 4);
  layer.use_fixed_point(8, 2.0, 4.0, quant::ScaleKind::kPowerOfTwo);
  layer.remove_slices(0, {false, true, true, false});
  EXPECT_EQ(layer.bond_rank(0), 2u);
  for (std::size_t k = 0; k < layer.core_count(); ++k) {
    ASSERT_EQ(layer.core_codes(k).size(), layer.core(k).size());
    for (std::size_t p = 0; p < layer.core(k).size(); ++p)
      EXPECT_EQ(layer.core(k)[p],
                static_cast<float>(layer.core_codes(k)[p] * layer.core_format(k).step));
  }
}

}  // namespace
