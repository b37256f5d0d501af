#include "core/document.h"

#include "core/error.h"

#include <gtest/gtest.h>

using kiln::core::Asset;
using kiln::core::AssetVersion;
using kiln::core::Document;
using kiln::core::DocumentAsset;
using kiln::core::Mesh;
using kiln::core::Provenance;

namespace {

Asset tinyAsset(const std::string& name, float tag = 0.0f, Provenance provenance = {}) {
    Mesh mesh;
    mesh.positions = {{tag, 0.0f, 0.0f}, {1.0f, 0.0f, 0.0f}, {0.0f, 1.0f, 0.0f}};
    mesh.indices = {0, 1, 2};
    return Asset::fromMesh(name, std::move(mesh), std::move(provenance));
}

float tagOf(const Asset& asset) {
    return asset.mesh()->positions[0].x;
}

} // namespace

TEST(Document, StartsEmpty) {
    Document doc;
    EXPECT_TRUE(doc.empty());
    EXPECT_EQ(doc.revision(), 0u);
    EXPECT_EQ(doc.find(1), nullptr);
    EXPECT_EQ(doc.findVersion(1), nullptr);
    EXPECT_THROW(doc.get(1), kiln::Error);
}

TEST(Document, AddAssetMakesFirstVersionCurrent) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("chair", 1.0f));
    EXPECT_FALSE(doc.empty());
    ASSERT_EQ(doc.assets().size(), 1u);
    const DocumentAsset& a = doc.get(id);
    EXPECT_EQ(a.id, id);
    EXPECT_EQ(a.name, "chair");
    ASSERT_EQ(a.versions.size(), 1u);
    EXPECT_EQ(a.current, a.versions[0].id);
    EXPECT_NE(a.current, id);
    EXPECT_EQ(tagOf(a.currentVersion().asset), 1.0f);
    EXPECT_EQ(doc.findVersion(a.current), &a.versions[0]);
    EXPECT_EQ(doc.revision(), 1u);

    const auto second = doc.addAsset(tinyAsset("table"));
    EXPECT_NE(second, id);
    EXPECT_EQ(doc.assets().size(), 2u);
    EXPECT_EQ(doc.revision(), 2u);
}

TEST(Document, AddVersionLinksToPreviousCurrent) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("vase", 1.0f));
    const auto v1 = doc.get(id).current;

    const auto v2 = doc.addVersion(id, tinyAsset("vase", 2.0f));
    EXPECT_EQ(doc.get(id).current, v2);
    ASSERT_EQ(doc.get(id).versions.size(), 2u);
    EXPECT_EQ(doc.findVersion(v2)->asset.provenance.parentVersion, v1);

    const auto v3 = doc.addVersion(id, tinyAsset("vase", 3.0f));
    EXPECT_EQ(doc.findVersion(v3)->asset.provenance.parentVersion, v2);
    EXPECT_EQ(tagOf(doc.get(id).currentVersion().asset), 3.0f);

    // An explicit parent is kept.
    Provenance p;
    p.parentVersion = v1;
    const auto v4 = doc.addVersion(id, tinyAsset("vase", 4.0f, p));
    EXPECT_EQ(doc.findVersion(v4)->asset.provenance.parentVersion, v1);

    EXPECT_EQ(doc.revision(), 4u);
    EXPECT_THROW(doc.addVersion(999, tinyAsset("ghost")), kiln::Error);
    EXPECT_EQ(doc.revision(), 4u);
}

TEST(Document, ParentDefaultsToCurrentAfterSwitchingVersion) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("lamp", 1.0f));
    const auto v1 = doc.get(id).current;
    doc.addVersion(id, tinyAsset("lamp", 2.0f));
    doc.setCurrentVersion(id, v1);
    const auto v3 = doc.addVersion(id, tinyAsset("lamp", 3.0f));
    EXPECT_EQ(doc.findVersion(v3)->asset.provenance.parentVersion, v1);
}

TEST(Document, SetCurrentVersion) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("mug", 1.0f));
    const auto v1 = doc.get(id).current;
    const auto v2 = doc.addVersion(id, tinyAsset("mug", 2.0f));
    const auto before = doc.revision();

    doc.setCurrentVersion(id, v1);
    EXPECT_EQ(doc.get(id).current, v1);
    EXPECT_EQ(tagOf(doc.get(id).currentVersion().asset), 1.0f);
    EXPECT_EQ(doc.get(id).versions.size(), 2u);  // versions are append-only
    EXPECT_EQ(doc.revision(), before + 1);

    doc.setCurrentVersion(id, v2);
    EXPECT_EQ(doc.get(id).current, v2);

    const auto other = doc.addAsset(tinyAsset("other"));
    const auto otherVersion = doc.get(other).current;
    const auto rev = doc.revision();
    EXPECT_THROW(doc.setCurrentVersion(id, otherVersion), kiln::Error);  // not this asset's
    EXPECT_THROW(doc.setCurrentVersion(id, 12345), kiln::Error);
    EXPECT_THROW(doc.setCurrentVersion(12345, v1), kiln::Error);
    EXPECT_EQ(doc.revision(), rev);
    EXPECT_EQ(doc.get(id).current, v2);
}

TEST(Document, Rename) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("old"));
    const auto before = doc.revision();
    doc.renameAsset(id, "new");
    EXPECT_EQ(doc.get(id).name, "new");
    EXPECT_EQ(doc.revision(), before + 1);

    EXPECT_THROW(doc.renameAsset(id, ""), kiln::Error);
    EXPECT_EQ(doc.get(id).name, "new");
    EXPECT_EQ(doc.revision(), before + 1);
    EXPECT_THROW(doc.renameAsset(999, "x"), kiln::Error);
}

TEST(Document, DuplicateCopiesCurrentVersion) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("crate", 1.0f));
    doc.addVersion(id, tinyAsset("crate", 2.0f));
    const auto sourceCurrent = doc.get(id).current;
    const auto before = doc.revision();

    const auto copy = doc.duplicateAsset(id);
    EXPECT_NE(copy, id);
    EXPECT_EQ(doc.revision(), before + 1);
    ASSERT_EQ(doc.assets().size(), 2u);
    const DocumentAsset& c = doc.get(copy);
    EXPECT_EQ(c.name, "crate copy");
    ASSERT_EQ(c.versions.size(), 1u);
    const Asset& dup = c.currentVersion().asset;
    EXPECT_EQ(tagOf(dup), 2.0f);
    EXPECT_EQ(dup.provenance.source, "duplicate");
    EXPECT_EQ(dup.provenance.parentVersion, sourceCurrent);
    EXPECT_FALSE(dup.provenance.createdAt.empty());
    // The data is shared, not copied.
    EXPECT_EQ(dup.data, doc.get(id).currentVersion().asset.data);
    // The source is untouched.
    EXPECT_EQ(doc.get(id).name, "crate");
    EXPECT_EQ(doc.get(id).versions.size(), 2u);

    EXPECT_THROW(doc.duplicateAsset(999), kiln::Error);
}

TEST(Document, Remove) {
    Document doc;
    const auto a = doc.addAsset(tinyAsset("a"));
    const auto b = doc.addAsset(tinyAsset("b"));
    const auto before = doc.revision();
    doc.removeAsset(a);
    EXPECT_EQ(doc.revision(), before + 1);
    EXPECT_EQ(doc.find(a), nullptr);
    ASSERT_EQ(doc.assets().size(), 1u);
    EXPECT_EQ(doc.assets()[0].id, b);
    EXPECT_THROW(doc.removeAsset(a), kiln::Error);
    EXPECT_EQ(doc.revision(), before + 1);
    doc.removeAsset(b);
    EXPECT_TRUE(doc.empty());
    // Ids are never reused.
    EXPECT_GT(doc.addAsset(tinyAsset("c")), b);
}

TEST(Document, CopiesAreIndependentSnapshots) {
    Document doc;
    const auto id = doc.addAsset(tinyAsset("a"));
    const Document snapshot = doc;
    doc.renameAsset(id, "b");
    doc.addVersion(id, tinyAsset("b", 2.0f));
    EXPECT_EQ(snapshot.get(id).name, "a");
    EXPECT_EQ(snapshot.get(id).versions.size(), 1u);
    EXPECT_EQ(snapshot.revision(), 1u);
    EXPECT_NE(doc.revision(), snapshot.revision());
}

TEST(Document, FromPartsRoundTrip) {
    Document doc;
    const auto a = doc.addAsset(tinyAsset("a", 1.0f));
    doc.addVersion(a, tinyAsset("a", 2.0f));
    doc.addAsset(tinyAsset("b", 3.0f));

    const Document rebuilt = Document::fromParts(doc.assets(), doc.nextId());
    ASSERT_EQ(rebuilt.assets().size(), 2u);
    EXPECT_EQ(rebuilt.get(a).versions.size(), 2u);
    EXPECT_EQ(rebuilt.get(a).current, doc.get(a).current);
    EXPECT_EQ(rebuilt.nextId(), doc.nextId());
    // New ids never collide with loaded ones.
    Document next = rebuilt;
    const auto c = next.addAsset(tinyAsset("c"));
    EXPECT_GE(c, doc.nextId());
}

TEST(Document, FromPartsRaisesNextIdAboveLoadedIds) {
    DocumentAsset a;
    a.id = 10;
    a.name = "a";
    a.versions.push_back({20, tinyAsset("a")});
    a.current = 20;
    const Document doc = Document::fromParts({a}, 1);
    EXPECT_EQ(doc.nextId(), 21u);
    EXPECT_TRUE(Document::fromParts({}, 5).empty());
}

TEST(Document, FromPartsRejectsDuplicateIds) {
    DocumentAsset a;
    a.id = 1;
    a.name = "a";
    a.versions.push_back({2, tinyAsset("a")});
    a.current = 2;

    DocumentAsset b = a;
    b.name = "b";
    b.versions = {{3, tinyAsset("b")}};
    b.current = 3;
    EXPECT_THROW(Document::fromParts({a, b}, 10), kiln::Error);  // asset id 1 twice

    b.id = 4;
    b.versions = {{2, tinyAsset("b")}};
    b.current = 2;
    EXPECT_THROW(Document::fromParts({a, b}, 10), kiln::Error);  // version id 2 twice

    b.versions = {{4, tinyAsset("b")}};
    b.current = 4;
    EXPECT_THROW(Document::fromParts({a, b}, 10), kiln::Error);  // version id equals asset id

    b.versions = {{5, tinyAsset("b")}};
    b.current = 5;
    EXPECT_NO_THROW(Document::fromParts({a, b}, 10));
}

TEST(Document, FromPartsRejectsMissingCurrentAndEmptyData) {
    DocumentAsset a;
    a.id = 1;
    a.name = "a";
    a.versions.push_back({2, tinyAsset("a")});
    a.current = 3;
    try {
        Document::fromParts({a}, 10);
        FAIL() << "missing current version accepted";
    } catch (const kiln::Error& e) {
        EXPECT_NE(std::string(e.what()).find("'a'"), std::string::npos) << e.what();
    }

    DocumentAsset empty;
    empty.id = 1;
    empty.name = "empty";
    EXPECT_THROW(Document::fromParts({empty}, 10), kiln::Error);

    DocumentAsset noData = a;
    noData.current = 2;
    noData.versions[0].asset.data = nullptr;
    EXPECT_THROW(Document::fromParts({noData}, 10), kiln::Error);
}

TEST(Document, CurrentVersionThrowsWhenMissing) {
    DocumentAsset a;
    a.name = "broken";
    a.current = 7;
    EXPECT_THROW(a.currentVersion(), kiln::Error);
}
