#include "workloads/numerics/layers.h"

#include <algorithm>
#include <cmath>

#include "sim/core/config.h"

namespace workloads::numerics {
namespace {

using ConstMap = Eigen::Map<const Matrix>;

Eigen::Index batch_of(const Matrix& x, Eigen::Index per_sample) {
  EDGESIM_CHECK(per_sample > 0 && x.size() % per_sample == 0,
                "layer input size is not a whole number of samples");
  return x.size() / per_sample;
}

}  // namespace

void fake_quantize_tensor(float* data, std::size_t n, std::uint32_t bits, quant::ScaleKind scale,
                          quant::RoundingMode mode, quant::Rng* rng) {
  const float range = quant::max_abs(data, n);
  const quant::FixedPointFormat format{bits, quant::choose_step(range, bits, scale)};
  quant::fake_quantize(data, data, n, format, mode, rng);
}

ParamLayer::ParamLayer(std::string name, Eigen::Index fan_in, Eigen::Index fan_out)
    : name_(std::move(name)),
      weight_(Matrix::Zero(fan_in, fan_out)),
      bias_(RowVector::Zero(fan_out)),
      grad_weight_(Matrix::Zero(fan_in, fan_out)),
      grad_bias_(RowVector::Zero(fan_out)) {}

void ParamLayer::init_he_uniform(quant::Rng& rng) {
  const double bound = std::sqrt(6.0 / static_cast<double>(fan_in()));
  float* w = weight_.data();
  for (Eigen::Index i = 0; i < weight_.size(); ++i)
    w[i] = static_cast<float>((2.0 * rng.uniform_double() - 1.0) * bound);
  bias_.setZero();
}

bool fake_quantize_unsigned(float* data, std::size_t n, std::uint32_t bits,
                            quant::ScaleKind scale) {
  float largest = 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    if (data[i] < 0.0f) return false;
    largest = std::max(largest, data[i]);
  }
  if (largest == 0.0f) return true;
  const double top = std::ldexp(1.0, static_cast<int>(bits)) - 1.0;  // largest code
  double step = static_cast<double>(largest) / top;
  if (scale == quant::ScaleKind::kPowerOfTwo) step = std::exp2(std::ceil(std::log2(step)));
  for (std::size_t i = 0; i < n; ++i) {
    const double code = std::min(top, std::nearbyint(static_cast<double>(data[i]) / step));
    data[i] = static_cast<float>(code * step);
  }
  return true;
}

void ParamLayer::quantize_input(const float* x, Eigen::Index rows, Eigen::Index cols, Matrix& out) {
  out = ConstMap(x, rows, cols);
  if (quant_.act_bits == 0) return;
  const auto n = static_cast<std::size_t>(out.size());
  if (quant_.act_unsigned && fake_quantize_unsigned(out.data(), n, quant_.act_bits, quant_.scale))
    return;
  fake_quantize_tensor(out.data(), n, quant_.act_bits, quant_.scale,
                       quant::RoundingMode::kNearestEven, nullptr);
}

const Matrix& ParamLayer::quantize_output_grad(const Matrix& dy) {
  if (quant_.grad_bits == 0) return dy;
  dy_quantized_ = dy;
  fake_quantize_tensor(dy_quantized_.data(), static_cast<std::size_t>(dy_quantized_.size()),
                       quant_.grad_bits, quant_.scale, quant::RoundingMode::kStochastic,
                       quant_.rng);
  return dy_quantized_;
}

Dense::Dense(std::string name, Eigen::Index fan_in, Eigen::Index fan_out)
    : ParamLayer(std::move(name), fan_in, fan_out) {}

void Dense::forward(const Matrix& x, Matrix& y) {
  const Eigen::Index batch = batch_of(x, fan_in());
  quantize_input(x.data(), batch, fan_in(), input_);
  y.resize(batch, fan_out());
  y.noalias() = input_ * weight_;
  y.rowwise() += bias_;
}

void Dense::backward(const Matrix& dy, Matrix* dx) {
  const Matrix& g = quantize_output_grad(dy);
  grad_weight_.noalias() = input_.transpose() * g;
  grad_bias_ = g.colwise().sum();
  if (dx) {
    dx->resize(g.rows(), fan_in());
    dx->noalias() = g * weight_.transpose();
  }
}

Conv2d::Conv2d(std::string name, int height, int width, int in_channels, int out_channels,
               int kernel, int pad)
    : ParamLayer(std::move(name), static_cast<Eigen::Index>(kernel) * kernel * in_channels,
                 out_channels),
      h_(height),
      w_(width),
      c_(in_channels),
      k_(kernel),
      pad_(pad),
      out_h_(height + 2 * pad - kernel + 1),
      out_w_(width + 2 * pad - kernel + 1) {
  EDGESIM_CHECK(out_h_ > 0 && out_w_ > 0, "convolution kernel larger than its padded input");
}

void Conv2d::forward(const Matrix& x, Matrix& y) {
  batch_ = batch_of(x, static_cast<Eigen::Index>(h_) * w_ * c_);
  quantize_input(x.data(), batch_ * h_ * w_, c_, input_);
  columns_.resize(batch_ * out_h_ * out_w_, fan_in());
  const float* in = input_.data();
  for (Eigen::Index b = 0; b < batch_; ++b) {
    for (int oy = 0; oy < out_h_; ++oy) {
      for (int ox = 0; ox < out_w_; ++ox) {
        float* dst = columns_.row((b * out_h_ + oy) * out_w_ + ox).data();
        for (int ky = 0; ky < k_; ++ky) {
          const int iy = oy + ky - pad_;
          for (int kx = 0; kx < k_; ++kx, dst += c_) {
            const int ix = ox + kx - pad_;
            if (iy < 0 || iy >= h_ || ix < 0 || ix >= w_) {
              std::fill(dst, dst + c_, 0.0f);
            } else {
              const float* src = in + ((b * h_ + iy) * w_ + ix) * c_;
              std::copy(src, src + c_, dst);
            }
          }
        }
      }
    }
  }
  y.resize(columns_.rows(), fan_out());
  y.noalias() = columns_ * weight_;
  y.rowwise() += bias_;
}

void Conv2d::backward(const Matrix& dy, Matrix* dx) {
  const Matrix& g = quantize_output_grad(dy);
  grad_weight_.noalias() = columns_.transpose() * g;
  grad_bias_ = g.colwise().sum();
  if (!dx) return;
  grad_columns_.resize(columns_.rows(), columns_.cols());
  grad_columns_.noalias() = g * weight_.transpose();
  dx->setZero(batch_ * h_ * w_, c_);
  float* out = dx->data();
  for (Eigen::Index b = 0; b < batch_; ++b) {
    for (int oy = 0; oy < out_h_; ++oy) {
      for (int ox = 0; ox < out_w_; ++ox) {
        const float* src = grad_columns_.row((b * out_h_ + oy) * out_w_ + ox).data();
        for (int ky = 0; ky < k_; ++ky) {
          const int iy = oy + ky - pad_;
          for (int kx = 0; kx < k_; ++kx, src += c_) {
            const int ix = ox + kx - pad_;
            if (iy < 0 || iy >= h_ || ix < 0 || ix >= w_) continue;
            float* dst = out + ((b * h_ + iy) * w_ + ix) * c_;
            for (int c = 0; c < c_; ++c) dst[c] += src[c];
          }
        }
      }
    }
  }
}

MaxPool2::MaxPool2(std::string name, int height, int width, int channels)
    : name_(std::move(name)), h_(height), w_(width), c_(channels) {
  EDGESIM_CHECK(height % 2 == 0 && width % 2 == 0, "2x2 pooling needs even height and width");
}

void MaxPool2::forward(const Matrix& x, Matrix& y) {
  const Eigen::Index batch = batch_of(x, static_cast<Eigen::Index>(h_) * w_ * c_);
  const int oh = h_ / 2, ow = w_ / 2;
  input_size_ = x.size();
  y.resize(batch * oh * ow, c_);
  argmax_.resize(static_cast<std::size_t>(y.size()));
  const float* in = x.data();
  float* out = y.data();
  std::size_t o = 0;
  for (Eigen::Index b = 0; b < batch; ++b) {
    for (int oy = 0; oy < oh; ++oy) {
      for (int ox = 0; ox < ow; ++ox) {
        for (int c = 0; c < c_; ++c, ++o) {
          std::int32_t best = static_cast<std::int32_t>(((b * h_ + 2 * oy) * w_ + 2 * ox) * c_ + c);
          for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx) {
              const auto idx =
                  static_cast<std::int32_t>(((b * h_ + 2 * oy + dy) * w_ + 2 * ox + dx) * c_ + c);
              if (in[idx] > in[best]) best = idx;
            }
          argmax_[o] = best;
          out[o] = in[best];
        }
      }
    }
  }
}

void MaxPool2::backward(const Matrix& dy, Matrix* dx) {
  if (!dx) return;
  dx->setZero(input_size_ / c_, c_);
  float* out = dx->data();
  const float* g = dy.data();
  for (std::size_t o = 0; o < argmax_.size(); ++o) out[argmax_[o]] += g[o];
}

void Relu::forward(const Matrix& x, Matrix& y) {
  y = x.cwiseMax(0.0f);
  output_ = y;
}

void Relu::backward(const Matrix& dy, Matrix* dx) {
  if (!dx) return;
  *dx = (output_.array() > 0.0f).select(dy, 0.0f);
}

std::uint64_t Network::parameter_count() const {
  std::uint64_t count = 0;
  for (const auto* layer : param_layers) count += layer->weight_count() + layer->bias_count();
  return count;
}

Network build_mlp() {
  Network net;
  net.model = "mlp";
  auto fc1 = std::make_unique<Dense>("fc1", 784, 512);
  auto fc2 = std::make_unique<Dense>("fc2", 512, 10);
  net.param_layers = {fc1.get(), fc2.get()};
  net.layers.push_back(std::move(fc1));
  net.layers.push_back(std::make_unique<Relu>("relu1"));
  net.layers.push_back(std::move(fc2));
  return net;
}

Network build_lenet5() {
  Network net;
  net.model = "lenet5";
  auto conv1 = std::make_unique<Conv2d>("conv1", 28, 28, 1, 6, 5, 2);
  auto conv2 = std::make_unique<Conv2d>("conv2", 14, 14, 6, 16, 5, 0);
  auto fc1 = std::make_unique<Dense>("fc1", 400, 120);
  auto fc2 = std::make_unique<Dense>("fc2", 120, 84);
  auto fc3 = std::make_unique<Dense>("fc3", 84, 10);
  net.param_layers = {conv1.get(), conv2.get(), fc1.get(), fc2.get(), fc3.get()};
  net.layers.push_back(std::move(conv1));
  net.layers.push_back(std::make_unique<Relu>("relu1"));
  net.layers.push_back(std::make_unique<MaxPool2>("pool1", 28, 28, 6));
  net.layers.push_back(std::move(conv2));
  net.layers.push_back(std::make_unique<Relu>("relu2"));
  net.layers.push_back(std::make_unique<MaxPool2>("pool2", 10, 10, 16));
  net.layers.push_back(std::move(fc1));
  net.layers.push_back(std::make_unique<Relu>("relu3"));
  net.layers.push_back(std::move(fc2));
  net.layers.push_back(std::make_unique<Relu>("relu4"));
  net.layers.push_back(std::move(fc3));
  return net;
}

Network build_model(const std::string& model) {
  if (model == "mlp") return build_mlp();
  if (model == "lenet5") return build_lenet5();
  throw sim::ConfigError("edgesim train: --model: must be one of mlp, lenet5, got " + model);
}

const Matrix& network_forward(Network& net, const Matrix& inputs, Workspace& work) {
  work.outputs.resize(net.layers.size());
  const Matrix* x = &inputs;
  for (std::size_t i = 0; i < net.layers.size(); ++i) {
    net.layers[i]->forward(*x, work.outputs[i]);
    x = &work.outputs[i];
  }
  return *x;
}

void network_backward(Network& net, const Matrix& dlogits, Workspace& work) {
  const Matrix* dy = &dlogits;
  for (std::size_t i = net.layers.size(); i-- > 0;) {
    Matrix* dx = i > 0 ? &work.grad_in : nullptr;
    net.layers[i]->backward(*dy, dx);
    if (dx) {
      std::swap(work.grad_in, work.grad_out);
      dy = &work.grad_out;
    }
  }
}

}  // namespace workloads::numerics
