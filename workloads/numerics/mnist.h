#pragma once
// Reader for the IDX files of MNIST and Fashion-MNIST (gzipped or plain), as shipped by
// Debian's dataset-fashion-mnist package.

#include <cstdint>
#include <string>
#include <vector>

namespace workloads::numerics {

/// Where Debian's dataset-fashion-mnist package installs the files.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";
/// The Debian package that ships Fashion-MNIST, named in missing-dataset errors.
inline constexpr const char* kFashionMnistPackage = "dataset-fashion-mnist";

/// Images as rows of `rows * cols` floats (standardised), with their class labels.
struct Dataset {
  std::uint32_t rows = 0;
  std::uint32_t cols = 0;
  std::vector<float> images;         // count() * rows * cols values, row-major per image
  std::vector<std::uint8_t> labels;  // count() values in [0, 9]
  std::size_t count() const { return labels.size(); }
  std::size_t pixels() const { return static_cast<std::size_t>(rows) * cols; }
};

/// Raw IDX content: dimensions and unsigned-byte data.
struct IdxFile {
  std::vector<std::uint32_t> dims;
  std::vector<std::uint8_t> data;
};
/// Reads an IDX file of unsigned bytes (type 0x08), gzipped or not. At most `max_items`
/// items along the first dimension are read (0 = all). Throws sim::ConfigError.
IdxFile read_idx(const std::string& path, std::size_t max_items = 0);

/// The training and test sets, pixels scaled to [0, 1] then standardised with the training
/// set's mean and standard deviation.
struct FashionMnist {
  Dataset train;
  Dataset test;
};
/// Loads `dir`/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]; keeps the first
/// `train_subset` / `test_subset` samples (0 = all). A missing directory or file is a
/// ConfigError naming the Debian package to install.
FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_subset = 0,
                                std::size_t test_subset = 0);

/// Replaces the test set by the last `count` training samples and drops them from the training
/// set, so options can be chosen without looking at the test set. The pixel statistics of the
/// standardisation stay those of the whole loaded training set. Throws sim::ConfigError
/// ("--validation: ...") unless 0 < count < data.train.count().
void hold_out_validation(FashionMnist& data, std::size_t count);

}  // namespace workloads::numerics
