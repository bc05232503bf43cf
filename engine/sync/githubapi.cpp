#include "sync/githubapi.h"

#include "github/clock.h"
#include "github/credentials.h"
#include "github/etagstore.h"
#include "github/githubclient.h"
#include "github/pgetagstore.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QTimer>

namespace hubsync::sync {

namespace {

// "https://host/api/v3/repos/o/r/issues?page=2" -> "/repos/o/r/issues?page=2" for base
// "https://host/api/v3". Cursors store next-page links in this form, so a resumed backfill keeps working
// when the API's address changes between runs (the sandbox simulator gets a new port every run).
QString relativeToBase(const QString &url, const QUrl &base) {
    QString prefix = base.toString(QUrl::FullyEncoded);
    while (prefix.endsWith(QLatin1Char('/')))
        prefix.chop(1);
    if (url.startsWith(prefix) && url.size() > prefix.size() && url.at(prefix.size()) == QLatin1Char('/'))
        return url.mid(prefix.size());
    return url;
}

Page toPage(const github::GitHubResponse &r, const QUrl &base) {
    Page page;
    page.error = r.error;
    page.httpStatus = r.httpStatus;
    page.body = r.body;
    page.json = r.json;
    page.nextUrl = relativeToBase(r.nextUrl, base);
    page.lastPage = r.lastPage;
    page.notModified = r.notModified;
    page.quotaRemaining = r.rateLimit.remaining;
    page.quotaLimit = r.rateLimit.limit;
    page.quotaReset = r.rateLimit.resetEpoch;
    page.url = r.url.toString(QUrl::FullyEncoded);
    page.etag = r.etag;
    return page;
}

class ClientApi final : public Api {
public:
    ClientApi(std::shared_ptr<github::Credentials> credentials, std::shared_ptr<github::Credentials> appCredentials,
              github::ClientOptions options, pg::Connection *etagDatabase)
        : m_credentials(std::move(credentials))
        , m_client(&m_network, m_credentials, options, &m_clock) {
        if (appCredentials)
            m_appClient =
                std::make_unique<github::GitHubClient>(&m_network, std::move(appCredentials), options, &m_clock);
        if (etagDatabase)
            m_etags = std::make_unique<github::PgEtagStore>(*etagDatabase);
        else
            m_etags = std::make_unique<github::MemoryEtagStore>();
        m_client.setEtagStore(m_etags.get());
    }

    void get(const QString &pathOrUrl, std::function<void(const Page &)> done) override {
        github::RequestOptions options;
        options.priority = github::Priority::Backfill;
        m_client.get(pathOrUrl, {}, options,
                     [done = std::move(done), base = m_client.apiBaseUrl()](const github::GitHubResponse &r) {
                         done(toPage(r, base));
                     });
    }

    void getIfChanged(const QString &pathOrUrl, std::function<void(const Page &)> done) override {
        github::RequestOptions options;
        options.priority = github::Priority::Normal;
        options.etag = github::EtagMode::Deferred;
        m_client.get(pathOrUrl, {}, options,
                     [done = std::move(done), base = m_client.apiBaseUrl()](const github::GitHubResponse &r) {
                         done(toPage(r, base));
                     });
    }

    github::GitHubClient *client() override { return &m_client; }

    void commitEtag(const QString &url, const QByteArray &etag) override {
        github::GitHubResponse response;
        response.httpStatus = 200;
        response.url = QUrl(url);
        response.etag = etag;
        m_client.commitEtag(response);
    }

    void graphql(const QString &query, const QJsonObject &variables, std::function<void(const GraphqlResult &)> done,
                 GraphqlRetry retry) override {
        github::RequestOptions options;
        options.priority = github::Priority::Backfill;
        if (retry == GraphqlRetry::Shrink)
            options.maxAttempts = 1;
        m_client.graphql(
            query, variables,
            [done = std::move(done)](const github::GitHubResponse &r) {
                GraphqlResult result;
                result.error = r.error;
                result.data = r.graphqlData;
                result.errors = r.graphqlErrors;
                result.quotaRemaining = r.rateLimit.remaining;
                result.quotaReset = r.rateLimit.resetEpoch;
                result.quotaLimit = r.rateLimit.limit;
                done(result);
            },
            options);
    }

    void app(const QByteArray &verb, const QString &pathOrUrl, std::function<void(const Page &)> done) override {
        if (!m_appClient) {
            Page page;
            page.error = Error::make(Error::Kind::GitHubAuth,
                                     QStringLiteral("App endpoints need GitHub App credentials (--app-id, --app-key)"));
            QTimer::singleShot(0, &m_network, [done = std::move(done), page] { done(page); });
            return;
        }
        auto callback = [done = std::move(done), base = m_client.apiBaseUrl()](const github::GitHubResponse &r) {
            done(toPage(r, base));
        };
        if (verb == "POST")
            m_appClient->post(pathOrUrl, QJsonDocument(QJsonObject{}), std::move(callback), github::Priority::Normal);
        else
            m_appClient->get(pathOrUrl, std::move(callback));
    }

    [[nodiscard]] QString apiBaseUrl() const override {
        return m_client.apiBaseUrl().toString(QUrl::StripTrailingSlash);
    }
    [[nodiscard]] bool isInstallation() const override { return m_client.isInstallation(); }

private:
    github::SystemClock m_clock;
    QNetworkAccessManager m_network;
    std::shared_ptr<github::Credentials> m_credentials;
    std::unique_ptr<github::EtagStore> m_etags;
    github::GitHubClient m_client;
    std::unique_ptr<github::GitHubClient> m_appClient; // App JWT; only with App credentials
};

} // namespace

std::unique_ptr<Api> makeGitHubApi(const Config &config, pg::Connection *etagDatabase, Error *error) {
    static const github::SystemClock clock;
    std::shared_ptr<github::Credentials> credentials;
    std::shared_ptr<github::Credentials> appCredentials;
    if (config.usesAppAuth()) {
        Error keyError;
        github::RsaPrivateKey key = config.appKeyPem.isEmpty()
                                        ? github::RsaPrivateKey::fromPemFile(config.appKeyFile, &keyError)
                                        : github::RsaPrivateKey::fromPem(config.appKeyPem, &keyError);
        if (keyError) {
            if (error)
                *error = Error::make(Error::Kind::Usage, keyError.message);
            return {};
        }
        appCredentials = std::make_shared<github::AppJwtCredentials>(config.appId, key, clock);
        credentials =
            std::make_shared<github::AppCredentials>(config.appId, std::move(key), config.installationId, clock);
    } else {
        credentials = std::make_shared<github::PatCredentials>(config.token);
    }
    github::ClientOptions options;
    options.apiBaseUrl = QUrl(config.githubApiUrl);
    options.graphqlUrl = QUrl(config.effectiveGraphqlUrl());
    options.planner.restPointsPerMinute = config.restPointsPerMinute;
    options.planner.graphqlPointsPerMinute = config.graphqlPointsPerMinute;
    options.planner.pointsWindowMs = config.pointsWindowSeconds * 1000LL;
    return std::make_unique<ClientApi>(std::move(credentials), std::move(appCredentials), std::move(options),
                                       etagDatabase);
}

} // namespace hubsync::sync
