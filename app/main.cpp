// hubsync: one executable, two faces. `hubsync` opens the desktop window; `hubsync --service` runs the
// same engine headless. The choice is made at run time, before any Q*Application exists, so the
// service never needs a display.

#include "core/config.h"
#include "core/log.h"
#include "servicerunner.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCoreApplication>
#include <QIcon>
#include <QProcessEnvironment>

#include <cstdio>
#include <memory>

namespace {

QStringList argumentsOf(int argc, char **argv) {
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments << QString::fromLocal8Bit(argv[i]);
    return arguments;
}

void print(FILE *stream, const QString &text) {
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stream);
}

// The icon compiled in from resources/hubsync.qrc, at every size it is drawn there.
QIcon applicationIcon() {
    QIcon icon;
    for (const int size : {16, 32, 48, 64, 128, 256})
        icon.addFile(QStringLiteral(":/icons/hubsync-%1.png").arg(size), QSize(size, size));
    return icon;
}

} // namespace

int main(int argc, char **argv) {
    using namespace hubsync;
    QCoreApplication::setApplicationName(QStringLiteral("hubsync"));
    QCoreApplication::setOrganizationName(QStringLiteral("HubSync"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HUBSYNC_VERSION));

    const ConfigResult loaded =
        loadConfig(argumentsOf(argc, argv), QProcessEnvironment::systemEnvironment().toStringList());
    if (loaded.showHelp) {
        print(stdout, loaded.helpText);
        return static_cast<int>(ExitCode::Ok);
    }
    if (loaded.showVersion) {
        print(stdout, QStringLiteral("hubsync %1\n").arg(QStringLiteral(HUBSYNC_VERSION)));
        return static_cast<int>(ExitCode::Ok);
    }
    if (loaded.error) {
        print(stderr, QStringLiteral("hubsync: %1\nTry 'hubsync --help'.\n").arg(loaded.error.message));
        return static_cast<int>(exitCodeFor(loaded.error));
    }
    const Config &config = loaded.config;
    Log::instance().setFormat(config.logFormat == Config::LogFormat::Json ? Log::Format::Json : Log::Format::Text);
    Log::instance().addSecret(config.token);
    Log::instance().addSecret(config.webhookSecret);

    if (config.service) {
        QCoreApplication app(argc, argv);
        installQuitOnSignals();
        ServiceRunner runner(config);
        runner.start();
        return QCoreApplication::exec();
    }

    QApplication app(argc, argv);
    QApplication::setApplicationDisplayName(QStringLiteral("HubSync"));
    QApplication::setWindowIcon(applicationIcon());
    // Lets Wayland compositors match the windows to resources/linux/io.github.hubsync.HubSync.desktop.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.hubsync.HubSync"));
    MainWindow window(config);
    window.show();
    return QApplication::exec();
}
