#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "workloads/numerics/layers.h"
#include "workloads/numerics/loss.h"

namespace n = workloads::numerics;
namespace q = workloads::quant;

namespace {

n::Matrix random_matrix(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  q::Rng rng(seed);
  n::Matrix m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i)
    m.data()[i] = static_cast<float>(2.0 * rng.uniform_double() - 1.0);
  return m;
}

// Loss = sum(y .* r) for a fixed random r, so dL/dy = r.
double probe_loss(n::Layer& layer, const n::Matrix& x, const n::Matrix& r) {
  n::Matrix y;
  layer.forward(x, y);
  return static_cast<double>((y.array() * r.array()).sum());
}

// Checks the layer's dx (and dW for parameter layers) against central differences.
void check_gradients(n::Layer& layer, n::Matrix x, n::ParamLayer* params, double tolerance) {
  n::Matrix y;
  layer.forward(x, y);
  const n::Matrix r = random_matrix(y.rows(), y.cols(), 99);
  n::Matrix dx;
  layer.forward(x, y);
  layer.backward(r, &dx);
  ASSERT_EQ(dx.size(), x.size());
  const float eps = 1e-2f;
  for (Eigen::Index i = 0; i < x.size(); i += std::max<Eigen::Index>(1, x.size() / 40)) {
    const float saved = x.data()[i];
    x.data()[i] = saved + eps;
    const double plus = probe_loss(layer, x, r);
    x.data()[i] = saved - eps;
    const double minus = probe_loss(layer, x, r);
    x.data()[i] = saved;
    EXPECT_NEAR(dx.data()[i], (plus - minus) / (2 * eps), tolerance) << "dx[" << i << "]";
  }
  if (!params) return;
  const n::Matrix dw = params->grad_weight();
  const n::RowVector db = params->grad_bias();
  n::Matrix& w = params->weight();
  for (Eigen::Index i = 0; i < w.size(); i += std::max<Eigen::Index>(1, w.size() / 40)) {
    const float saved = w.data()[i];
    w.data()[i] = saved + eps;
    const double plus = probe_loss(layer, x, r);
    w.data()[i] = saved - eps;
    const double minus = probe_loss(layer, x, r);
    w.data()[i] = saved;
    EXPECT_NEAR(dw.data()[i], (plus - minus) / (2 * eps), tolerance) << "dW[" << i << "]";
  }
  EXPECT_NEAR(db(0), r.col(0).sum(), tolerance);
}

}  // namespace

TEST(Layers, DenseGradientsMatchFiniteDifferences) {
  n::Dense dense("fc", 7, 5);
  q::Rng rng(1);
  dense.init_he_uniform(rng);
  dense.bias() = n::RowVector::Constant(5, 0.1f);
  check_gradients(dense, random_matrix(4, 7, 2), &dense, 2e-3);
}

TEST(Layers, ConvolutionMatchesADirectLoopAndItsGradients) {
  const int h = 6, w = 5, c = 2, oc = 3, k = 3, pad = 1;
  n::Conv2d conv("conv", h, w, c, oc, k, pad);
  q::Rng rng(4);
  conv.init_he_uniform(rng);
  conv.bias() = n::RowVector::Constant(oc, 0.25f);
  const n::Matrix x = random_matrix(2 * h * w, c, 5);
  n::Matrix y;
  conv.forward(x, y);
  ASSERT_EQ(y.rows(), 2 * h * w);
  ASSERT_EQ(y.cols(), oc);
  for (int b = 0; b < 2; ++b)
    for (int oy = 0; oy < h; ++oy)
      for (int ox = 0; ox < w; ++ox)
        for (int o = 0; o < oc; ++o) {
          double sum = 0.25;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx)
              for (int ci = 0; ci < c; ++ci) {
                const int iy = oy + ky - pad, ix = ox + kx - pad;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                sum += x((b * h + iy) * w + ix, ci) * conv.weight()((ky * k + kx) * c + ci, o);
              }
          ASSERT_NEAR(y((b * h + oy) * w + ox, o), sum, 1e-5);
        }
  check_gradients(conv, x, &conv, 2e-3);
}

TEST(Layers, MaxPoolAndReluRouteGradients) {
  n::MaxPool2 pool("pool", 4, 4, 2);
  check_gradients(pool, random_matrix(2 * 16, 2, 8), nullptr, 2e-3);
  n::Relu relu("relu");
  n::Matrix x(1, 4);
  x << -1.0f, 2.0f, -0.5f, 3.0f;
  n::Matrix y, dx;
  relu.forward(x, y);
  EXPECT_EQ(y(0, 0), 0.0f);
  EXPECT_EQ(y(0, 1), 2.0f);
  n::Matrix dy = n::Matrix::Ones(1, 4);
  relu.backward(dy, &dx);
  EXPECT_EQ(dx(0, 0), 0.0f);
  EXPECT_EQ(dx(0, 3), 1.0f);
}

TEST(Loss, SoftmaxCrossEntropyValueAndGradient) {
  n::Matrix logits(2, 3);
  logits << 1.0f, 2.0f, 3.0f, 0.0f, 0.0f, 0.0f;
  const std::uint8_t labels[] = {2, 0};
  n::Matrix d;
  const auto result = n::softmax_cross_entropy(logits, labels, &d);
  const double expected0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  EXPECT_NEAR(result.loss_sum, expected0 + std::log(3.0), 1e-6);
  EXPECT_EQ(result.correct, 2u);  // ties pick the first maximum, class 0
  EXPECT_NEAR(d(1, 0), (1.0 / 3 - 1.0) / 2, 1e-6);
  EXPECT_NEAR(d.row(0).sum(), 0.0, 1e-6);
}

TEST(Layers, ModelsHaveThePublishedShapes) {
  const auto mlp = n::build_mlp();
  EXPECT_EQ(mlp.parameter_count(), 784u * 512 + 512 + 512 * 10 + 10);
  const auto lenet = n::build_lenet5();
  ASSERT_EQ(lenet.param_layers.size(), 5u);
  EXPECT_EQ(lenet.parameter_count(), (25u * 6 + 6) + (150u * 16 + 16) + (400u * 120 + 120) +
                                         (120u * 84 + 84) + (84u * 10 + 10));
  auto net = n::build_lenet5();
  n::Workspace work;
  const n::Matrix x = random_matrix(3, 784, 11);
  const auto& logits = n::network_forward(net, x, work);
  EXPECT_EQ(logits.rows(), 3);
  EXPECT_EQ(logits.cols(), 10);
}

TEST(Layers, QuantizedInputsAreOnTheFormatGrid) {
  n::Dense dense("fc", 4, 1);
  dense.weight() = n::Matrix::Ones(4, 1);
  n::LayerQuantization quantization;
  quantization.act_bits = 4;  // pow2 step for max 1.0: 1/4 (7 codes * 1/4 >= 1)
  dense.set_quantization(quantization);
  n::Matrix x(1, 4);
  x << 1.0f, 0.3f, -0.6f, 0.125f;
  n::Matrix y;
  dense.forward(x, y);
  // 0.3 -> 0.25, -0.6 -> -0.5, 0.125 -> 0 (tie to even code 0).
  EXPECT_FLOAT_EQ(y(0, 0), 1.0f + 0.25f - 0.5f + 0.0f);
}
