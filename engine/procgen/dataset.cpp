#include "procgen/dataset.h"

#include "core/asset.h"
#include "core/bitmap_font.h"
#include "core/error.h"
#include "geometry/mesh_raster.h"
#include "io/asset_io.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "io/image_io.h"
#include "procgen/shape_rng.h"
#include "render/renderer.h"
#include "render/views.h"

#include <glm/gtc/type_ptr.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace fs = std::filesystem;

namespace kiln::procgen {

namespace {

void checkOptions(const DatasetOptions& o) {
    if (o.outDir.empty()) throw Error("dataset: no output folder given");
    if (o.count < 1 || o.count > 999999) throw Error("dataset: item count " + std::to_string(o.count) + " is outside 1..999999");
    if (o.textureSize < 64 || o.textureSize > 4096 || (o.textureSize & (o.textureSize - 1)) != 0)
        throw Error("dataset: texture size " + std::to_string(o.textureSize) + " is not a power of two from 64 to 4096");
    if (o.samples < 0 || o.samples > 1000000) throw Error("dataset: sample count " + std::to_string(o.samples) + " is outside 0..1000000");
    if (o.views < 0 || o.views > 64) throw Error("dataset: view count " + std::to_string(o.views) + " is outside 0..64");
    if (o.viewSize < 16 || o.viewSize > 2048) throw Error("dataset: view size " + std::to_string(o.viewSize) + " is outside 16..2048");
    if (o.edits < 0 || o.edits > o.count) throw Error("dataset: edit count " + std::to_string(o.edits) + " is outside 0..the item count");
    if (!(o.valFraction >= 0.0 && o.valFraction <= 0.5)) throw Error("dataset: validation fraction is outside 0..0.5");
    if (!(o.tripleFraction >= 0.0 && o.tripleFraction <= 0.5)) throw Error("dataset: held-out triple fraction is outside 0..0.5");
    if (o.threads < 1 || o.threads > 64) throw Error("dataset: thread count " + std::to_string(o.threads) + " is outside 1..64");
}

void prepareFolder(const DatasetOptions& o) {
    const fs::path& dir = o.outDir;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
        if (!fs::is_directory(dir, ec)) throw Error(dir.string() + ": exists and is not a folder");
        if (!fs::is_empty(dir, ec)) {
            if (!o.force) throw Error(dir.string() + ": folder is not empty (use --force to replace the dataset in it)");
            // The manifest goes first, so an interrupted rebuild never leaves one naming files that are gone.
            fs::remove(dir / "dataset.json");
            for (const char* sub : {"meshes", "samples", "views", "edits", "splats"}) fs::remove_all(dir / sub);
        }
    }
    fs::create_directories(dir);
    if (o.meshes) fs::create_directories(dir / "meshes");
    if (o.samples > 0) fs::create_directories(dir / "samples");
    if (o.views > 0) fs::create_directories(dir / "views");
    if (o.edits > 0) fs::create_directories(dir / "edits");
}

nlohmann::ordered_json paramsJson(const AssetParams& p) {
    nlohmann::ordered_json j;
    j["category"] = categories()[std::size_t(p.category)].name;
    j["style"] = categories()[std::size_t(p.category)].styles[std::size_t(p.style)].name;
    j["materials"] = nlohmann::ordered_json::array();
    for (const auto& m : p.materials) j["materials"].push_back({{"material", materialInfo(m.kind).word}, {"colour", palette()[std::size_t(m.colour)].name}});
    j["shapeSeed"] = std::to_string(p.shapeSeed);  // 64 bits: a string, so JSON readers keep every bit
    if (!p.knobs.empty()) j["knobs"] = p.knobs;
    return j;
}

AssetParams paramsFromJson(const nlohmann::json& j, const std::string& where) {
    AssetParams p;
    p.category = categoryIndex(j.at("category").get<std::string>());
    if (p.category < 0) throw Error(where + ": unknown category '" + j.at("category").get<std::string>() + "'");
    const auto& c = categories()[std::size_t(p.category)];
    const std::string style = j.at("style").get<std::string>();
    p.style = -1;
    for (std::size_t s = 0; s < c.styles.size(); ++s)
        if (c.styles[s].name == style) p.style = int(s);
    if (p.style < 0) throw Error(where + ": unknown style '" + style + "' for " + c.name);
    for (const auto& m : j.at("materials")) {
        MaterialSpec spec;
        const std::string word = m.at("material").get<std::string>();
        bool found = false;
        for (const auto& info : materials())
            if (info.word == word) spec.kind = info.kind, found = true;
        if (!found) throw Error(where + ": unknown material '" + word + "'");
        spec.colour = paletteIndex(m.at("colour").get<std::string>());
        if (spec.colour < 0) throw Error(where + ": unknown colour '" + m.at("colour").get<std::string>() + "'");
        p.materials.push_back(spec);
    }
    p.shapeSeed = std::stoull(j.at("shapeSeed").get<std::string>());
    if (j.contains("knobs")) p.knobs = j.at("knobs").get<std::map<std::string, float>>();
    return p;
}

core::Asset toAsset(const std::string& id, const ProcAsset& a, core::Mesh mesh) {
    core::Provenance prov;
    prov.source = "generate:procgen";
    prov.prompt = a.caption;
    prov.seed = a.params.shapeSeed;
    prov.model = "procgen v2";
    return core::Asset::fromMesh(id, std::move(mesh), prov);
}

core::Asset toAsset(const std::string& id, const ProcAsset& a) { return toAsset(id, a, a.mesh); }

// The asset as the dataset stores it: its atlases PNG-encoded at zlib level 1 (at the default
// level, encoding was 44 % of a build's time).
core::Asset toStoredAsset(const std::string& id, const ProcAsset& a) {
    core::Mesh mesh = a.mesh;
    for (core::Texture& t : mesh.textures)
        if (t.encoded.empty() && !t.image.empty()) {
            t.encoded = io::encodePng(t.image, 1);
            t.mimeType = "image/png";
        }
    return toAsset(id, a, std::move(mesh));
}

// The views of one item: lit RGBA from the renderer, depth / normals / part masks from the mesh.
void renderViews(render::Renderer& renderer, const ProcAsset& a, const fs::path& dir, int views, int size, std::uint64_t seed) {
    fs::create_directories(dir);
    renderer.clear();
    renderer.add(toAsset("item", a));
    const core::Bounds bounds = core::computeBounds(a.mesh);
    ShapeRng rng(mix64(seed ^ 0x76696577ull));
    const float yaw0 = rng.uniform(0.0f, 6.2831853f);
    render::ViewOptions vo;
    vo.grid = false;
    vo.axisGizmo = false;
    vo.background = glm::vec4(0.0f);
    nlohmann::ordered_json transforms;
    const float fov = 0.6f;
    transforms["camera_angle_x"] = fov;
    transforms["frames"] = nlohmann::ordered_json::array();
    for (int k = 0; k < views; ++k) {
        // Elevations alternate between 10 and 35 degrees, azimuths evenly around a random start.
        const float pitch = (k % 2 == 0 ? 10.0f : 35.0f) * 3.14159265f / 180.0f;
        const core::Camera cam = render::orbitViews(bounds, 1, pitch, 1.0f, yaw0 + 6.2831853f * float(k) / float(views), fov).front();
        char name[32];
        std::snprintf(name, sizeof name, "%02d", k);
        const core::Image rgba = renderer.renderImage(cam, size, size, vo);
        io::writeImage(rgba, dir / (std::string("rgba_") + name + ".png"));
        const geometry::MeshRaster r = geometry::rasterizeMesh(a.mesh, cam, size, size);
        core::Image depth = core::Image::makeF32(size, size, 1), normal = core::Image::makeU8(size, size, 3), parts = core::Image::makeU8(size, size, 1);
        for (std::size_t i = 0; i < r.depth.size(); ++i) {
            const bool hit = r.triangle[i] >= 0;
            depth.f32[i] = hit ? r.depth[i] : 0.0f;
            for (int c = 0; c < 3; ++c) normal.u8[3 * i + std::size_t(c)] = hit ? std::uint8_t(std::lround(127.5f + 127.5f * r.normal[i][c])) : 0;
            parts.u8[i] = hit ? std::uint8_t(std::min<int>(255, a.triangleParts[std::size_t(r.triangle[i])] + 1)) : 0;
        }
        io::writeImage(depth, dir / (std::string("depth_") + name + ".exr"));
        io::writeImage(normal, dir / (std::string("normal_") + name + ".png"));
        io::writeImage(parts, dir / (std::string("parts_") + name + ".png"));
        nlohmann::ordered_json frame;
        frame["file_path"] = std::string("rgba_") + name;
        std::vector<std::vector<float>> m(4, std::vector<float>(4));
        for (int row = 0; row < 4; ++row)
            for (int col = 0; col < 4; ++col) m[std::size_t(row)][std::size_t(col)] = cam.cameraToWorld[col][row];
        frame["transform_matrix"] = m;
        transforms["frames"].push_back(frame);
    }
    const std::string text = transforms.dump(1) + "\n";
    io::writeAtomically(dir / "transforms.json", true,
                        [&](const fs::path& tmp) { io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}); });
}

struct Record {
    AssetParams params;
    std::string caption, split;
    std::vector<std::string> paraphrases;
    std::vector<std::string> parts;
    glm::vec3 size{0.0f};
    std::optional<EditPair> edit;
    std::string editCaption;
};

// A bounded hand-over from the generation workers to the thread that renders views.
struct ViewQueue {
    std::mutex mutex;
    std::condition_variable changed;
    std::deque<std::pair<int, std::shared_ptr<const ProcAsset>>> items;
    bool done = false;
};

} // namespace

AssetParams datasetParams(std::uint64_t seed, int index) {
    if (index < 0) throw Error("dataset: item index " + std::to_string(index) + " is negative");
    const int n = int(categories().size());
    return randomParams(index % n, mix64(seed * 0x9E3779B97F4A7C15ull + std::uint64_t(index)));
}

std::string datasetItemId(int index) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%06d", index);
    return buf;
}

std::string datasetSplit(const AssetParams& p, std::uint64_t seed, int index, double valFraction, double tripleFraction) {
    const std::string& name = categories()[std::size_t(p.category)].name;
    const auto& held = heldOutCategories();
    if (std::find(held.begin(), held.end(), name) != held.end()) return "test-category";
    if (isHeldOutTriple(p.category, p.materials.front().colour, p.materials.front().kind, tripleFraction)) return "val-triple";
    const double u = double(mix64(seed ^ (std::uint64_t(index) * 0x5851F42D4C957F2Dull) ^ 0x73706C6974ull) >> 11) * (1.0 / 9007199254740992.0);
    return u < valFraction ? "val" : "train";
}

void writeSamples(const SurfaceSamples& s, const fs::path& path) {
    const std::size_t n = s.positions.size();
    std::vector<std::uint8_t> bytes;
    auto put = [&](const void* p, std::size_t size) {
        const auto* b = static_cast<const std::uint8_t*>(p);
        bytes.insert(bytes.end(), b, b + size);
    };
    put("KSMP", 4);
    const std::uint32_t version = 1, count = std::uint32_t(n);
    put(&version, 4);
    put(&count, 4);
    put(s.positions.data(), n * sizeof(glm::vec3));
    put(s.normals.data(), n * sizeof(glm::vec3));
    put(s.albedo.data(), n * sizeof(glm::vec3));
    put(s.roughness.data(), n * sizeof(float));
    put(s.metallic.data(), n * sizeof(float));
    put(s.part.data(), n * sizeof(std::uint16_t));
    io::writeAtomically(path, true, [&](const fs::path& tmp) { io::writeFileBytes(tmp, bytes); });
}

SurfaceSamples readSamples(const fs::path& path) {
    const auto bytes = io::readFileBytes(path);
    io::BinaryReader r(bytes, path.string());
    const auto magic = r.bytes(4, "magic");
    if (std::memcmp(magic.data(), "KSMP", 4) != 0) throw Error(path.string() + ": not a Kiln samples file");
    if (r.read<std::uint32_t>("version") != 1) throw Error(path.string() + ": unsupported samples version");
    const std::uint32_t n = r.read<std::uint32_t>("count");
    if (std::uint64_t(n) * 48 > r.remaining()) throw Error(path.string() + ": truncated (samples)");
    SurfaceSamples s;
    auto take = [&](auto& v, const char* what) {
        using T = typename std::decay_t<decltype(v)>::value_type;
        v.resize(n);
        const auto b = r.bytes(std::size_t(n) * sizeof(T), what);
        std::memcpy(v.data(), b.data(), b.size());
    };
    take(s.positions, "positions");
    take(s.normals, "normals");
    take(s.albedo, "albedo");
    take(s.roughness, "roughness");
    take(s.metallic, "metallic");
    take(s.part, "parts");
    return s;
}

DatasetSummary buildDataset(const DatasetOptions& o, core::Progress& progress, const core::CancelToken& cancel) {
    checkOptions(o);
    const auto t0 = std::chrono::steady_clock::now();
    prepareFolder(o);
    std::vector<Record> records(std::size_t(o.count));
    std::atomic<int> next{0}, done{0};
    std::exception_ptr failure;
    std::mutex failureMutex;
    ViewQueue queue;
    const std::size_t queueLimit = 8;
    auto work = [&] {
        try {
            for (;;) {
                const int i = next.fetch_add(1);
                if (i >= o.count || cancel.cancelled()) return;
                {
                    std::lock_guard lock(failureMutex);
                    if (failure) return;
                }
                const std::string id = datasetItemId(i);
                Record& rec = records[std::size_t(i)];
                rec.params = datasetParams(o.seed, i);
                rec.split = datasetSplit(rec.params, o.seed, i, o.valFraction, o.tripleFraction);
                // Textures only where something shows them (a mesh file or rendered views).
                const int textureSize = o.meshes || o.views > 0 ? o.textureSize : 0;
                auto asset = std::make_shared<ProcAsset>(generate(rec.params, {.textureSize = textureSize}));
                rec.caption = asset->caption;
                rec.paraphrases = asset->paraphrases;
                for (const auto& p : asset->parts) rec.parts.push_back(p.slot);
                rec.size = core::computeBounds(asset->mesh).size();
                if (o.meshes) io::saveAsset(toStoredAsset(id, *asset), o.outDir / "meshes" / (id + ".glb"), {.overwrite = true});
                if (o.samples > 0) writeSamples(sampleSurface(*asset, o.samples, rec.params.shapeSeed), o.outDir / "samples" / (id + ".bin"));
                if (i < o.edits) {
                    rec.edit = randomEdit(rec.params, o.seed ^ std::uint64_t(i));
                    const ProcAsset after = generate(rec.edit->after, {.textureSize = textureSize});
                    rec.editCaption = after.caption;
                    if (o.meshes) io::saveAsset(toStoredAsset(id + "_edit", after), o.outDir / "edits" / (id + ".glb"), {.overwrite = true});
                    if (o.samples > 0) writeSamples(sampleSurface(after, o.samples, rec.edit->after.shapeSeed), o.outDir / "edits" / (id + ".bin"));
                }
                if (o.views > 0) {
                    std::unique_lock lock(queue.mutex);
                    queue.changed.wait(lock, [&] { return queue.items.size() < queueLimit || cancel.cancelled(); });
                    queue.items.emplace_back(i, asset);
                    queue.changed.notify_all();
                }
                ++done;
            }
        } catch (...) {
            std::lock_guard lock(failureMutex);
            if (!failure) failure = std::current_exception();
        }
    };
    std::vector<std::jthread> workers;
    for (int t = 0; t < o.threads; ++t) workers.emplace_back(work);
    // This thread renders views (the renderer is single-threaded) and reports progress.
    std::optional<render::Renderer> renderer;
    if (o.views > 0) renderer.emplace();
    int rendered = 0;
    auto failed = [&] {
        std::lock_guard lock(failureMutex);
        return bool(failure);
    };
    while (true) {
        std::pair<int, std::shared_ptr<const ProcAsset>> item{-1, nullptr};
        {
            std::unique_lock lock(queue.mutex);
            queue.changed.wait_for(lock, std::chrono::milliseconds(100), [&] { return !queue.items.empty(); });
            if (!queue.items.empty()) {
                item = std::move(queue.items.front());
                queue.items.pop_front();
                queue.changed.notify_all();
            }
        }
        if (item.second) {
            renderViews(*renderer, *item.second, o.outDir / "views" / datasetItemId(item.first), o.views, o.viewSize,
                        o.seed ^ std::uint64_t(item.first));
            ++rendered;
        }
        const int finished = o.views > 0 ? rendered : done.load();
        progress.report("item " + std::to_string(finished) + "/" + std::to_string(o.count), 0.98f * float(finished) / float(o.count));
        if (cancel.cancelled() || failed()) {
            queue.changed.notify_all();
            break;
        }
        if (finished >= o.count) break;
    }
    for (auto& w : workers) w.join();
    if (failure) std::rethrow_exception(failure);
    cancel.throwIfCancelled();

    DatasetSummary summary;
    nlohmann::ordered_json manifest;
    manifest["format"] = "kiln-dataset";
    manifest["version"] = 2;
    manifest["seed"] = std::to_string(o.seed);
    manifest["count"] = o.count;
    manifest["textureSize"] = o.textureSize;
    manifest["samples"] = o.samples;
    manifest["views"] = o.views;
    manifest["viewSize"] = o.viewSize;
    manifest["heldOutCategories"] = heldOutCategories();
    manifest["items"] = nlohmann::ordered_json::array();
    manifest["edits"] = nlohmann::ordered_json::array();
    for (int i = 0; i < o.count; ++i) {
        const Record& r = records[std::size_t(i)];
        const std::string id = datasetItemId(i);
        nlohmann::ordered_json item;
        item["id"] = id;
        item["split"] = r.split;
        item["caption"] = r.caption;
        item["paraphrases"] = r.paraphrases;
        item["params"] = paramsJson(r.params);
        item["parts"] = r.parts;
        item["size"] = {r.size.x, r.size.y, r.size.z};
        if (o.meshes) item["mesh"] = "meshes/" + id + ".glb";
        if (o.samples > 0) item["samples"] = "samples/" + id + ".bin";
        if (o.views > 0) item["views"] = "views/" + id + "/transforms.json";
        manifest["items"].push_back(item);
        summary.train += r.split == "train";
        summary.val += r.split == "val";
        summary.valTriple += r.split == "val-triple";
        summary.testCategory += r.split == "test-category";
        if (r.edit) {
            nlohmann::ordered_json e;
            e["item"] = id;
            e["kind"] = toString(r.edit->kind);
            e["instruction"] = r.edit->instruction;
            if (r.edit->group >= 0) e["group"] = r.edit->group;
            if (!r.edit->knob.empty()) e["knob"] = r.edit->knob;
            e["after"] = paramsJson(r.edit->after);
            e["afterCaption"] = r.editCaption;
            if (o.meshes) e["mesh"] = "edits/" + id + ".glb";
            if (o.samples > 0) e["samples"] = "edits/" + id + ".bin";
            manifest["edits"].push_back(e);
            ++summary.edits;
        }
    }
    const std::string text = manifest.dump(1) + "\n";
    summary.manifest = o.outDir / "dataset.json";
    io::writeAtomically(summary.manifest, true,
                        [&](const fs::path& tmp) { io::writeFileBytes(tmp, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}); });
    summary.items = o.count;
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report("done", 1.0f);
    return summary;
}

Dataset readDataset(const fs::path& dir) {
    const fs::path file = dir / "dataset.json";
    if (!fs::is_regular_file(file)) throw Error(dir.string() + ": not a Kiln dataset (no dataset.json)");
    const auto bytes = io::readFileBytes(file);
    Dataset d;
    d.dir = dir;
    try {
        const auto j = nlohmann::json::parse(bytes.begin(), bytes.end());
        if (j.at("format").get<std::string>() != "kiln-dataset") throw Error(file.string() + ": format is not kiln-dataset");
        if (j.at("version").get<int>() != 2)
            throw Error(file.string() + ": dataset version " + j.at("version").dump() + " (this Kiln reads version 2; rebuild it with kiln dataset build)");
        d.seed = std::stoull(j.at("seed").get<std::string>());
        d.textureSize = j.at("textureSize").get<int>();
        for (const auto& it : j.at("items")) {
            DatasetItem item;
            item.id = it.at("id").get<std::string>();
            item.params = paramsFromJson(it.at("params"), file.string() + " item " + item.id);
            item.caption = it.at("caption").get<std::string>();
            item.paraphrases = it.at("paraphrases").get<std::vector<std::string>>();
            item.split = it.at("split").get<std::string>();
            d.items.push_back(std::move(item));
        }
        for (const auto& e : j.at("edits")) {
            DatasetEdit de;
            de.item = e.at("item").get<std::string>();
            const auto it = std::find_if(d.items.begin(), d.items.end(), [&](const DatasetItem& x) { return x.id == de.item; });
            if (it == d.items.end()) throw Error(file.string() + ": edit of unknown item " + de.item);
            de.pair.before = it->params;
            de.pair.after = paramsFromJson(e.at("after"), file.string() + " edit " + de.item);
            de.pair.instruction = e.at("instruction").get<std::string>();
            const std::string kind = e.at("kind").get<std::string>();
            for (int k = 0; k <= int(EditKind::Category); ++k)
                if (kind == toString(EditKind(k))) de.pair.kind = EditKind(k);
            de.pair.group = e.value("group", -1);
            de.pair.knob = e.value("knob", "");
            d.edits.push_back(std::move(de));
        }
    } catch (const nlohmann::json::exception& e) {
        throw Error(file.string() + ": malformed dataset manifest (" + e.what() + ")");
    }
    return d;
}

core::Image contactSheet(int thumbnail, std::uint64_t seed, core::Progress& progress, const core::CancelToken& cancel) {
    if (thumbnail < 32 || thumbnail > 1024) throw Error("contact sheet: thumbnail size " + std::to_string(thumbnail) + " is outside 32..1024");
    render::Renderer renderer;
    render::ViewOptions vo;
    vo.grid = false;
    vo.axisGizmo = false;
    vo.background = glm::vec4(0.18f, 0.19f, 0.21f, 1.0f);
    const int label = 2 * core::kFontHeight + 8;
    std::vector<core::Image> tiles;
    const auto& cats = categories();
    int total = 0;
    for (const auto& c : cats) total += int(c.styles.size());
    for (std::size_t c = 0; c < cats.size(); ++c)
        for (std::size_t s = 0; s < cats[c].styles.size(); ++s) {
            cancel.throwIfCancelled();
            AssetParams p = randomParams(int(c), seed + c * 131 + s);
            p.style = int(s);
            const ProcAsset a = generate(p, {.textureSize = 256});
            renderer.clear();
            renderer.add(toAsset("sheet", a));
            const core::Camera cam = render::orbitViews(core::computeBounds(a.mesh), 1, 0.35f, 1.0f, 0.7f, 0.6f).front();
            const core::Image img = renderer.renderImage(cam, thumbnail, thumbnail, vo);
            core::Image tile = core::Image::makeU8(thumbnail, thumbnail + label, 4);
            for (std::size_t k = 0; k < tile.u8.size(); k += 4) tile.u8[k] = 30, tile.u8[k + 1] = 32, tile.u8[k + 2] = 36, tile.u8[k + 3] = 255;
            std::memcpy(tile.u8.data(), img.u8.data(), img.u8.size());
            const unsigned char white[3] = {235, 235, 235}, grey[3] = {160, 160, 170};
            core::drawText(tile, 4, thumbnail + 3, cats[c].name, white);
            core::drawText(tile, 4, thumbnail + 5 + core::kFontHeight, cats[c].styles[s].name, grey);
            tiles.push_back(std::move(tile));
            progress.report(cats[c].name, float(tiles.size()) / float(total));
        }
    return render::composeGrid(tiles, 12);
}

} // namespace kiln::procgen
