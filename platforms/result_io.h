#pragma once
// Combining results of several simulations: a run over many iterations simulates each phase of
// identical bitwidths once (each in its own process) and adds them up, weighted.

#include <cstdint>
#include <string>

#include "platforms/platform.h"

namespace platforms {

/// Text form of a result (for passing it from a child process).
std::string serialize(const RunResult& result);
/// Parses serialize()'s text; throws InternalError on malformed input.
RunResult deserialize(const std::string& text);
/// Multiplies every count of `result` by `factor` (utilisations stay).
void scale(RunResult& result, std::uint64_t factor);
/// Adds `from` into `into` (rows matched by layer and phase).
void accumulate(RunResult& into, const RunResult& from);

}  // namespace platforms
