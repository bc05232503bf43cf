#pragma once

#include "github/clock.h"
#include "github/credentials.h"
#include "github/etagstore.h"
#include "github/githubresponse.h"
#include "github/quotaplanner.h"

#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QUrlQuery>

#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace hubsync::github {

// GitHub's REST and GraphQL APIs for the engine. Lives on the engine's worker thread with the
// QNetworkAccessManager it is given; every call is asynchronous and `done` always runs later from the
// event loop (never inside the call). Behind each call: the quota planner (priorities, concurrency,
// X-RateLimit-*, Retry-After and secondary-limit pauses), credentials (PAT or App installation token,
// refreshed before expiry and once on 401), retries with backoff for 5xx/timeouts/network errors,
// conditional GETs with the EtagStore, and Link pagination restricted to the API's own origin.
class GitHubClient final : public QObject {
    Q_OBJECT
public:
    // `network` and `clock` (nullptr = system clock) must outlive the client.
    GitHubClient(QNetworkAccessManager *network, std::shared_ptr<Credentials> credentials, ClientOptions options,
                 const Clock *clock = nullptr, QObject *parent = nullptr);
    ~GitHubClient() override;
    Q_DISABLE_COPY_MOVE(GitHubClient)

    // Optional; not owned, used from this thread. Without one, EtagMode is ignored.
    void setEtagStore(EtagStore *store) { m_etags = store; }

    // pathOrUrl: "/repos/o/r/issues?state=all" (appended to the API base URL) or an absolute URL from a
    // previous response's nextUrl. `query` items are added to the URL's own.
    void get(const QString &pathOrUrl, const QUrlQuery &query, const RequestOptions &options, ResponseCallback done);
    void get(const QString &pathOrUrl, ResponseCallback done) { get(pathOrUrl, {}, {}, std::move(done)); }

    // Writes (proxy write-through). Default priority is Interactive: a user is waiting.
    void post(const QString &path, const QJsonDocument &body, ResponseCallback done,
              Priority priority = Priority::Interactive);
    void patch(const QString &path, const QJsonDocument &body, ResponseCallback done,
               Priority priority = Priority::Interactive);
    // PUT /repos/o/r/issues/1/lock takes an optional body; an empty document sends none.
    void put(const QString &path, const QJsonDocument &body, ResponseCallback done,
             Priority priority = Priority::Interactive);
    void del(const QString &path, ResponseCallback done, Priority priority = Priority::Interactive);

    // POST {query, variables} to the GraphQL URL. errors[] become response.error (RATE_LIMITED waits);
    // `data` is in response.graphqlData.
    void graphql(const QString &query, const QJsonObject &variables, ResponseCallback done,
                 const RequestOptions &options = {});

    // Stores the ETag of a response fetched with EtagMode::Deferred (after the caller committed it).
    void commitEtag(const GitHubResponse &response);

    [[nodiscard]] QuotaPlanner *planner() { return &m_planner; }
    [[nodiscard]] bool isInstallation() const { return m_credentials && m_credentials->isInstallation(); }
    [[nodiscard]] const QUrl &apiBaseUrl() const { return m_options.apiBaseUrl; }
    [[nodiscard]] const QUrl &graphqlUrl() const { return m_options.graphqlUrl; }
    // HTTP exchanges sent so far (retries included), for "API calls per 100 records".
    [[nodiscard]] quint64 requestsSent() const { return m_requestsSent; }

    // The GraphQL endpoint for an API base URL: https://api.github.com/graphql, or
    // https://host/api/graphql for GitHub Enterprise Server's https://host/api/v3.
    static QUrl graphqlUrlFor(const QUrl &apiBaseUrl);

Q_SIGNALS:
    // Forwarded from the planner: quota left / reset time / waiting-until per resource.
    void quotaChanged(const hubsync::github::QuotaSnapshot &snapshot);

private:
    struct Call;
    using CallPtr = std::shared_ptr<Call>;

    void request(const QByteArray &verb, const QString &pathOrUrl, const QUrlQuery &query, QByteArray body,
                 const RequestOptions &options, ResponseCallback done);
    QUrl resolve(const QString &pathOrUrl, const QUrlQuery &query, Error *error) const;
    void submit(const CallPtr &call);
    void authorize(const CallPtr &call);
    void send(const CallPtr &call, const QByteArray &authorization);
    void requestToken(const QString &path, const QByteArray &authorization, ResponseCallback done);

    // githubclient_reply.cpp
    void onFinished(const CallPtr &call, QNetworkReply *reply);
    void handleHttp(const CallPtr &call, GitHubResponse &response);
    bool retryLater(const CallPtr &call, GitHubResponse &response, bool nothingSent);
    void waitForLimit(const CallPtr &call, GitHubResponse &response, LimitKind kind, qint64 untilMs);
    void release(const CallPtr &call);
    void finish(const CallPtr &call, GitHubResponse response);

    QNetworkAccessManager *m_network;
    std::shared_ptr<Credentials> m_credentials;
    ClientOptions m_options;
    SystemClock m_systemClock;
    const Clock &m_clock;
    QuotaPlanner m_planner;
    EtagStore *m_etags = nullptr;
    QSet<QNetworkReply *> m_replies;
    quint64 m_requestsSent = 0;
};

} // namespace hubsync::github
