#pragma once
// Layers for real training on small images: dense, 2-D convolution (im2col + GEMM), 2x2 max
// pooling and ReLU. Activations are row-major float matrices whose memory holds the batch in
// NHWC order, so a layer reinterprets its input's shape from the sample geometry it was
// built with (a batch of 28x28 images is equally B x 784 or B*784 x 1).

#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workloads/quant/fixed_point.h"

namespace workloads::numerics {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowVector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

/// Fake-quantises `n` values in place to a `bits`-wide symmetric fixed-point format whose step
/// covers their largest magnitude (chosen by `scale`), rounding by `mode` (stochastic rounding
/// draws from `rng`).
void fake_quantize_tensor(float* data, std::size_t n, std::uint32_t bits, quant::ScaleKind scale,
                          quant::RoundingMode mode, quant::Rng* rng);
/// Fake-quantises `n` non-negative values in place to the unsigned grid {0, 1, ..., 2^bits - 1}
/// x step, step = max / (2^bits - 1) (rounded up to a power of two with kPowerOfTwo), rounding
/// to nearest. Returns false, leaving the data unchanged, when a value is negative.
bool fake_quantize_unsigned(float* data, std::size_t n, std::uint32_t bits, quant::ScaleKind scale);

/// One stage of a network: forward keeps what backward needs.
class Layer {
 public:
  virtual ~Layer() = default;
  /// Computes y from x (x's memory holds whole samples of this layer's input geometry).
  virtual void forward(const Matrix& x, Matrix& y) = 0;
  /// Computes dx from dy for the last forward; dx == nullptr skips the input gradient.
  virtual void backward(const Matrix& dy, Matrix* dx) = 0;
  virtual std::string name() const = 0;
};

/// Quantisation applied inside a parameterised layer's GEMMs (0 bits = FP32).
struct LayerQuantization {
  std::uint32_t act_bits = 0;  // fake-quantise the input activations (round to nearest)
  // Inputs with no negative value (after a ReLU) use an unsigned grid of 2^bits levels from 0
  // instead of the symmetric signed one; inputs with negative values stay signed.
  bool act_unsigned = false;
  std::uint32_t grad_bits = 0;  // quantise the output gradient (stochastic rounding)
  quant::ScaleKind scale = quant::ScaleKind::kPowerOfTwo;
  quant::Rng* rng = nullptr;  // for stochastic gradient rounding
};

/// A layer with a weight matrix (fan_in x fan_out) and a bias row: the GEMM is
/// y = x_q W + b over the layer's (possibly quantised) input x_q.
class ParamLayer : public Layer {
 public:
  ParamLayer(std::string name, Eigen::Index fan_in, Eigen::Index fan_out);
  std::string name() const override { return name_; }
  /// The weights the GEMMs use (FP32, or a quantised copy written by the training scheme).
  Matrix& weight() { return weight_; }
  RowVector& bias() { return bias_; }
  const Matrix& grad_weight() const { return grad_weight_; }
  const RowVector& grad_bias() const { return grad_bias_; }
  Eigen::Index fan_in() const { return weight_.rows(); }
  Eigen::Index fan_out() const { return weight_.cols(); }
  std::uint64_t weight_count() const { return static_cast<std::uint64_t>(weight_.size()); }
  std::uint64_t bias_count() const { return static_cast<std::uint64_t>(bias_.size()); }
  void set_quantization(const LayerQuantization& q) { quant_ = q; }
  const LayerQuantization& quantization() const { return quant_; }
  /// He-uniform weights U(-sqrt(6 / fan_in), sqrt(6 / fan_in)), zero bias.
  void init_he_uniform(quant::Rng& rng);

 protected:
  /// Copies (and, if configured, fake-quantises) x into `out`.
  void quantize_input(const float* x, Eigen::Index rows, Eigen::Index cols, Matrix& out);
  /// Returns dy, or its quantised copy when gradients are quantised.
  const Matrix& quantize_output_grad(const Matrix& dy);

  std::string name_;
  Matrix weight_;
  RowVector bias_;
  Matrix grad_weight_;
  RowVector grad_bias_;
  LayerQuantization quant_;
  Matrix dy_quantized_;
};

/// Fully connected layer: fan_in -> fan_out.
class Dense : public ParamLayer {
 public:
  Dense(std::string name, Eigen::Index fan_in, Eigen::Index fan_out);
  void forward(const Matrix& x, Matrix& y) override;
  void backward(const Matrix& dy, Matrix* dx) override;

 private:
  Matrix input_;  // B x fan_in, as used by the GEMM
};

/// Square-kernel convolution, stride 1, zero padding `pad`, NHWC activations.
class Conv2d : public ParamLayer {
 public:
  Conv2d(std::string name, int height, int width, int in_channels, int out_channels, int kernel,
         int pad);
  void forward(const Matrix& x, Matrix& y) override;
  void backward(const Matrix& dy, Matrix* dx) override;
  int out_height() const { return out_h_; }
  int out_width() const { return out_w_; }

 private:
  int h_, w_, c_, k_, pad_, out_h_, out_w_;
  Eigen::Index batch_ = 0;
  Matrix input_;    // B*H*W x C (quantised input)
  Matrix columns_;  // B*OH*OW x K*K*C (im2col)
  Matrix grad_columns_;
};

/// 2x2 max pooling, stride 2, NHWC (height and width must be even).
class MaxPool2 : public Layer {
 public:
  MaxPool2(std::string name, int height, int width, int channels);
  void forward(const Matrix& x, Matrix& y) override;
  void backward(const Matrix& dy, Matrix* dx) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  int h_, w_, c_;
  Eigen::Index input_size_ = 0;
  std::vector<std::int32_t> argmax_;  // per output element, flat index into the input
};

/// Elementwise max(x, 0).
class Relu : public Layer {
 public:
  explicit Relu(std::string name) : name_(std::move(name)) {}
  void forward(const Matrix& x, Matrix& y) override;
  void backward(const Matrix& dy, Matrix* dx) override;
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Matrix output_;
};

/// A network: layers in order, the parameterised ones also listed on their own.
struct Network {
  std::string model;
  std::vector<std::unique_ptr<Layer>> layers;
  std::vector<ParamLayer*> param_layers;
  std::uint64_t parameter_count() const;
};

/// MLP 784-512-10 (fc1, ReLU, fc2), the tensorised-training papers' benchmark network.
Network build_mlp();
/// LeNet-5 for 28x28x1: conv1 5x5 pad 2 (6), ReLU, pool, conv2 5x5 (16), ReLU, pool,
/// fc1 400-120, ReLU, fc2 120-84, ReLU, fc3 84-10.
Network build_lenet5();
/// build_mlp or build_lenet5 by name ("mlp", "lenet5"); ConfigError otherwise.
Network build_model(const std::string& model);

/// Buffers reused across iterations: each layer's output and two gradient buffers.
struct Workspace {
  std::vector<Matrix> outputs;
  Matrix grad_in, grad_out;
};
/// Runs the whole network on `inputs` (one sample per row); returns the logits.
const Matrix& network_forward(Network& net, const Matrix& inputs, Workspace& work);
/// Backpropagates dlogits, filling every parameterised layer's gradients.
void network_backward(Network& net, const Matrix& dlogits, Workspace& work);

}  // namespace workloads::numerics
