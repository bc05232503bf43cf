#pragma once

#include "core/config.h"
#include "simulatorprocess.h"

#include <QImage>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

#include <memory>

class QWidget;

namespace hubsync::test {

// What a desktop test drives: a fresh database, the GitHub simulator with a token, and the window's
// settings in a private directory (never the user's).
class UiFixture final {
public:
    UiFixture();
    ~UiFixture();
    Q_DISABLE_COPY_MOVE(UiFixture)

    // Starts the simulator (`githubsim --dataset small` plus extra arguments) and creates a database.
    // Returns an error text or empty.
    QString start(const QString &name, const QStringList &simulatorArguments = {});

    // Engine configuration for the window: the simulator's API, the token, the proxy on a free loopback
    // port, polling every few seconds.
    [[nodiscard]] Config config(const QStringList &repos = {}) const;

    [[nodiscard]] const SimulatorProcess &simulator() const { return m_sim; }
    [[nodiscard]] QString dsn() const { return m_dsn; }
    [[nodiscard]] QByteArray token() const { return "ghp_uitest"; }

    // A single scalar value from the test database (psql-like), or an empty string on error.
    [[nodiscard]] QString scalar(const QString &sql) const;

private:
    SimulatorProcess m_sim;
    QString m_dsn;
    QTemporaryDir m_settings;
};

// Number of distinct colours in an image (a blank or single-colour screenshot has one or two).
int distinctColours(const QImage &image);

// Where screenshots go: <build dir>/screenshots.
QString screenshotDirectory();

// The focusable controls under `root` (buttons, inputs, item views) that a screen reader could not name:
// "ClassName objectName" each. A button is named by its text, an input by its accessible name or label.
QStringList unnamedControls(const QWidget *root);

} // namespace hubsync::test
