#include "test_util.h"

#include "core/error.h"
#include "io/atomic_write.h"

#include <fstream>

namespace fs = std::filesystem;
using kiln::test::scratchDir;

TEST(AtomicWrite, MovesMainFileAndCompanionsIntoPlace) {
    const auto dir = scratchDir();
    kiln::io::writeAtomically(dir / "a.obj", false, [](const fs::path& temp) {
        std::ofstream(temp) << "obj";
        std::ofstream(temp.parent_path() / "a.mtl") << "mtl";
    });
    EXPECT_TRUE(fs::exists(dir / "a.obj"));
    EXPECT_TRUE(fs::exists(dir / "a.mtl"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 2u);
}

TEST(AtomicWrite, WriterErrorLeavesNothing) {
    const auto dir = scratchDir();
    EXPECT_THROW(kiln::io::writeAtomically(dir / "a.glb", false,
                                           [](const fs::path& temp) {
                                               std::ofstream(temp) << "partial";
                                               throw kiln::Error("a.glb: disk on fire");
                                           }),
                 kiln::Error);
    EXPECT_TRUE(fs::is_empty(dir));
}

TEST(AtomicWrite, RefusesToOverwriteCompanionWithoutPermission) {
    const auto dir = scratchDir();
    std::ofstream(dir / "a.mtl") << "mine";
    EXPECT_THROW(kiln::io::writeAtomically(dir / "a.obj", false,
                                           [](const fs::path& temp) {
                                               std::ofstream(temp) << "obj";
                                               std::ofstream(temp.parent_path() / "a.mtl") << "theirs";
                                           }),
                 kiln::Error);
    EXPECT_FALSE(fs::exists(dir / "a.obj"));
    std::ifstream in(dir / "a.mtl");
    std::string s;
    in >> s;
    EXPECT_EQ(s, "mine");
}

TEST(AtomicWrite, MissingFolderIsAClearError) {
    const auto dir = scratchDir();
    try {
        kiln::io::writeAtomically(dir / "no" / "such" / "a.glb", false, [](const fs::path& temp) { std::ofstream(temp) << "x"; });
        FAIL();
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
    }
}

namespace {

std::string readText(const fs::path& file) {
    std::ifstream in(file);
    std::string s;
    std::getline(in, s);
    return s;
}

std::size_t entryCount(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
    return n;
}

} // namespace

TEST(AtomicWrite, FolderIsMovedIntoPlaceAndReplacedOnlyWithPermission) {
    const auto dir = scratchDir();
    kiln::io::writeFolderAtomically(dir / "a.kiln/", false, [](const fs::path& temp) { std::ofstream(temp / "one.txt") << "first"; });
    EXPECT_EQ(readText(dir / "a.kiln" / "one.txt"), "first");
    EXPECT_EQ(entryCount(dir), 1u);

    EXPECT_THROW(kiln::io::writeFolderAtomically(dir / "a.kiln", false, [](const fs::path& temp) { std::ofstream(temp / "two.txt") << "x"; }),
                 kiln::Error);
    kiln::io::writeFolderAtomically(dir / "a.kiln", true, [](const fs::path& temp) { std::ofstream(temp / "two.txt") << "second"; });
    EXPECT_FALSE(fs::exists(dir / "a.kiln" / "one.txt"));  // replaced as a whole, not merged
    EXPECT_EQ(readText(dir / "a.kiln" / "two.txt"), "second");
    EXPECT_EQ(entryCount(dir), 1u);
}

TEST(AtomicWrite, FolderWriterErrorLeavesTheOldFolder) {
    const auto dir = scratchDir();
    fs::create_directory(dir / "a.kiln");
    std::ofstream(dir / "a.kiln" / "keep.txt") << "precious";
    EXPECT_THROW(kiln::io::writeFolderAtomically(dir / "a.kiln", true,
                                                 [](const fs::path& temp) {
                                                     std::ofstream(temp / "partial.txt") << "partial";
                                                     throw kiln::Error("a.kiln: disk on fire");
                                                 }),
                 kiln::Error);
    EXPECT_EQ(readText(dir / "a.kiln" / "keep.txt"), "precious");
    EXPECT_EQ(entryCount(dir / "a.kiln"), 1u);
    EXPECT_EQ(entryCount(dir), 1u);
}
