#include "studio_bench.h"

#include "jobs/job_queue.h"
#include "render/renderer.h"
#include "ui/job_controller.h"
#include "ui/main_window.h"
#include "ui/viewport_window.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QMouseEvent>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

namespace kiln::app {

namespace {

struct PhaseResult {
    int frames = 0;
    double seconds = 0.0, longestStallMs = 0.0, medianFrameMs = 0.0, longestFrameMs = 0.0;
    float smallestScale = 1.0f;
};

void sendMouse(ui::ViewportWindow* vp, QEvent::Type type, QPointF p, Qt::MouseButton button, Qt::MouseButtons buttons) {
    QMouseEvent e(type, p, vp->mapToGlobal(p), button, buttons, Qt::NoModifier);
    QCoreApplication::sendEvent(vp, &e);
}

// One phase: a middle-button drag that turns the camera a little every 16 ms for `seconds`.
// A stall is how late a 16 ms tick of the GUI thread's event loop arrives (a frame drawn on the
// GUI thread delays every event behind it).
PhaseResult orbit(ui::ViewportWindow* vp, double seconds) {
    PhaseResult r;
    std::vector<double> frameMs;
    const QMetaObject::Connection counting = QObject::connect(vp, &ui::ViewportWindow::framePresented, vp, [&] {
        frameMs.push_back(vp->lastFrameMs());
        r.smallestScale = std::min(r.smallestScale, vp->lastResolutionScale());
    });
    QPointF pos(vp->width() / 2.0, vp->height() / 2.0);
    sendMouse(vp, QEvent::MouseButtonPress, pos, Qt::MiddleButton, Qt::MiddleButton);
    QEventLoop loop;
    QTimer tick;
    tick.setTimerType(Qt::PreciseTimer);
    tick.setInterval(16);
    QElapsedTimer clock, sinceTick;
    clock.start();
    sinceTick.start();
    int step = 0;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        r.longestStallMs = std::max(r.longestStallMs, double(sinceTick.nsecsElapsed()) * 1e-6 - 16.0);
        sinceTick.restart();
        // Back and forth, so every phase sees the same views.
        pos += QPointF((step++ / 60) % 2 == 0 ? 4.0 : -4.0, 0.0);
        sendMouse(vp, QEvent::MouseMove, pos, Qt::NoButton, Qt::MiddleButton);
        if (double(clock.nsecsElapsed()) * 1e-9 >= seconds) loop.quit();
    });
    tick.start();
    loop.exec();
    tick.stop();
    sendMouse(vp, QEvent::MouseButtonRelease, pos, Qt::MiddleButton, Qt::NoButton);
    r.seconds = double(clock.nsecsElapsed()) * 1e-9;
    QObject::disconnect(counting);
    r.frames = int(frameMs.size());
    if (!frameMs.empty()) {
        std::sort(frameMs.begin(), frameMs.end());
        r.medianFrameMs = frameMs[frameMs.size() / 2];
        r.longestFrameMs = frameMs.back();
    }
    return r;
}

void waitMs(int ms) {
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int runOrbitBench(ui::MainWindow& window, const OrbitBenchOptions& options) {
    const std::vector<jobs::JobId> ids = window.openPaths({options.file});
    if (ids.empty()) {
        std::fprintf(stderr, "kiln-studio --bench-orbit: %s: nothing to open\n", qPrintable(options.file));
        return 1;
    }
    for (const jobs::JobId id : ids) {
        while (!window.jobs().entry(id) || !jobs::isFinal(window.jobs().entry(id)->snapshot.state)) waitMs(50);
        if (window.jobs().entry(id)->snapshot.state != jobs::JobState::Succeeded) {
            std::fprintf(stderr, "kiln-studio --bench-orbit: %s: could not be opened\n", qPrintable(options.file));
            return 1;
        }
    }
    ui::ViewportWindow* vp = window.viewport();
    // The viewport at 1280x720 (kiln bench render's size) where the screen allows.
    window.resize(window.width() + 1280 - vp->width(), window.height() + 720 - vp->height());
    waitMs(300);
    vp->frameAll();
    waitMs(500);
    const render::FrameStats& st = window.renderer().lastFrameStats();
    std::printf("kiln-studio --bench-orbit %s: viewport %dx%d, %zu splats, %zu triangles, %s\n", qPrintable(options.file), st.width, st.height,
                st.sceneSplats, st.triangles, window.renderer().deviceName().c_str());
    std::printf("%-32s %7s %8s %12s %12s %15s %7s\n", "phase", "frames", "fps", "median ms", "longest ms", "GUI stall ms", "scale");
    const bool adaptive = vp->adaptiveQuality(), async = vp->asynchronousFrames();
    // Frames finished on the GUI thread (the studio before asynchronous frames), then submitted
    // without waiting; each without and with adaptive quality.
    for (const bool asyncOn : {false, true}) {
        for (const bool on : {false, true}) {
            vp->setAsynchronousFrames(asyncOn);
            vp->setAdaptiveQuality(on);
            waitMs(300);
            const PhaseResult r = orbit(vp, options.seconds);
            const std::string phase = std::string(asyncOn ? "async" : "blocking") + "-frames orbit, adaptive " + (on ? "on" : "off");
            std::printf("%-32s %7d %8.2f %12.1f %12.1f %15.1f %6.0f%%\n", phase.c_str(), r.frames, double(r.frames) / r.seconds, r.medianFrameMs,
                        r.longestFrameMs, r.longestStallMs, 100.0 * r.smallestScale);
            std::fflush(stdout);
            waitMs(400);
        }
    }
    vp->setAsynchronousFrames(async);
    vp->setAdaptiveQuality(adaptive);
    return 0;
}

} // namespace kiln::app
