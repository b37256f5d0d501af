#include "models/plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace kiln::models {

namespace {

// 3x5 pixel glyphs for chart labels: digits, '.', '-', 'e', 'k'. Each row is 3 bits, MSB left.
const unsigned char* glyph(char c) {
    static const unsigned char digits[10][5] = {{7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
                                                {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7}};
    static const unsigned char dot[5] = {0, 0, 0, 0, 2}, minus[5] = {0, 0, 7, 0, 0}, e[5] = {0, 7, 7, 4, 7}, k[5] = {4, 5, 6, 5, 5};
    if (c >= '0' && c <= '9') return digits[c - '0'];
    if (c == '.') return dot;
    if (c == '-') return minus;
    if (c == 'e') return e;
    if (c == 'k') return k;
    return nullptr;
}

struct Canvas {
    core::Image image;
    void set(int x, int y, const unsigned char rgb[3]) {
        if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
        std::memcpy(&image.u8[(std::size_t(y) * std::size_t(image.width) + std::size_t(x)) * 3], rgb, 3);
    }
    void line(int x0, int y0, int x1, int y1, const unsigned char rgb[3], int thickness) {
        // Bresenham with a square pen.
        const int dx = std::abs(x1 - x0), dy = -std::abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
        int err = dx + dy;
        for (;;) {
            for (int a = 0; a < thickness; ++a)
                for (int b = 0; b < thickness; ++b) set(x0 + a - thickness / 2, y0 + b - thickness / 2, rgb);
            if (x0 == x1 && y0 == y1) break;
            const int e2 = 2 * err;
            if (e2 >= dy) err += dy, x0 += sx;
            if (e2 <= dx) err += dx, y0 += sy;
        }
    }
    void text(int x, int y, const char* s, const unsigned char rgb[3], int scale) {
        for (; *s; ++s, x += 4 * scale) {
            const unsigned char* g = glyph(*s);
            if (!g) continue;
            for (int r = 0; r < 5; ++r)
                for (int c = 0; c < 3; ++c)
                    if (g[r] & (4 >> c))
                        for (int a = 0; a < scale; ++a)
                            for (int b = 0; b < scale; ++b) set(x + c * scale + a, y + r * scale + b, rgb);
        }
    }
};

} // namespace

core::Image plotLossCurve(const std::vector<float>& losses, const std::vector<double>& smoothed, int width, int height) {
    Canvas cv{core::Image::makeU8(width, height, 3)};
    std::fill(cv.image.u8.begin(), cv.image.u8.end(), std::uint8_t(255));
    const unsigned char axis[3] = {40, 40, 40}, grid[3] = {225, 225, 225}, raw[3] = {185, 185, 185}, blue[3] = {30, 90, 200};
    const int left = 70, right = width - 20, top = 20, bottom = height - 40;
    if (losses.empty() || right <= left || bottom <= top) return cv.image;
    float lo = 1e30f, hi = 0.0f;
    for (float l : losses)
        if (l > 0.0f && std::isfinite(l)) lo = std::min(lo, l), hi = std::max(hi, l);
    if (!(hi > 0.0f)) return cv.image;
    const double d0 = std::floor(std::log10(double(lo))), d1 = std::max(std::ceil(std::log10(double(hi))), d0 + 1.0);
    auto ypix = [&](double v) { return int(bottom - (std::log10(std::max(v, 1e-30)) - d0) / (d1 - d0) * (bottom - top)); };
    auto xpix = [&](std::size_t i) { return left + int(double(i) / double(std::max<std::size_t>(1, losses.size() - 1)) * (right - left)); };
    char label[32];
    for (double d = d0; d <= d1; d += 1.0) {
        for (int m = 1; m < 10; ++m) {
            const int y = ypix(std::pow(10.0, d) * m);
            if (y < top) break;
            cv.line(left, y, right, y, grid, 1);
        }
        const int y = ypix(std::pow(10.0, d));
        std::snprintf(label, sizeof label, "1e%d", int(d));
        cv.text(8, y - 5, label, axis, 2);
    }
    for (int k = 0; k <= 5; ++k) {
        const std::size_t step = losses.size() * std::size_t(k) / 5;
        const int x = xpix(step == 0 ? 0 : step - 1);
        cv.line(x, bottom, x, bottom + 6, axis, 1);
        if (step >= 10000) std::snprintf(label, sizeof label, "%zuk", step / 1000);
        else std::snprintf(label, sizeof label, "%zu", step);
        // Labels stay inside the image (the last tick sits on the right edge).
        const int labelWidth = int(std::strlen(label)) * 8;
        cv.text(std::min(x - labelWidth / 2, width - labelWidth - 2), bottom + 12, label, axis, 2);
    }
    for (std::size_t i = 0; i < losses.size(); ++i) cv.set(xpix(i), ypix(losses[i]), raw);
    for (std::size_t i = 1; i < smoothed.size(); ++i) cv.line(xpix(i - 1), ypix(smoothed[i - 1]), xpix(i), ypix(smoothed[i]), blue, 2);
    cv.line(left, top, left, bottom, axis, 1);
    cv.line(left, bottom, right, bottom, axis, 1);
    return cv.image;
}

} // namespace kiln::models
