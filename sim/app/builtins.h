#pragma once
// Built-in platforms and workloads, embedded in the binary from platforms/*.yaml and
// workloads/network/zoo/*.yaml at build time.

#include <string>
#include <vector>

namespace app {

/// One embedded file.
struct Builtin {
  const char* kind;  // "platform" or "workload"
  const char* name;  // file name without extension
  const char* text;  // YAML
};

/// Every embedded file.
const std::vector<Builtin>& builtins();

}  // namespace app
