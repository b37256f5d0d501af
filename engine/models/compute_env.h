#pragma once

// What Kiln puts in the environment before LibTorch's libraries load: libgomp and OpenBLAS read
// their settings once, when they are loaded, before main(). Dependency-free (the C library only):
// the `kiln` launcher (app/launcher.cpp) uses it before it starts the engine, and the engine's
// prepareComputeEnvironment (models/compute.h) when it was started directly.

namespace kiln::models {

// How long an idle OpenMP thread spins before it sleeps, as GOMP_SPINCOUNT (libgomp's default is
// 300,000 iterations, which collapses under contention; bench/results/issue12_load.md).
inline constexpr const char* kSpinCount = "10000";
// KILN_OMP_REEXEC: "0" leaves the environment alone; "1" after the engine re-executed itself;
// "launcher" when the launcher set GOMP_SPINCOUNT before it started the engine.
inline constexpr const char* kStartMarker = "KILN_OMP_REEXEC";
inline constexpr const char* kLauncherValue = "launcher";
// Set beside OPENBLAS_CORETYPE when Kiln chose the kernels.
inline constexpr const char* kBlasMarker = "KILN_OPENBLAS_CORETYPE_CHOSEN";

// The OpenBLAS kernels to ask for on this CPU, by the names OPENBLAS_CORETYPE takes, when OpenBLAS
// reported `currentCore` for it: only where it fell back to its generic "Prescott" (SSE3) kernels
// on a CPU its build does not know and the CPU runs better ones (Debian's 0.3.21 on Sapphire
// Rapids: matrix products 4-5x slower). nullptr otherwise (not OpenBLAS, it knows this CPU, or
// the user set OPENBLAS_CORETYPE).
const char* betterBlasCore(const char* currentCore);

// Sets GOMP_SPINCOUNT to kSpinCount unless the environment already chose a wait policy
// (OMP_WAIT_POLICY or GOMP_SPINCOUNT); whether it set it.
bool setSpinCountUnlessChosen();
// Sets OPENBLAS_CORETYPE, with kBlasMarker beside it, to betterBlasCore(currentCore) where there
// is one; the kernels set, or nullptr.
const char* setBetterBlasCore(const char* currentCore);

} // namespace kiln::models
