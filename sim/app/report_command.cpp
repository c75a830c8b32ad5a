#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace app {

int report_command(int, const char* const*) {
  throw sim::ConfigError("edgesim report: this command is not built yet");
}

}  // namespace app
