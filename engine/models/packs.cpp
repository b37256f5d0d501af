#include "models/packs.h"

#include "core/error.h"
#include "core/path_list.h"
#include "core/sha256.h"
#include "io/atomic_write.h"
#include "io/binary_reader.h"
#include "models/onnx_convert.h"
#include "models/safetensors.h"

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace fs = std::filesystem;

namespace kiln::models {

const std::vector<PackInfo>& knownPacks() {
    static const std::vector<PackInfo> packs = {
        {"isnet", "matting", "@imgly/background-removal-data", "1.4.5",
         "MIT (IS-Net / DIS, Qin et al. 2022, github.com/xuebinqin/DIS; only the package's data files are used, the npm wrapper is AGPL-3.0)",
         "background removal for real photos (salient-object segmentation, 44 M parameters)"},
        {"esrgan-slim", "upscale", "@upscalerjs/esrgan-slim", "1.0.0", "MIT (ESRGAN-slim, an RDN trained on DIV2K, UpscalerJS by Kevin Scott)",
         "texture and image upscaling x2 / x3 / x4 / x8 (233 k parameters)"},
    };
    return packs;
}

const PackInfo& findPack(const std::string& name) {
    std::string names;
    for (const auto& p : knownPacks()) {
        if (p.name == name) return p;
        names += (names.empty() ? "" : ", ") + p.name;
    }
    throw Error("model pack '" + name + "': no such pack (known: " + names + ")");
}

std::optional<fs::path> installedPack(const std::string& name) {
    const PackInfo& info = findPack(name);
    const fs::path dir = packsDir() / name;
    std::error_code ec;
    if (!fs::exists(dir / kManifestName, ec)) return std::nullopt;
    try {
        const ModelManifest m = readManifest(dir);
        if (m.slot == info.slot && m.version == info.version) return dir;
    } catch (const Error&) {
    }
    return std::nullopt;
}

float halfToFloat(std::uint16_t h) {
    const std::uint32_t sign = std::uint32_t(h >> 15) << 31;
    std::uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff, bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {  // subnormal: normalise
            exponent = 127 - 15 + 1;
            while (!(mantissa & 0x400)) mantissa <<= 1, --exponent;
            bits = sign | (exponent << 23) | ((mantissa & 0x3ff) << 13);
        }
    } else if (exponent == 31) {
        bits = sign | (0xffu << 23) | (mantissa << 13);
    } else {
        bits = sign | ((exponent - 15 + 127) << 23) | (mantissa << 13);
    }
    float f;
    std::memcpy(&f, &bits, 4);
    return f;
}

std::map<std::string, std::vector<std::uint8_t>> readTarGz(const fs::path& path) {
    const auto compressed = io::readFileBytes(path);
    const std::string what = path.string();
    // gunzip (a gzip stream, possibly several members).
    std::vector<std::uint8_t> tar;
    z_stream z{};
    if (inflateInit2(&z, 15 + 32) != Z_OK) throw Error(what + ": zlib failed to start");
    z.next_in = const_cast<Bytef*>(compressed.data());
    z.avail_in = uInt(compressed.size());
    std::vector<std::uint8_t> chunk(1 << 20);
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        z.next_out = chunk.data();
        z.avail_out = uInt(chunk.size());
        rc = inflate(&z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            inflateEnd(&z);
            throw Error(what + ": not a gzip file or truncated (" + (z.msg ? z.msg : "inflate error " + std::to_string(rc)) + ")");
        }
        tar.insert(tar.end(), chunk.data(), chunk.data() + (chunk.size() - z.avail_out));
        if (rc != Z_STREAM_END && z.avail_in == 0 && z.avail_out != 0) {
            inflateEnd(&z);
            throw Error(what + ": truncated (the gzip stream ends early)");
        }
    }
    inflateEnd(&z);
    // ustar: 512-byte headers, data padded to 512, two zero blocks at the end.
    std::map<std::string, std::vector<std::uint8_t>> files;
    std::size_t at = 0;
    bool ended = false;
    while (at + 512 <= tar.size()) {
        const std::uint8_t* h = tar.data() + at;
        if (std::all_of(h, h + 512, [](std::uint8_t b) { return b == 0; })) {
            ended = true;
            break;
        }
        unsigned sum = 0;
        for (int i = 0; i < 512; ++i) sum += (i >= 148 && i < 156) ? 32u : h[i];
        const unsigned stored = unsigned(std::strtoul(std::string(reinterpret_cast<const char*>(h + 148), 8).c_str(), nullptr, 8));
        if (sum != stored) throw Error(what + ": corrupt tar header at byte " + std::to_string(at));
        std::string name(reinterpret_cast<const char*>(h), strnlen(reinterpret_cast<const char*>(h), 100));
        const std::string prefix(reinterpret_cast<const char*>(h + 345), strnlen(reinterpret_cast<const char*>(h + 345), 155));
        if (!prefix.empty()) name = prefix + "/" + name;
        const std::uint64_t size = std::strtoull(std::string(reinterpret_cast<const char*>(h + 124), 12).c_str(), nullptr, 8);
        const char type = char(h[156]);
        at += 512;
        if (at + size > tar.size()) throw Error(what + ": truncated (" + name + " runs past the end of the archive)");
        if (type == '0' || type == '\0') files[name].assign(tar.begin() + std::ptrdiff_t(at), tar.begin() + std::ptrdiff_t(at + size));
        at += (size + 511) / 512 * 512;
    }
    if (!ended) throw Error(what + ": truncated (the tar archive has no end marker)");
    return files;
}

namespace {

using Files = std::map<std::string, std::vector<std::uint8_t>>;

const std::vector<std::uint8_t>& fileIn(const Files& files, const std::string& path, const std::string& what) {
    const auto it = files.find("package/" + path);
    if (it == files.end()) throw Error(what + ": the package has no " + path);
    return it->second;
}

nlohmann::json jsonIn(const Files& files, const std::string& path, const std::string& what) {
    const auto& bytes = fileIn(files, path, what);
    try {
        return nlohmann::json::parse(bytes.begin(), bytes.end());
    } catch (const nlohmann::json::exception& e) {
        throw Error(what + ": " + path + " is not valid JSON (" + e.what() + ")");
    }
}

void writeBytes(const fs::path& path, std::span<const std::uint8_t> bytes) {
    fs::create_directories(path.parent_path());
    io::writeFileBytes(path, bytes);
}

void writeText(const fs::path& path, const std::string& text) {
    writeBytes(path, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

// Runs a program (no shell), its stdout and stderr into `log`; returns the exit status.
int runProgram(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    // posix_spawn has no chdir action in glibc 2.36's portable API: run through env -C.
    std::vector<std::string> withDir = {"env", "-C", cwd.string()};
    std::vector<char*> full;
    for (auto& a : withDir) full.push_back(a.data());
    for (char* a : args) full.push_back(a);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, "env", &actions, nullptr, full.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) return -1;
    int status = 0;
    if (waitpid(pid, &status, 0) < 0) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// npm pack PACKAGE@VERSION into `dir`; returns the tarball.
fs::path fetchWithNpm(const PackInfo& info, const fs::path& dir) {
    const std::string what = "model pack '" + info.name + "'";
    if (core::findProgram("npm").empty()) throw Error(what + ": npm is not installed (scripts/kiln.sh installs it; or give a tarball with --from)");
    const fs::path log = dir / "npm.log";
    const int rc = runProgram({"npm", "pack", info.package + "@" + info.version, "--silent", "--prefer-offline", "--no-audit", "--no-fund"}, dir, log);
    if (rc != 0)
        throw Error(what + ": npm could not fetch " + info.package + "@" + info.version + " (is the registry reachable?): " + io::fileTail(log, 400));
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".tgz") return e.path();
    throw Error(what + ": npm pack wrote no tarball: " + io::fileTail(log, 400));
}

// IS-Net: the medium (FP16) model's chunks, each named by its sha256, in resources.json order.
nlohmann::ordered_json convertIsNet(const Files& files, const fs::path& out, const std::string& what, core::Progress& progress) {
    const auto resources = jsonIn(files, "dist/resources.json", what);
    if (!resources.contains("/models/medium")) throw Error(what + ": dist/resources.json lists no /models/medium");
    const auto& entry = resources.at("/models/medium");
    const std::uint64_t size = entry.at("size").get<std::uint64_t>();
    std::vector<std::uint8_t> model;
    model.reserve(size);
    for (const auto& chunk : entry.at("chunks")) {
        const std::string hash = chunk.at("hash");
        const auto& bytes = fileIn(files, "dist/" + hash, what);
        const auto offsets = chunk.at("offsets").get<std::vector<std::uint64_t>>();
        if (offsets.size() != 2 || offsets[0] != model.size() || offsets[1] - offsets[0] != bytes.size())
            throw Error(what + ": chunk " + hash.substr(0, 12) + " has " + std::to_string(bytes.size()) + " bytes, the package lists " +
                        (offsets.size() == 2 ? std::to_string(offsets[1] - offsets[0]) : std::string("no range")));
        if (core::sha256Hex(bytes) != hash) throw Error(what + ": chunk " + hash.substr(0, 12) + " does not match its sha256 (tampered or corrupt)");
        model.insert(model.end(), bytes.begin(), bytes.end());
    }
    if (model.size() != size) throw Error(what + ": the model is " + std::to_string(model.size()) + " bytes, the package lists " + std::to_string(size));
    progress.report("converting IS-Net (FP16 -> FP32)", 0.6f);
    OnnxConversionReport report;
    const std::string converted = convertToFloat32(model, what + " (IS-Net)", &report);
    writeText(out / "isnet.onnx", converted);
    nlohmann::ordered_json config;
    config["format"] = "kiln-isnet";
    config["version"] = 1;
    config["model"] = "isnet.onnx";
    config["nativeResolution"] = 1024;
    config["defaultResolution"] = 512;
    config["mean"] = 128.0;  // (pixel - 128) / 256, RGB
    config["scale"] = 1.0 / 256.0;
    writeText(out / "config.json", config.dump(1) + "\n");
    nlohmann::ordered_json recipe;
    recipe["source"] = "/models/medium (FP16 ONNX, " + std::to_string(size) + " bytes, " + std::to_string(entry.at("chunks").size()) + " chunks)";
    recipe["conversion"] = "FP16 initialisers to FP32 (" + std::to_string(report.initialisersConverted) + "), Casts removed (" +
                           std::to_string(report.castsRemoved) + "), side outputs dropped (" + std::to_string(report.outputsDropped) + ")";
    return recipe;
}

// ESRGAN-slim: each scale's Keras layers graph into Kiln's graph.json (conv, relu, concat, add,
// upsample) and its weights into safetensors (kernels as O x I x kH x kW).
nlohmann::ordered_json convertEsrgan(const Files& files, const fs::path& out, const std::string& what) {
    nlohmann::ordered_json scales = nlohmann::ordered_json::array();
    for (const int scale : {2, 3, 4, 8}) {
        const std::string dir = "models/x" + std::to_string(scale) + "/";
        const auto model = jsonIn(files, dir + "model.json", what);
        const auto& layers = model.at("modelTopology").at("model_config").at("config").at("layers");
        nlohmann::ordered_json graph;
        graph["format"] = "kiln-layers";
        graph["version"] = 1;
        graph["scale"] = scale;
        graph["inputRange"] = {0, 255};
        nlohmann::ordered_json nodes = nlohmann::ordered_json::array();
        std::string input;
        for (const auto& l : layers) {
            const std::string cls = l.at("class_name"), name = l.at("config").at("name");
            std::vector<std::string> inputs;
            if (!l.at("inbound_nodes").empty())
                for (const auto& i : l.at("inbound_nodes").at(0)) inputs.push_back(i.at(0));
            nlohmann::ordered_json node{{"name", name}, {"inputs", inputs}};
            const auto& c = l.at("config");
            if (cls == "InputLayer") {
                input = name;
                continue;
            } else if (cls == "Conv2D") {
                const bool pointwise = c.at("kernel_size") == nlohmann::json({1, 1});
                if ((c.at("padding") != "same" && !pointwise) || c.at("strides") != nlohmann::json({1, 1}) || c.at("dilation_rate") != nlohmann::json({1, 1}) ||
                    c.value("groups", 1) != 1)
                    throw Error(what + ": layer " + name + " is a convolution Kiln does not port (not stride 1, 'same' or 1 x 1, undilated)");
                node["op"] = "conv";
                node["filters"] = c.at("filters");
                node["kernel"] = c.at("kernel_size").at(0);
                const std::string act = c.at("activation");
                if (act != "linear" && act != "relu") throw Error(what + ": layer " + name + " has activation " + act);
                node["relu"] = act == "relu";
            } else if (cls == "Activation") {
                if (c.at("activation") != "relu") throw Error(what + ": layer " + name + " has activation " + c.at("activation").dump());
                node["op"] = "relu";
            } else if (cls == "Concatenate") {
                if (c.at("axis") != 3 && c.at("axis") != -1) throw Error(what + ": layer " + name + " concatenates along axis " + c.at("axis").dump());
                node["op"] = "concat";
            } else if (cls == "Add") {
                node["op"] = "add";
            } else if (cls == "UpSampling2D") {
                if (c.value("interpolation", "nearest") != "nearest") throw Error(what + ": layer " + name + " upsamples by " + c.at("interpolation").dump());
                node["op"] = "upsample";
                node["factor"] = c.at("size").at(0);
            } else {
                throw Error(what + ": layer " + name + " is a " + cls + ", which Kiln does not port");
            }
            nodes.push_back(node);
        }
        graph["input"] = input;
        graph["output"] = model.at("modelTopology").at("model_config").at("config").at("output_layers").at(0).at(0);
        graph["nodes"] = nodes;
        // Weights: one or more shards, tensors in manifest order.
        SafetensorsFile st;
        st.metadata["source"] = dir + "model.json";
        for (const auto& group : model.at("weightsManifest")) {
            std::vector<std::uint8_t> data;
            for (const auto& p : group.at("paths")) {
                const auto& shard = fileIn(files, dir + p.get<std::string>(), what);
                data.insert(data.end(), shard.begin(), shard.end());
            }
            std::size_t at = 0;
            for (const auto& w : group.at("weights")) {
                if (w.at("dtype") != "float32") throw Error(what + ": weight " + w.at("name").dump() + " is not float32");
                const auto shape = w.at("shape").get<std::vector<std::int64_t>>();
                std::size_t n = 1;
                for (const auto d : shape) n *= std::size_t(d);
                if (at + 4 * n > data.size()) throw Error(what + ": " + dir + " weights are truncated (" + w.at("name").get<std::string>() + ")");
                const float* src = reinterpret_cast<const float*>(data.data() + at);
                at += 4 * n;
                std::string wname = w.at("name");
                TensorData t;
                if (wname.ends_with("/kernel") && shape.size() == 4) {  // kH x kW x I x O -> O x I x kH x kW
                    const auto kh = shape[0], kw = shape[1], ci = shape[2], co = shape[3];
                    std::vector<float> v(n);
                    for (std::int64_t y = 0; y < kh; ++y)
                        for (std::int64_t x = 0; x < kw; ++x)
                            for (std::int64_t i = 0; i < ci; ++i)
                                for (std::int64_t o = 0; o < co; ++o) v[std::size_t(((o * ci + i) * kh + y) * kw + x)] = src[((y * kw + x) * ci + i) * co + o];
                    t.shape = {co, ci, kh, kw};
                    t.bytes.assign(reinterpret_cast<const std::uint8_t*>(v.data()), reinterpret_cast<const std::uint8_t*>(v.data() + n));
                    wname = wname.substr(0, wname.size() - 7) + ".weight";
                } else if (wname.ends_with("/bias")) {
                    t.shape = shape;
                    t.bytes.assign(reinterpret_cast<const std::uint8_t*>(src), reinterpret_cast<const std::uint8_t*>(src + n));
                    wname = wname.substr(0, wname.size() - 5) + ".bias";
                } else {
                    throw Error(what + ": weight " + wname + " is neither a kernel nor a bias");
                }
                t.name = wname;
                t.dtype = DType::F32;
                st.tensors.push_back(std::move(t));
            }
            if (at != data.size()) throw Error(what + ": " + dir + " weights have " + std::to_string(data.size() - at) + " bytes nobody names");
        }
        const fs::path sub = out / ("x" + std::to_string(scale));
        fs::create_directories(sub);
        writeText(sub / "graph.json", graph.dump(1) + "\n");
        writeSafetensors(st, sub / "weights.safetensors", true);
        scales.push_back(scale);
    }
    nlohmann::ordered_json recipe;
    recipe["source"] = "models/x{2,3,4,8}/model.json + group1-shard1of1.bin (TF.js layers models, float32)";
    recipe["conversion"] = "Keras layers to Kiln's graph.json; kernels transposed to O x I x kH x kW";
    recipe["scales"] = scales;
    return recipe;
}

} // namespace

fs::path packDownload(const std::string& name, const fs::path& dir) {
    const PackInfo& info = findPack(name);
    return (dir.empty() ? packsDir() : dir) / ".downloads" / (info.name + "-" + info.version + ".tgz");
}

PackInstallResult installPack(const std::string& name, const PackInstallOptions& o, core::Progress& progress) {
    const auto t0 = std::chrono::steady_clock::now();
    const PackInfo& info = findPack(name);
    const std::string what = "model pack '" + name + "'";
    const fs::path root = o.dir.empty() ? packsDir() : o.dir;
    const fs::path dest = root / name;
    PackInstallResult result;
    result.dir = dest;
    std::error_code ec;
    if (!o.force && fs::exists(dest / kManifestName, ec)) {
        try {
            const ModelManifest m = verifyModelFolder(dest, info.slot);
            if (m.version == info.version) {
                result.alreadyInstalled = true;
                for (const auto& f : m.files) result.bytes += f.bytes;
                result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                return result;
            }
        } catch (const Error&) {
            // A broken or older install is replaced below.
        }
    }
    fs::create_directories(root);
    const fs::path staging = root / ("." + name + ".partial");
    fs::remove_all(staging, ec);
    fs::create_directories(staging / "download");
    bool usedCache = false;
    fs::path cached;
    try {
        fs::path tarball = o.from;
        bool fetched = false;
        if (tarball.empty()) {
            tarball = packDownload(name, root);
            if (!fs::exists(tarball, ec)) {
                progress.report("fetching " + info.package + "@" + info.version + " (npm)", 0.05f);
                const fs::path got = fetchWithNpm(info, staging / "download");
                fs::create_directories(tarball.parent_path());
                fs::rename(got, tarball);
                fetched = true;
            }
        } else if (!fs::is_regular_file(tarball)) {
            throw Error(what + ": " + tarball.string() + ": no such file");
        }
        usedCache = o.from.empty() && !fetched;
        cached = o.from.empty() ? tarball : fs::path();
        progress.report("reading " + tarball.filename().string(), 0.3f);
        const std::string tarballHash = sha256File(tarball);
        const Files files = readTarGz(tarball);
        const auto package = jsonIn(files, "package.json", what);
        if (package.value("name", "") != info.package)
            throw Error(what + ": " + tarball.string() + " is " + package.value("name", "?") + ", not " + info.package);
        if (package.value("version", "") != info.version)
            throw Error(what + ": " + tarball.string() + " is version " + package.value("version", "?") + "; this Kiln converts version " + info.version);
        const fs::path out = staging / "pack";
        fs::create_directories(out);
        nlohmann::ordered_json recipe;
        recipe["package"] = info.package;
        recipe["packageVersion"] = info.version;
        recipe["tarballSha256"] = tarballHash;
        nlohmann::ordered_json details = info.slot == "matting" ? convertIsNet(files, out, what, progress) : convertEsrgan(files, out, what);
        for (auto& [k, v] : details.items()) recipe[k] = v;
        // The licences travel with the weights.
        for (const char* l : {"LICENSE", "LICENSE.md", "ThirdPartyLicenses.json"})
            if (files.count(std::string("package/") + l)) writeBytes(out / l, files.at(std::string("package/") + l));
        progress.report("writing the manifest", 0.9f);
        ModelManifest m;
        m.slot = info.slot;
        m.name = info.name;
        m.version = info.version;
        m.licence = info.licence;
        m.recipeJson = recipe.dump();
        m = writeManifest(out, m);
        for (const auto& f : m.files) result.bytes += f.bytes;
        verifyModelFolder(out, info.slot);
        // Swap in: the old install (if any) goes only once the new one is complete.
        const fs::path old = root / ("." + name + ".old");
        fs::remove_all(old, ec);
        if (fs::exists(dest, ec)) fs::rename(dest, old);
        fs::rename(out, dest);
        fs::remove_all(old, ec);
        fs::remove_all(staging, ec);
    } catch (const Error& e) {
        fs::remove_all(staging, ec);
        // A download that does not convert is not kept: the next run fetches it anew.
        if (!cached.empty()) fs::remove(cached, ec);
        if (usedCache) throw Error(std::string(e.what()) + " (the cached download " + cached.string() + " was removed; run the install again to fetch it anew)");
        throw;
    } catch (...) {
        fs::remove_all(staging, ec);
        throw;
    }
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    progress.report("installed", 1.0f);
    return result;
}

} // namespace kiln::models
