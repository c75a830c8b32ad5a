#include "models/memory/dram/dram_storage.h"

#include <algorithm>
#include <cstring>

namespace models {

unsigned char* DramStorage::page_for_write(std::uint64_t page_index) {
  if (page_index == cached_index_) return cached_page_;
  auto& page = pages_[page_index];
  if (!page) page.reset(new unsigned char[kPageBytes]());
  cached_index_ = page_index;
  cached_page_ = page.get();
  return cached_page_;
}

const unsigned char* DramStorage::page_for_read(std::uint64_t page_index) const {
  if (page_index == cached_index_) return cached_page_;
  auto it = pages_.find(page_index);
  if (it == pages_.end()) return nullptr;
  cached_index_ = page_index;
  cached_page_ = it->second.get();
  return cached_page_;
}

void DramStorage::read(std::uint64_t offset, unsigned char* destination,
                       std::uint64_t length) const {
  while (length > 0) {
    const std::uint64_t in_page = offset % kPageBytes;
    const std::uint64_t chunk = std::min(length, kPageBytes - in_page);
    const unsigned char* page = page_for_read(offset / kPageBytes);
    if (page) {
      std::memcpy(destination, page + in_page, chunk);
    } else {
      std::memset(destination, 0, chunk);
    }
    offset += chunk;
    destination += chunk;
    length -= chunk;
  }
}

void DramStorage::write(std::uint64_t offset, const unsigned char* source, std::uint64_t length,
                        const unsigned char* byte_enable, std::uint32_t byte_enable_length) {
  std::uint64_t done = 0;
  while (done < length) {
    const std::uint64_t in_page = (offset + done) % kPageBytes;
    const std::uint64_t chunk = std::min(length - done, kPageBytes - in_page);
    unsigned char* page = page_for_write((offset + done) / kPageBytes);
    if (byte_enable == nullptr || byte_enable_length == 0) {
      std::memcpy(page + in_page, source + done, chunk);
    } else {
      for (std::uint64_t i = 0; i < chunk; ++i) {
        if (byte_enable[(done + i) % byte_enable_length] != 0) {
          page[in_page + i] = source[done + i];
        }
      }
    }
    done += chunk;
  }
}

}  // namespace models
