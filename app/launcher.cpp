// `kiln`: sets what LibTorch's libraries read when they load (models/compute_env.h), then starts
// the engine (kiln-engine, beside it) in its place. The engine could do this itself only by
// re-executing once, which loaded its ~300 libraries twice; this program links the C library alone.

#include "models/compute_env.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>
#include <unistd.h>

namespace {

// The kernels OpenBLAS would pick here, asked of the BLAS LibTorch loads (Debian's libblas.so.3
// alternative); nullptr when it is not OpenBLAS. Loading it runs its start-up here, in a process
// about to be replaced, not in the engine.
const char* openBlasCore() {
    void* blas = dlopen("libblas.so.3", RTLD_LAZY | RTLD_LOCAL);
    if (!blas) return nullptr;
    using CoreName = char* (*)();
    const auto coreName = reinterpret_cast<CoreName>(dlsym(blas, "openblas_get_corename"));
    return coreName ? coreName() : nullptr;
}

} // namespace

int main(int, char** argv) {
    using namespace kiln::models;
    if (!std::getenv(kStartMarker)) {
        if (setSpinCountUnlessChosen()) setenv(kStartMarker, kLauncherValue, 1);
        if (!std::getenv("OPENBLAS_CORETYPE")) setBetterBlasCore(openBlasCore());  // asks OpenBLAS only when the user did not choose
    }
    // The engine beside this program (/proc/self/exe: whatever PATH and the working directory
    // say); without /proc, the one on PATH.
    char self[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    std::string engine = "kiln-engine";
    if (n > 0) {
        self[n] = '\0';
        const char* slash = std::strrchr(self, '/');
        engine = std::string(self, std::size_t(slash - self + 1)) + engine;
        execv(engine.c_str(), argv);
    } else {
        execvp(engine.c_str(), argv);
    }
    std::fprintf(stderr, "kiln: cannot start %s: %s\n", engine.c_str(), std::strerror(errno));
    return 127;
}
