#pragma once

#include "core/config.h"
#include "facade/engine.h"

#include <QMainWindow>

class QLabel;

namespace hubsync {

// The desktop window. It talks to the engine only through EngineController (the facade).
class MainWindow final : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const Config &config, QWidget *parent = nullptr);
    ~MainWindow() override;
    Q_DISABLE_COPY_MOVE(MainWindow)

    [[nodiscard]] QString statusText() const;

private:
    void showStatus(const EngineStatus &status);

    EngineController m_controller;
    QLabel *m_status = nullptr;
};

} // namespace hubsync
