#include "models/pe_array/scalesim_memory.h"

#include <algorithm>
#include <vector>

#include "sim/core/config.h"

namespace models {

namespace {

enum class Operand { kIfmap, kFilter, kOfmap };

/// SCALE-Sim's operand addresses (one-byte words) and its per-cycle demand rows.
class DemandStreams {
 public:
  DemandStreams(const ScalesimConvGeometry& g, std::uint32_t rows, std::uint32_t cols,
                Dataflow dataflow, const ScalesimMemoryConfig& config)
      : g_(g),
        r_(rows),
        c_(cols),
        dataflow_(dataflow),
        config_(config),
        fold_(fold_timing(g.gemm(), rows, cols, dataflow)),
        ofmap_w_(g.ofmap_w()) {}

  const FoldTiming& fold() const { return fold_; }
  std::uint64_t rows_total() const { return fold_.folds * fold_.cycles_per_fold; }
  std::uint32_t width(Operand op) const {
    switch (dataflow_) {
      case Dataflow::kOs:
        return op == Operand::kIfmap ? r_ : c_;
      case Dataflow::kWs:
        return op == Operand::kIfmap ? r_ : c_;
      case Dataflow::kIs:
        return op == Operand::kFilter ? r_ : c_;
    }
    return c_;
  }

  /// Fills `out` with the addresses `op` requests at global demand row `row` (-1: none).
  void fill(Operand op, std::uint64_t row, std::vector<std::int64_t>& out) const {
    const std::uint64_t index = row / fold_.cycles_per_fold;
    const std::int64_t r = static_cast<std::int64_t>(row % fold_.cycles_per_fold);
    const std::uint64_t fc = index / fold_.row_folds, fr = index % fold_.row_folds;
    const std::int64_t rows_used =
        static_cast<std::int64_t>(std::min<std::uint64_t>(r_, fold_.spatial_rows - fr * r_));
    const std::int64_t cols_used =
        static_cast<std::int64_t>(std::min<std::uint64_t>(c_, fold_.spatial_cols - fc * c_));
    const std::int64_t t = static_cast<std::int64_t>(fold_.temporal);
    const std::int64_t big_r = r_;
    const std::uint32_t w = width(op);
    out.assign(w, -1);
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(w); ++c) {
      std::int64_t a = -1;
      const std::int64_t s = r - c;  // row before the skew
      switch (dataflow_) {
        case Dataflow::kOs:
          if (op == Operand::kIfmap) {
            if (s >= 0 && s < t && c < rows_used) a = ifmap(fr * r_ + c, s);
          } else if (op == Operand::kFilter) {
            if (s >= 0 && s < t && c < cols_used) a = filter(s, fc * c_ + c);
          } else {
            const std::int64_t x = s - (t - 1);
            const std::int64_t i = big_r - 1 - x;
            if (x >= 0 && x < big_r && i < rows_used && c < cols_used) {
              a = ofmap(fr * r_ + i, fc * c_ + c);
            }
          }
          break;
        case Dataflow::kWs:
          if (op == Operand::kIfmap) {
            const std::int64_t p = s - big_r;
            if (p >= 0 && p < t && c < rows_used) a = ifmap(p, fr * r_ + c);
          } else if (op == Operand::kFilter) {
            const std::int64_t i = big_r - 1 - r;
            if (r < big_r && i < rows_used && c < cols_used) a = filter(fr * r_ + i, fc * c_ + c);
          } else {
            const std::int64_t p = s - (2 * big_r - 1);
            if (p >= 0 && p < t && c < cols_used) a = ofmap(p, fc * c_ + c);
          }
          break;
        case Dataflow::kIs:
          if (op == Operand::kIfmap) {
            const std::int64_t i = big_r - 1 - r;
            if (r < big_r && i < rows_used && c < cols_used) a = ifmap(fc * c_ + c, fr * r_ + i);
          } else if (op == Operand::kFilter) {
            const std::int64_t x = s - big_r;
            if (x >= 0 && x < t && c < rows_used) a = filter(fr * r_ + c, x);
          } else {
            const std::int64_t x = s - (2 * big_r - 1);
            if (x >= 0 && x < t && c < cols_used) a = ofmap(fc * c_ + c, x);
          }
          break;
      }
      out[static_cast<std::size_t>(c)] = a;
    }
  }

 private:
  std::int64_t ifmap(std::uint64_t p, std::uint64_t w) const {
    const std::uint64_t oy = p / ofmap_w_, ox = p % ofmap_w_;
    const std::uint64_t row_elems = g_.filter_w * g_.channels;
    const std::uint64_t fy = w / row_elems, fx = (w % row_elems) / g_.channels;
    const std::uint64_t ch = w % g_.channels;
    const std::uint64_t y = oy * g_.stride_h + fy, x = ox * g_.stride_w + fx;
    if (y >= g_.ifmap_h || x >= g_.ifmap_w) return -1;  // outside: SCALE-Sim's empty request
    return static_cast<std::int64_t>(config_.ifmap_offset + (y * g_.ifmap_w + x) * g_.channels +
                                     ch);
  }
  std::int64_t filter(std::uint64_t w, std::uint64_t f) const {
    return static_cast<std::int64_t>(config_.filter_offset +
                                     f * g_.filter_h * g_.filter_w * g_.channels + w);
  }
  std::int64_t ofmap(std::uint64_t p, std::uint64_t f) const {
    return static_cast<std::int64_t>(config_.ofmap_offset + g_.filters * p + f);
  }

  const ScalesimConvGeometry& g_;
  std::int64_t r_, c_;
  Dataflow dataflow_;
  const ScalesimMemoryConfig& config_;
  FoldTiming fold_;
  std::uint64_t ofmap_w_;
};

/// SCALE-Sim's bandwidth-estimating read buffer: new addresses fill sets of 1% of the SRAM;
/// when half the SRAM's sets are full they are "prefetched" from DRAM (counted, timed over
/// the cycles since the previous batch) and the window moves on.
class ReadBufferEstimate {
 public:
  /// Addresses lie in [base, base + extent).
  ReadBufferEstimate(std::uint64_t total_bytes, std::uint64_t backing_bandwidth, std::uint64_t base,
                     std::uint64_t extent)
      : items_per_set_(static_cast<std::int64_t>(total_bytes / 100)),
        default_bandwidth_(static_cast<std::int64_t>(backing_bandwidth)),
        base_(static_cast<std::int64_t>(base)),
        set_of_(extent, kNoSet) {}

  void service_row(std::int64_t cycle, const std::vector<std::int64_t>& addresses) {
    for (std::int64_t address : addresses) {
      if (address == -1) continue;
      if (!first_request_seen_) {
        first_request_cycle_ = cycle;
        first_request_seen_ = true;
      }
      manage_prefetches(cycle, address);
    }
  }

  void complete_all_prefetches() {
    const std::int64_t partial = elems_current_set_;
    if (partial == 0) --current_set_id_;
    const auto addresses_in = [&](std::int64_t first, std::int64_t last) {
      std::int64_t full = last - first + 1;
      std::int64_t count = 0;
      if (partial > 0) {
        --full;
        count += partial;
      }
      return count + full * items_per_set_;
    };
    if (!active_prefetch_done_) {
      last_prefetch_end_ = -1 - kPortLatency;
      const std::int64_t sets = current_set_id_ + 1;
      const std::int64_t cycles = ceil_div(sets * items_per_set_, default_bandwidth_);
      last_prefetch_start_ = last_prefetch_end_ - cycles + 1;
      prefetch(addresses_in(0, current_set_id_));
      active_prefetch_done_ = true;
    } else {
      prefetch(addresses_in(prefetch_set_start_, current_set_id_));
    }
  }

  ScalesimAccessSpan dram() const { return {trace_start_, trace_stop_, accesses_}; }

 private:
  static constexpr std::int64_t kPortLatency = 1;  // SCALE-Sim's read_port
  static constexpr std::int64_t kSetsPerHalf = 50;

  static std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

  void manage_prefetches(std::int64_t cycle, std::int64_t address) {
    std::int64_t& set = set_of_[static_cast<std::size_t>(address - base_)];
    if (set != kNoSet) {
      const std::int64_t window_end = std::min(current_set_id_, read_set_end_ + 1);
      if (set >= read_set_start_ && set < window_end) return;  // hit in the active window
      if (set == current_set_id_) return;                      // already in the filling set
    }
    set = current_set_id_;
    if (++elems_current_set_ < items_per_set_) return;
    elems_current_set_ = 0;
    ++current_set_id_;
    if (current_set_id_ != read_set_end_ + 1) return;
    if (!active_prefetch_done_) {
      // The first half: fetched before the first request, at the default bandwidth.
      last_prefetch_end_ = first_request_cycle_ - 1 - kPortLatency;
      const std::int64_t cycles = ceil_div(kSetsPerHalf * items_per_set_, default_bandwidth_);
      last_prefetch_start_ = last_prefetch_end_ - cycles + 1;
      prefetch(kSetsPerHalf * items_per_set_);
      prefetch_set_start_ = read_set_end_ + 1;
      active_prefetch_done_ = true;
    } else {
      prefetch(kSetsPerHalf * items_per_set_);
      prefetch_set_start_ += kSetsPerHalf;
    }
    read_set_start_ += kSetsPerHalf;
    read_set_end_ += kSetsPerHalf;
    last_prefetch_start_ = last_prefetch_end_ + 1;
    last_prefetch_end_ = cycle;
  }

  /// Records one prefetch of `addresses` words spread over the current prefetch window.
  void prefetch(std::int64_t addresses) {
    accesses_ += static_cast<std::uint64_t>(addresses);
    if (last_prefetch_end_ < last_prefetch_start_) return;  // no trace rows
    if (!trace_valid_) {
      trace_start_ = last_prefetch_start_ + kPortLatency;
      trace_valid_ = true;
    }
    trace_stop_ = last_prefetch_end_ + kPortLatency;
  }

  std::int64_t items_per_set_;
  std::int64_t default_bandwidth_;
  static constexpr std::int64_t kNoSet = -2;
  std::int64_t base_;
  std::vector<std::int64_t> set_of_;  // per address: the latest set holding it, or kNoSet
  std::int64_t current_set_id_ = 0;
  std::int64_t elems_current_set_ = 0;
  std::int64_t read_set_start_ = 0;
  std::int64_t read_set_end_ = kSetsPerHalf - 1;
  std::int64_t prefetch_set_start_ = 0;
  std::int64_t last_prefetch_start_ = -2;
  std::int64_t last_prefetch_end_ = -1;
  std::int64_t first_request_cycle_ = 0;
  bool first_request_seen_ = false;
  bool active_prefetch_done_ = false;
  bool trace_valid_ = false;
  std::int64_t trace_start_ = 0;
  std::int64_t trace_stop_ = 0;
  std::uint64_t accesses_ = 0;
};

/// SCALE-Sim's ofmap write buffer, in the version that wrote its published goldens: writes
/// fill lines of `bandwidth` words; once more than the active half is occupied, the lines
/// written so far (a partial line included, padding and all) drain to DRAM one line per cycle
/// in chunks of the drain half, without stalling the array; at the end everything left drains
/// from the last cycle on. Later SCALE-Sim versions stall the array for each drain.
class WriteBufferReplay {
 public:
  WriteBufferReplay(std::uint64_t total_bytes, std::uint64_t bandwidth)
      : bandwidth_(static_cast<std::int64_t>(bandwidth)),
        total_(static_cast<std::int64_t>(total_bytes)),
        drain_size_(total_ - (total_ + 1) / 2),
        free_space_(total_) {}

  /// Stores one demand row's writes; returns the cycle the row completes.
  std::int64_t service_row(std::int64_t cycle, const std::vector<std::int64_t>& addresses) {
    std::int64_t offset = 0;
    std::int64_t current = cycle;
    for (std::int64_t address : addresses) {
      if (address == -1) continue;
      store();
      if (current < drain_end_cycle_) {
        if (free_space_ <= 0) {
          offset += std::max<std::int64_t>(drain_end_cycle_ - current, 0);
          current = drain_end_cycle_;
        }
      } else if (free_space_ < total_ - drain_size_) {
        append_to_trace(true);
        drain_end_cycle_ = drain(current);
      }
    }
    return current;
  }

  void empty_all(std::int64_t cycle) {
    append_to_trace(true);
    while (drain_start_ < static_cast<std::int64_t>(lines_.size())) {
      drain_end_cycle_ = drain(cycle);
      cycle = drain_end_cycle_ + 1;
    }
  }

  ScalesimAccessSpan dram() const { return {first_cycle_, last_cycle_, accesses_}; }

 private:
  static constexpr std::int64_t kCacheLines = 1024;  // lines staged before they can drain

  void store() {
    --free_space_;
    if (++line_fill_ == bandwidth_) {
      cache_.push_back(bandwidth_);
      line_fill_ = 0;
      if (static_cast<std::int64_t>(cache_.size()) >= kCacheLines) append_to_trace(false);
    }
  }

  void append_to_trace(bool force) {
    if (force && line_fill_ != 0) {
      cache_.push_back(line_fill_);  // a partial line, padded with empty words
      line_fill_ = 0;
    }
    lines_.insert(lines_.end(), cache_.begin(), cache_.end());
    cache_.clear();
  }

  /// Drains up to the drain half's lines from `start`; returns the last cycle.
  std::int64_t drain(std::int64_t start) {
    const std::int64_t chunk = (drain_size_ + bandwidth_ - 1) / bandwidth_;
    const std::int64_t end =
        std::min<std::int64_t>(drain_start_ + chunk, static_cast<std::int64_t>(lines_.size()));
    const std::int64_t lines = end - drain_start_;
    if (lines <= 0) return start - 1;
    // Full lines count whole, padding included; only the chunk's last line drops its padding.
    const std::int64_t words = lines * bandwidth_ - (bandwidth_ - lines_[end - 1]);
    accesses_ += static_cast<std::uint64_t>(words);
    if (!traced_) first_cycle_ = start;
    traced_ = true;
    last_cycle_ = start + lines - 1;
    free_space_ += words;
    drain_start_ = end;
    return last_cycle_;
  }

  std::int64_t bandwidth_;
  std::int64_t total_;
  std::int64_t drain_size_;
  std::int64_t free_space_;
  std::int64_t line_fill_ = 0;
  std::vector<std::int64_t> cache_;  // valid words per staged line
  std::vector<std::int64_t> lines_;  // valid words per line of the DRAM trace
  std::int64_t drain_start_ = 0;
  std::int64_t drain_end_cycle_ = 0;
  bool traced_ = false;
  std::int64_t first_cycle_ = 0;
  std::int64_t last_cycle_ = 0;
  std::uint64_t accesses_ = 0;
};

/// First and last serviced cycle of the rows holding a request, and the request count.
struct SramSpan {
  bool seen = false;
  ScalesimAccessSpan span;
  void add(std::int64_t serviced_cycle, const std::vector<std::int64_t>& addresses) {
    bool any = false;
    for (std::int64_t a : addresses) any = any || a != -1;
    if (!any) return;
    if (!seen) span.start = serviced_cycle;
    seen = true;
    span.stop = serviced_cycle;
  }
};

}  // namespace

ScalesimMemoryReplay scalesim_calc_memory(const ScalesimConvGeometry& geometry, std::uint32_t rows,
                                          std::uint32_t cols, Dataflow dataflow,
                                          const ScalesimMemoryConfig& config) {
  EDGESIM_CHECK(config.ifmap_sram_bytes >= 100 && config.filter_sram_bytes >= 100,
                "SCALE-Sim's read buffers need at least 100 bytes");
  const DemandStreams streams(geometry, rows, cols, dataflow, config);
  // CALC mode: ifmap and filter buffers estimate at 10 words per cycle and never stall.
  const ScalesimConvGeometry& g = geometry;
  ReadBufferEstimate ifmap_buffer(config.ifmap_sram_bytes, 10, config.ifmap_offset,
                                  g.ifmap_h * g.ifmap_w * g.channels);
  ReadBufferEstimate filter_buffer(config.filter_sram_bytes, 10, config.filter_offset,
                                   g.filter_h * g.filter_w * g.channels * g.filters);
  // The ofmap buffer drains one array-width line per cycle.
  WriteBufferReplay ofmap_buffer(config.ofmap_sram_bytes, cols);
  SramSpan ifmap_sram, filter_sram, ofmap_sram;
  std::vector<std::int64_t> ifmap_row, filter_row, ofmap_row;
  const std::uint64_t total = streams.rows_total();
  std::int64_t stalls = 0;
  std::int64_t last_ofmap_cycle = 0;
  for (std::uint64_t i = 0; i < total; ++i) {
    const auto cycle = static_cast<std::int64_t>(i) + stalls;
    streams.fill(Operand::kIfmap, i, ifmap_row);
    streams.fill(Operand::kFilter, i, filter_row);
    streams.fill(Operand::kOfmap, i, ofmap_row);
    ifmap_buffer.service_row(cycle, ifmap_row);
    filter_buffer.service_row(cycle, filter_row);
    ifmap_sram.add(cycle + 1, ifmap_row);  // read hit latency
    filter_sram.add(cycle + 1, filter_row);
    last_ofmap_cycle = ofmap_buffer.service_row(cycle, ofmap_row);
    ofmap_sram.add(last_ofmap_cycle, ofmap_row);
    stalls += last_ofmap_cycle - cycle;  // reads never stall in CALC mode
  }
  ifmap_buffer.complete_all_prefetches();
  filter_buffer.complete_all_prefetches();
  ofmap_buffer.empty_all(last_ofmap_cycle);

  ScalesimMemoryReplay replay;
  replay.total_cycles = static_cast<std::uint64_t>(last_ofmap_cycle);
  replay.stall_cycles = static_cast<std::uint64_t>(stalls);
  const SramAccessCounts counts =
      sram_access_counts(streams.fold(), rows, cols, dataflow, Accounting::kScalesimCompat);
  replay.sram_ifmap = ifmap_sram.span;
  replay.sram_ifmap.count = counts.ifmap_reads;
  replay.sram_filter = filter_sram.span;
  replay.sram_filter.count = counts.filter_reads;
  replay.sram_ofmap = ofmap_sram.span;
  replay.sram_ofmap.count = counts.ofmap_writes;
  replay.dram_ifmap = ifmap_buffer.dram();
  replay.dram_filter = filter_buffer.dram();
  replay.dram_ofmap = ofmap_buffer.dram();
  return replay;
}

}  // namespace models
