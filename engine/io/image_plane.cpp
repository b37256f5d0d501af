#include "io/image_plane.h"

#include "core/error.h"
#include "io/image_io.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <iterator>
#include <string>

namespace kiln::io {

namespace {

std::string lowerExtension(const std::filesystem::path& path) {
    std::string ext = path.extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    return ext;
}

// Whether any pixel is less than fully opaque (the plane then blends, as Blender's importer does).
bool hasTransparency(const core::Image& img) {
    if (img.channels != 2 && img.channels != 4) return false;
    const int a = img.channels - 1;
    for (std::size_t p = 0; p < img.pixelCount(); ++p) {
        const std::size_t i = p * std::size_t(img.channels) + std::size_t(a);
        if (img.type == core::PixelType::U8 ? img.u8[i] < 255 : img.f32[i] < 1.0f) return true;
    }
    return false;
}

} // namespace

bool isImagePath(const std::filesystem::path& path) {
    static constexpr std::array kExtensions = {".png", ".jpg", ".jpeg", ".exr", ".hdr", ".tif", ".tiff", ".bmp", ".tga", ".webp"};
    const std::string ext = lowerExtension(path);
    return std::find(kExtensions.begin(), kExtensions.end(), ext) != kExtensions.end();
}

core::Asset imagePlaneAsset(const std::filesystem::path& path) {
    core::Texture tex;
    tex.name = path.filename().string();
    tex.image = io::readImage(path);
    if (tex.image.empty()) throw Error(path.string() + ": the image has no pixels");
    const std::string ext = lowerExtension(path);
    if (ext == ".png" || ext == ".jpg" || ext == ".jpeg") {
        std::ifstream in(path, std::ios::binary);
        tex.encoded.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) throw Error(path.string() + ": cannot read the file");
        tex.mimeType = ext == ".png" ? "image/png" : "image/jpeg";
    }

    const float h = 1.0f;
    const float w = h * float(tex.image.width) / float(tex.image.height);
    core::Mesh mesh;
    mesh.positions = {{-w / 2, -h / 2, 0.0f}, {w / 2, -h / 2, 0.0f}, {w / 2, h / 2, 0.0f}, {-w / 2, h / 2, 0.0f}};
    mesh.normals.assign(4, {0.0f, 0.0f, 1.0f});
    // glTF UVs: (0, 0) is the image's top-left corner.
    mesh.uv0 = {{0.0f, 1.0f}, {1.0f, 1.0f}, {1.0f, 0.0f}, {0.0f, 0.0f}};
    mesh.indices = {0, 1, 2, 0, 2, 3};
    core::Material m;
    m.name = path.stem().string();
    m.metallicFactor = 0.0f;
    m.roughnessFactor = 1.0f;
    m.doubleSided = true;
    m.alphaMode = hasTransparency(tex.image) ? core::AlphaMode::Blend : core::AlphaMode::Opaque;
    m.baseColorTexture = 0;
    mesh.materials.push_back(m);
    mesh.textures.push_back(std::move(tex));
    core::Submesh sm;
    sm.name = path.stem().string();
    sm.indexCount = 6;
    sm.vertexCount = 4;
    sm.material = 0;
    mesh.submeshes.push_back(sm);
    mesh.validate(path.string());

    core::Provenance p;
    p.source = "import:image-plane";
    p.sourcePath = std::filesystem::absolute(path).string();
    p.createdAt = core::utcNowIso8601();
    return core::Asset::fromMesh(path.stem().string(), std::move(mesh), std::move(p));
}

} // namespace kiln::io
