// kiln_compare_image ACTUAL BASELINE DIFF: the end-to-end rendering tests' judge (see
// kiln_render_test in CMakeLists.txt). Same budget as the in-process baselines (image_compare.h).
// Exit status: 0 within the budget; 1 over it (DIFF, the amplified difference, is written);
// 2 when the images cannot be compared (missing, unreadable, different sizes).
#include "image_compare.h"

#include "core/error.h"
#include "io/image_io.h"

#include <cstdio>
#include <exception>
#include <filesystem>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s ACTUAL BASELINE DIFF\n", argv[0]);
        return 2;
    }
    const std::filesystem::path actualPath = argv[1], baselinePath = argv[2], diffPath = argv[3];
    try {
        const kiln::core::Image actual = kiln::io::readImage(actualPath);
        const kiln::core::Image baseline = kiln::io::readImage(baselinePath);
        const kiln::test::ImageDiff diff = kiln::test::diffImages(actual, baseline);
        std::printf("%s vs %s: %s\n", actualPath.string().c_str(), baselinePath.string().c_str(), kiln::test::describe(diff).c_str());
        if (kiln::test::withinBudget(diff)) {
            std::filesystem::remove(diffPath);  // a stale diff from an earlier failure would mislead
            std::printf("within the error budget\n");
            return 0;
        }
        kiln::io::writeImage(diff.image, diffPath);
        std::printf("over the error budget; actual %s, difference x4 %s\n", actualPath.string().c_str(), diffPath.string().c_str());
        return 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cannot compare %s with %s: %s\n", actualPath.string().c_str(), baselinePath.string().c_str(), e.what());
        return 2;
    }
}
