#pragma once

#include "cli.h"

#include "core/asset.h"

#include <filesystem>
#include <functional>

namespace kiln::app {

// Reads a benchmark input; returns an empty asset when this program cannot read that format
// (the lean kiln-render-bench reads splat files only), and the row is skipped.
using BenchLoader = std::function<core::Asset(const std::filesystem::path&)>;

// `kiln bench render` (and kiln-render-bench): the viewport's frame times on the device Vulkan
// picks, 1280x720 MSAA 4, orbiting. Options: --repeat N, --scales 1,0.5, --lod N,
// --sorts cpu,gpu, --paths raster,compute, --loop S (render the biker for S seconds), --check
// (each path/sort pair's biker image against the raster path with the CPU sort: PSNR, max error).
int benchRender(const Args& args, const std::filesystem::path& data, const BenchLoader& load);

} // namespace kiln::app
