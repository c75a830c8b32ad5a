#include "sim/app/commands.h"
#include "sim/core/config.h"

namespace app {

int export_command(int, const char* const*) {
  throw sim::ConfigError("edgesim export: this command is not built yet");
}

}  // namespace app
