#pragma once
// Sparse functional backing store of the DRAM: pages allocated on first write, untouched
// memory reads as zero.

#include <cstdint>
#include <memory>
#include <unordered_map>

namespace models {

/// Byte-addressed sparse memory; offsets are relative to the DRAM's base.
class DramStorage {
 public:
  /// Copies `length` bytes at `offset` into `destination`.
  void read(std::uint64_t offset, unsigned char* destination, std::uint64_t length) const;
  /// Copies `length` bytes from `source` to `offset`; with byte enables, only enabled lanes
  /// (the pattern repeats every `byte_enable_length` bytes) are written.
  void write(std::uint64_t offset, const unsigned char* source, std::uint64_t length,
             const unsigned char* byte_enable = nullptr, std::uint32_t byte_enable_length = 0);
  /// Pages holding data (each kPageBytes).
  std::uint64_t pages_allocated() const { return pages_.size(); }

  static constexpr std::uint64_t kPageBytes = 4096;

 private:
  unsigned char* page_for_write(std::uint64_t page_index);
  const unsigned char* page_for_read(std::uint64_t page_index) const;

  std::unordered_map<std::uint64_t, std::unique_ptr<unsigned char[]>> pages_;
  mutable std::uint64_t cached_index_ = ~std::uint64_t{0};
  mutable unsigned char* cached_page_ = nullptr;
};

}  // namespace models
