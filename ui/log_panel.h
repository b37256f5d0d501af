#pragma once

#include <QPlainTextEdit>

namespace kiln::ui {

// The studio's log: timestamped lines from imports, jobs, saves and errors.
class LogPanel : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit LogPanel(QWidget* parent = nullptr);

public slots:
    void info(const QString& text);
    void error(const QString& text);
};

} // namespace kiln::ui
