#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace app {

int sweep_command(int, const char* const*) {
  throw sim::ConfigError("edgesim sweep: this command is not built yet");
}

}  // namespace app
