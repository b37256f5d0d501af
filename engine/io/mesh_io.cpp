#include "io/mesh_io.h"

#include "core/color.h"
#include "core/error.h"
#include "io/binary_reader.h"
#include "io/binary_writer.h"
#include "io/gltf_cleanup.h"
#include "io/image_io.h"
#include "io/splat_io.h"
#include "io/texture_files.h"

#include <assimp/DefaultLogger.hpp>
#include <assimp/Exporter.hpp>
#include <assimp/LogStream.hpp>
#include <assimp/GltfMaterial.h>
#include <assimp/Importer.hpp>
#include <assimp/material.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>

#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>
#include <glm/geometric.hpp>
#include <glm/matrix.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <sstream>
#include <unordered_set>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

// Vertex colours in PLY, OBJ and FBX are display-referred by convention (Blender, Maya, MeshLab
// read them as sRGB); Kiln keeps them linear like glTF.
using core::linearFromSrgb;
using core::srgbFromLinear;

glm::mat4 toGlm(const aiMatrix4x4& m) {
    // Assimp is row-major with translation in a4/b4/c4; glm is column-major.
    return glm::mat4(m.a1, m.b1, m.c1, m.d1, m.a2, m.b2, m.c2, m.d2, m.a3, m.b3, m.c3, m.d3, m.a4, m.b4, m.c4, m.d4);
}

std::uint32_t readU32(const std::vector<std::uint8_t>& b, std::size_t o) {
    std::uint32_t v;
    std::memcpy(&v, b.data() + o, 4);
    return v;
}

// Assimp accepts some malformed GLB containers silently; check the container (glTF 2.0 spec,
// "Binary glTF Layout") so a bad file gets a precise reason.
void checkGlbContainer(const std::vector<std::uint8_t>& b, const std::string& name) {
    if (b.size() < 12) throw Error(name + ": not a glTF binary (file shorter than the 12-byte header)");
    if (readU32(b, 0) != 0x46546C67u) throw Error(name + ": not a glTF binary (bad magic)");
    if (readU32(b, 4) != 2) throw Error(name + ": unsupported glTF binary version " + std::to_string(readU32(b, 4)) + " (expected 2)");
    if (readU32(b, 8) != b.size())
        throw Error(name + ": glTF binary length field (" + std::to_string(readU32(b, 8)) + ") does not match file size (" + std::to_string(b.size()) + ")");
    std::size_t offset = 12;
    int chunkIndex = 0;
    bool sawJson = false, sawBin = false;
    while (offset < b.size()) {
        if (b.size() - offset < 8) throw Error(name + ": truncated chunk header at byte " + std::to_string(offset));
        const std::uint32_t length = readU32(b, offset);
        const std::uint32_t type = readU32(b, offset + 4);
        if (length > b.size() - offset - 8) throw Error(name + ": chunk " + std::to_string(chunkIndex) + " is larger than the file");
        if (length % 4 != 0) throw Error(name + ": chunk " + std::to_string(chunkIndex) + " length is not 4-byte aligned");
        if (type == 0x4E4F534Au) {  // JSON
            if (chunkIndex != 0) throw Error(name + ": JSON chunk is not the first chunk");
            if (length == 0) throw Error(name + ": JSON chunk is empty");
            sawJson = true;
        } else if (type == 0x004E4942u) {  // BIN
            if (chunkIndex != 1) throw Error(name + ": BIN chunk must directly follow the JSON chunk");
            sawBin = true;
        } else if (chunkIndex == 0) {
            throw Error(name + ": first chunk is not JSON");
        }
        offset += 8 + length;
        ++chunkIndex;
    }
    if (!sawJson) throw Error(name + ": glTF binary has no JSON chunk");
    (void)sawBin;
}

// Assimp reports many problems only through its logger and then carries on with a partial
// scene (faces dropped, materials invented). A process-wide logger (set up once) forwards
// messages to whichever import is running on the calling thread.
thread_local std::vector<std::string>* t_assimpMessages = nullptr;

class ThreadLogStream : public Assimp::LogStream {
public:
    void write(const char* message) override {
        if (t_assimpMessages && t_assimpMessages->size() < 64) t_assimpMessages->emplace_back(message);
    }
};

void installAssimpLogger() {
    static std::once_flag once;
    std::call_once(once, [] {
        Assimp::DefaultLogger::create("", Assimp::Logger::NORMAL, aiDefaultLogStream(0));
        // The logger owns its streams.
        Assimp::DefaultLogger::get()->attachStream(new ThreadLogStream, Assimp::Logger::Warn | Assimp::Logger::Err);  // NOLINT
    });
}

// Log lines that mean the scene Assimp returned is not the file's content.
std::string fatalAssimpMessage(const std::vector<std::string>& messages) {
    for (std::string m : messages) {
        while (!m.empty() && (m.back() == '\n' || m.back() == '\r')) m.pop_back();
        const auto colon = m.find(": ");
        const std::string text = colon != std::string::npos ? m.substr(colon + 2) : m;
        const bool isError = m.rfind("Error", 0) == 0;
        const bool lossy = text.find("out-of-range") != std::string::npos || text.find("invalid value") != std::string::npos ||
                           text.find("out of range") != std::string::npos;
        if (isError || lossy) return text;
    }
    return {};
}

// Assimp's COLLADA reader trusts <accessor count>, and reads past a shorter <float_array>
// (assimp issue 4286). Check each array holds the values it declares.
void checkColladaArrays(const fs::path& path, const std::string& name) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    const std::string text(bytes.begin(), bytes.end());
    static const std::regex arrayRe(R"re(<float_array([^>]*)>([^<]*)</float_array>)re");
    static const std::regex countRe(R"re(count\s*=\s*"(\d+)")re");
    static const std::regex idRe(R"re(\bid\s*=\s*"([^"]*)")re");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), arrayRe); it != std::sregex_iterator(); ++it) {
        const std::string attrs = (*it)[1], body = (*it)[2];
        std::smatch cm, im;
        if (!std::regex_search(attrs, cm, countRe)) continue;
        const unsigned long declared = std::stoul(cm[1]);
        std::size_t actual = 0;
        bool inToken = false;
        for (char c : body) {
            const bool space = std::isspace(static_cast<unsigned char>(c)) != 0;
            if (!space && !inToken) ++actual;
            inToken = !space;
        }
        if (actual != declared) {
            const std::string id = std::regex_search(attrs, im, idRe) ? std::string(im[1]) : std::string("?");
            throw Error(name + ": float_array '" + id + "' declares " + std::to_string(declared) + " values but holds " + std::to_string(actual));
        }
    }
}

// OFF headers declare vertex and face counts that Assimp reserves memory for before reading;
// a corrupt count means tens of gigabytes and a long stall. Each vertex line needs at least
// "0 0 0\n" (6 bytes) and each face line "3 0 1 2\n" (8 bytes).
void checkOffCounts(const fs::path& path, const std::string& name) {
    const std::vector<std::uint8_t> bytes = readFileBytes(path);
    std::string text(bytes.begin(), bytes.begin() + std::min<std::size_t>(bytes.size(), 4096));
    std::istringstream in(text);
    std::string magic;
    in >> magic;
    if (magic.find("OFF") == std::string::npos) return;  // let Assimp explain
    std::string line;
    std::getline(in, line);
    unsigned long long vertices = 0, faces = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream counts(line);
        if (!(counts >> vertices >> faces)) throw Error(name + ": malformed OFF header (no vertex/face counts)");
        break;
    }
    if (vertices * 6 + faces * 8 > bytes.size() + 16)
        throw Error(name + ": OFF header declares " + std::to_string(vertices) + " vertices and " + std::to_string(faces) +
                    " faces, more than the file's " + std::to_string(bytes.size()) + " bytes can hold");
}

// FBX files say which axis is up, which way the front faces and how many centimetres a unit is
// (GlobalSettings, which Assimp passes on as scene metadata but does not apply). Brings the mesh
// into Kiln's frame: +Y up, front +Z, metres.
void fbxToKilnFrame(const aiScene& scene, core::Mesh& mesh, const std::string& name) {
    const aiMetadata* meta = scene.mMetaData;
    if (!meta) return;
    auto integer = [&](const char* key, int fallback) {
        int32_t v = fallback;
        return meta->Get(key, v) ? int(v) : fallback;
    };
    double unitScale = 1.0;  // FBX's default unit is the centimetre
    float f = 0.0f;
    double d = 0.0;
    if (meta->Get("UnitScaleFactor", f)) unitScale = f;
    else if (meta->Get("UnitScaleFactor", d)) unitScale = d;
    if (!(unitScale > 0.0) || !std::isfinite(unitScale)) throw Error(name + ": FBX UnitScaleFactor must be a positive number");
    auto axis = [&](const char* key, const char* signKey, int fallbackAxis, int fallbackSign) {
        const int a = integer(key, fallbackAxis), sign = integer(signKey, fallbackSign) < 0 ? -1 : 1;
        if (a < 0 || a > 2) throw Error(name + ": FBX " + key + " must be 0, 1 or 2");
        glm::vec3 v(0.0f);
        v[a] = float(sign);
        return v;
    };
    const glm::vec3 up = axis("UpAxis", "UpAxisSign", 1, 1), front = axis("FrontAxis", "FrontAxisSign", 2, 1),
                    coord = axis("CoordAxis", "CoordAxisSign", 0, 1);
    if (glm::dot(up, front) != 0.0f || glm::dot(up, coord) != 0.0f || glm::dot(front, coord) != 0.0f)
        throw Error(name + ": FBX GlobalSettings name the same axis twice (UpAxis, FrontAxis, CoordAxis)");
    // Rows are the file-space directions of Kiln's +X (coord), +Y (up) and +Z (front).
    const glm::mat3 toKiln = glm::transpose(glm::mat3(coord, up, front));
    const float scale = float(unitScale / 100.0);
    if (toKiln == glm::mat3(1.0f) && scale == 1.0f) return;
    for (auto& p : mesh.positions) p = scale * (toKiln * p);
    for (auto& n : mesh.normals) n = toKiln * n;
    // A left-handed axis system is a mirror: keep triangles facing outwards.
    if (glm::determinant(toKiln) < 0.0f)
        for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) std::swap(mesh.indices[t + 1], mesh.indices[t + 2]);
}

struct TextureCache {
    const aiScene* scene = nullptr;
    fs::path baseDir;
    std::string fileName;
    std::map<std::string, int> byPath;
    std::vector<core::Texture>* textures = nullptr;

    int get(const aiMaterial& mat, aiTextureType type, unsigned index = 0) {
        aiString path;
        if (mat.GetTextureCount(type) <= index || mat.GetTexture(type, index, &path) != AI_SUCCESS) return -1;
        const std::string key = path.C_Str();
        if (key.empty()) return -1;
        if (auto it = byPath.find(key); it != byPath.end()) return it->second;
        core::Texture tex;
        if (const aiTexture* embedded = scene->GetEmbeddedTexture(key.c_str())) {
            tex.name = embedded->mFilename.length ? fs::path(embedded->mFilename.C_Str()).filename().string() : "texture" + std::to_string(textures->size());
            if (embedded->mHeight == 0) {
                const auto* bytes = reinterpret_cast<const std::uint8_t*>(embedded->pcData);
                tex.encoded.assign(bytes, bytes + embedded->mWidth);
                tex.image = decodeImage(tex.encoded, fileName + ": texture '" + tex.name + "'");
                const bool jpeg = std::strncmp(embedded->achFormatHint, "jpg", 3) == 0 || std::strncmp(embedded->achFormatHint, "jpeg", 4) == 0 ||
                                  (tex.encoded.size() > 2 && tex.encoded[0] == 0xFF && tex.encoded[1] == 0xD8);
                tex.mimeType = jpeg ? "image/jpeg" : "image/png";
            } else {
                tex.image = core::Image::makeU8(int(embedded->mWidth), int(embedded->mHeight), 4);
                for (std::size_t i = 0; i < std::size_t(embedded->mWidth) * embedded->mHeight; ++i) {
                    const aiTexel& t = embedded->pcData[i];
                    tex.image.u8[i * 4 + 0] = t.r;
                    tex.image.u8[i * 4 + 1] = t.g;
                    tex.image.u8[i * 4 + 2] = t.b;
                    tex.image.u8[i * 4 + 3] = t.a;
                }
            }
        } else {
            fs::path rel(key);
            fs::path full = rel.is_absolute() ? rel : baseDir / rel;
            std::error_code ec;
            if (!fs::exists(full, ec)) throw Error(fileName + ": texture file '" + key + "' not found next to the model");
            tex.name = full.filename().string();
            tex.encoded = readFileBytes(full);
            tex.image = decodeImage(tex.encoded, fileName + ": texture '" + key + "'");
            const std::string ext = lowerExtension(full);
            tex.mimeType = (ext == ".jpg" || ext == ".jpeg") ? "image/jpeg" : ext == ".png" ? "image/png" : "";
            if (tex.mimeType.empty()) tex.encoded.clear();  // re-encoded as PNG on export
        }
        textures->push_back(std::move(tex));
        const int id = int(textures->size()) - 1;
        byPath[key] = id;
        return id;
    }
};

core::Material convertMaterial(const aiMaterial& m, TextureCache& cache) {
    core::Material out;
    aiString name;
    if (m.Get(AI_MATKEY_NAME, name) == AI_SUCCESS) out.name = name.C_Str();
    aiColor4D c;
    if (m.Get(AI_MATKEY_BASE_COLOR, c) == AI_SUCCESS || m.Get(AI_MATKEY_COLOR_DIFFUSE, c) == AI_SUCCESS)
        out.baseColorFactor = {c.r, c.g, c.b, c.a};
    float f = 0;
    if (m.Get(AI_MATKEY_METALLIC_FACTOR, f) == AI_SUCCESS) out.metallicFactor = f;
    else out.metallicFactor = 0.0f;  // non-PBR sources (OBJ, STL, DAE) are dielectrics
    if (m.Get(AI_MATKEY_ROUGHNESS_FACTOR, f) == AI_SUCCESS) out.roughnessFactor = f;
    aiColor3D e;
    if (m.Get(AI_MATKEY_COLOR_EMISSIVE, e) == AI_SUCCESS) out.emissiveFactor = {e.r, e.g, e.b};
    int twoSided = 0;
    if (m.Get(AI_MATKEY_TWOSIDED, twoSided) == AI_SUCCESS) out.doubleSided = twoSided != 0;
    aiString alphaMode;
    if (m.Get(AI_MATKEY_GLTF_ALPHAMODE, alphaMode) == AI_SUCCESS) {
        const std::string a = alphaMode.C_Str();
        out.alphaMode = a == "MASK" ? core::AlphaMode::Mask : a == "BLEND" ? core::AlphaMode::Blend : core::AlphaMode::Opaque;
    }
    if (m.Get(AI_MATKEY_GLTF_ALPHACUTOFF, f) == AI_SUCCESS) out.alphaCutoff = f;
    out.baseColorTexture = cache.get(m, aiTextureType_BASE_COLOR);
    if (out.baseColorTexture < 0) out.baseColorTexture = cache.get(m, aiTextureType_DIFFUSE);
    out.metallicRoughnessTexture = cache.get(m, AI_MATKEY_GLTF_PBRMETALLICROUGHNESS_METALLICROUGHNESS_TEXTURE);
    out.normalTexture = cache.get(m, aiTextureType_NORMALS);
    out.occlusionTexture = cache.get(m, aiTextureType_LIGHTMAP);
    out.emissiveTexture = cache.get(m, aiTextureType_EMISSIVE);
    return out;
}

struct Flattener {
    const aiScene* scene;
    core::Mesh* out;
    std::string name;
    std::vector<int> materialMap;
    std::size_t nodesVisited = 0;

    void appendMesh(const aiMesh& m, const glm::mat4& xf) {
        if (!(m.mPrimitiveTypes & aiPrimitiveType_TRIANGLE) || m.mNumFaces == 0) return;
        const std::uint32_t base = std::uint32_t(out->positions.size());
        const glm::mat3 normalXf = glm::transpose(glm::inverse(glm::mat3(xf)));
        const bool hasNormals = m.HasNormals(), hasUv0 = m.HasTextureCoords(0), hasUv1 = m.HasTextureCoords(1), hasColors = m.HasVertexColors(0);
        // Attributes present on only some parts are filled with neutral values on the others.
        auto pad = [&](auto& vec, bool has, auto neutral) {
            if (has && vec.size() < base) vec.resize(base, neutral);
        };
        pad(out->normals, hasNormals, glm::vec3(0, 0, 1));
        pad(out->uv0, hasUv0, glm::vec2(0));
        pad(out->uv1, hasUv1, glm::vec2(0));
        pad(out->colors, hasColors, glm::vec4(1));
        for (unsigned i = 0; i < m.mNumVertices; ++i) {
            const aiVector3D& p = m.mVertices[i];
            out->positions.push_back(glm::vec3(xf * glm::vec4(p.x, p.y, p.z, 1.0f)));
            if (hasNormals) {
                const aiVector3D& n = m.mNormals[i];
                glm::vec3 nn = normalXf * glm::vec3(n.x, n.y, n.z);
                const float len = glm::length(nn);
                out->normals.push_back(len > 0 ? nn / len : glm::vec3(0, 0, 1));
            }
            if (hasUv0) out->uv0.push_back({m.mTextureCoords[0][i].x, m.mTextureCoords[0][i].y});
            if (hasUv1) out->uv1.push_back({m.mTextureCoords[1][i].x, m.mTextureCoords[1][i].y});
            if (hasColors) {
                const aiColor4D& c = m.mColors[0][i];
                out->colors.push_back({c.r, c.g, c.b, c.a});
            }
        }
        auto fill = [&](auto& vec, bool has, auto neutral) {
            if (!has && !vec.empty()) vec.resize(out->positions.size(), neutral);
        };
        fill(out->normals, hasNormals, glm::vec3(0, 0, 1));
        fill(out->uv0, hasUv0, glm::vec2(0));
        fill(out->uv1, hasUv1, glm::vec2(0));
        fill(out->colors, hasColors, glm::vec4(1));

        core::Submesh sub;
        sub.name = m.mName.C_Str();
        sub.firstIndex = std::uint32_t(out->indices.size());
        sub.firstVertex = base;
        sub.vertexCount = m.mNumVertices;
        for (unsigned f = 0; f < m.mNumFaces; ++f) {
            const aiFace& face = m.mFaces[f];
            if (face.mNumIndices != 3) continue;
            for (int k = 0; k < 3; ++k) {
                if (face.mIndices[k] >= m.mNumVertices)
                    throw Error(name + ": mesh '" + sub.name + "' has a vertex index out of range");
                out->indices.push_back(base + face.mIndices[k]);
            }
        }
        sub.indexCount = std::uint32_t(out->indices.size()) - sub.firstIndex;
        sub.material = m.mMaterialIndex < materialMap.size() ? materialMap[m.mMaterialIndex] : -1;
        out->submeshes.push_back(std::move(sub));
    }

    void visit(const aiNode& node, const glm::mat4& parent, int depth) {
        // Guards against cyclic or absurdly deep hierarchies in corrupt files.
        if (depth > 1000 || ++nodesVisited > 1000000) throw Error(name + ": node hierarchy is cyclic or too deep");
        const glm::mat4 xf = parent * toGlm(node.mTransformation);
        for (unsigned i = 0; i < node.mNumMeshes; ++i) {
            if (node.mMeshes[i] >= scene->mNumMeshes) throw Error(name + ": node references a missing mesh");
            appendMesh(*scene->mMeshes[node.mMeshes[i]], xf);
        }
        for (unsigned i = 0; i < node.mNumChildren; ++i) visit(*node.mChildren[i], xf, depth + 1);
    }
};

} // namespace

bool isMeshImportExtension(const std::string& ext) {
    Assimp::Importer importer;
    return !ext.empty() && importer.IsExtensionSupported(ext);
}

const std::vector<std::string>& meshExportExtensions() {
    static const std::vector<std::string> kExts = {".glb", ".gltf", ".obj", ".ply", ".stl"};
    return kExts;
}

core::Mesh importMesh(const fs::path& path) {
    const std::string name = displayName(path);
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string() + ": file not found");
    if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
    if (fs::file_size(path, ec) == 0) throw Error(name + ": file is empty");
    const std::string ext = lowerExtension(path);
    if (ext == ".glb") checkGlbContainer(readFileBytes(path), name);
    if (ext == ".ply") validatePlyStructure(path);  // Assimp's PLY reader crashes on some corrupt headers
    if (ext == ".dae") checkColladaArrays(path, name);
    if (ext == ".off") checkOffCounts(path, name);

    installAssimpLogger();
    std::vector<std::string> messages;
    t_assimpMessages = &messages;
    struct Reset {
        ~Reset() { t_assimpMessages = nullptr; }
    } reset;
    Assimp::Importer importer;
    importer.SetPropertyInteger(AI_CONFIG_PP_SBP_REMOVE, aiPrimitiveType_POINT | aiPrimitiveType_LINE);
    const unsigned flags = aiProcess_Triangulate | aiProcess_SortByPType | aiProcess_JoinIdenticalVertices |
                           aiProcess_ValidateDataStructure | aiProcess_FlipUVs;
    const aiScene* scene = importer.ReadFile(path.string(), flags);
    if (!scene) {
        std::string reason = importer.GetErrorString();
        if (reason.empty()) reason = "unreadable or unsupported file";
        throw Error(name + ": " + reason);
    }
    if (const std::string fatal = fatalAssimpMessage(messages); !fatal.empty()) throw Error(name + ": " + fatal);
    if ((scene->mFlags & AI_SCENE_FLAGS_INCOMPLETE) || !scene->mRootNode || scene->mNumMeshes == 0)
        throw Error(name + ": contains no triangle meshes");

    core::Mesh mesh;
    TextureCache cache{scene, path.parent_path(), name, {}, &mesh.textures};
    Flattener flat{scene, &mesh, name, {}, 0};
    flat.materialMap.assign(scene->mNumMaterials, -1);
    // Only materials some mesh uses are kept (Assimp adds an unused default material to glTF).
    std::vector<bool> used(scene->mNumMaterials, false);
    for (unsigned i = 0; i < scene->mNumMeshes; ++i)
        if (scene->mMeshes[i]->mMaterialIndex < scene->mNumMaterials) used[scene->mMeshes[i]->mMaterialIndex] = true;
    for (unsigned i = 0; i < scene->mNumMaterials; ++i) {
        if (!used[i]) continue;
        flat.materialMap[i] = int(mesh.materials.size());
        mesh.materials.push_back(convertMaterial(*scene->mMaterials[i], cache));
    }
    flat.visit(*scene->mRootNode, glm::mat4(1.0f), 0);
    if (mesh.empty()) throw Error(name + ": contains no triangles");
    if (ext == ".fbx") fbxToKilnFrame(*scene, mesh, name);
    if (ext == ".fbx" || ext == ".ply" || ext == ".obj")
        for (glm::vec4& c : mesh.colors) c = glm::vec4(linearFromSrgb(c.r), linearFromSrgb(c.g), linearFromSrgb(c.b), c.a);
    mesh.validate(name);
    return mesh;
}

namespace {

// Assimp owns what hangs off an aiScene and frees it with delete/delete[]; these helpers are
// the only place Kiln hands it raw allocations.
template <class T>
T* assimpArray(std::size_t n) {
    return new T[n]();  // NOLINT(cppcoreguidelines-owning-memory): ownership passes to aiScene
}

void setTexture(aiMaterial& m, aiTextureType type, int tex, const std::vector<std::string>& texPaths) {
    if (tex < 0) return;
    aiString p(texPaths[std::size_t(tex)]);
    m.AddProperty(&p, AI_MATKEY_TEXTURE(type, 0));
}

std::unique_ptr<aiScene> buildScene(const core::Mesh& mesh, const std::vector<std::string>& texPaths, bool embedTextures,
                                    const std::string& rootName, bool srgbColors) {
    auto scene = std::make_unique<aiScene>();
    // The node becomes the object name in DCC tools.
    scene->mRootNode = new aiNode(rootName.empty() ? "mesh" : rootName);  // NOLINT: owned by aiScene

    // Materials: one per Kiln material plus a default only if some submesh has none.
    const bool needDefault = std::any_of(mesh.submeshes.begin(), mesh.submeshes.end(), [](const core::Submesh& s) { return s.material < 0; });
    const unsigned matCount = unsigned(mesh.materials.size()) + (needDefault ? 1u : 0u);
    scene->mNumMaterials = matCount;
    scene->mMaterials = assimpArray<aiMaterial*>(matCount);
    for (unsigned i = 0; i < matCount; ++i) {
        auto* am = new aiMaterial();  // NOLINT: owned by aiScene
        scene->mMaterials[i] = am;
        core::Material m = i < mesh.materials.size() ? mesh.materials[i] : core::Material{};
        if (i >= mesh.materials.size()) m.name = "default";
        aiString name(m.name.empty() ? "material" + std::to_string(i) : m.name);
        am->AddProperty(&name, AI_MATKEY_NAME);
        aiColor4D base(m.baseColorFactor.r, m.baseColorFactor.g, m.baseColorFactor.b, m.baseColorFactor.a);
        am->AddProperty(&base, 1, AI_MATKEY_BASE_COLOR);
        am->AddProperty(&base, 1, AI_MATKEY_COLOR_DIFFUSE);
        am->AddProperty(&m.metallicFactor, 1, AI_MATKEY_METALLIC_FACTOR);
        am->AddProperty(&m.roughnessFactor, 1, AI_MATKEY_ROUGHNESS_FACTOR);
        aiColor3D emissive(m.emissiveFactor.r, m.emissiveFactor.g, m.emissiveFactor.b);
        am->AddProperty(&emissive, 1, AI_MATKEY_COLOR_EMISSIVE);
        int twoSided = m.doubleSided ? 1 : 0;
        am->AddProperty(&twoSided, 1, AI_MATKEY_TWOSIDED);
        if (m.alphaMode != core::AlphaMode::Opaque) {
            aiString mode(m.alphaMode == core::AlphaMode::Mask ? "MASK" : "BLEND");
            am->AddProperty(&mode, AI_MATKEY_GLTF_ALPHAMODE);
            am->AddProperty(&m.alphaCutoff, 1, AI_MATKEY_GLTF_ALPHACUTOFF);
        }
        setTexture(*am, aiTextureType_DIFFUSE, m.baseColorTexture, texPaths);
        setTexture(*am, aiTextureType_BASE_COLOR, m.baseColorTexture, texPaths);
        setTexture(*am, aiTextureType_NORMALS, m.normalTexture, texPaths);
        setTexture(*am, aiTextureType_EMISSIVE, m.emissiveTexture, texPaths);
        setTexture(*am, aiTextureType_LIGHTMAP, m.occlusionTexture, texPaths);
        if (m.metallicRoughnessTexture >= 0) {
            aiString p(texPaths[std::size_t(m.metallicRoughnessTexture)]);
            am->AddProperty(&p, _AI_MATKEY_TEXTURE_BASE, AI_MATKEY_GLTF_PBRMETALLICROUGHNESS_METALLICROUGHNESS_TEXTURE);
        }
    }

    if (embedTextures && !mesh.textures.empty()) {
        scene->mNumTextures = unsigned(mesh.textures.size());
        scene->mTextures = assimpArray<aiTexture*>(mesh.textures.size());
        for (std::size_t i = 0; i < mesh.textures.size(); ++i) {
            const core::Texture& t = mesh.textures[i];
            const EncodedTexture encoded = encodeTexture(t);
            const std::vector<std::uint8_t>& bytes = encoded.bytes;
            auto* at = new aiTexture();  // NOLINT: owned by aiScene
            at->mWidth = unsigned(bytes.size());
            at->mHeight = 0;
            std::strncpy(at->achFormatHint, encoded.jpeg ? "jpg" : "png", HINTMAXTEXTURELEN - 1);
            at->pcData = reinterpret_cast<aiTexel*>(assimpArray<std::uint8_t>(bytes.size()));
            std::memcpy(at->pcData, bytes.data(), bytes.size());
            at->mFilename = aiString(t.name);
            scene->mTextures[i] = at;
        }
    }

    std::vector<const core::Submesh*> subs;
    core::Submesh whole;
    if (mesh.submeshes.empty()) {
        whole.indexCount = std::uint32_t(mesh.indices.size());
        subs.push_back(&whole);
    } else {
        for (const auto& s : mesh.submeshes) subs.push_back(&s);
    }
    scene->mNumMeshes = unsigned(subs.size());
    scene->mMeshes = assimpArray<aiMesh*>(subs.size());
    scene->mRootNode->mNumMeshes = unsigned(subs.size());
    scene->mRootNode->mMeshes = assimpArray<unsigned>(subs.size());

    std::vector<std::int64_t> remap(mesh.positions.size(), -1);
    for (std::size_t s = 0; s < subs.size(); ++s) {
        const core::Submesh& sub = *subs[s];
        std::vector<std::uint32_t> used;  // Kiln vertex ids in first-use order
        for (std::uint32_t i = sub.firstIndex; i < sub.firstIndex + sub.indexCount; ++i) {
            const std::uint32_t v = mesh.indices[i];
            if (remap[v] < 0) {
                remap[v] = std::int64_t(used.size());
                used.push_back(v);
            }
        }
        auto* am = new aiMesh();  // NOLINT: owned by aiScene
        scene->mMeshes[s] = am;
        scene->mRootNode->mMeshes[s] = unsigned(s);
        am->mName = aiString(sub.name.empty() ? "mesh" + std::to_string(s) : sub.name);
        am->mPrimitiveTypes = aiPrimitiveType_TRIANGLE;
        am->mMaterialIndex = sub.material >= 0 ? unsigned(sub.material) : unsigned(mesh.materials.size());
        am->mNumVertices = unsigned(used.size());
        am->mVertices = assimpArray<aiVector3D>(used.size());
        if (!mesh.normals.empty()) am->mNormals = assimpArray<aiVector3D>(used.size());
        if (!mesh.uv0.empty()) {
            am->mTextureCoords[0] = assimpArray<aiVector3D>(used.size());
            am->mNumUVComponents[0] = 2;
        }
        if (!mesh.uv1.empty()) {
            am->mTextureCoords[1] = assimpArray<aiVector3D>(used.size());
            am->mNumUVComponents[1] = 2;
        }
        if (!mesh.colors.empty()) am->mColors[0] = assimpArray<aiColor4D>(used.size());
        for (std::size_t k = 0; k < used.size(); ++k) {
            const std::uint32_t v = used[k];
            am->mVertices[k] = aiVector3D(mesh.positions[v].x, mesh.positions[v].y, mesh.positions[v].z);
            if (am->mNormals) am->mNormals[k] = aiVector3D(mesh.normals[v].x, mesh.normals[v].y, mesh.normals[v].z);
            // Kiln keeps UVs with a top-left origin (glTF); Assimp's scene convention is bottom-left.
            if (am->mTextureCoords[0]) am->mTextureCoords[0][k] = aiVector3D(mesh.uv0[v].x, 1.0f - mesh.uv0[v].y, 0);
            if (am->mTextureCoords[1]) am->mTextureCoords[1][k] = aiVector3D(mesh.uv1[v].x, 1.0f - mesh.uv1[v].y, 0);
            if (am->mColors[0]) {
                const glm::vec4& c = mesh.colors[v];
                am->mColors[0][k] = srgbColors ? aiColor4D(srgbFromLinear(c.r), srgbFromLinear(c.g), srgbFromLinear(c.b), c.a) : aiColor4D(c.r, c.g, c.b, c.a);
            }
        }
        am->mNumFaces = sub.indexCount / 3;
        am->mFaces = assimpArray<aiFace>(am->mNumFaces);
        for (unsigned f = 0; f < am->mNumFaces; ++f) {
            aiFace& face = am->mFaces[f];
            face.mNumIndices = 3;
            face.mIndices = assimpArray<unsigned>(3);
            for (int k = 0; k < 3; ++k) face.mIndices[k] = unsigned(remap[mesh.indices[sub.firstIndex + f * 3 + k]]);
        }
        for (std::uint32_t v : used) remap[v] = -1;
    }
    return scene;
}

// Binary PLY written directly: Assimp 5.2's PLY exporter declares 8-bit colours and then writes
// floats, which no reader can parse. Properties by the names Blender, MeshLab and Assimp read:
// x y z, nx ny nz, s t (bottom-left UV origin), red green blue alpha (uchar, sRGB), faces as
// "list uchar uint vertex_indices".
void writePly(const core::Mesh& mesh, const fs::path& path) {
    std::string header = "ply\nformat binary_little_endian 1.0\ncomment Kiln 0.1.0\nelement vertex " + std::to_string(mesh.positions.size()) +
                         "\nproperty float x\nproperty float y\nproperty float z\n";
    const bool normals = !mesh.normals.empty(), uvs = !mesh.uv0.empty(), colors = !mesh.colors.empty();
    if (normals) header += "property float nx\nproperty float ny\nproperty float nz\n";
    if (uvs) header += "property float s\nproperty float t\n";
    if (colors) header += "property uchar red\nproperty uchar green\nproperty uchar blue\nproperty uchar alpha\n";
    header += "element face " + std::to_string(mesh.triangleCount()) + "\nproperty list uchar uint vertex_indices\nend_header\n";
    BinaryWriter out(std::vector<std::uint8_t>(header.begin(), header.end()));
    auto byte = [](float v) { return std::uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f)); };
    for (std::size_t v = 0; v < mesh.positions.size(); ++v) {
        out.put(mesh.positions[v]);
        if (normals) out.put(mesh.normals[v]);
        if (uvs) out.put(glm::vec2(mesh.uv0[v].x, 1.0f - mesh.uv0[v].y));
        if (colors) {
            const glm::vec4& c = mesh.colors[v];
            for (float x : {srgbFromLinear(c.r), srgbFromLinear(c.g), srgbFromLinear(c.b), c.a}) out.put(byte(x));
        }
    }
    for (std::size_t t = 0; t + 2 < mesh.indices.size(); t += 3) {
        out.put(std::uint8_t(3));
        out.putArray(std::span<const std::uint32_t>(mesh.indices).subspan(t, 3));
    }
    writeFileBytes(path, out.bytes());
}

} // namespace

void exportMesh(const core::Mesh& mesh, const fs::path& path, const core::ProvenanceRecord& record) {
    const std::string name = displayName(path);
    const std::string ext = lowerExtension(path);
    std::string formatId;
    if (ext == ".glb") formatId = "glb2";
    else if (ext == ".gltf") formatId = "gltf2";
    else if (ext == ".obj") formatId = "obj";
    else if (ext == ".ply") formatId = "plyb";
    else if (ext == ".stl") formatId = "stlb";
    else throw Error(name + ": cannot export a mesh as '" + ext + "' (supported: .glb, .gltf, .obj, .ply, .stl)");
    if (mesh.empty()) throw Error(name + ": mesh is empty, nothing to export");
    mesh.validate(name);

    if (formatId == "plyb") {
        writePly(mesh, path);
        return;
    }

    // glTF embeds textures in its buffer; OBJ references image files written beside it.
    const bool embed = formatId == "glb2" || formatId == "gltf2";
    std::vector<std::string> texPaths;
    std::vector<std::pair<fs::path, const core::Texture*>> sideFiles;
    for (std::size_t i = 0; i < mesh.textures.size(); ++i) {
        if (embed) {
            texPaths.push_back("*" + std::to_string(i));
        } else if (formatId == "obj") {
            const std::string file = companionTextureName(path, i, mesh.textures[i]);
            texPaths.push_back(file);
            sideFiles.emplace_back(path.parent_path() / file, &mesh.textures[i]);
        } else {
            texPaths.push_back("");  // PLY and STL carry no materials
        }
    }
    // OBJ vertex colours ("v x y z r g b") are display-referred for Blender and MeshLab.
    std::unique_ptr<aiScene> scene = buildScene(mesh, texPaths, embed, path.stem().string(), formatId == "obj");

    for (const auto& [file, tex] : sideFiles) writeFileBytes(file, encodeTexture(*tex).bytes);

    Assimp::Exporter exporter;
    // No post-processing steps: UVs are already flipped while building the scene.
    const aiReturn r = exporter.Export(scene.get(), formatId, path.string(), 0);
    if (r != AI_SUCCESS) {
        std::string reason = exporter.GetErrorString();
        throw Error(name + ": export failed (" + (reason.empty() ? "Assimp error" : reason) + ")");
    }
    // Assimp 5.2 lists extensions nothing uses and keeps UV sets no texture samples.
    if (embed) cleanGltf(path, record);
}

} // namespace kiln::io
