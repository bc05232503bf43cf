#include "sync/githubapi.h"

#include "github/clock.h"
#include "github/credentials.h"
#include "github/etagstore.h"
#include "github/githubclient.h"
#include "github/pgetagstore.h"

#include <QNetworkAccessManager>

namespace hubsync::sync {

namespace {

Page toPage(const github::GitHubResponse &r) {
    Page page;
    page.error = r.error;
    page.httpStatus = r.httpStatus;
    page.body = r.body;
    page.nextUrl = r.nextUrl;
    page.lastPage = r.lastPage;
    page.notModified = r.notModified;
    page.quotaRemaining = r.rateLimit.remaining;
    page.quotaReset = r.rateLimit.resetEpoch;
    page.url = r.url.toString(QUrl::FullyEncoded);
    page.etag = r.etag;
    return page;
}

class ClientApi final : public Api {
public:
    ClientApi(std::shared_ptr<github::Credentials> credentials, github::ClientOptions options,
              pg::Connection *etagDatabase)
        : m_credentials(std::move(credentials))
        , m_client(&m_network, m_credentials, std::move(options), &m_clock) {
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
                     [done = std::move(done)](const github::GitHubResponse &r) { done(toPage(r)); });
    }

    void getIfChanged(const QString &pathOrUrl, std::function<void(const Page &)> done) override {
        github::RequestOptions options;
        options.priority = github::Priority::Normal;
        options.etag = github::EtagMode::Deferred;
        m_client.get(pathOrUrl, {}, options,
                     [done = std::move(done)](const github::GitHubResponse &r) { done(toPage(r)); });
    }

    void commitEtag(const QString &url, const QByteArray &etag) override {
        github::GitHubResponse response;
        response.httpStatus = 200;
        response.url = QUrl(url);
        response.etag = etag;
        m_client.commitEtag(response);
    }

    void graphql(const QString &query, const QJsonObject &variables,
                 std::function<void(const GraphqlResult &)> done) override {
        github::RequestOptions options;
        options.priority = github::Priority::Backfill;
        m_client.graphql(
            query, variables,
            [done = std::move(done)](const github::GitHubResponse &r) {
                GraphqlResult result;
                result.error = r.error;
                result.data = r.graphqlData;
                result.quotaRemaining = r.rateLimit.remaining;
                done(result);
            },
            options);
    }

    [[nodiscard]] bool isInstallation() const override { return m_client.isInstallation(); }

private:
    github::SystemClock m_clock;
    QNetworkAccessManager m_network;
    std::shared_ptr<github::Credentials> m_credentials;
    std::unique_ptr<github::EtagStore> m_etags;
    github::GitHubClient m_client;
};

} // namespace

std::unique_ptr<Api> makeGitHubApi(const Config &config, pg::Connection *etagDatabase, Error *error) {
    static const github::SystemClock clock;
    std::shared_ptr<github::Credentials> credentials;
    if (config.usesAppAuth()) {
        Error keyError;
        github::RsaPrivateKey key = github::RsaPrivateKey::fromPemFile(config.appKeyFile, &keyError);
        if (keyError) {
            if (error)
                *error = Error::make(Error::Kind::Usage, keyError.message);
            return {};
        }
        credentials =
            std::make_shared<github::AppCredentials>(config.appId, std::move(key), config.installationId, clock);
    } else {
        credentials = std::make_shared<github::PatCredentials>(config.token);
    }
    github::ClientOptions options;
    options.apiBaseUrl = QUrl(config.githubApiUrl);
    options.graphqlUrl = QUrl(config.effectiveGraphqlUrl());
    return std::make_unique<ClientApi>(std::move(credentials), std::move(options), etagDatabase);
}

} // namespace hubsync::sync
