#include "ui/log_panel.h"

#include <QTime>

namespace kiln::ui {

LogPanel::LogPanel(QWidget* parent) : QPlainTextEdit(parent) {
    setObjectName("log");
    setReadOnly(true);
    setMaximumBlockCount(5000);
    setFont(QFont("monospace"));
}

void LogPanel::info(const QString& text) { appendPlainText(QTime::currentTime().toString("HH:mm:ss  ") + text); }

void LogPanel::error(const QString& text) {
    appendHtml("<span style='color:#ff6b6b'>" + QTime::currentTime().toString("HH:mm:ss  ").toHtmlEscaped() + text.toHtmlEscaped() + "</span>");
}

} // namespace kiln::ui
