#pragma once

class QApplication;
class QString;

namespace kiln::ui {

// "dark" (the default) or "light": Fusion style with a matching palette.
void applyTheme(QApplication& app, const QString& theme);

} // namespace kiln::ui
