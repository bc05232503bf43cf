// hubsync: one executable, two faces. `hubsync` opens the desktop window; `hubsync --service` runs the
// same engine headless. The choice is made at run time, before any Q*Application exists, so the
// service never needs a display.

#include "core/config.h"
#include "core/log.h"
#include "core/paths.h"
#include "core/secretstore.h"
#include "github/trust.h"
#include "psqlcommand.h"
#include "servicerunner.h"
#include "ui/mainwindow.h"
#include "ui/setup/savedsetup.h"
#include "ui/setup/setupwizard.h"
#include "ui/setup/singleinstance.h"

#include <QApplication>
#include <QCoreApplication>
#include <QIcon>
#include <QMessageBox>
#include <QProcessEnvironment>
#include <QSettings>

#include <cstdio>
#include <memory>
#include <optional>

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

// Shows whichever HubSync window is open (the wizard or the main window) when a second launch asks.
void raiseWindows() {
    for (QWidget *w : QApplication::topLevelWidgets()) {
        if (!w->isVisible() && !w->isMinimized())
            continue;
        w->showNormal();
        w->raise();
        w->activateWindow();
    }
}

// The desktop start: one instance per user and data directory; the setup wizard on the first run (or
// when the saved setup can no longer be used), the main window afterwards. Explicit credentials on the
// command line or in the environment skip both the wizard and the saved setup.
int runDesktop(const hubsync::Config &commandLine) {
    using namespace hubsync;
    const QString dataDir = dataDirectory(commandLine.dataDir);
    SingleInstance instance(SingleInstance::nameFor(dataDir));
    QString instanceError;
    if (!instance.claim(&instanceError)) {
        if (!instanceError.isEmpty())
            print(stderr, QStringLiteral("hubsync: %1\n").arg(instanceError));
        print(stdout, QStringLiteral("hubsync is already running: asked it to show its window\n"));
        return static_cast<int>(ExitCode::Ok);
    }
    QObject::connect(&instance, &SingleInstance::activated, [] {
        logInfo(QStringLiteral("app"), QStringLiteral("activated by a second launch"));
        raiseWindows();
    });

    Config config = commandLine;
    if (!hasExplicitCredentials(config)) {
        QSettings settings;
        Error storeError;
        const std::unique_ptr<SecretStore> store = openSecretStore(defaultSecretStoreOptions(dataDir), &storeError);
        if (!store) {
            QMessageBox::critical(nullptr, QStringLiteral("HubSync"), storeError.message);
            return static_cast<int>(exitCodeFor(storeError));
        }
        SavedSetup saved = SavedSetup::load(settings);
        Error applied = saved.complete ? applySavedSetup(saved, *store, &config) : Error::none();
        if (!saved.complete || applied) {
            if (applied)
                logWarning(QStringLiteral("app"),
                           QStringLiteral("the saved setup cannot be used (%1): starting the setup again")
                               .arg(applied.message));
            logInfo(QStringLiteral("app"),
                    QStringLiteral("first run: showing the setup wizard (secrets go to %1)").arg(store->description()));
            SetupWizard wizard(settings, *store);
            wizard.show();
            if (wizard.exec() != QDialog::Accepted)
                return static_cast<int>(ExitCode::Ok);
            config = commandLine;
            saved = SavedSetup::load(settings);
            if (Error e = applySavedSetup(saved, *store, &config)) {
                QMessageBox::critical(nullptr, QStringLiteral("HubSync"), e.message);
                return static_cast<int>(exitCodeFor(e));
            }
        } else {
            logInfo(QStringLiteral("app"), QStringLiteral("starting with the saved setup"));
        }
    }
    Log::instance().addSecret(config.token);
    Log::instance().addSecret(config.webhookSecret);
    MainWindow window(config);
    window.show();
    return QApplication::exec();
}

} // namespace

int main(int argc, char **argv) {
    using namespace hubsync;
    QCoreApplication::setApplicationName(QStringLiteral("hubsync"));
    QCoreApplication::setOrganizationName(QStringLiteral("HubSync"));
    QCoreApplication::setApplicationVersion(QStringLiteral(HUBSYNC_VERSION));

    // `hubsync psql ...`: psql on HubSync's database (the embedded cluster started for it if need be).
    if (argc > 1 && qstrcmp(argv[1], "psql") == 0) {
        QCoreApplication app(argc, argv);
        return runPsql(QCoreApplication::arguments().mid(2), QProcessEnvironment::systemEnvironment().toStringList());
    }
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
    // After the application object: Qt finds its TLS backend plugin relative to the application.
    const auto trustCaFile = [&config]() -> std::optional<int> {
        if (config.githubCaFile.isEmpty())
            return std::nullopt;
        const Error e = github::trustCertificateFile(config.githubCaFile);
        if (!e)
            return std::nullopt;
        print(stderr, QStringLiteral("hubsync: %1\n").arg(e.message));
        return static_cast<int>(exitCodeFor(e));
    };

    if (config.service) {
        QCoreApplication app(argc, argv);
        if (const std::optional<int> failed = trustCaFile())
            return *failed;
        installQuitOnSignals();
        ServiceRunner runner(config);
        runner.start();
        return QCoreApplication::exec();
    }

    QApplication app(argc, argv);
    if (const std::optional<int> failed = trustCaFile())
        return *failed;
    QApplication::setApplicationDisplayName(QStringLiteral("HubSync"));
    QApplication::setWindowIcon(applicationIcon());
    // Lets Wayland compositors match the windows to resources/linux/io.github.hubsync.HubSync.desktop.
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.hubsync.HubSync"));
    installQuitOnSignals(); // a logout or `kill` ends the window like Quit does
    return runDesktop(config);
}
