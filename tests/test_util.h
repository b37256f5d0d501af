#pragma once

#include "core/error.h"

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

// Runs `f` and expects a kiln::Error whose message contains `fragment`.
template <class F>
void expectError(F&& f, const std::string& fragment) {
    try {
        f();
        ADD_FAILURE() << "expected an error containing '" << fragment << "'";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
}

// The message of the kiln::Error `f` throws, or "(no error)".
template <class F>
std::string errorOf(F&& f) {
    try {
        f();
    } catch (const kiln::Error& e) {
        return e.what();
    }
    return "(no error)";
}

} // namespace kiln::test
