// GoogleTest's main for the test programs that run LibTorch: the same compute environment as kiln
// and kiln-studio (OpenMP wait policy, OpenBLAS kernels for this CPU; models/compute.h), so the
// tests measure and exercise what users run.
#include "models/compute.h"

#include <gtest/gtest.h>

int main(int argc, char** argv) {
    kiln::models::prepareComputeEnvironment(argc, argv);
    testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
