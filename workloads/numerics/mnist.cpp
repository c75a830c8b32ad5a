#include "workloads/numerics/mnist.h"

#include <zlib.h>

#include <cmath>
#include <fstream>
#include <memory>

#include "sim/core/config.h"

namespace workloads::numerics {
namespace {

struct GzCloser {
  void operator()(gzFile_s* file) const { gzclose(file); }
};

bool file_exists(const std::string& path) { return std::ifstream(path).good(); }

void read_exact(gzFile file, void* buffer, std::size_t bytes, const std::string& path) {
  auto* out = static_cast<unsigned char*>(buffer);
  while (bytes > 0) {
    const unsigned chunk = bytes > (1u << 30) ? (1u << 30) : static_cast<unsigned>(bytes);
    const int got = gzread(file, out, chunk);
    if (got <= 0) throw sim::ConfigError(path + ": truncated or corrupt IDX file");
    out += got;
    bytes -= static_cast<std::size_t>(got);
  }
}

std::string find_idx(const std::string& dir, const std::string& stem) {
  for (const char* suffix : {".gz", ""}) {
    const std::string path = dir + "/" + stem + suffix;
    if (file_exists(path)) return path;
  }
  throw sim::ConfigError("edgesim train: Fashion-MNIST file " + stem + "[.gz] not found in " + dir +
                         "; install the Debian package " + kFashionMnistPackage +
                         " (apt-get install " + kFashionMnistPackage + ") or pass --data-dir");
}

Dataset make_dataset(const IdxFile& images, const IdxFile& labels, const std::string& where) {
  if (images.dims.size() != 3)
    throw sim::ConfigError(where + ": expected 3-dimensional image IDX data");
  if (labels.dims.size() != 1 ||
      labels.data.size() * images.dims[1] * images.dims[2] != images.data.size())
    throw sim::ConfigError(where + ": image and label counts differ");
  Dataset set;
  set.rows = images.dims[1];
  set.cols = images.dims[2];
  set.labels = labels.data;
  for (auto label : set.labels)
    if (label > 9)
      throw sim::ConfigError(where + ": label out of [0, 9]: " + std::to_string(label));
  set.images.resize(images.data.size());
  for (std::size_t i = 0; i < images.data.size(); ++i)
    set.images[i] = static_cast<float>(images.data[i]) / 255.0f;
  return set;
}

}  // namespace

IdxFile read_idx(const std::string& path, std::size_t max_items) {
  std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
  if (!file) throw sim::ConfigError(path + ": cannot open IDX file");
  unsigned char magic[4];
  read_exact(file.get(), magic, 4, path);
  if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || magic[3] == 0 || magic[3] > 4)
    throw sim::ConfigError(path + ": not an unsigned-byte IDX file (bad magic number)");
  IdxFile idx;
  std::size_t total = 1;
  for (int d = 0; d < magic[3]; ++d) {
    unsigned char be[4];
    read_exact(file.get(), be, 4, path);
    const std::uint32_t dim = (std::uint32_t{be[0]} << 24) | (std::uint32_t{be[1]} << 16) |
                              (std::uint32_t{be[2]} << 8) | std::uint32_t{be[3]};
    idx.dims.push_back(dim);
  }
  if (max_items > 0 && max_items < idx.dims[0]) idx.dims[0] = static_cast<std::uint32_t>(max_items);
  for (auto dim : idx.dims) total *= dim;
  idx.data.resize(total);
  read_exact(file.get(), idx.data.data(), total, path);
  return idx;
}

FashionMnist load_fashion_mnist(const std::string& dir, std::size_t train_subset,
                                std::size_t test_subset) {
  const auto train_images = find_idx(dir, "train-images-idx3-ubyte");
  const auto train_labels = find_idx(dir, "train-labels-idx1-ubyte");
  const auto test_images = find_idx(dir, "t10k-images-idx3-ubyte");
  const auto test_labels = find_idx(dir, "t10k-labels-idx1-ubyte");
  FashionMnist data;
  data.train = make_dataset(read_idx(train_images, train_subset),
                            read_idx(train_labels, train_subset), train_images);
  data.test = make_dataset(read_idx(test_images, test_subset), read_idx(test_labels, test_subset),
                           test_images);
  // Standardise with the statistics of the training images actually used.
  double sum = 0.0, sum_sq = 0.0;
  for (float v : data.train.images) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const double n = static_cast<double>(data.train.images.size());
  const double mean = n > 0 ? sum / n : 0.0;
  const double variance = n > 0 ? sum_sq / n - mean * mean : 1.0;
  const double stddev = variance > 1e-12 ? std::sqrt(variance) : 1.0;
  for (auto* set : {&data.train, &data.test})
    for (auto& v : set->images) v = static_cast<float>((v - mean) / stddev);
  return data;
}

void hold_out_validation(FashionMnist& data, std::size_t count) {
  const std::size_t total = data.train.count();
  if (count == 0 || count >= total) {
    throw sim::ConfigError("edgesim train: --validation: must be between 1 and " +
                           std::to_string(total == 0 ? 0 : total - 1) +
                           " (fewer than the training images loaded), got " +
                           std::to_string(count));
  }
  const std::size_t keep = total - count;
  const std::size_t pixels = data.train.pixels();
  Dataset validation;
  validation.rows = data.train.rows;
  validation.cols = data.train.cols;
  validation.images.assign(data.train.images.begin() + static_cast<std::ptrdiff_t>(keep * pixels),
                           data.train.images.end());
  validation.labels.assign(data.train.labels.begin() + static_cast<std::ptrdiff_t>(keep),
                           data.train.labels.end());
  data.train.images.resize(keep * pixels);
  data.train.labels.resize(keep);
  data.test = std::move(validation);
}

}  // namespace workloads::numerics
