#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace kiln::test {

inline std::filesystem::path testdata(const std::string& relative) { return std::filesystem::path(KILN_TESTDATA_DIR) / relative; }

// A fresh, empty folder for one test's output under the build tree.
inline std::filesystem::path scratchDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "." + info->name();
    for (char& c : name)
        if (c == '/') c = '_';
    const auto dir = std::filesystem::path(KILN_TEST_OUTPUT_DIR) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir;
}

} // namespace kiln::test
