#pragma once

#include "core/errors.h"
#include "core/events.h"
#include "github/jwt.h"

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>
#include <QUrlQuery>

#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace hubsync::github {

class GitHubClient;

// Where a first-time user's GitHub lives: the REST base URL the engine talks to and the web base URL
// the browser pages (App creation, installation) are on.
struct GitHubServer {
    QUrl apiUrl; // https://api.github.com, https://ghes.example/api/v3
    QUrl webUrl; // https://github.com, https://ghes.example
};

// GitHub.com, or a GitHub Enterprise Server given by its address ("https://ghes.example",
// "ghes.example" or ".../api/v3": /api/v3 is appended when missing). Only https is accepted, except
// for a loopback http URL (a local simulator or test server), which is taken as it is for both bases.
std::optional<GitHubServer> resolveGitHubServer(bool enterprise, const QString &address, QString *error);

// The manifest of the App HubSync asks GitHub to create: read access to what it syncs, write access to
// issues (edits through the proxy), the events live sync applies. GitHub redirects the browser to
// `redirectUrl` with ?code=... and, after an installation, to `setupUrl` with ?installation_id=...
QJsonObject hubSyncAppManifest(const QString &name, const QUrl &redirectUrl, const QUrl &setupUrl,
                               const QUrl &webhookUrl = {});

// The page that creates an App from a manifest (POST form field "manifest"); owned by the user, or by
// the organization `org` when given.
QUrl manifestCreationUrl(const GitHubServer &server, const QString &org, const QString &state);

// A minimal HTML page that POSTs the manifest to GitHub (the manifest flow needs a form POST, which a
// URL handed to the desktop's browser cannot do). Submits itself with script, has a button otherwise.
QByteArray manifestFormPage(const QUrl &creationUrl, const QJsonObject &manifest);

// The page that installs an App: <html_url>/installations/new?state=...
QUrl installationUrl(const QString &appHtmlUrl, const QString &state);

// What GitHub returns from POST /app-manifests/{code}/conversions (validated).
struct CreatedApp {
    qint64 id = 0;
    QString slug;
    QString name;
    QString htmlUrl;
    QString ownerLogin;
    QString clientId;
    QByteArray privateKeyPem; // secret
    QByteArray webhookSecret; // secret
    QByteArray clientSecret;  // secret
};
std::optional<CreatedApp> parseCreatedApp(const QJsonObject &json, QString *error);

struct InstallationInfo {
    qint64 id = 0;
    QString account;             // organization or user login
    QString repositorySelection; // "all" | "selected"
};

// GitHub's answer to a setup redirect: /setup?installation_id=...&setup_action=install|request|update.
struct SetupRedirect {
    qint64 installationId = 0; // 0 for setup_action=request
    QString setupAction;
};
std::optional<SetupRedirect> parseSetupRedirect(const QUrlQuery &query, QString *error);
// The manifest redirect's ?code=...: short, URL-safe; anything else is refused.
bool isPlausibleManifestCode(const QString &code);

// The GitHub calls of a first run, each on its own short-lived client (nothing here is rate-planned
// across calls: a first run makes a handful). Lives on the caller's thread; callbacks run later from its
// event loop and not after the object is destroyed.
class AppSetupClient final : public QObject {
    Q_OBJECT
public:
    AppSetupClient(QNetworkAccessManager *network, QUrl apiUrl, QObject *parent = nullptr);
    ~AppSetupClient() override;
    Q_DISABLE_COPY_MOVE(AppSetupClient)

    using AppDone = std::function<void(const CreatedApp &app, const Error &error)>;
    using InstallationsDone = std::function<void(const QList<InstallationInfo> &installations, const Error &error)>;
    using AccessDone =
        std::function<void(const QString &who, const QList<RepositoryInfo> &repositories, const Error &error)>;

    // POST /app-manifests/{code}/conversions (no authentication: the code is the credential, single use).
    void convertManifest(const QString &code, AppDone done);
    // GET /app with the App's JWT: checks an existing App id + key and learns its slug and page.
    void fetchApp(qint64 appId, const RsaPrivateKey &key, AppDone done);
    // GET /app/installations with the App's JWT.
    void listInstallations(qint64 appId, const RsaPrivateKey &key, InstallationsDone done);
    // An installation token, then GET /installation/repositories (all pages): what the App may sync.
    void installationAccess(qint64 appId, const RsaPrivateKey &key, qint64 installationId, AccessDone done);
    // GET /user, then GET /user/repos (all pages, bounded): whom a personal access token belongs to and
    // what it can see.
    void tokenAccess(const QString &token, AccessDone done);

    // Largest repository list read (pages of 100); a first run needs the count and names, not more.
    static constexpr int MaxRepositoryPages = 50;

private:
    struct Walk;
    GitHubClient *makeClient(std::shared_ptr<class Credentials> credentials);
    void retire(GitHubClient *client);
    void walkRepositories(GitHubClient *client, const QString &path, const QString &wrapper, QString who,
                          AccessDone done);
    void fetchRepositoryPage(const std::shared_ptr<Walk> &walk, const QString &url);

    QNetworkAccessManager *m_network;
    QUrl m_apiUrl;
    QList<GitHubClient *> m_clients; // children; retired (deleteLater) when their call finishes
};

} // namespace hubsync::github
