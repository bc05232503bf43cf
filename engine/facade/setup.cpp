#include "facade/setup.h"

#include "core/guarded.h"
#include "core/log.h"
#include "github/appsetup.h"
#include "github/redirectlistener.h"
#include "localpg/localcluster.h"
#include "store/pg.h"

#include <QMetaObject>
#include <QNetworkAccessManager>

#include <algorithm>

namespace hubsync {

namespace {

const QString component = QStringLiteral("setup");

const QString manifestPath = QStringLiteral("/manifest");
const QString setupPath = QStringLiteral("/setup");
const QString startPath = QStringLiteral("/start");

QByteArray donePage(const QString &text) {
    return QByteArrayLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>HubSync</title></head>"
                             "<body>\n<h1>HubSync</h1>\n<p>") +
           text.toHtmlEscaped().toUtf8() + QByteArrayLiteral("</p>\n</body></html>\n");
}

// Runs on a worker thread: libpq blocks for up to connect_timeout.
DatabaseCheck checkDatabase(const QString &conninfo) {
    DatabaseCheck result;
    pg::Connection db;
    if (Error e = db.open(conninfo, 10)) {
        result.error = e;
        return result;
    }
    pg::Result r = db.exec(QStringLiteral("SELECT current_user, current_database(), current_setting('server_version'),"
                                          " has_database_privilege(current_database(), 'CREATE')"));
    if (!r.ok() || r.rows() != 1) {
        result.error = Error::make(Error::Kind::Database, r.errorMessage());
        return result;
    }
    result.user = r.text(0, 0);
    result.database = r.text(0, 1);
    result.serverVersion = r.text(0, 2);
    if (r.text(0, 3) != QLatin1String("t"))
        result.error = Error::make(
            Error::Kind::Database,
            QStringLiteral("user \"%1\" may not create schemas in database \"%2\"; HubSync needs that (GRANT CREATE "
                           "ON DATABASE %2 TO %1), or use another database")
                .arg(result.user, result.database));
    return result;
}

} // namespace

SetupController::SetupController(QObject *parent)
    : QObject(parent)
    , m_network(std::make_unique<QNetworkAccessManager>()) {
    qRegisterMetaType<DatabaseCheck>();
    qRegisterMetaType<AccessCheck>();
    qRegisterMetaType<AppConnection>();
    qRegisterMetaType<QList<github::InstallationInfo>>();
    m_poll.setSingleShot(false);
    connect(&m_poll, &QTimer::timeout, this, &SetupController::poll);
    setServer(*github::resolveGitHubServer(false, {}, nullptr));
}

SetupController::~SetupController() {
    for (std::thread &t : m_databaseTests)
        t.join();
}

void SetupController::setServer(const github::GitHubServer &server) {
    if (server.apiUrl == m_server.apiUrl && server.webUrl == m_server.webUrl)
        return;
    cancel();
    m_server = server;
    m_client.reset();
}

github::AppSetupClient *SetupController::client() {
    if (!m_client)
        m_client = std::make_unique<github::AppSetupClient>(m_network.get(), m_server.apiUrl);
    return m_client.get();
}

void SetupController::testDatabase(const QString &conninfo) {
    m_databaseTests.emplace_back([conninfo, target = this] {
        const DatabaseCheck result = checkDatabase(conninfo);
        // The controller joins this thread before it is destroyed, so `target` is alive while the call
        // is posted; a posted call whose receiver is gone is discarded by Qt.
        QMetaObject::invokeMethod(
            target, [target, result] { Q_EMIT target->databaseTested(result); }, Qt::QueuedConnection);
    });
}

void SetupController::checkToken(const QString &token) {
    client()->tokenAccess(token.trimmed(), whileAlive(this, [](SetupController &self, const QString &who,
                                                               const QList<RepositoryInfo> &repos, const Error &e) {
                              Q_EMIT self.tokenChecked(AccessCheck{e, who, repos});
                          }));
}

bool SetupController::ensureListener(Error *error) {
    if (m_listener && m_listener->isListening())
        return true;
    m_listener = std::make_unique<github::RedirectListener>();
    QString why;
    if (!m_listener->listen(&why)) {
        *error = Error::make(Error::Kind::Io, why);
        m_listener.reset();
        return false;
    }
    m_listener->expectRedirect(manifestPath,
                               donePage(QStringLiteral("GitHub created the App. Return to HubSync to install it.")));
    m_listener->expectRedirect(setupPath, donePage(QStringLiteral("GitHub answered. Return to HubSync to go on.")));
    connect(m_listener.get(), &github::RedirectListener::redirected, this, &SetupController::onRedirect);
    return true;
}

QUrl SetupController::startManifestFlow(const QString &appName, const QString &organization, Error *error) {
    *error = Error::none();
    if (!ensureListener(error))
        return {};
    const QString name = appName.trimmed().isEmpty() ? QStringLiteral("HubSync") : appName.trimmed().left(34);
    const QJsonObject manifest =
        github::hubSyncAppManifest(name, m_listener->url(manifestPath), m_listener->url(setupPath));
    const QUrl creation = github::manifestCreationUrl(m_server, organization.trimmed(), m_listener->state());
    m_listener->servePage(startPath, github::manifestFormPage(creation, manifest));
    logInfo(component, QStringLiteral("creating a GitHub App from a manifest on %1").arg(m_server.webUrl.toString()));
    return m_listener->url(startPath);
}

void SetupController::useExistingApp(qint64 appId, const QByteArray &privateKeyPem) {
    Error keyError;
    github::RsaPrivateKey key = github::RsaPrivateKey::fromPem(privateKeyPem, &keyError);
    if (appId <= 0) {
        Q_EMIT flowFailed(Error::make(Error::Kind::Usage, QStringLiteral("Enter the App's numeric id (App settings, "
                                                                         "\"App ID\")")));
        return;
    }
    if (keyError) {
        Q_EMIT flowFailed(keyError);
        return;
    }
    client()->fetchApp(appId, key,
                       whileAlive(this, [key, privateKeyPem](SetupController &self, const github::CreatedApp &created,
                                                             const Error &e) {
                           if (e) {
                               Q_EMIT self.flowFailed(e);
                               return;
                           }
                           self.m_key = key;
                           self.m_app = AppConnection{
                               created.id, created.slug, created.htmlUrl, created.ownerLogin, privateKeyPem, {}, {}, 0};
                           Q_EMIT self.appReady(self.m_app);
                       }));
}

void SetupController::onRedirect(const QString &path, const QUrlQuery &query) {
    if (path == manifestPath) {
        const QString code = query.queryItemValue(QStringLiteral("code"));
        client()->convertManifest(
            code, whileAlive(this, [](SetupController &self, const github::CreatedApp &created, const Error &e) {
                if (e) {
                    Q_EMIT self.flowFailed(e);
                    return;
                }
                Error keyError;
                self.m_key = github::RsaPrivateKey::fromPem(created.privateKeyPem, &keyError);
                if (keyError) {
                    Q_EMIT self.flowFailed(keyError);
                    return;
                }
                self.m_app = AppConnection{created.id,
                                           created.slug,
                                           created.htmlUrl,
                                           created.ownerLogin,
                                           created.privateKeyPem,
                                           created.webhookSecret,
                                           created.clientSecret,
                                           0};
                logInfo(component, QStringLiteral("GitHub created App %1 (%2)").arg(created.id).arg(created.slug));
                Q_EMIT self.appReady(self.m_app);
            }));
        return;
    }
    if (path == setupPath) {
        QString why;
        const std::optional<github::SetupRedirect> redirect = github::parseSetupRedirect(query, &why);
        if (!redirect) {
            Q_EMIT flowFailed(Error::make(Error::Kind::GitHubValidation,
                                          QStringLiteral("GitHub's setup redirect was not understood: %1").arg(why)));
            return;
        }
        if (redirect->setupAction == QLatin1String("request")) {
            logInfo(component, QStringLiteral("the installation needs an organization owner's approval"));
            Q_EMIT installRequested();
            if (!m_poll.isActive())
                waitForInstallation();
            return;
        }
        stopWaiting();
        if (m_app.installationId == redirect->installationId)
            return; // polling saw it first
        m_app.installationId = redirect->installationId;
        Q_EMIT installed(redirect->installationId);
    }
}

QUrl SetupController::startInstallation(Error *error) {
    *error = Error::none();
    if (m_app.appId == 0 || m_app.htmlUrl.isEmpty()) {
        *error = Error::make(Error::Kind::Usage, QStringLiteral("connect a GitHub App first"));
        return {};
    }
    // The page comes from GitHub's answer: only open it when it is on the GitHub the user chose (no
    // file:, javascript: or look-alike host handed to the browser).
    const QUrl page(m_app.htmlUrl);
    const QString scheme = page.scheme().toLower();
    if ((scheme != QLatin1String("https") && scheme != m_server.webUrl.scheme()) ||
        page.host().compare(m_server.webUrl.host(), Qt::CaseInsensitive) != 0 ||
        page.port() != m_server.webUrl.port()) {
        *error = Error::make(Error::Kind::GitHubValidation,
                             QStringLiteral("GitHub named an App page that is not on %1: refusing to open it")
                                 .arg(m_server.webUrl.toString()));
        return {};
    }
    // The state of an existing App's setup URL is not ours to see; a listener exists for the manifest's.
    const QString state = m_listener ? m_listener->state() : QString();
    return github::installationUrl(m_app.htmlUrl, state);
}

void SetupController::waitForInstallation(int intervalMs, int maxPolls, bool onlyNew) {
    m_polls = 0;
    m_onlyNew = onlyNew;
    m_baseline.reset();
    m_failedBeforeBaseline = false;
    m_maxPolls = std::max(1, maxPolls);
    m_poll.start(std::clamp(intervalMs, m_minimumPollMs, 60'000));
    poll();
}

void SetupController::stopWaiting() {
    m_poll.stop();
}

void SetupController::poll() {
    if (m_pollInFlight || m_app.appId == 0)
        return;
    if (m_polls >= m_maxPolls) {
        stopWaiting();
        Q_EMIT flowFailed(Error::make(Error::Kind::GitHubPermission,
                                      QStringLiteral("no installation of the App appeared; install it (or ask an "
                                                     "organization owner to approve it), then try again")));
        return;
    }
    ++m_polls;
    m_pollInFlight = true;
    Q_EMIT pollingChanged(m_polls);
    client()->listInstallations(
        m_app.appId, m_key,
        whileAlive(this, [](SetupController &self, const QList<github::InstallationInfo> &list, const Error &e) {
            self.m_pollInFlight = false;
            if (!self.m_poll.isActive())
                return;
            if (e) {
                // The installation the user makes meanwhile could end up in a late baseline: see below.
                if (!self.m_baseline)
                    self.m_failedBeforeBaseline = true;
                // Keep waiting through a passing failure; a refused JWT will not heal.
                if (e.kind == Error::Kind::GitHubAuth) {
                    self.stopWaiting();
                    Q_EMIT self.flowFailed(e);
                }
                return;
            }
            const bool first = !self.m_baseline;
            if (first) {
                QSet<qint64> ids;
                for (const github::InstallationInfo &i : list)
                    ids.insert(i.id);
                self.m_baseline = ids;
                // A baseline taken after a failed poll may already hold the new installation: then it is
                // not told apart, and the first poll's rules apply (the only one, or the user's choice).
                const bool onlyNew = self.m_onlyNew && !self.m_failedBeforeBaseline;
                if (list.size() > 1 && !onlyNew)
                    Q_EMIT self.installationsFound(list);
                if (list.size() != 1 || onlyNew)
                    return;
            }
            // The only installation at the first poll, or the first one that was not there then.
            for (const github::InstallationInfo &i : list) {
                if (first || !self.m_baseline->contains(i.id)) {
                    self.stopWaiting();
                    self.m_app.installationId = i.id;
                    logInfo(component, QStringLiteral("installation %1 on %2 found").arg(i.id).arg(i.account));
                    Q_EMIT self.installed(i.id);
                    return;
                }
            }
        }));
}

void SetupController::chooseInstallation(qint64 installationId) {
    stopWaiting();
    m_app.installationId = installationId;
    Q_EMIT installed(installationId);
}

void SetupController::checkInstallation() {
    if (m_app.installationId == 0) {
        Q_EMIT installationChecked(
            AccessCheck{Error::make(Error::Kind::Usage, QStringLiteral("the App is not installed yet")), {}, {}});
        return;
    }
    client()->installationAccess(m_app.appId, m_key, m_app.installationId,
                                 whileAlive(this, [](SetupController &self, const QString &who,
                                                     const QList<RepositoryInfo> &repos, const Error &e) {
                                     Q_EMIT self.installationChecked(AccessCheck{e, who, repos});
                                 }));
}

QString SetupController::embeddedServerBinaries() {
    return LocalCluster::findServerBinaries();
}

void SetupController::cancel() {
    stopWaiting();
    m_listener.reset();
}

} // namespace hubsync
