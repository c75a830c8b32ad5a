// Debian's libsystemc provides main(); SystemC test binaries run GoogleTest from sc_main.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char* argv[]) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
