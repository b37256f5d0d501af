#include "io/image_io.h"

#include "core/error.h"
#include "io/binary_reader.h"

#include <OpenImageIO/filesystem.h>
#include <OpenImageIO/imageio.h>

#include <algorithm>
#include <memory>

namespace fs = std::filesystem;

namespace kiln::io {

namespace {

bool isFloatFormat(const OIIO::TypeDesc& t) {
    return t.basetype == OIIO::TypeDesc::FLOAT || t.basetype == OIIO::TypeDesc::HALF || t.basetype == OIIO::TypeDesc::DOUBLE;
}

core::Image readFrom(OIIO::ImageInput& in, const std::string& name) {
    const OIIO::ImageSpec& spec = in.spec();
    if (spec.width <= 0 || spec.height <= 0 || spec.nchannels <= 0) throw Error(name + ": image has no pixels");
    // 64k x 64k x 4 is far beyond any texture; refuse before allocating.
    if (std::int64_t(spec.width) * spec.height > (std::int64_t(1) << 30) || spec.nchannels > 16)
        throw Error(name + ": image dimensions are implausible (" + std::to_string(spec.width) + "x" + std::to_string(spec.height) + ")");
    core::Image image = isFloatFormat(spec.format) ? core::Image::makeF32(spec.width, spec.height, spec.nchannels)
                                                   : core::Image::makeU8(spec.width, spec.height, spec.nchannels);
    const bool ok = image.type == core::PixelType::F32
                        ? in.read_image(0, 0, 0, spec.nchannels, OIIO::TypeDesc::FLOAT, image.f32.data())
                        : in.read_image(0, 0, 0, spec.nchannels, OIIO::TypeDesc::UINT8, image.u8.data());
    if (!ok) {
        std::string err = in.geterror();
        throw Error(name + ": cannot decode image (" + (err.empty() ? "unknown error" : err) + ")");
    }
    return image;
}

} // namespace

core::Image readImage(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string() + ": file not found");
    auto in = OIIO::ImageInput::open(path.string());
    if (!in) {
        std::string err = OIIO::geterror();
        throw Error(displayName(path) + ": not a readable image (" + (err.empty() ? "unknown format" : err) + ")");
    }
    return readFrom(*in, displayName(path));
}

core::Image decodeImage(std::span<const std::uint8_t> bytes, const std::string& name) {
    if (bytes.empty()) throw Error(name + ": image data is empty");
    OIIO::Filesystem::IOMemReader reader(const_cast<std::uint8_t*>(bytes.data()), bytes.size());
    OIIO::ImageSpec config;
    void* proxy = &reader;
    config.attribute("oiio:ioproxy", OIIO::TypeDesc::PTR, &proxy);
    // OIIO picks the reader from the name's extension, so sniff PNG/JPEG magic first.
    std::string hint = "image.png";
    if (bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF) hint = "image.jpg";
    auto in = OIIO::ImageInput::open(hint, &config, &reader);
    if (!in) {
        std::string err = OIIO::geterror();
        throw Error(name + ": cannot decode embedded image (" + (err.empty() ? "unknown format" : err) + ")");
    }
    return readFrom(*in, name);
}

void writeImage(const core::Image& image, const fs::path& path) {
    if (image.empty()) throw Error(path.string() + ": cannot write an empty image");
    auto out = OIIO::ImageOutput::create(path.string());
    if (!out) throw Error(displayName(path) + ": no image writer for this extension");
    const std::string ext = path.extension().string();
    const bool floatTarget = ext == ".exr" || ext == ".hdr" || ext == ".EXR" || ext == ".HDR";
    OIIO::ImageSpec spec(image.width, image.height, image.channels, floatTarget ? OIIO::TypeDesc::FLOAT : OIIO::TypeDesc::UINT8);
    if (!out->open(path.string(), spec)) throw Error(displayName(path) + ": cannot open for writing (" + out->geterror() + ")");
    const bool ok = image.type == core::PixelType::F32 ? out->write_image(OIIO::TypeDesc::FLOAT, image.f32.data())
                                                       : out->write_image(OIIO::TypeDesc::UINT8, image.u8.data());
    if (!ok || !out->close()) throw Error(displayName(path) + ": write failed (" + out->geterror() + ")");
}

std::vector<std::uint8_t> encodePng(const core::Image& image, int compressionLevel) {
    if (image.empty()) throw Error("cannot encode an empty image");
    std::vector<unsigned char> buffer;
    OIIO::Filesystem::IOVecOutput writer(buffer);
    auto out = OIIO::ImageOutput::create("texture.png", &writer);
    if (!out) throw Error("PNG encoder unavailable in OpenImageIO");
    OIIO::ImageSpec spec(image.width, image.height, image.channels, OIIO::TypeDesc::UINT8);
    void* proxy = &writer;
    spec.attribute("oiio:ioproxy", OIIO::TypeDesc::PTR, &proxy);
    spec.attribute("png:compressionLevel", std::clamp(compressionLevel, 0, 9));
    // At the fast levels one row filter (Sub) instead of libpng's per-row trial of all five.
    if (compressionLevel <= 2) spec.attribute("png:filter", 0x10);
    if (!out->open("texture.png", spec)) throw Error("PNG encode failed: " + out->geterror());
    const bool ok = image.type == core::PixelType::F32 ? out->write_image(OIIO::TypeDesc::FLOAT, image.f32.data())
                                                       : out->write_image(OIIO::TypeDesc::UINT8, image.u8.data());
    if (!ok || !out->close()) throw Error("PNG encode failed: " + out->geterror());
    return {buffer.begin(), buffer.end()};
}

} // namespace kiln::io
