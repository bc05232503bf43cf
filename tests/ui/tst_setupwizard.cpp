// The first-run wizard driven against the real GitHub simulator (githubsim) and a real PostgreSQL:
// App created from a manifest and installed, the organization-owner approval path, a personal access
// token, the database page, and a screenshot of every page.

#include "core/secretstore.h"
#include "facade/engine.h"
#include "github/jwt.h"
#include "pgtestinstance.h"
#include "simulatorprocess.h"
#include "testbrowser.h"
#include "ui/setup/pages.h"
#include "ui/setup/savedsetup.h"
#include "ui/setup/setupwizard.h"
#include "uitestsupport.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QDateTime>
#include <QDirIterator>
#include <QJsonArray>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QWizardPage>

#include <libpq-fe.h>

#include <memory>

using namespace hubsync;
using hubsync::test::PgTestInstance;
using hubsync::test::SimulatorProcess;
using hubsync::test::TestBrowser;

namespace {

constexpr int FlowTimeoutMs = 30000;

QString screenshotDir() {
    const QString dir =
        QStandardPaths::writableLocation(QStandardPaths::TempLocation) + QStringLiteral("/hubsync-tst_setupwizard");
    QDir().mkpath(dir);
    return dir;
}

// A grab that is one flat colour means nothing was drawn.
int distinctColours(const QImage &image, int enough = 16) {
    QSet<QRgb> seen;
    for (int y = 0; y < image.height(); y += 2)
        for (int x = 0; x < image.width(); x += 2) {
            seen.insert(image.pixel(x, y));
            if (seen.size() >= enough)
                return int(seen.size());
        }
    return int(seen.size());
}

// One wizard with its own settings file and encrypted secret store, and a test browser as "the user's
// browser".
struct Fixture {
    QTemporaryDir dir;
    std::unique_ptr<QSettings> settings;
    std::unique_ptr<EncryptedFileSecretStore> store;
    TestBrowser browser;
    std::unique_ptr<SetupWizard> wizard;
    QList<QUrl> opened;

    Fixture() {
        settings = std::make_unique<QSettings>(dir.filePath(QStringLiteral("settings.ini")), QSettings::IniFormat);
        store = std::make_unique<EncryptedFileSecretStore>(dir.filePath(QStringLiteral("config/secret-store.key")),
                                                           dir.filePath(QStringLiteral("data/secrets.enc")));
        start();
    }

    // A new wizard on the same settings and secret store: the app started again.
    void restart() {
        wizard.reset();
        settings->sync();
        start();
    }

    void start() {
        wizard = std::make_unique<SetupWizard>(*settings, *store);
        wizard->setBrowserOpener([this](const QUrl &url) {
            opened << url;
            QTimer::singleShot(0, &browser, [this, url] { browser.open(url); });
            return true;
        });
        wizard->setPollIntervalMs(200);
        wizard->controller()->setMinimumPollIntervalMs(100);
        wizard->show();
    }

    template <typename T>
    T *child(const char *name) const {
        return wizard->findChild<T *>(QString::fromLatin1(name));
    }
    [[nodiscard]] QString text(const char *label) const {
        const auto *l = child<QLabel>(label);
        return l ? l->text() : QStringLiteral("<no label %1>").arg(QString::fromLatin1(label));
    }
    void click(const char *button) const {
        auto *b = child<QAbstractButton>(button);
        QVERIFY2(b, button);
        QVERIFY2(b->isVisible() && b->isEnabled(), button);
        b->click();
    }

    // Page 1: the simulator stands in for an Enterprise Server.
    void chooseServer(const QString &url) const {
        QCOMPARE(wizard->currentId(), int(SetupWizard::ServerPageId));
        child<QRadioButton>("serverEnterprise")->setChecked(true);
        child<QLineEdit>("serverAddress")->setText(url);
        wizard->next();
        QCOMPARE(wizard->currentId(), int(SetupWizard::ConnectPageId));
    }

    // Page 2: how to connect; lands on `expected`.
    void chooseMethod(const char *radio, SetupWizard::PageId expected) const {
        child<QRadioButton>(radio)->setChecked(true);
        wizard->next();
        QCOMPARE(wizard->currentId(), int(expected));
    }

    // Every file under the fixture's directory, for "the secret is nowhere in plain text".
    [[nodiscard]] bool anyFileContains(const QByteArray &needle) const {
        settings->sync();
        QDirIterator it(dir.path(), QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            if (f.open(QIODevice::ReadOnly) && f.readAll().contains(needle))
                return true;
        }
        return false;
    }

    void screenshot(const QString &name) const {
        QApplication::processEvents();
        const QImage image = wizard->grab().toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.width() > 300 && image.height() > 200);
        const QString file = screenshotDir() + QLatin1Char('/') + name + QStringLiteral(".png");
        QVERIFY2(image.save(file), qPrintable(file));
        QVERIFY2(distinctColours(image) > 1, qPrintable(name + QStringLiteral(" is one flat colour")));
    }
};

// The simulator with an App (id 7) whose private key is written to keys/k.pem.
bool startWithApp(SimulatorProcess &sim, const QTemporaryDir &keys, const QStringList &extra = {}) {
    return sim.start(QStringList{QStringLiteral("--dataset"), QStringLiteral("small"), QStringLiteral("--app-id"),
                                 QStringLiteral("7"), QStringLiteral("--app-key-out"),
                                 keys.filePath(QStringLiteral("k.pem"))} +
                     extra);
}

// A JWT for the simulator's App from a key we hold.
QByteArray appJwt(qint64 appId, const QByteArray &pem) {
    Error error;
    const github::RsaPrivateKey key = github::RsaPrivateKey::fromPem(pem, &error);
    if (error)
        return {};
    return github::makeAppJwt(appId, key, QDateTime::currentSecsSinceEpoch(), &error);
}

} // namespace

class TestSetupWizard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QVERIFY(QFileInfo::exists(SimulatorProcess::binary())); }

    // Each page's subtitle says something its body does not: no label repeats it, or starts with its first words.
    void subtitlesDoNotRepeatTheBody() {
        Fixture f;
        const auto words = [](const QString &text, int count) {
            return text.simplified().toLower().split(QLatin1Char(' ')).mid(0, count).join(QLatin1Char(' '));
        };
        for (const int id : f.wizard->pageIds()) {
            QWizardPage *page = f.wizard->page(id);
            const QString subtitle = page->subTitle();
            if (subtitle.isEmpty())
                continue;
            for (const QLabel *label : page->findChildren<QLabel *>()) {
                const QString body = label->text();
                QVERIFY2(!body.contains(subtitle) && (words(body, 2).isEmpty() || words(body, 2) != words(subtitle, 2)),
                         qPrintable(QStringLiteral("page %1: \"%2\" repeats \"%3\"").arg(id).arg(subtitle, body)));
            }
        }
    }

    // Every control of every page can be named by a screen reader.
    void everyControlHasAnAccessibleName() {
        Fixture f;
        QStringList unnamed;
        for (const int id : f.wizard->pageIds()) {
            for (const QString &control : hubsync::test::unnamedControls(f.wizard->page(id)))
                unnamed << QStringLiteral("page %1: %2").arg(id).arg(control);
        }
        QVERIFY2(unnamed.isEmpty(), qPrintable(unnamed.join(QStringLiteral(", "))));
    }

    void serverAddressIsValidated() {
        Fixture f;
        f.child<QRadioButton>("serverEnterprise")->setChecked(true);
        f.child<QLineEdit>("serverAddress")->setText(QStringLiteral("http://ghes.example.com"));
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::ServerPageId));
        QVERIFY2(f.text("serverError").contains(QStringLiteral("https://")), qPrintable(f.text("serverError")));
        f.screenshot(QStringLiteral("1-server-error"));
        f.child<QLineEdit>("serverAddress")->setText(QStringLiteral("ghes.example.com/"));
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::ConnectPageId));
        QCOMPARE(f.wizard->setup().githubApiUrl, QStringLiteral("https://ghes.example.com/api/v3"));
        QCOMPARE(f.wizard->setup().githubWebUrl, QStringLiteral("https://ghes.example.com"));
        f.screenshot(QStringLiteral("2-connect"));
    }

    // (1) Manifest -> App created -> installed on all repositories -> finished, the key in the secret
    // store only.
    void manifestCreateAndInstall() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        QVERIFY2(startWithApp(sim, keys), qPrintable(sim.error()));
        Fixture f;
        f.screenshot(QStringLiteral("1-server"));
        f.chooseServer(sim.baseUrl());
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::AppPageId));
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.child<QLineEdit>("appName")->setText(QStringLiteral("HubSync Test"));
        f.click("createApp");
        // The browser fetched the loopback form page, posted the manifest, GitHub redirected back with a
        // code, the wizard converted it.
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QPushButton>("installApp")->isVisible(), FlowTimeoutMs);
        QVERIFY2(f.text("appStatus").contains(QStringLiteral("hubsync-test")), qPrintable(f.text("appStatus")));
        const QJsonObject app = sim.request("GET", QStringLiteral("/_sim/app")).json().object();
        const qint64 appId = app.value(QStringLiteral("app_id")).toInteger();
        QVERIFY(appId > 7);
        QCOMPARE(app.value(QStringLiteral("installed")).toBool(), false);
        f.screenshot(QStringLiteral("3-app-created"));

        f.click("installApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QVERIFY2(f.text("appResult").contains(QStringLiteral("may read")), qPrintable(f.text("appResult")));
        QCOMPARE(f.wizard->setup().installationId, app.value(QStringLiteral("installation_id")).toInteger());
        QCOMPARE(sim.request("GET", QStringLiteral("/_sim/app")).json().object().value(QStringLiteral("installed")),
                 QJsonValue(true));
        const qsizetype repoCount = f.wizard->access().repositories.size();
        QVERIFY(repoCount > 0);
        f.screenshot(QStringLiteral("4-app-installed"));

        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::DatabasePageId));
        QVERIFY(f.wizard->currentPage()->isComplete()); // embedded is the default
        f.screenshot(QStringLiteral("5-database"));
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::SummaryPageId));
        QVERIFY(f.text("summaryText").contains(QString::number(repoCount)));
        f.screenshot(QStringLiteral("6-summary"));
        f.wizard->button(QWizard::FinishButton)->click();
        QVERIFY2(f.wizard->finishError().isEmpty(), qPrintable(f.wizard->finishError()));
        QCOMPARE(f.wizard->result(), int(QDialog::Accepted));

        // The key is in the secret store, and it is the App's: GitHub accepts a JWT signed with it.
        Error error;
        const std::optional<QByteArray> pem = f.store->read(secretnames::appPrivateKey(appId), &error);
        QVERIFY2(!error, qPrintable(error.message));
        QVERIFY(pem && pem->contains("PRIVATE KEY"));
        QCOMPARE(sim.request("GET", QStringLiteral("/app"), appJwt(appId, *pem)).status, 200);
        const std::optional<QByteArray> hook = f.store->read(secretnames::appWebhookSecret(appId), &error);
        QVERIFY(hook && !hook->isEmpty());
        QVERIFY(f.store->read(secretnames::appClientSecret(appId), &error).has_value());
        // ... and nowhere in plain text: not in the settings, not in any other file.
        const QByteArray keyLine = pem->split('\n').value(1);
        QVERIFY(keyLine.size() > 40);
        QVERIFY(!f.anyFileContains(keyLine));
        QVERIFY(!f.anyFileContains(*hook));

        // A later start: the saved setup gives the engine its Config.
        const SavedSetup saved = SavedSetup::load(*f.settings);
        QVERIFY(saved.complete);
        Config config;
        QVERIFY2(!applySavedSetup(saved, *f.store, &config), "applySavedSetup");
        QCOMPARE(config.githubApiUrl, sim.baseUrl());
        QCOMPARE(config.appId, appId);
        QCOMPARE(config.installationId, f.wizard->setup().installationId);
        QCOMPARE(config.webhookSecret.toUtf8(), *hook);
        QVERIFY(config.database.isEmpty());
        // The key reaches the engine in memory, never as a file.
        QVERIFY(config.appKeyFile.isEmpty());
        const github::RsaPrivateKey key = github::RsaPrivateKey::fromPem(config.appKeyPem, &error);
        QVERIFY2(!error && !key.isNull(), qPrintable(error.message));

        // ... and the engine started with it backfills through the App installation.
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("setupsync"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        config.database = dsn;
        config.proxyListen = QStringLiteral("127.0.0.1:0");
        {
            EngineController engine(config);
            QSignalSpy complete(&engine, &EngineController::backfillComplete);
            QSignalSpy failed(&engine, &EngineController::failed);
            engine.start();
            QTRY_VERIFY_WITH_TIMEOUT(complete.size() == 1 || failed.size() > 0, 120000);
            QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).value<Error>().message));
            QCOMPARE(complete.at(0).at(0).value<BackfillSummary>().repositories, int(repoCount));
        }
        PGconn *db = PQconnectdb(dsn.toUtf8().constData());
        PGresult *rows = PQexec(db, "SELECT count(*) FROM github.repository");
        QCOMPARE(PQresultStatus(rows), PGRES_TUPLES_OK);
        QCOMPARE(QByteArray(PQgetvalue(rows, 0, 0)).toLongLong(), qint64(repoCount));
        PQclear(rows);
        PQfinish(db);
        PgTestInstance::shared().dropDatabase(dsn);
    }

    // The wizard is closed after GitHub created the App and before it was installed (or the app crashed):
    // the next start offers to go on with that App, whose key and secrets only HubSync's store holds,
    // instead of creating another.
    void interruptedSetupGoesOnWithTheCreatedApp() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        QVERIFY2(startWithApp(sim, keys), qPrintable(sim.error()));
        Fixture f;
        f.chooseServer(sim.baseUrl());
        QVERIFY(!f.child<QRadioButton>("connectResumeApp")->isVisible()); // nothing to go on with yet
        f.wizard->next();
        f.child<QLineEdit>("appName")->setText(QStringLiteral("HubSync Resumed"));
        f.click("createApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QPushButton>("installApp")->isVisible(), FlowTimeoutMs);
        const qint64 appId =
            sim.request("GET", QStringLiteral("/_sim/app")).json().object().value(QStringLiteral("app_id")).toInteger();
        Error error;
        const QByteArray hook = f.store->read(secretnames::appWebhookSecret(appId), &error).value_or(QByteArray());
        QVERIFY(!hook.isEmpty());

        f.restart();
        // The server page starts on the App's server, the connect page on the App.
        QCOMPARE(f.child<QLineEdit>("serverAddress")->text(), f.wizard->unfinishedApp()->githubWebUrl);
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::ConnectPageId));
        auto *resume = f.child<QRadioButton>("connectResumeApp");
        QVERIFY(resume->isVisible() && resume->isChecked());
        QVERIFY2(resume->text().contains(QStringLiteral("hubsync-resumed")), qPrintable(resume->text()));
        f.screenshot(QStringLiteral("2-connect-resume"));
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::AppPageId));
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QPushButton>("installApp")->isVisible(), FlowTimeoutMs);
        QVERIFY2(f.text("appStatus").contains(QStringLiteral("hubsync-resumed")), qPrintable(f.text("appStatus")));
        QCOMPARE(f.wizard->setup().appId, appId);
        f.click("installApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        f.wizard->next();
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::SummaryPageId));
        f.wizard->button(QWizard::FinishButton)->click();
        QVERIFY2(f.wizard->finishError().isEmpty(), qPrintable(f.wizard->finishError()));

        // The finished setup is that App's, with the webhook secret GitHub gave when it created it.
        const SavedSetup saved = SavedSetup::load(*f.settings);
        QVERIFY(saved.complete);
        QCOMPARE(saved.appId, appId);
        Config config;
        QVERIFY2(!applySavedSetup(saved, *f.store, &config), "applySavedSetup");
        QCOMPARE(config.webhookSecret.toUtf8(), hook);
        QCOMPARE(config.installationId, sim.request("GET", QStringLiteral("/_sim/app"))
                                            .json()
                                            .object()
                                            .value(QStringLiteral("installation_id"))
                                            .toInteger());

        // Once finished there is nothing to go on with any more.
        f.restart();
        QVERIFY(!f.wizard->unfinishedApp());
    }

    // (2) An org member's install becomes a request; the guidance says so; a retry opens the install page
    // again; the owner's approval (simulator control API) is detected by polling and the wizard goes on.
    void installRequestWaitsForApproval() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        QVERIFY2(startWithApp(sim, keys, {QStringLiteral("--viewer-org-role"), QStringLiteral("member")}),
                 qPrintable(sim.error()));
        const QJsonArray repos = sim.listAll(QStringLiteral("/user/repos?per_page=100"), "ghp_sandbox");
        QVERIFY(repos.size() >= 2);
        Fixture f;
        f.browser.chooseRepositories(QStringLiteral("selected"),
                                     {QString::number(repos[0].toObject().value(QStringLiteral("id")).toInteger()),
                                      QString::number(repos[1].toObject().value(QStringLiteral("id")).toInteger())});
        f.chooseServer(sim.baseUrl());
        f.wizard->next();
        f.click("createApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QPushButton>("installApp")->isVisible(), FlowTimeoutMs);
        f.click("installApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QLabel>("permissionGuidance")->isVisible(), FlowTimeoutMs);
        // GitHub's page said the user may not install; the wizard says what happened and the two ways out.
        QVERIFY(f.browser.pages().size() >= 2);
        bool deniedShown = false;
        for (const TestBrowser::Page &p : f.browser.pages())
            deniedShown |= p.body.contains("does not have permission to install");
        QVERIFY(deniedShown);
        const QString guidance = f.text("permissionGuidance");
        QVERIFY2(guidance.contains(QStringLiteral("fewer repositories")), qPrintable(guidance));
        QVERIFY(guidance.contains(QStringLiteral("organization owner")));
        QVERIFY(guidance.contains(QStringLiteral("email")));
        QVERIFY(f.child<QPushButton>("retryNarrower")->isVisible());
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.screenshot(QStringLiteral("7-install-requested"));

        // Way out 1: try again with fewer repositories: the install page opens again.
        const int openedBefore = int(f.opened.size());
        f.click("retryNarrower");
        QCOMPARE(int(f.opened.size()), openedBefore + 1);
        QVERIFY(f.opened.last().path().endsWith(QStringLiteral("/installations/new")));
        QTRY_COMPARE_WITH_TIMEOUT(f.browser.visits(), openedBefore + 1, FlowTimeoutMs);

        // Way out 2: an owner approves; polling GET /app/installations sees it without any click.
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->controller()->pollsMade() >= 2, FlowTimeoutMs);
        QVERIFY(!f.wizard->currentPage()->isComplete());
        QCOMPARE(sim.request("POST", QStringLiteral("/_sim/installation/requests/approve")).status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QVERIFY(!f.child<QLabel>("permissionGuidance")->isVisible());
        QCOMPARE(f.wizard->access().repositories.size(), 2);
        QVERIFY(!f.wizard->controller()->isWaiting());
    }

    // A 403 "Resource not accessible by integration" names the missing permission.
    void missingPermissionIsNamed() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        const QString keyFile = keys.filePath(QStringLiteral("k.pem"));
        QVERIFY2(startWithApp(sim, keys), qPrintable(sim.error()));
        QCOMPARE(
            sim.request("PUT", QStringLiteral("/_sim/installation"), {}, R"({"permissions":{"issues":"none"}})").status,
            200);
        Fixture f;
        f.chooseServer(sim.baseUrl());
        f.chooseMethod("connectExistingApp", SetupWizard::AppPageId);
        // A wrong id first: a clear error.
        f.child<QLineEdit>("appId")->setText(QStringLiteral("99"));
        f.child<QLineEdit>("appKeyFile")->setText(keyFile);
        f.click("connectApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.text("appResult").contains(QStringLiteral("GitHub refused App 99")), FlowTimeoutMs);
        f.child<QLineEdit>("appId")->setText(QStringLiteral("7"));
        f.click("connectApp");
        // The App is already installed: polling finds it at once, then the permission probe fails.
        QTRY_VERIFY_WITH_TIMEOUT(f.text("appResult").contains(QStringLiteral("issues=read")), FlowTimeoutMs);
        QVERIFY(f.text("appResult").contains(QStringLiteral("Permissions & events")));
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.screenshot(QStringLiteral("8-missing-permission"));
        // Granted again: "Check again" completes the page.
        QCOMPARE(sim.request("PUT", QStringLiteral("/_sim/installation"), {}, R"({"permissions":{"issues":"write"}})")
                     .status,
                 200);
        f.click("recheckInstallation");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QCOMPARE(f.wizard->setup().appId, 7);
    }

    // The App is installed on the user's own account and on the organization: the wizard does not take
    // whichever GitHub lists first, it asks; and it can still be installed on yet another account.
    void severalInstallationsAreAChoice() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        QVERIFY2(startWithApp(sim, keys, {QStringLiteral("--personal-installation-id"), QStringLiteral("55")}),
                 qPrintable(sim.error()));
        Fixture f;
        f.chooseServer(sim.baseUrl());
        f.chooseMethod("connectExistingApp", SetupWizard::AppPageId);
        f.child<QLineEdit>("appId")->setText(QStringLiteral("7"));
        f.child<QLineEdit>("appKeyFile")->setText(keys.filePath(QStringLiteral("k.pem")));
        f.click("connectApp");
        auto *choice = f.child<QComboBox>("installationChoice");
        QVERIFY(choice);
        QTRY_VERIFY_WITH_TIMEOUT(choice->isVisible(), FlowTimeoutMs);
        QCOMPARE(choice->count(), 2);
        QVERIFY2(choice->itemText(0).contains(QStringLiteral("sim-user")), qPrintable(choice->itemText(0)));
        QVERIFY2(choice->itemText(1).contains(QStringLiteral("octo-org")), qPrintable(choice->itemText(1)));
        QVERIFY(!f.wizard->currentPage()->isComplete());
        QVERIFY(f.wizard->controller()->isWaiting()); // a new installation would be taken too
        f.screenshot(QStringLiteral("8b-installation-choice"));
        choice->setCurrentIndex(1);
        f.click("useInstallation");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QCOMPARE(f.wizard->setup().installationId, 1);
        QVERIFY(!f.wizard->access().repositories.isEmpty());
        QVERIFY(!f.wizard->controller()->isWaiting());
        QVERIFY(!choice->isVisible());
        QVERIFY(f.child<QPushButton>("installElsewhere")->isVisible());
    }

    // A new App that GitHub already lists an installation for (on the user's account): the installation
    // to use is the one the user makes now, wherever GitHub lists it.
    void installingTakesTheNewInstallation() {
        SimulatorProcess sim;
        QTemporaryDir keys;
        QVERIFY2(startWithApp(sim, keys,
                              {QStringLiteral("--personal-installation-id"), QStringLiteral("55"),
                               QStringLiteral("--installation-id"), QStringLiteral("9")}),
                 qPrintable(sim.error()));
        Fixture f;
        f.chooseServer(sim.baseUrl());
        f.wizard->next();
        f.click("createApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.child<QPushButton>("installApp")->isVisible(), FlowTimeoutMs);
        f.click("installApp");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QCOMPARE(f.wizard->setup().installationId, 9);
        QVERIFY(!f.wizard->access().repositories.isEmpty());
        // Nothing else arrives later to change it.
        QTest::qWait(600);
        QCOMPARE(f.wizard->setup().installationId, 9);
        QVERIFY(f.wizard->currentPage()->isComplete());
    }

    // (3) A personal access token: a wrong one gets a clear error, the right one shows who and what.
    void personalAccessToken() {
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small")}), qPrintable(sim.error()));
        const qsizetype visible = sim.listAll(QStringLiteral("/user/repos?per_page=100"), "ghp_sandbox").size();
        Fixture f;
        f.chooseServer(sim.baseUrl());
        f.chooseMethod("connectToken", SetupWizard::TokenPageId);
        f.child<QLineEdit>("token")->setText(QStringLiteral("ghp_wrongwrongwrong"));
        f.click("checkToken");
        QTRY_VERIFY_WITH_TIMEOUT(f.text("tokenResult").contains(QStringLiteral("does not accept this token")),
                                 FlowTimeoutMs);
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.screenshot(QStringLiteral("9-token-refused"));
        f.child<QLineEdit>("token")->setText(QStringLiteral("ghp_sandbox"));
        f.click("checkToken");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QVERIFY2(f.text("tokenResult").contains(QStringLiteral("Signed in as sim-user")),
                 qPrintable(f.text("tokenResult")));
        QCOMPARE(f.wizard->access().repositories.size(), visible);
        QVERIFY(f.text("tokenResult").contains(QString::number(visible)));
        f.screenshot(QStringLiteral("10-token"));
        // Editing the token after the check needs a new check.
        f.child<QLineEdit>("token")->setText(QStringLiteral("ghp_sandbox2"));
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.child<QLineEdit>("token")->setText(QStringLiteral("ghp_sandbox"));
        f.wizard->next();
        f.wizard->next();
        f.wizard->button(QWizard::FinishButton)->click();
        QCOMPARE(f.wizard->result(), int(QDialog::Accepted));
        Error error;
        QCOMPARE(f.store->read(secretnames::token(), &error).value_or(QByteArray()), QByteArray("ghp_sandbox"));
        QVERIFY(!f.anyFileContains("ghp_sandbox"));
        Config config;
        QVERIFY(!applySavedSetup(SavedSetup::load(*f.settings), *f.store, &config));
        QCOMPARE(config.token, QStringLiteral("ghp_sandbox"));
        QCOMPARE(config.appId, 0);
    }

    // (4) The database page: a bad connection string is refused with libpq's reason, a good one passes and
    // is kept in the secret store, not in the settings.
    void databasePage() {
        const QString dsn = PgTestInstance::shared().createDatabase(QStringLiteral("setupwizard"));
        QVERIFY2(!dsn.isEmpty(), qPrintable(PgTestInstance::shared().error()));
        SimulatorProcess sim;
        QVERIFY2(sim.start({QStringLiteral("--dataset"), QStringLiteral("small")}), qPrintable(sim.error()));
        Fixture f;
        f.chooseServer(sim.baseUrl());
        f.chooseMethod("connectToken", SetupWizard::TokenPageId);
        f.child<QLineEdit>("token")->setText(QStringLiteral("ghp_sandbox"));
        f.click("checkToken");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        f.wizard->next();
        QCOMPARE(f.wizard->currentId(), int(SetupWizard::DatabasePageId));
        f.child<QRadioButton>("databaseExternal")->setChecked(true);
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.child<QLineEdit>("conninfo")
            ->setText(QStringLiteral("host=/nonexistent-dir port=1 dbname=x connect_timeout=2"));
        f.click("testDatabase");
        QTRY_VERIFY_WITH_TIMEOUT(f.text("databaseResult").contains(QStringLiteral("Cannot use this database")),
                                 FlowTimeoutMs);
        QVERIFY(!f.wizard->currentPage()->isComplete());
        f.screenshot(QStringLiteral("11-database-refused"));
        f.child<QLineEdit>("conninfo")->setText(dsn);
        f.click("testDatabase");
        QTRY_VERIFY_WITH_TIMEOUT(f.wizard->currentPage()->isComplete(), FlowTimeoutMs);
        QVERIFY2(f.text("databaseResult").contains(QStringLiteral("Connected")), qPrintable(f.text("databaseResult")));
        f.screenshot(QStringLiteral("12-database-ok"));
        f.wizard->next();
        f.wizard->button(QWizard::FinishButton)->click();
        QCOMPARE(f.wizard->result(), int(QDialog::Accepted));
        Config config;
        QVERIFY(!applySavedSetup(SavedSetup::load(*f.settings), *f.store, &config));
        QCOMPARE(config.database, dsn);
        QVERIFY(!f.anyFileContains(dsn.toUtf8()));
        PgTestInstance::shared().dropDatabase(dsn);
    }
};

QTEST_MAIN(TestSetupWizard)
#include "tst_setupwizard.moc"
