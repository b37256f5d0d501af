#include "test_util.h"

#include "core/error.h"
#include "io/asset_io.h"

#include <fstream>
#include <random>
#include <set>

namespace fs = std::filesystem;
using kiln::test::scratchDir;
using kiln::test::testdata;

namespace {

// tinygltf's regression fixture for its issue 440 is the repaired file: one triangle that the
// Khronos validator accepts with 0 errors and 0 warnings. Kiln loads it (see ValidFixtureLoads).
constexpr const char* kValidFixture = "zero-sized-bin-chunk-issue-440.glb";

// Every model file in the broken-file corpora (auxiliary .bin/.png/.json/.txt files excluded).
std::vector<fs::path> corpus() {
    static const std::set<std::string> kAux = {".bin", ".png", ".json", ".txt", ".jpg"};
    std::vector<fs::path> files;
    for (const char* dir : {"gltf-bad", "mesh-bad"})
        for (const auto& e : fs::recursive_directory_iterator(testdata(dir)))
            if (e.is_regular_file() && !kAux.count(e.path().extension().string()) && e.path().filename() != kValidFixture)
                files.push_back(e.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string testName(const fs::path& p) {
    std::string s = p.parent_path().filename().string() + "_" + p.filename().string();
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return s;
}

class BrokenFile : public ::testing::TestWithParam<fs::path> {};

} // namespace

TEST_P(BrokenFile, LoadEndsInOneClearErrorNamingTheFile) {
    const fs::path file = GetParam();
    try {
        (void)kiln::io::loadAsset(file);
        FAIL() << file << " loaded without an error";
    } catch (const kiln::Error& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(file.filename().string()), std::string::npos) << msg;
        EXPECT_GT(msg.size(), file.filename().string().size() + 4) << "no reason given: " << msg;
    }
}

INSTANTIATE_TEST_SUITE_P(Corpus, BrokenFile, ::testing::ValuesIn(corpus()), [](const auto& info) { return testName(info.param); });

TEST(BadInput, ValidFixtureInTheBadCorpusLoads) {
    const auto asset = kiln::io::loadAsset(testdata(std::string("gltf-bad/tinygltf-regression/regression/") + kValidFixture));
    ASSERT_NE(asset.mesh(), nullptr);
    EXPECT_EQ(asset.mesh()->triangleCount(), 1u);
}

TEST(BadInput, RandomBytesWithKnownExtensionsAreClearErrors) {
    const auto dir = scratchDir();
    std::mt19937 rng(7);
    for (const char* ext : {".glb", ".gltf", ".obj", ".fbx", ".ply", ".stl", ".dae", ".spz", ".splat"}) {
        for (int size : {1, 17, 64, 1000, 100000}) {
            const fs::path f = dir / ("random" + std::to_string(size) + ext);
            std::ofstream out(f, std::ios::binary);
            for (int i = 0; i < size; ++i) out.put(char(rng() & 0xFF));
            out.close();
            try {
                (void)kiln::io::loadAsset(f);
                ADD_FAILURE() << f << " loaded without an error";
            } catch (const kiln::Error& e) {
                EXPECT_NE(std::string(e.what()).find(f.filename().string()), std::string::npos) << e.what();
            }
        }
    }
}

TEST(BadInput, MissingFileAndDirectoryAreClearErrors) {
    const auto dir = scratchDir();
    EXPECT_THROW((void)kiln::io::loadAsset(dir / "nope.glb"), kiln::Error);
    EXPECT_THROW((void)kiln::io::loadAsset(dir), kiln::Error);
}

TEST(BadInput, FailedSaveLeavesNoFileBehind) {
    const auto dir = scratchDir();
    const auto asset = kiln::io::loadAsset(testdata("gltf/Box/Box.glb"));
    EXPECT_THROW(kiln::io::saveAsset(asset, dir / "box.spz"), kiln::Error);
    EXPECT_THROW(kiln::io::saveAsset(asset, dir / "box.xyz"), kiln::Error);
    EXPECT_TRUE(fs::is_empty(dir));
}

TEST(BadInput, ExistingFileIsNotOverwrittenWithoutPermission) {
    const auto dir = scratchDir();
    const auto asset = kiln::io::loadAsset(testdata("gltf/Box/Box.glb"));
    {
        std::ofstream(dir / "box.glb") << "precious";
    }
    EXPECT_THROW(kiln::io::saveAsset(asset, dir / "box.glb"), kiln::Error);
    std::ifstream in(dir / "box.glb");
    std::string content;
    in >> content;
    EXPECT_EQ(content, "precious");
    kiln::io::saveAsset(asset, dir / "box.glb", {.overwrite = true});
    EXPECT_GT(fs::file_size(dir / "box.glb"), 100u);
    // Nothing but the output remains: temporary folders are cleaned up.
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 1u);
}
