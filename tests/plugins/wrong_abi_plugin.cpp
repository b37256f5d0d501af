// A plug-in built for another plug-in ABI: Kiln must refuse it without calling its registration.
#include <cstdlib>

extern "C" __attribute__((visibility("default"))) int kiln_plugin_abi_version(void) { return 999; }
extern "C" __attribute__((visibility("default"))) const char* kiln_plugin_name(void) { return "wrong-abi"; }
extern "C" __attribute__((visibility("default"))) void kiln_plugin_register(void*) { std::abort(); }
