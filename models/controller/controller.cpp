#include "models/controller/controller.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>

#include "sim/core/timeline.h"

namespace models {

namespace {

using workloads::Dim;
using workloads::packed_bytes;

/// Indices and extents of one tile of the plan.
struct Tile {
  std::uint64_t mi = 0, ni = 0, ki = 0;
  std::uint64_t m0 = 0, n0 = 0, k0 = 0;
  std::uint64_t tm = 0, tn = 0, tk = 0;
};

/// Walks the tiles of a plan in its loop order.
class TileWalker {
 public:
  TileWalker(const CommandDescriptor& d, const workloads::TiledExtents& e)
      : d_(d), extents_{e.m, e.n, e.k}, sizes_{d.tile_m, d.tile_n, d.tile_k} {
    for (int i = 0; i < 3; ++i) counts_[i] = (extents_[i] + sizes_[i] - 1) / sizes_[i];
  }
  std::uint64_t count() const { return counts_[0] * counts_[1] * counts_[2]; }
  std::uint64_t count_k() const { return counts_[2]; }
  Tile at(std::uint64_t t) const {
    std::array<std::uint64_t, 3> index{};
    // The innermost loop is the last of the order.
    for (int level = 2; level >= 0; --level) {
      const int dim = d_.order[level];
      index[dim] = t % counts_[dim];
      t /= counts_[dim];
    }
    Tile tile;
    tile.mi = index[0];
    tile.ni = index[1];
    tile.ki = index[2];
    tile.m0 = index[0] * sizes_[0];
    tile.n0 = index[1] * sizes_[1];
    tile.k0 = index[2] * sizes_[2];
    tile.tm = std::min(sizes_[0], extents_[0] - tile.m0);
    tile.tn = std::min(sizes_[1], extents_[1] - tile.n0);
    tile.tk = std::min(sizes_[2], extents_[2] - tile.k0);
    return tile;
  }

 private:
  const CommandDescriptor& d_;
  std::array<std::uint64_t, 3> extents_;
  std::array<std::uint64_t, 3> sizes_;
  std::array<std::uint64_t, 3> counts_{};
};

DmaDescriptor block(bool to_local, std::uint64_t dram, std::uint64_t local, std::uint64_t rows,
                    std::uint64_t row_bytes, std::uint64_t dram_stride, const TrafficTag& tag) {
  DmaDescriptor d;
  d.to_local = to_local;
  d.dram_address = dram;
  d.local_address = local;
  // Rows that follow each other in DRAM form one contiguous block.
  if (row_bytes == dram_stride || rows == 1) {
    d.rows = 1;
    d.row_bytes = rows * row_bytes;
  } else {
    d.rows = rows;
    d.row_bytes = row_bytes;
  }
  d.dram_stride = dram_stride;
  d.local_stride = d.row_bytes;
  d.tag = tag;
  return d;
}

}  // namespace

Controller::Controller(const sc_core::sc_module_name& name, const LocalMap& map, Dma& dma,
                       PeArray& array, VectorUnit& vector_unit, sc_core::sc_time clock,
                       sim::Stats& stats, sim::VcdWriter* vcd)
    : sc_module(name),
      map_(map),
      dma_(dma),
      array_(array),
      vector_unit_(vector_unit),
      clock_(clock),
      vcd_(vcd) {
  regs.register_b_transport(this, &Controller::b_transport);
  SC_THREAD(command_thread);
  const std::string prefix = std::string(this->name()) + ".";
  stats.add(prefix + "commands", commands_, sim::Unit::kCount, "commands executed");
  stats.add(prefix + "stall_cycles", stall_cycles_, sim::Unit::kCycles,
            "cycles the PE array waited for operand loads or result buffer space");
  if (vcd_) {
    vcd_layer_ = vcd_->add_signal(this->name(), "layer_index", 16, sim::TraceLevel::kLayer);
    vcd_queue_ = vcd_->add_signal(this->name(), "queue_depth", 8, sim::TraceLevel::kLayer);
    vcd_stall_ = vcd_->add_signal(this->name(), "stalled", 1, sim::TraceLevel::kTile);
    if (vcd_->timeline()) timeline_track_ = vcd_->timeline()->track(this->name());
    for (const auto& buffer : map_.buffer_names) {
      vcd_occupancy_.push_back(
          vcd_->add_signal(buffer, "occupancy_bytes", 32, sim::TraceLevel::kTile));
    }
  }
}

void Controller::trace_occupancy(std::uint64_t a_bytes, std::uint64_t b_bytes,
                                 std::uint64_t c_bytes) {
  if (vcd_occupancy_.empty()) return;
  const auto now = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
  if (vcd_occupancy_.size() == 1) {
    vcd_->change(vcd_occupancy_[0], now, a_bytes + b_bytes + c_bytes);
  } else {
    vcd_->change(vcd_occupancy_[0], now, a_bytes);
    vcd_->change(vcd_occupancy_[1], now, b_bytes);
    vcd_->change(vcd_occupancy_[2], now, c_bytes);
  }
}

void Controller::b_transport(tlm::tlm_generic_payload& gp, sc_core::sc_time& delay) {
  const std::uint64_t address = gp.get_address();
  const std::uint64_t length = gp.get_data_length();
  unsigned char* data = gp.get_data_ptr();
  if (address + length > kRegBlockBytes) {
    gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
    return;
  }
  if (gp.is_write()) {
    if (address + length <= sizeof(CommandDescriptor)) {
      std::memcpy(reinterpret_cast<unsigned char*>(&pending_) + address, data, length);
    } else if (address == kRegDoorbell && length == 4) {
      ++queued_;
      doorbell_.notify(delay);
    } else if (address == kRegIrqAck && length == 4) {
      irq.write(false);
    } else {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
  } else if (gp.is_read()) {
    if (address == kRegStatus && length == 4) {
      const std::uint32_t status = busy_ ? 1 : 0;
      std::memcpy(data, &status, 4);
    } else {
      gp.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
  }
  delay += clock_;
  gp.set_response_status(tlm::TLM_OK_RESPONSE);
}

void Controller::command_thread() {
  while (true) {
    while (queued_ == 0) sc_core::wait(doorbell_);
    --queued_;
    busy_ = true;
    const CommandDescriptor command = pending_;
    if (command.kind == static_cast<std::uint8_t>(workloads::OpKind::kVector)) {
      execute_vector(command);
    } else {
      execute(command);
    }
    busy_ = false;
    ++commands_;
    irq.write(true);
  }
}

void Controller::execute(const CommandDescriptor& d) {
  const workloads::Layer layer = descriptor_layer(d);
  const workloads::GemmOp op = descriptor_op(d);
  const workloads::TiledExtents extents = workloads::tiled_extents(layer, op);
  const TileWalker walker(d, extents);
  const bool depthwise = layer.type == workloads::LayerType::kDepthwiseConv2d;
  const std::uint32_t cb = map_.container_bits;
  const std::uint64_t slots = map_.double_buffer ? 2 : 1;

  OpRecord record;
  record.op_index = d.op_index;
  record.layer = d.layer;
  record.phase = op.phase;
  record.start_ps = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
  if (vcd_) {
    vcd_->change(vcd_layer_, record.start_ps, d.layer);
    vcd_->change(vcd_queue_, record.start_ps, queued_ + 1);
  }

  // Slot sizes from the largest tile; the tiler guaranteed they fit.
  const workloads::TileFootprint biggest =
      workloads::max_tile_footprint(layer, op, d.tile_m, d.tile_n, d.tile_k);
  const std::uint64_t a_slot = packed_bytes(biggest.a_elements, d.a_bits, cb);
  const std::uint64_t b_slot = packed_bytes(biggest.b_elements, d.b_bits, cb);
  const std::uint64_t c_slot = packed_bytes(biggest.c_elements, std::max(d.acc_bits, d.c_bits), cb);
  std::uint64_t a_base = map_.ifmap_base, b_base = map_.weight_base, c_base = map_.ofmap_base;
  if (map_.unified) {
    b_base = a_base + a_slot * slots;
    c_base = b_base + b_slot * slots;
  }

  TrafficTag tag;
  tag.layer = d.layer;
  tag.phase = op.phase;
  const std::uint64_t window = layer.is_conv() ? std::uint64_t{layer.kernel_h} * layer.kernel_w : 1;
  const std::uint64_t pixels_per_image = std::uint64_t{layer.out_h()} * layer.out_w();
  const std::uint64_t n_total = depthwise ? d.groups : d.n;
  const std::uint64_t c_row_bytes_total = packed_bytes(n_total, d.c_bits, cb);
  const std::uint64_t psum_row_bytes_total = packed_bytes(n_total, d.acc_bits, cb);

  auto a_load = [&](const Tile& t, std::uint64_t slot) {
    TrafficTag a_tag = tag;
    a_tag.cls = op.a.cls;
    const std::uint64_t local = a_base + slot * a_slot;
    if (!layer.is_conv()) {
      const std::uint64_t stride = packed_bytes(d.k, d.a_bits, cb);
      return block(true, d.a_address + t.m0 * stride + packed_bytes(t.k0, d.a_bits, cb), local,
                   t.tm, packed_bytes(t.tk, d.a_bits, cb), stride, a_tag);
    }
    const workloads::TileFootprint f = workloads::tile_footprint(layer, op, t.m0, t.tm, t.tn, t.tk);
    const std::uint64_t channels = depthwise ? t.tn : t.tk / window;
    const std::uint64_t c0 = depthwise ? t.n0 : t.k0 / window;
    const std::uint64_t image = t.m0 / pixels_per_image;
    const std::uint64_t out_row = (t.m0 % pixels_per_image) / layer.out_w();
    const std::uint64_t in_row =
        t.tm >= pixels_per_image
            ? 0
            : (out_row * layer.stride_h > layer.pad_h ? out_row * layer.stride_h - layer.pad_h : 0);
    const std::uint64_t first_pixel = (image * layer.in_h + in_row) * layer.in_w;
    const std::uint64_t all_pixels = std::uint64_t{layer.in_h} * layer.in_w *
                                     ((op.shape.m + pixels_per_image - 1) / pixels_per_image);
    const std::uint64_t pixels =
        std::min(f.a_elements / channels, all_pixels - std::min(all_pixels, first_pixel));
    const std::uint64_t pixel_stride = packed_bytes(layer.in_c, d.a_bits, cb);
    return block(true, d.a_address + first_pixel * pixel_stride + packed_bytes(c0, d.a_bits, cb),
                 local, std::max<std::uint64_t>(pixels, 1), packed_bytes(channels, d.a_bits, cb),
                 pixel_stride, a_tag);
  };
  auto b_load = [&](const Tile& t, std::uint64_t slot) {
    TrafficTag b_tag = tag;
    b_tag.cls = op.b.cls;
    const std::uint64_t local = b_base + slot * b_slot;
    if (depthwise) {
      const std::uint64_t stride = packed_bytes(d.groups, d.b_bits, cb);
      return block(true, d.b_address + packed_bytes(t.n0, d.b_bits, cb), local, window,
                   packed_bytes(t.tn, d.b_bits, cb), stride, b_tag);
    }
    const std::uint64_t stride = packed_bytes(d.n, d.b_bits, cb);
    return block(true, d.b_address + t.k0 * stride + packed_bytes(t.n0, d.b_bits, cb), local, t.tk,
                 packed_bytes(t.tn, d.b_bits, cb), stride, b_tag);
  };
  auto c_transfer = [&](const Tile& t, std::uint64_t slot, bool to_local, bool final) {
    TrafficTag c_tag = tag;
    c_tag.cls = final ? op.c.cls : workloads::TensorClass::kPsum;
    const std::uint32_t bits = final ? d.c_bits : d.acc_bits;
    const std::uint64_t row_total = final ? c_row_bytes_total : psum_row_bytes_total;
    const std::uint64_t base = final ? d.c_address : d.psum_address;
    return block(to_local, base + t.m0 * row_total + packed_bytes(t.n0, bits, cb),
                 c_base + slot * c_slot, t.tm, packed_bytes(t.tn, bits, cb), row_total, c_tag);
  };

  const std::uint64_t tiles = walker.count();
  // Jobs live until the op ends; the DMA holds pointers to them.
  std::vector<std::unique_ptr<DmaJob>> jobs;
  std::vector<std::vector<DmaJob*>> loads(tiles);
  std::vector<DmaJob*> stores;
  std::vector<DmaJob*> c_slot_store(slots, nullptr);
  std::uint64_t a_loads = 0, b_loads = 0, c_visits = 0;
  std::vector<std::uint64_t> a_slot_of(tiles), b_slot_of(tiles), c_slot_of(tiles);
  // Bytes of valid data in each slot (traced as buffer occupancy).
  std::vector<std::uint64_t> a_held(slots, 0), b_held(slots, 0), c_held(slots, 0);
  auto sum = [](const std::vector<std::uint64_t>& v) {
    std::uint64_t total = 0;
    for (auto x : v) total += x;
    return total;
  };

  auto submit = [&](std::uint32_t channel, const DmaDescriptor& desc) {
    jobs.push_back(std::make_unique<DmaJob>());
    jobs.back()->descriptor = desc;
    dma_.submit(channel, jobs.back().get());
    return jobs.back().get();
  };
  // Operands held on chip across commands are already in SRAM: no transfer.
  const bool a_resident = is_on_chip_address(d.a_address);
  const bool b_resident = is_on_chip_address(d.b_address);
  const bool c_resident = is_on_chip_address(d.c_address);
  // Issues the loads of tile t (operands whose tile index changed since tile t-1).
  auto issue_loads = [&](std::uint64_t t) {
    const Tile tile = walker.at(t);
    const bool first = t == 0;
    const Tile prev = first ? Tile{} : walker.at(t - 1);
    if (first || prev.mi != tile.mi || prev.ki != tile.ki) {
      a_slot_of[t] = a_loads++ % slots;
      if (!a_resident) loads[t].push_back(submit(0, a_load(tile, a_slot_of[t])));
    } else {
      a_slot_of[t] = a_slot_of[t - 1];
    }
    if (first || prev.ki != tile.ki || prev.ni != tile.ni) {
      b_slot_of[t] = b_loads++ % slots;
      if (!b_resident) loads[t].push_back(submit(0, b_load(tile, b_slot_of[t])));
    } else {
      b_slot_of[t] = b_slot_of[t - 1];
    }
  };

  const sc_core::sc_time op_start = sc_core::sc_time_stamp();
  sc_core::sc_time array_free = op_start;
  issue_loads(0);
  for (std::uint64_t t = 0; t < tiles; ++t) {
    const Tile tile = walker.at(t);
    for (DmaJob* job : loads[t]) Dma::wait_for(*job);
    // Prefetch the next tile into the other slots while this one computes.
    if (t + 1 < tiles) issue_loads(t + 1);

    const Tile prev = t == 0 ? Tile{} : walker.at(t - 1);
    const bool new_c = t == 0 || prev.mi != tile.mi || prev.ni != tile.ni;
    if (new_c) {
      c_slot_of[t] = c_visits++ % slots;
      // The slot's previous result must have left before it is overwritten.
      if (DmaJob* pending = c_slot_store[c_slot_of[t]]) Dma::wait_for(*pending);
      c_slot_store[c_slot_of[t]] = nullptr;
      if (tile.ki > 0) {
        // The partial sums of this output tile were spilled to DRAM: bring them back.
        DmaJob* reload = submit(0, c_transfer(tile, c_slot_of[t], true, false));
        Dma::wait_for(*reload);
      }
    } else {
      c_slot_of[t] = c_slot_of[t - 1];
    }

    const sc_core::sc_time compute_start = sc_core::sc_time_stamp();
    if (compute_start > array_free) {
      const auto waited = static_cast<std::uint64_t>((compute_start - array_free) / clock_ + 0.5);
      record.stall_cycles += waited;
      if (vcd_) {
        vcd_->change(vcd_stall_, static_cast<std::uint64_t>(array_free.value()), 1);
        vcd_->change(vcd_stall_, static_cast<std::uint64_t>(compute_start.value()), 0);
        if (vcd_->timeline()) {
          vcd_->timeline()->slice(timeline_track_, "stall", array_free.value(),
                                  compute_start.value(), {{"cycles", waited}});
        }
      }
    }
    const workloads::TileFootprint f =
        workloads::tile_footprint(layer, op, tile.m0, tile.tm, tile.tn, tile.tk);
    ComputeJob job;
    job.shape = workloads::tile_gemm(layer, op, tile.tm, tile.tn, tile.tk);
    job.a_address = a_base + a_slot_of[t] * a_slot;
    job.b_address = b_base + b_slot_of[t] * b_slot;
    job.c_address = c_base + c_slot_of[t] * c_slot;
    job.a_bytes = packed_bytes(f.a_elements, d.a_bits, cb);
    job.b_bytes = packed_bytes(f.b_elements, d.b_bits, cb);
    job.c_bytes = packed_bytes(f.c_elements, d.acc_bits, cb);
    job.accumulate = tile.ki > 0;
    job.functional = d.functional != 0;
    job.tag = tag;
    job.a_class = op.a.cls;
    job.b_class = op.b.cls;
    job.a_format = {op.a.kind, op.a.bits};
    job.b_format = {op.b.kind, op.b.bits};
    if (!vcd_occupancy_.empty()) {
      a_held[a_slot_of[t]] = job.a_bytes;
      b_held[b_slot_of[t]] = job.b_bytes;
      c_held[c_slot_of[t]] = job.c_bytes;
      trace_occupancy(sum(a_held), sum(b_held), sum(c_held));
    }
    record.compute_cycles += array_.run(job);
    record.macs += job.shape.macs();
    array_free = sc_core::sc_time_stamp();

    // The output tile leaves when it is complete, or spills when the next tile moves on.
    const bool complete = tile.ki + 1 == walker.count_k();
    const bool leaving = t + 1 == tiles || [&] {
      const Tile next = walker.at(t + 1);
      return next.mi != tile.mi || next.ni != tile.ni;
    }();
    if ((complete && !c_resident) || (leaving && !complete)) {
      DmaJob* store = submit(1, c_transfer(tile, c_slot_of[t], false, complete));
      c_slot_store[c_slot_of[t]] = store;
      stores.push_back(store);
    }
  }
  for (DmaJob* store : stores) Dma::wait_for(*store);
  trace_occupancy(0, 0, 0);  // the op's operands and results are gone from the buffers

  record.tiles = tiles;
  record.end_ps = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
  stall_cycles_ += record.stall_cycles;
  records_.push_back(record);
}

void Controller::execute_vector(const CommandDescriptor& d) {
  OpRecord record;
  record.op_index = d.op_index;
  record.layer = d.layer;
  record.phase = static_cast<workloads::Phase>(d.phase);
  record.start_ps = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
  if (vcd_) vcd_->change(vcd_layer_, record.start_ps, d.layer);
  const std::uint32_t cb = map_.container_bits;
  const std::uint64_t slots = map_.double_buffer ? 2 : 1;
  const std::uint64_t chunk = std::max<std::uint64_t>(d.tile_m, 1);
  const std::uint64_t chunks = (d.elements + chunk - 1) / chunk;
  if (chunks == 0) {
    record.end_ps = record.start_ps;
    records_.push_back(record);
    return;
  }

  // Every stream of a chunk has a slot in the result buffer (the vector unit's scratchpad).
  std::vector<std::uint64_t> stream_offset;
  std::uint64_t slot_bytes = 0;
  for (std::uint32_t i = 0; i < d.input_count + d.output_count; ++i) {
    const auto& s = i < d.input_count ? d.inputs[i] : d.outputs[i - d.input_count];
    stream_offset.push_back(slot_bytes);
    slot_bytes += workloads::packed_bytes(chunk, s.bits, cb);
  }
  const std::uint64_t base = map_.ofmap_base;
  TrafficTag tag;
  tag.layer = d.layer;
  tag.phase = record.phase;

  std::vector<std::unique_ptr<DmaJob>> jobs;
  std::vector<std::vector<DmaJob*>> loads(chunks);
  std::vector<DmaJob*> slot_store(slots, nullptr);
  std::vector<DmaJob*> stores;
  auto transfer = [&](bool load, const VectorStreamDescriptor& s, std::uint64_t c,
                      std::uint64_t local) -> DmaJob* {
    if (is_on_chip_address(s.address)) return nullptr;  // held in SRAM: nothing to move
    const std::uint64_t first = c * chunk;
    const std::uint64_t count = std::min(chunk, d.elements - first);
    DmaDescriptor desc;
    desc.to_local = load;
    desc.dram_address = s.address + workloads::packed_bytes(first, s.bits, cb);
    desc.local_address = local;
    desc.rows = 1;
    desc.row_bytes = workloads::packed_bytes(count, s.bits, cb);
    desc.dram_stride = desc.row_bytes;
    desc.local_stride = desc.row_bytes;
    desc.tag = tag;
    desc.tag.cls = static_cast<workloads::TensorClass>(s.cls);
    jobs.push_back(std::make_unique<DmaJob>());
    jobs.back()->descriptor = desc;
    dma_.submit(load ? 0 : 1, jobs.back().get());
    return jobs.back().get();
  };
  auto issue_loads = [&](std::uint64_t c) {
    const std::uint64_t slot_base = base + (c % slots) * slot_bytes;
    // The slot's previous outputs must have left before new inputs land in it.
    if (DmaJob* pending = slot_store[c % slots]) Dma::wait_for(*pending);
    for (std::uint32_t i = 0; i < d.input_count; ++i) {
      if (DmaJob* job = transfer(true, d.inputs[i], c, slot_base + stream_offset[i])) {
        loads[c].push_back(job);
      }
    }
  };
  sc_core::sc_time unit_free = sc_core::sc_time_stamp();
  issue_loads(0);
  for (std::uint64_t c = 0; c < chunks; ++c) {
    for (DmaJob* job : loads[c]) Dma::wait_for(*job);
    if (c + 1 < chunks) issue_loads(c + 1);
    const sc_core::sc_time start = sc_core::sc_time_stamp();
    if (start > unit_free) {
      record.stall_cycles += static_cast<std::uint64_t>((start - unit_free) / clock_ + 0.5);
    }
    const std::uint64_t slot_base = base + (c % slots) * slot_bytes;
    const std::uint64_t count = std::min(chunk, d.elements - c * chunk);
    VectorJob job;
    job.elements = count;
    job.ops_per_element = d.ops_per_element;
    job.tag = tag;
    for (std::uint32_t i = 0; i < d.input_count + d.output_count; ++i) {
      const bool input = i < d.input_count;
      const auto& s = input ? d.inputs[i] : d.outputs[i - d.input_count];
      VectorStream stream{slot_base + stream_offset[i], workloads::packed_bytes(count, s.bits, cb),
                          static_cast<workloads::TensorClass>(s.cls)};
      (input ? job.inputs : job.outputs).push_back(stream);
    }
    record.compute_cycles += vector_unit_.run(job);
    record.vector_ops += count * d.ops_per_element;
    unit_free = sc_core::sc_time_stamp();
    DmaJob* last = nullptr;
    for (std::uint32_t o = 0; o < d.output_count; ++o) {
      DmaJob* job = transfer(false, d.outputs[o], c, slot_base + stream_offset[d.input_count + o]);
      if (job == nullptr) continue;
      last = job;
      stores.push_back(last);
    }
    slot_store[c % slots] = last;
  }
  for (DmaJob* store : stores) Dma::wait_for(*store);
  record.tiles = chunks;
  record.end_ps = static_cast<std::uint64_t>(sc_core::sc_time_stamp().value());
  stall_cycles_ += record.stall_cycles;
  records_.push_back(record);
}

}  // namespace models
