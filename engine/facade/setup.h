#pragma once

#include "core/errors.h"
#include "core/events.h"
#include "github/appsetup.h"

#include <QList>
#include <QObject>
#include <QSet>
#include <QTimer>
#include <QUrl>

#include <memory>
#include <optional>
#include <thread>
#include <vector>

class QNetworkAccessManager;

namespace hubsync {

namespace github {
class AppSetupClient;
class RedirectListener;
} // namespace github

// The GitHub App a first run ends with. Secrets are in memory only until the caller puts them in the
// SecretStore.
struct AppConnection {
    qint64 appId = 0;
    QString slug;
    QString htmlUrl;
    QString ownerLogin;
    QByteArray privateKeyPem; // secret
    QByteArray webhookSecret; // secret (manifest-created Apps only)
    QByteArray clientSecret;  // secret (manifest-created Apps only)
    qint64 installationId = 0;
};

// What a credential can see: who it is and the repositories it may sync.
struct AccessCheck {
    Error error;
    QString who;
    QList<RepositoryInfo> repositories;
};

struct DatabaseCheck {
    Error error;
    QString serverVersion;
    QString user;
    QString database;
};

// The first-run flows for the setup wizard: everything it asks of GitHub and of the database, behind
// one object on the GUI thread. Nothing blocks: network calls are asynchronous, the database test runs
// on a thread of its own; results come back as signals carrying value types.
class SetupController final : public QObject {
    Q_OBJECT
public:
    explicit SetupController(QObject *parent = nullptr);
    ~SetupController() override;
    Q_DISABLE_COPY_MOVE(SetupController)

    void setServer(const github::GitHubServer &server);
    [[nodiscard]] github::GitHubServer server() const { return m_server; }

    // Connects with a libpq conninfo/URI and checks that HubSync may create its schemas there.
    // Emits databaseTested().
    void testDatabase(const QString &conninfo);
    // Emits tokenChecked().
    void checkToken(const QString &token);

    // (a) Creating an App from a manifest. Returns the URL to open in the browser (a page on the loopback
    // listener that POSTs the manifest to GitHub), or an empty URL and *error. Emits appReady() once
    // GitHub redirected back and the code was converted, or flowFailed().
    QUrl startManifestFlow(const QString &appName, const QString &organization, Error *error);
    // (b) An existing App: checks the id and key with GET /app. Emits appReady() or flowFailed().
    void useExistingApp(qint64 appId, const QByteArray &privateKeyPem);
    [[nodiscard]] const AppConnection &app() const { return m_app; }

    // The App's installation page, to open in the browser. The setup redirect (manifest-created Apps) or
    // polling GET /app/installations (every App) reports the result: installed(), or installRequested()
    // when an organization owner has to approve; polling then goes on until the approval shows up.
    QUrl startInstallation(Error *error);
    // Polls GET /app/installations every `intervalMs` (bounded to 1 s .. 60 s; tests may go lower with
    // setMinimumPollIntervalMs) for at most `maxPolls` polls, until it can tell which installation to use:
    // one that appears while waiting; or, at the first poll, the only one there is (unless `onlyNew`: the
    // user is installing the App on another account). Several at the first poll: installationsFound()
    // lets the user choose (chooseInstallation()) while polling goes on for a new one.
    static constexpr int defaultMaxPolls = 2880; // four hours at the default interval
    void waitForInstallation(int intervalMs = 5000, int maxPolls = defaultMaxPolls, bool onlyNew = false);
    // The user's choice among installationsFound(): stops waiting, emits installed().
    void chooseInstallation(qint64 installationId);
    void stopWaiting();
    [[nodiscard]] bool isWaiting() const { return m_poll.isActive(); }
    [[nodiscard]] int pollsMade() const { return m_polls; }
    void setMinimumPollIntervalMs(int ms) { m_minimumPollMs = ms; }

    // The installation's repositories (an installation token, then /installation/repositories).
    // Emits installationChecked().
    void checkInstallation();

    // Where the embedded cluster's server programs are (initdb, pg_ctl); empty when none is installed.
    static QString embeddedServerBinaries();

    // Forgets any flow in progress (the listener closes, polling stops).
    void cancel();

Q_SIGNALS:
    void databaseTested(const hubsync::DatabaseCheck &result);
    void tokenChecked(const hubsync::AccessCheck &result);
    void appReady(const hubsync::AppConnection &app);
    void installed(qint64 installationId);
    void installRequested();
    void installationsFound(const QList<hubsync::github::InstallationInfo> &installations);
    void pollingChanged(int pollsMade);
    void installationChecked(const hubsync::AccessCheck &result);
    void flowFailed(const hubsync::Error &error);

private:
    void onRedirect(const QString &path, const QUrlQuery &query);
    void poll();
    github::AppSetupClient *client();
    bool ensureListener(Error *error);

    github::GitHubServer m_server;
    std::unique_ptr<QNetworkAccessManager> m_network;
    std::unique_ptr<github::AppSetupClient> m_client;
    std::unique_ptr<github::RedirectListener> m_listener;
    AppConnection m_app;
    github::RsaPrivateKey m_key;
    QTimer m_poll;
    int m_polls = 0;
    int m_maxPolls = 0;
    int m_minimumPollMs = 1000;
    bool m_pollInFlight = false;
    bool m_onlyNew = false;
    bool m_failedBeforeBaseline = false;
    std::optional<QSet<qint64>> m_baseline;   // the installations at the first poll of this wait
    std::vector<std::thread> m_databaseTests; // joined in the destructor (each is bounded by connect_timeout)
};

} // namespace hubsync

Q_DECLARE_METATYPE(hubsync::AppConnection)
Q_DECLARE_METATYPE(hubsync::github::InstallationInfo)
Q_DECLARE_METATYPE(hubsync::AccessCheck)
Q_DECLARE_METATYPE(hubsync::DatabaseCheck)
