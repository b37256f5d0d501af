// kiln-studio: the Qt desktop studio. Argument handling only; the window lives in ui/.
#include "models/compute.h"
#include "studio_bench.h"
#include "ui/main_window.h"
#include "ui/theme.h"

#include <QApplication>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>
#include <cstdlib>
#include <exception>

namespace {

bool haveDisplay() {
    for (const char* var : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        if (const char* v = std::getenv(var); v && *v) return true;
    return false;
}

} // namespace

int main(int argc, char** argv) {
    // Generation jobs share the cores with the viewport's renderer (lavapipe draws on the CPU).
    kiln::models::prepareComputeEnvironment(argc, argv);
    if (!haveDisplay()) {
        std::fprintf(stderr,
                     "kiln-studio: no display (DISPLAY is not set). Run it in a desktop session, or under a virtual one:\n"
                     "  xvfb-run -a kiln-studio [FILE...]\n"
                     "or use the command-line tool, which needs no display:\n"
                     "  kiln info FILE | kiln convert IN OUT | kiln render FILE -o OUT.png   (kiln --help)\n");
        return 2;
    }
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Kiln");
    QApplication::setApplicationName("Kiln Studio");
    QApplication::setApplicationVersion("0.1.0");
    kiln::ui::applyTheme(app, "dark");
    std::unique_ptr<kiln::ui::MainWindow> window;
    try {
        window = std::make_unique<kiln::ui::MainWindow>();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "kiln-studio: error: %s\n", e.what());
        QMessageBox::critical(nullptr, "Kiln", QString("Kiln cannot start: %1").arg(QString::fromUtf8(e.what())));
        return 1;
    }
    window->show();
    QStringList files = QApplication::arguments().mid(1);
    if (!files.isEmpty() && files.front() == "--bench-orbit") {
        // kiln-studio --bench-orbit FILE [SECONDS]: measures orbiting (frames per second, GUI stalls).
        if (files.size() < 2) {
            std::fprintf(stderr, "usage: kiln-studio --bench-orbit FILE [SECONDS]\n");
            return 2;
        }
        kiln::app::OrbitBenchOptions o;
        o.file = files[1];
        bool ok = true;
        if (files.size() > 2) o.seconds = files[2].toDouble(&ok);
        if (!ok || !(o.seconds > 0.0 && o.seconds <= 600.0)) {
            std::fprintf(stderr, "kiln-studio --bench-orbit: SECONDS \"%s\" is not a number of seconds in (0, 600]\n", qPrintable(files[2]));
            return 2;
        }
        int rc = 0;
        QTimer::singleShot(0, window.get(), [&rc, &o, w = window.get()] {
            rc = kiln::app::runOrbitBench(*w, o);
            QApplication::exit(rc);
        });
        app.exec();
        return rc;
    }
    QTimer::singleShot(0, window.get(), [w = window.get(), files] {
        w->offerRecovery();
        if (!files.isEmpty()) w->openPaths(files);
    });
    return app.exec();
}
