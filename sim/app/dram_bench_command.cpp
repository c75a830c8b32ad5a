#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace app {

int dram_bench_command(int, const char* const*) {
  throw sim::ConfigError("edgesim: this command is not built yet");
}

}  // namespace app
