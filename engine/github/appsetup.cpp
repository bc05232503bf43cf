#include "github/appsetup.h"

#include "core/guarded.h"
#include "github/credentials.h"
#include "github/githubclient.h"

#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace hubsync::github {

namespace {

bool isLoopbackHost(const QString &host) {
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// The manifest conversion carries no credentials: the code itself is the proof.
class AnonymousCredentials final : public Credentials {
public:
    AnonymousCredentials() = default;
    Q_DISABLE_COPY_MOVE(AnonymousCredentials)
    ~AnonymousCredentials() override = default;
    void authorization(const TokenRequester &, AuthCallback done) override { done({}, Error::none()); }
    bool invalidate(const QByteArray &) override { return false; }
    [[nodiscard]] bool isInstallation() const override { return false; }
};

const SystemClock &systemClock() {
    static const SystemClock clock;
    return clock;
}

RepositoryInfo repositoryFrom(const QJsonObject &o) {
    RepositoryInfo info;
    info.id = o.value(QStringLiteral("id")).toInteger();
    info.fullName = o.value(QStringLiteral("full_name")).toString().left(300);
    info.description = o.value(QStringLiteral("description")).toString().left(1000);
    info.isPrivate = o.value(QStringLiteral("private")).toBool();
    info.openIssues = o.value(QStringLiteral("open_issues_count")).toInteger();
    return info;
}

QString boundedString(const QJsonObject &o, const char *key, qsizetype max) {
    const QString value = o.value(QLatin1String(key)).toString();
    return value.size() > max ? QString() : value;
}

} // namespace

std::optional<GitHubServer> resolveGitHubServer(bool enterprise, const QString &address, QString *error) {
    if (!enterprise)
        return GitHubServer{QUrl(QStringLiteral("https://api.github.com")), QUrl(QStringLiteral("https://github.com"))};
    QString text = address.trimmed();
    if (text.isEmpty()) {
        *error = QStringLiteral("Enter the address of your GitHub Enterprise Server, e.g. https://github.example.com");
        return std::nullopt;
    }
    if (!text.contains(QLatin1String("://")))
        text.prepend(QStringLiteral("https://"));
    QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty() || url.hasQuery() || url.hasFragment()) {
        *error = QStringLiteral("\"%1\" is not a server address").arg(address.left(200));
        return std::nullopt;
    }
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("http") && isLoopbackHost(url.host())) {
        // A server on this machine (the bundled simulator, a test server): its API is at its root.
        url.setPath(url.path().endsWith(QLatin1Char('/')) ? url.path().chopped(1) : url.path());
        return GitHubServer{url, url};
    }
    if (scheme != QLatin1String("https")) {
        *error = QStringLiteral("The server address must start with https:// (GitHub Enterprise Server is only "
                                "reached over TLS)");
        return std::nullopt;
    }
    QString path = url.path();
    while (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    if (path.endsWith(QLatin1String("/api/v3")))
        path.chop(7);
    QUrl web = url;
    web.setPath(path);
    QUrl api = url;
    api.setPath(path + QStringLiteral("/api/v3"));
    return GitHubServer{api, web};
}

QJsonObject hubSyncAppManifest(const QString &name, const QUrl &redirectUrl, const QUrl &setupUrl,
                               const QUrl &webhookUrl) {
    QJsonObject hook{{QStringLiteral("active"), webhookUrl.isValid() && !webhookUrl.isEmpty()}};
    // GitHub requires a hook URL even for an inactive hook; a desktop app without a public address polls.
    hook.insert(
        QStringLiteral("url"),
        (webhookUrl.isEmpty() ? redirectUrl.adjusted(QUrl::RemovePath | QUrl::RemoveQuery) : webhookUrl).toString());
    return QJsonObject{
        {QStringLiteral("name"), name},
        {QStringLiteral("url"), redirectUrl.adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString()},
        {QStringLiteral("description"), QStringLiteral("Keeps this account's GitHub data in PostgreSQL (HubSync)")},
        {QStringLiteral("hook_attributes"), hook},
        {QStringLiteral("redirect_url"), redirectUrl.toString()},
        {QStringLiteral("setup_url"), setupUrl.toString()},
        {QStringLiteral("setup_on_update"), true},
        {QStringLiteral("public"), false},
        {QStringLiteral("default_permissions"), QJsonObject{{QStringLiteral("metadata"), QStringLiteral("read")},
                                                            {QStringLiteral("contents"), QStringLiteral("read")},
                                                            {QStringLiteral("issues"), QStringLiteral("write")},
                                                            {QStringLiteral("pull_requests"), QStringLiteral("read")},
                                                            {QStringLiteral("discussions"), QStringLiteral("read")}}},
        {QStringLiteral("default_events"),
         QJsonArray{QStringLiteral("issues"), QStringLiteral("issue_comment"), QStringLiteral("label"),
                    QStringLiteral("pull_request"), QStringLiteral("push"), QStringLiteral("create"),
                    QStringLiteral("delete"), QStringLiteral("release"), QStringLiteral("discussion"),
                    QStringLiteral("discussion_comment")}},
    };
}

QUrl manifestCreationUrl(const GitHubServer &server, const QString &org, const QString &state) {
    QUrl url = server.webUrl;
    const QString base = url.path();
    url.setPath(org.isEmpty() ? base + QStringLiteral("/settings/apps/new")
                              : base + QStringLiteral("/organizations/%1/settings/apps/new").arg(org));
    url.setQuery(QUrlQuery{{QStringLiteral("state"), state}});
    return url;
}

QByteArray manifestFormPage(const QUrl &creationUrl, const QJsonObject &manifest) {
    const QString json = QString::fromUtf8(QJsonDocument(manifest).toJson(QJsonDocument::Compact));
    return QByteArrayLiteral("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>HubSync: create the "
                             "GitHub App</title></head>\n<body>\n<form id=\"manifest\" method=\"post\" action=\"") +
           creationUrl.toString(QUrl::FullyEncoded).toHtmlEscaped().toUtf8() +
           QByteArrayLiteral("\">\n<input type=\"hidden\" name=\"manifest\" value=\"") + json.toHtmlEscaped().toUtf8() +
           QByteArrayLiteral("\">\n<p>HubSync asks GitHub to create a GitHub App for you.</p>\n"
                             "<button type=\"submit\">Continue to GitHub</button>\n</form>\n"
                             "<script>document.getElementById('manifest').submit();</script>\n</body></html>\n");
}

QUrl installationUrl(const QString &appHtmlUrl, const QString &state) {
    QUrl url(appHtmlUrl);
    url.setPath(url.path() + QStringLiteral("/installations/new"));
    url.setQuery(QUrlQuery{{QStringLiteral("state"), state}});
    return url;
}

std::optional<CreatedApp> parseCreatedApp(const QJsonObject &json, QString *error) {
    CreatedApp app;
    app.id = json.value(QStringLiteral("id")).toInteger();
    app.slug = boundedString(json, "slug", 200);
    app.name = boundedString(json, "name", 200);
    app.htmlUrl = boundedString(json, "html_url", 2000);
    app.clientId = boundedString(json, "client_id", 200);
    app.ownerLogin = boundedString(json.value(QStringLiteral("owner")).toObject(), "login", 200);
    app.privateKeyPem = boundedString(json, "pem", 64 * 1024).toUtf8();
    app.webhookSecret = boundedString(json, "webhook_secret", 1000).toUtf8();
    app.clientSecret = boundedString(json, "client_secret", 1000).toUtf8();
    const QUrl page(app.htmlUrl);
    if (app.id <= 0 || app.slug.isEmpty() || !page.isValid() || page.scheme().isEmpty()) {
        *error = QStringLiteral("GitHub's answer does not describe an App (no id, slug or page)");
        return std::nullopt;
    }
    // Only the conversion answer carries a key; GET /app has none (the caller already holds it).
    if (json.contains(QStringLiteral("pem")) && !app.privateKeyPem.contains("-----BEGIN ")) {
        *error = QStringLiteral("GitHub's answer holds no usable private key");
        return std::nullopt;
    }
    return app;
}

std::optional<SetupRedirect> parseSetupRedirect(const QUrlQuery &query, QString *error) {
    SetupRedirect redirect;
    redirect.setupAction = query.queryItemValue(QStringLiteral("setup_action"));
    if (redirect.setupAction != QLatin1String("install") && redirect.setupAction != QLatin1String("request") &&
        redirect.setupAction != QLatin1String("update")) {
        *error = QStringLiteral("unexpected setup_action");
        return std::nullopt;
    }
    const QString id = query.queryItemValue(QStringLiteral("installation_id"));
    if (redirect.setupAction != QLatin1String("request")) {
        static const QRegularExpression digits(QStringLiteral("^[0-9]{1,18}$"));
        if (!digits.match(id).hasMatch() || id.toLongLong() <= 0) {
            *error = QStringLiteral("missing or malformed installation_id");
            return std::nullopt;
        }
        redirect.installationId = id.toLongLong();
    }
    return redirect;
}

bool isPlausibleManifestCode(const QString &code) {
    static const QRegularExpression shape(QStringLiteral("^[A-Za-z0-9_-]{1,128}$"));
    return shape.match(code).hasMatch();
}

AppSetupClient::AppSetupClient(QNetworkAccessManager *network, QUrl apiUrl, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_apiUrl(std::move(apiUrl)) {}

AppSetupClient::~AppSetupClient() = default;

GitHubClient *AppSetupClient::makeClient(std::shared_ptr<Credentials> credentials) {
    ClientOptions options;
    options.apiBaseUrl = m_apiUrl;
    // A person is waiting: fail within seconds rather than retrying for minutes.
    options.maxAttempts = 2;
    options.retryBaseDelayMs = 500;
    options.transferTimeoutMs = 20'000;
    options.maxLimitWaits = 0;
    auto *client = new GitHubClient(m_network, std::move(credentials), options, nullptr, this);
    m_clients << client;
    return client;
}

void AppSetupClient::retire(GitHubClient *client) {
    m_clients.removeAll(client);
    client->deleteLater();
}

void AppSetupClient::convertManifest(const QString &code, AppDone done) {
    if (!isPlausibleManifestCode(code)) {
        done({}, Error::make(Error::Kind::GitHubValidation, QStringLiteral("GitHub sent a malformed manifest code")));
        return;
    }
    GitHubClient *client = makeClient(std::make_shared<AnonymousCredentials>());
    client->post(QStringLiteral("/app-manifests/%1/conversions").arg(code), QJsonDocument(QJsonObject{}),
                 whileAlive(this, [client, done](AppSetupClient &self, const GitHubResponse &response) {
                     self.retire(client);
                     if (response.error) {
                         Error e = response.error;
                         if (response.httpStatus == 404)
                             e.message = QStringLiteral("GitHub no longer knows this App creation (codes are "
                                                        "valid once, for one hour): create the App again");
                         done({}, e);
                         return;
                     }
                     QString why;
                     const std::optional<CreatedApp> app = parseCreatedApp(response.json.object(), &why);
                     if (!app || app->privateKeyPem.isEmpty()) {
                         done({}, Error::make(Error::Kind::GitHubValidation,
                                              why.isEmpty() ? QStringLiteral("GitHub's answer holds no key") : why));
                         return;
                     }
                     done(*app, {});
                 }));
}

void AppSetupClient::fetchApp(qint64 appId, const RsaPrivateKey &key, AppDone done) {
    GitHubClient *client = makeClient(std::make_shared<AppJwtCredentials>(appId, key, systemClock()));
    client->get(QStringLiteral("/app"),
                whileAlive(this, [client, done, appId](AppSetupClient &self, const GitHubResponse &response) {
                    self.retire(client);
                    if (response.error) {
                        Error e = response.error;
                        if (response.httpStatus == 401)
                            e.message = QStringLiteral("GitHub refused App %1 with this private key: check the "
                                                       "App id and that the key belongs to it (%2)")
                                            .arg(appId)
                                            .arg(response.error.message);
                        done({}, e);
                        return;
                    }
                    QString why;
                    std::optional<CreatedApp> app = parseCreatedApp(response.json.object(), &why);
                    if (!app) {
                        done({}, Error::make(Error::Kind::GitHubValidation, why));
                        return;
                    }
                    done(*app, {});
                }));
}

void AppSetupClient::listInstallations(qint64 appId, const RsaPrivateKey &key, InstallationsDone done) {
    GitHubClient *client = makeClient(std::make_shared<AppJwtCredentials>(appId, key, systemClock()));
    client->get(QStringLiteral("/app/installations?per_page=100"),
                whileAlive(this, [client, done](AppSetupClient &self, const GitHubResponse &response) {
                    self.retire(client);
                    QList<InstallationInfo> list;
                    if (!response.error) {
                        for (const QJsonValue &v : response.json.array()) {
                            const QJsonObject o = v.toObject();
                            InstallationInfo info;
                            info.id = o.value(QStringLiteral("id")).toInteger();
                            info.account = boundedString(o.value(QStringLiteral("account")).toObject(), "login", 200);
                            info.repositorySelection = boundedString(o, "repository_selection", 20);
                            if (info.id > 0)
                                list << info;
                        }
                    }
                    done(list, response.error);
                }));
}

void AppSetupClient::installationAccess(qint64 appId, const RsaPrivateKey &key, qint64 installationId,
                                        AccessDone done) {
    GitHubClient *client = makeClient(std::make_shared<AppCredentials>(appId, key, installationId, systemClock()));
    // Listing repositories needs no permission; reading issues does. One request on the first repository
    // says now, in the wizard, when the App lacks a permission (403 "Resource not accessible by
    // integration" names it), rather than later in the middle of a backfill.
    auto probe = [this, appId, key, installationId, done](const QString &who, const QList<RepositoryInfo> &repos,
                                                          const Error &error) {
        if (error || repos.isEmpty()) {
            done(who, repos, error);
            return;
        }
        GitHubClient *issues = makeClient(std::make_shared<AppCredentials>(appId, key, installationId, systemClock()));
        issues->get(QStringLiteral("/repos/%1/issues?per_page=1").arg(repos.first().fullName),
                    whileAlive(this, [issues, who, repos, done](AppSetupClient &self, const GitHubResponse &response) {
                        self.retire(issues);
                        done(who, repos, response.httpStatus == 403 ? response.error : Error::none());
                    }));
    };
    walkRepositories(client, QStringLiteral("/installation/repositories?per_page=100"), QStringLiteral("repositories"),
                     QStringLiteral("installation %1").arg(installationId), std::move(probe));
}

void AppSetupClient::tokenAccess(const QString &token, AccessDone done) {
    GitHubClient *client = makeClient(std::make_shared<PatCredentials>(token));
    client->get(
        QStringLiteral("/user"), whileAlive(this, [client, done](AppSetupClient &self, const GitHubResponse &response) {
            if (response.error) {
                self.retire(client);
                Error e = response.error;
                if (response.httpStatus == 401)
                    e.message = QStringLiteral("GitHub does not accept this token (401 Bad credentials): "
                                               "check that it was copied whole and has not expired");
                done({}, {}, e);
                return;
            }
            const QString login = boundedString(response.json.object(), "login", 200);
            self.walkRepositories(client, QStringLiteral("/user/repos?per_page=100&sort=full_name"), {}, login, done);
        }));
}

// One repository list being read page by page; each page's callback holds it until the next page or the end.
struct AppSetupClient::Walk {
    GitHubClient *client = nullptr;
    QString wrapper; // the object key holding the array ("repositories"), or empty for a bare array
    QString who;
    AccessDone done;
    QList<RepositoryInfo> repositories;
    int pages = 0;
};

void AppSetupClient::walkRepositories(GitHubClient *client, const QString &path, const QString &wrapper, QString who,
                                      AccessDone done) {
    auto walk = std::make_shared<Walk>();
    walk->client = client;
    walk->wrapper = wrapper;
    walk->who = std::move(who);
    walk->done = std::move(done);
    fetchRepositoryPage(walk, path);
}

void AppSetupClient::fetchRepositoryPage(const std::shared_ptr<Walk> &walk, const QString &url) {
    walk->client->get(url, whileAlive(this, [walk](AppSetupClient &self, const GitHubResponse &response) {
                          if (response.error) {
                              self.retire(walk->client);
                              walk->done(walk->who, walk->repositories, response.error);
                              return;
                          }
                          const QJsonArray items = walk->wrapper.isEmpty()
                                                       ? response.json.array()
                                                       : response.json.object().value(walk->wrapper).toArray();
                          for (const QJsonValue &v : items)
                              walk->repositories << repositoryFrom(v.toObject());
                          if (!response.nextUrl.isEmpty() && ++walk->pages < MaxRepositoryPages) {
                              self.fetchRepositoryPage(walk, response.nextUrl);
                              return;
                          }
                          self.retire(walk->client);
                          walk->done(walk->who, walk->repositories, {});
                      }));
}

} // namespace hubsync::github
