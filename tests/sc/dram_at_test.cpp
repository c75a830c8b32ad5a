// The DRAM's AT (four-phase) interface driven by a hand-written initiator: annotated
// BEGIN_REQ delays, END_REQ back-pressure, responses, data, error completion.
#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <memory>
#include <vector>

#include "models/memory/dram/dram.h"
#include "sim/core/config.h"

namespace {

models::DramParams make_params(const std::vector<std::string>& overrides) {
  sim::Config config;
  config.load_text("dram:\n  preset: lpddr4-3200\n  channels: 1\n  trefi: 0\n  mode: at\n",
                   "test.yaml");
  for (const auto& assignment : overrides) config.apply_override("dram." + assignment);
  models::DramParams params = models::parse_dram(config.root().child("dram"));
  config.check_all_read();
  return params;
}

struct Request {
  tlm::tlm_command command;
  std::uint64_t address;
  std::uint64_t delay_ps;  // annotated on BEGIN_REQ
  unsigned char fill;
};

/// Sends its requests one after another (waiting for END_REQ as the protocol requires) and
/// records when each response begins.
class AtInitiator : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<AtInitiator> out{"out"};
  SC_HAS_PROCESS(AtInitiator);
  AtInitiator(const sc_core::sc_module_name& name, std::vector<Request> requests)
      : sc_core::sc_module(name), requests_(std::move(requests)) {
    out.register_nb_transport_bw(this, &AtInitiator::nb_transport_bw);
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      payloads.push_back(std::make_unique<tlm::tlm_generic_payload>());
      data.emplace_back(32, requests_[i].fill);
    }
    response_ps.assign(requests_.size(), 0);
    SC_THREAD(run);
  }

  std::vector<std::unique_ptr<tlm::tlm_generic_payload>> payloads;
  std::vector<std::vector<unsigned char>> data;
  std::vector<std::uint64_t> response_ps;
  std::vector<std::size_t> response_order;
  std::size_t end_requests_on_backward_path = 0;
  std::size_t completed_on_forward_path = 0;

 private:
  void run() {
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      tlm::tlm_generic_payload& p = *payloads[i];
      p.set_command(requests_[i].command);
      p.set_address(requests_[i].address);
      p.set_data_ptr(data[i].data());
      p.set_data_length(32);
      p.set_streaming_width(32);
      p.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
      tlm::tlm_phase phase = tlm::BEGIN_REQ;
      sc_core::sc_time delay(static_cast<double>(requests_[i].delay_ps), sc_core::SC_PS);
      const tlm::tlm_sync_enum status = out->nb_transport_fw(p, phase, delay);
      if (status == tlm::TLM_COMPLETED) {
        ++completed_on_forward_path;
        response_order.push_back(i);
        continue;
      }
      if (status == tlm::TLM_ACCEPTED) {
        waiting_for_end_request_ = true;
        while (waiting_for_end_request_) sc_core::wait(end_request_);
      }
    }
  }

  tlm::tlm_sync_enum nb_transport_bw(tlm::tlm_generic_payload& p, tlm::tlm_phase& phase,
                                     sc_core::sc_time& delay) {
    if (phase == tlm::END_REQ) {
      ++end_requests_on_backward_path;
      waiting_for_end_request_ = false;
      end_request_.notify();
      return tlm::TLM_ACCEPTED;
    }
    for (std::size_t i = 0; i < payloads.size(); ++i) {
      if (payloads[i].get() == &p) {
        response_ps[i] =
            static_cast<std::uint64_t>(sc_core::sc_time_stamp().to_seconds() * 1e12 + 0.5);
        response_order.push_back(i);
      }
    }
    phase = tlm::END_RESP;
    return tlm::TLM_COMPLETED;
  }

  std::vector<Request> requests_;
  bool waiting_for_end_request_ = false;
  sc_core::sc_event end_request_;
};

}  // namespace

TEST(DramAt, AnnotatedRequestIsServedFromItsArrivalTime) {
  const auto params = make_params({});
  sim::Stats stats;
  models::Dram dram("dram", params, stats);
  AtInitiator initiator("initiator", {{tlm::TLM_READ_COMMAND, 0, 100000, 0}});
  initiator.out.bind(dram.in);
  sc_core::sc_start();
  const std::uint64_t tck = params.tck_ps;
  EXPECT_EQ(initiator.response_ps[0], 100000 + (params.trcd + params.cl + 8) * tck);
  EXPECT_EQ(initiator.end_requests_on_backward_path, 1u);  // delayed: END_REQ came later
  EXPECT_TRUE(initiator.payloads[0]->is_response_ok());
  EXPECT_EQ(dram.counters().transactions, 1u);
}

TEST(DramAt, WrittenDataIsReadBackInProgramOrder) {
  const auto params = make_params({});
  sim::Stats stats;
  models::Dram dram("dram", params, stats);
  AtInitiator initiator("initiator", {{tlm::TLM_WRITE_COMMAND, 4096, 0, 0x5A},
                                      {tlm::TLM_READ_COMMAND, 4096, 0, 0x00}});
  initiator.out.bind(dram.in);
  sc_core::sc_start();
  EXPECT_EQ(initiator.data[1], std::vector<unsigned char>(32, 0x5A));
  EXPECT_EQ(dram.counters().bytes_written, 32u);
  EXPECT_EQ(dram.counters().bytes_read, 32u);
}

TEST(DramAt, FullQueueHoldsEndRequestBack) {
  // One queue slot: the second request waits until the first has been issued.
  const auto params = make_params({"queue_depth=1"});
  sim::Stats stats;
  models::Dram dram("dram", params, stats);
  AtInitiator initiator("initiator", {{tlm::TLM_READ_COMMAND, 0, 0, 0},
                                      {tlm::TLM_READ_COMMAND, 1 << 20, 0, 0},
                                      {tlm::TLM_READ_COMMAND, 2 << 20, 0, 0}});
  initiator.out.bind(dram.in);
  sc_core::sc_start();
  EXPECT_GE(dram.counters().queue_full_waits, 1u);
  EXPECT_EQ(initiator.response_order.size(), 3u);
  for (const auto& payload : initiator.payloads) EXPECT_TRUE(payload->is_response_ok());
}

TEST(DramAt, FrFcfsAnswersARowHitBeforeAnOlderConflict) {
  // Bank 0 has row 0 open; a conflict to row 1 is queued before a hit to row 0, both
  // arriving while the first access still occupies the bank.
  const auto params = make_params({});
  sim::Stats stats;
  models::Dram dram("dram", params, stats);
  const models::DramAddressMapper mapper(params);
  models::DramAddress row1;
  row1.row = 1;
  const std::uint64_t conflict = mapper.encode(row1) * params.burst_bytes();
  AtInitiator initiator("initiator", {{tlm::TLM_READ_COMMAND, 0, 0, 0},
                                      {tlm::TLM_READ_COMMAND, conflict, 1000, 0},
                                      {tlm::TLM_READ_COMMAND, 64, 1000, 0}});
  initiator.out.bind(dram.in);
  sc_core::sc_start();
  EXPECT_LT(initiator.response_ps[2], initiator.response_ps[1]);
  EXPECT_EQ(dram.counters().row_hits, 1u);
}

TEST(DramAt, BadRequestCompletesOnTheForwardPathWithAnError) {
  const auto params = make_params({"size_bytes=65536"});
  sim::Stats stats;
  models::Dram dram("dram", params, stats);
  AtInitiator initiator("initiator", {{tlm::TLM_READ_COMMAND, 65536, 0, 0}});
  initiator.out.bind(dram.in);
  sc_core::sc_start();
  EXPECT_EQ(initiator.completed_on_forward_path, 1u);
  EXPECT_EQ(initiator.payloads[0]->get_response_status(), tlm::TLM_ADDRESS_ERROR_RESPONSE);
  EXPECT_EQ(dram.counters().error_responses, 1u);
}
