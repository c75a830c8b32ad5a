// Tensor-train matrix layers: counts against hand-computed values (issue 10), contraction
// steps, and the reference contraction against the rebuilt dense matrix.
#include "workloads/network/tensor_train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <stdexcept>

namespace {

using workloads::TtmOrder;
using workloads::TtmShape;
using workloads::TtmStep;

// fc1 of the 784-512-10 MLP: W is 512 x 784.
TtmShape fc1(std::uint32_t rank) {
  return TtmShape{{4, 4, 8, 4}, {4, 7, 4, 7}, workloads::ttm_uniform_ranks(4, rank)};
}
// fc2: W is 10 x 512.
TtmShape fc2(std::uint32_t rank) {
  return TtmShape{{2, 5}, {16, 32}, workloads::ttm_uniform_ranks(2, rank)};
}

std::vector<std::vector<double>> random_cores(const TtmShape& shape, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<std::vector<double>> cores;
  for (std::size_t k = 0; k < shape.cores(); ++k) {
    std::vector<double> g(workloads::ttm_core_elements(shape, k));
    for (double& v : g) v = dist(gen);
    cores.push_back(g);
  }
  return cores;
}

std::vector<double> random_vector(std::size_t size, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(size);
  for (double& e : v) e = dist(gen);
  return v;
}

// Cores of W^T: [r][i][j][s] -> [r][j][i][s].
std::vector<std::vector<double>> transposed_cores(const TtmShape& shape,
                                                  const std::vector<std::vector<double>>& cores) {
  std::vector<std::vector<double>> out;
  for (std::size_t k = 0; k < shape.cores(); ++k) {
    const std::uint64_t r0 = shape.ranks[k], r1 = shape.ranks[k + 1], m = shape.m[k],
                        n = shape.n[k];
    std::vector<double> g(cores[k].size());
    for (std::uint64_t r = 0; r < r0; ++r)
      for (std::uint64_t i = 0; i < m; ++i)
        for (std::uint64_t j = 0; j < n; ++j)
          for (std::uint64_t s = 0; s < r1; ++s)
            g[((r * n + j) * m + i) * r1 + s] = cores[k][((r * m + i) * n + j) * r1 + s];
    out.push_back(g);
  }
  return out;
}

TEST(TensorTrain, Fc1ParameterCounts) {
  EXPECT_EQ(workloads::ttm_parameters(fc1(20)), 24880u);  // 320 + 11200 + 12800 + 560
  EXPECT_EQ(workloads::ttm_parameters(fc1(8)), 4192u);    // 128 + 1792 + 2048 + 224
  EXPECT_EQ(workloads::ttm_dense_parameters(fc1(20)), 401408u);
  EXPECT_EQ(workloads::ttm_rows(fc1(20)), 512u);
  EXPECT_EQ(workloads::ttm_cols(fc1(20)), 784u);
}

TEST(TensorTrain, Fc1ForwardMacsPerOrder) {
  // Right to left: 128*320 + 128*11200 + 112*12800 + 112*560.
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(20), TtmOrder::kRightToLeft), 2970880u);
  // Left to right: 196*320 + 112*11200 + 112*12800 + 128*560.
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(20), TtmOrder::kLeftToRight), 2822400u);
  // Rebuild (left-to-right merges: 16*20*560 + 448*20*640 + 14336*20*28) + 512*784.
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(20), TtmOrder::kRebuildDense), 13941760u + 401408u);
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(fc1(20)), TtmOrder::kLeftToRight);
  // Rank 8: 196*128 + 112*1792 + 112*2048 + 128*224.
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(8), TtmOrder::kLeftToRight), 483840u);
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(8), TtmOrder::kRightToLeft), 500224u);
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(fc1(8)), TtmOrder::kLeftToRight);
  // Rank 8 rebuild: left-to-right merges 16*8*224 + 448*8*256 + 14336*8*28, then 512*784.
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(8), TtmOrder::kRebuildDense), 4157440u + 401408u);
}

TEST(TensorTrain, Fc1RebuildWinsFromBatchSix) {
  // Sequential costs grow with the batch; the rebuild is paid once per batch.
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(fc1(20), 5), TtmOrder::kLeftToRight);
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(fc1(20), 6), TtmOrder::kRebuildDense);
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(20), TtmOrder::kLeftToRight, 6), 6u * 2822400u);
  EXPECT_EQ(workloads::ttm_forward_macs(fc1(20), TtmOrder::kRebuildDense, 6),
            13941760u + 6u * 401408u);
}

TEST(TensorTrain, Fc2CountsAndOrders) {
  const TtmShape s = fc2(20);
  EXPECT_EQ(workloads::ttm_parameters(s), 3840u);  // 1*2*16*20 + 20*5*32*1
  EXPECT_EQ(workloads::ttm_dense_parameters(s), 5120u);
  EXPECT_EQ(workloads::ttm_forward_macs(s, TtmOrder::kRightToLeft), 54400u);  // 5*640 + 16*3200
  EXPECT_EQ(workloads::ttm_forward_macs(s, TtmOrder::kLeftToRight), 26880u);  // 32*640 + 2*3200
  EXPECT_EQ(workloads::ttm_forward_macs(s, TtmOrder::kRebuildDense), 102400u + 5120u);
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(s, 4), TtmOrder::kLeftToRight);
  EXPECT_EQ(workloads::ttm_cheapest_forward_order(s, 5), TtmOrder::kRebuildDense);
}

TEST(TensorTrain, BackwardDataIsForwardOfTransposeAndGradientsMatchPartials) {
  const TtmShape s = fc1(20);
  EXPECT_EQ(workloads::ttm_backward_data_macs(s, TtmOrder::kRightToLeft), 2822400u);
  EXPECT_EQ(workloads::ttm_backward_data_macs(s, TtmOrder::kLeftToRight), 2970880u);
  EXPECT_EQ(workloads::ttm_core_gradient_macs(s, TtmOrder::kLeftToRight), 2822400u);
  EXPECT_EQ(workloads::ttm_core_gradient_macs(s, TtmOrder::kRightToLeft, 3), 3u * 2970880u);
  const auto grads = workloads::ttm_core_gradient_steps(s, TtmOrder::kLeftToRight, 2);
  const auto fwd = workloads::ttm_forward_steps(s, TtmOrder::kLeftToRight, 2);
  ASSERT_EQ(grads.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(grads[k].macs(), fwd[k].macs()) << "core " << k;
    EXPECT_EQ(grads[k].output_elements, workloads::ttm_core_elements(s, k));
  }
  EXPECT_THROW(workloads::ttm_core_gradient_steps(s, TtmOrder::kRebuildDense),
               std::invalid_argument);
}

TEST(TensorTrain, StepsSumToTotalsAndChainIntermediates) {
  const std::vector<TtmShape> shapes = {fc1(20), fc1(8), fc2(20),
                                        TtmShape{{3, 2, 5}, {2, 4, 3}, {1, 2, 3, 1}}};
  for (const TtmShape& s : shapes) {
    for (std::uint64_t batch : {1u, 7u}) {
      for (TtmOrder order :
           {TtmOrder::kRightToLeft, TtmOrder::kLeftToRight, TtmOrder::kRebuildDense}) {
        const auto steps = workloads::ttm_forward_steps(s, order, batch);
        std::uint64_t sum = 0;
        for (const TtmStep& step : steps) sum += step.macs();
        EXPECT_EQ(sum, workloads::ttm_forward_macs(s, order, batch));
        if (order == TtmOrder::kRebuildDense) {
          ASSERT_EQ(steps.size(), s.cores());  // d-1 merges + the dense GEMM
          EXPECT_EQ(steps.back().kind, TtmStep::Kind::kDenseGemm);
          EXPECT_EQ(steps[steps.size() - 2].output_elements, workloads::ttm_dense_parameters(s));
          continue;
        }
        ASSERT_EQ(steps.size(), s.cores());
        EXPECT_EQ(steps.front().input_elements, batch * workloads::ttm_cols(s));
        EXPECT_EQ(steps.back().output_elements, batch * workloads::ttm_rows(s));
        for (std::size_t i = 0; i + 1 < steps.size(); ++i) {
          EXPECT_EQ(steps[i].output_elements, steps[i + 1].input_elements);
        }
      }
    }
  }
  // fc1 rank 20, left to right: the largest intermediate is after core 3, 4*4*8*20*7 = 17920.
  EXPECT_EQ(workloads::ttm_peak_intermediate_elements(fc1(20), TtmOrder::kLeftToRight), 17920u);
}

TEST(TensorTrain, ReferenceContractionEqualsRebuiltDenseProduct) {
  const std::vector<TtmShape> shapes = {fc1(8), fc2(20),
                                        TtmShape{{3, 2, 5}, {2, 4, 3}, {1, 2, 3, 1}}};
  unsigned seed = 1;
  for (const TtmShape& s : shapes) {
    const auto cores = random_cores(s, seed++);
    const auto x = random_vector(workloads::ttm_cols(s), seed++);
    const std::uint64_t rows = workloads::ttm_rows(s), cols = workloads::ttm_cols(s);
    const std::vector<double> w = workloads::ttm_reference_rebuild(s, cores);
    ASSERT_EQ(w.size(), rows * cols);
    std::vector<double> dense(rows, 0.0);
    for (std::uint64_t i = 0; i < rows; ++i)
      for (std::uint64_t j = 0; j < cols; ++j) dense[i] += w[i * cols + j] * x[j];
    for (TtmOrder order :
         {TtmOrder::kRightToLeft, TtmOrder::kLeftToRight, TtmOrder::kRebuildDense}) {
      std::uint64_t macs = 0;
      const auto y = workloads::ttm_reference_apply(s, cores, x, order, &macs);
      ASSERT_EQ(y.size(), rows);
      for (std::uint64_t i = 0; i < rows; ++i) {
        EXPECT_NEAR(y[i], dense[i], 1e-9 * (1.0 + std::abs(dense[i])))
            << workloads::ttm_order_name(order) << " row " << i;
      }
      if (order != TtmOrder::kRebuildDense) {
        // The loops perform exactly the counted multiply-accumulates.
        EXPECT_EQ(macs, workloads::ttm_forward_macs(s, order));
      }
    }
    // Backward data: W^T dy through the transposed cores, costed as ttm_backward_data_macs.
    const auto dy = random_vector(rows, seed++);
    const TtmShape t = workloads::ttm_transposed(s);
    std::uint64_t macs = 0;
    const auto dx = workloads::ttm_reference_apply(t, transposed_cores(s, cores), dy,
                                                   TtmOrder::kLeftToRight, &macs);
    EXPECT_EQ(macs, workloads::ttm_backward_data_macs(s, TtmOrder::kLeftToRight));
    for (std::uint64_t j = 0; j < cols; ++j) {
      double expect = 0.0;
      for (std::uint64_t i = 0; i < rows; ++i) expect += w[i * cols + j] * dy[i];
      EXPECT_NEAR(dx[j], expect, 1e-9 * (1.0 + std::abs(expect)));
    }
  }
}

TEST(TensorTrain, ReferenceCoreGradientsMatchFiniteDifferences) {
  const std::vector<TtmShape> shapes = {TtmShape{{3, 2, 5}, {2, 4, 3}, {1, 2, 3, 1}}, fc2(4),
                                        TtmShape{{2, 3, 2, 2}, {3, 2, 2, 2}, {1, 3, 2, 4, 1}}};
  unsigned seed = 100;
  for (const TtmShape& s : shapes) {
    auto cores = random_cores(s, seed++);
    const auto x = random_vector(workloads::ttm_cols(s), seed++);
    const auto dy = random_vector(workloads::ttm_rows(s), seed++);
    auto loss = [&](const std::vector<std::vector<double>>& g) {
      const auto y = workloads::ttm_reference_apply(s, g, x, TtmOrder::kLeftToRight);
      double l = 0.0;
      for (std::size_t i = 0; i < y.size(); ++i) l += dy[i] * y[i];
      return l;
    };
    for (TtmOrder partials : {TtmOrder::kLeftToRight, TtmOrder::kRightToLeft}) {
      std::uint64_t macs = 0;
      const auto grads = workloads::ttm_reference_core_gradients(s, cores, x, dy, partials, &macs);
      EXPECT_EQ(macs, workloads::ttm_core_gradient_macs(s, partials));
      ASSERT_EQ(grads.size(), s.cores());
      for (std::size_t k = 0; k < s.cores(); ++k) {
        ASSERT_EQ(grads[k].size(), cores[k].size());
        for (std::size_t e = 0; e < cores[k].size(); ++e) {
          const double h = 1e-4, saved = cores[k][e];
          cores[k][e] = saved + h;
          const double up = loss(cores);
          cores[k][e] = saved - h;
          const double down = loss(cores);
          cores[k][e] = saved;
          const double fd = (up - down) / (2 * h);
          EXPECT_NEAR(grads[k][e], fd, 1e-7 * (1.0 + std::abs(fd)))
              << workloads::ttm_order_name(partials) << " core " << k << " element " << e;
        }
      }
    }
  }
}

TEST(TensorTrain, ReferenceRebuildCountsLeftToRightMerges) {
  const TtmShape s = fc1(20);
  std::uint64_t macs = 0;
  workloads::ttm_reference_rebuild(s, random_cores(s, 42), &macs);
  EXPECT_EQ(macs, 13941760u);
}

TEST(TensorTrain, BalancedFactorsAndProposedShape) {
  EXPECT_EQ(workloads::ttm_balanced_factors(784, 4), (std::vector<std::uint32_t>{4, 4, 7, 7}));
  EXPECT_EQ(workloads::ttm_balanced_factors(512, 4), (std::vector<std::uint32_t>{4, 4, 4, 8}));
  EXPECT_EQ(workloads::ttm_balanced_factors(10, 2), (std::vector<std::uint32_t>{2, 5}));
  EXPECT_EQ(workloads::ttm_balanced_factors(13, 3), (std::vector<std::uint32_t>{1, 1, 13}));
  EXPECT_EQ(workloads::ttm_balanced_factors(1000, 3), (std::vector<std::uint32_t>{10, 10, 10}));
  EXPECT_THROW(workloads::ttm_balanced_factors(0, 2), std::invalid_argument);
  EXPECT_THROW(workloads::ttm_balanced_factors(12, 0), std::invalid_argument);

  const TtmShape p = workloads::ttm_propose_shape(512, 784, 4, 20);
  EXPECT_EQ(workloads::ttm_rows(p), 512u);
  EXPECT_EQ(workloads::ttm_cols(p), 784u);
  // Bond 1 cannot exceed m_1 n_1 = 16.
  EXPECT_EQ(p.ranks, (std::vector<std::uint32_t>{1, 16, 20, 20, 1}));
}

TEST(TensorTrain, RanksAndValidation) {
  EXPECT_EQ(workloads::ttm_uniform_ranks(4, 20), (std::vector<std::uint32_t>{1, 20, 20, 20, 1}));
  // The fc1 at rank 20 uses uncapped uniform ranks; capping lowers bond 1 to 16.
  EXPECT_EQ(workloads::ttm_capped_ranks({4, 4, 8, 4}, {4, 7, 4, 7}, 20),
            (std::vector<std::uint32_t>{1, 16, 20, 20, 1}));
  EXPECT_EQ(workloads::ttm_capped_ranks({2, 5}, {16, 32}, 200),
            (std::vector<std::uint32_t>{1, 32, 1}));
  EXPECT_THROW(workloads::validate_ttm_shape(TtmShape{{2, 5}, {16}, {1, 4, 1}}),
               std::invalid_argument);
  EXPECT_THROW(workloads::validate_ttm_shape(TtmShape{{2, 5}, {16, 32}, {1, 4}}),
               std::invalid_argument);
  EXPECT_THROW(workloads::validate_ttm_shape(TtmShape{{2, 5}, {16, 32}, {2, 4, 1}}),
               std::invalid_argument);
  EXPECT_THROW(workloads::validate_ttm_shape(TtmShape{{2, 0}, {16, 32}, {1, 4, 1}}),
               std::invalid_argument);
  EXPECT_THROW(workloads::ttm_forward_steps(fc2(4), TtmOrder::kLeftToRight, 0),
               std::invalid_argument);
  EXPECT_NO_THROW(workloads::validate_ttm_shape(fc1(20)));
}

}  // namespace
