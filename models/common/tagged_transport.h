#pragma once
// One blocking TLM transaction carrying a TrafficTag: the request shape every initiator of
// the accelerator (DMA, PE array, vector unit) uses.

#include <cstdint>
#include <systemc>
#include <tlm>

#include "models/common/payload_extension.h"

namespace models {

/// Sends `command` for [address, address + length) through `socket` with `tag` attached,
/// adding the target's delay to `delay`. `gp` is reused by the caller (constructing payloads
/// costs more than the transaction); its response status tells the caller how it went.
template <typename Socket>
void tagged_transport(Socket& socket, tlm::tlm_generic_payload& gp, tlm::tlm_command command,
                      std::uint64_t address, unsigned char* data, std::uint64_t length,
                      TrafficTag& tag, sc_core::sc_time& delay) {
  gp.set_command(command);
  gp.set_address(address);
  gp.set_data_ptr(data);
  gp.set_data_length(static_cast<unsigned int>(length));
  gp.set_streaming_width(static_cast<unsigned int>(length));
  gp.set_byte_enable_ptr(nullptr);
  gp.set_dmi_allowed(false);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  gp.set_extension(&tag);
  socket->b_transport(gp, delay);
  gp.clear_extension(&tag);
}

}  // namespace models
