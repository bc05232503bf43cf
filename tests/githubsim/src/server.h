#pragma once

#include "auth.h"
#include "dataset.h"
#include "httplistener.h"
#include "ratelimiter.h"
#include "render.h"
#include "webhooks.h"
#include "world.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QRegularExpression>
#include <QSet>

#include <functional>
#include <memory>

namespace hubsync::githubsim {

class GraphqlService;

struct ServerOptions {
    DatasetSpec dataset;
    QList<QByteArray> tokens; // accepted personal access tokens; empty: "ghp_sandbox"
    QList<QByteArray> readOnlyTokens;
    QString viewerLogin = QStringLiteral("sim-user");
    // GitHub App
    qint64 appId = 0;
    QString appSlug = QStringLiteral("hubsync-sim");
    QByteArray appPublicKeyPem;
    bool generateAppKey = false; // the caller stores appPrivateKeyPem() (--app-key-out)
    qint64 installationId = 1;
    // A second installation of the App, on the viewer's own account, with no repositories (0: none):
    // what a user who installed the App on their account before installing it on the organization has.
    qint64 personalInstallationId = 0;
    QStringList installationRepos; // full names; empty = all repositories
    int tokenLifetimeSeconds = 3600;
    bool installationCanWrite = true;
    QString viewerOrgRole = QStringLiteral("admin"); // "member": installs end as requests
    QString setupUrl;                                // where the install flow redirects
    // Webhooks
    QString webhookUrl;
    QByteArray webhookSecret;
    // Limits and faults
    qint64 rateLimit = 5000;
    qint64 graphqlRateLimit = 5000;
    int rateWindowSeconds = 3600;
    int maxConcurrent = 100;
    // Secondary limit on points per window (GitHub: 900 REST, 2,000 GraphQL per 60 s); 0 = none.
    int restPointsPerMinute = 0;
    int graphqlPointsPerMinute = 0;
    int pointsWindowSeconds = 60;
    int latencyMs = 0;
    double failRate = 0;
    quint64 faultSeed = 0; // 0: random
};

// A scripted fault (see /_sim/faults): requests whose "METHOD path" matches get this answer.
struct Fault {
    QString method;          // empty = any
    QRegularExpression path; // matched against the request path
    int count = 1;           // how many requests; -1 = until cleared
    QString kind;            // status | timeout | truncate | reset | latency
    int status = 502;
    int delayMs = 0;
};

// The simulated GitHub: HTTP front (auth, quotas, ETags, pagination, faults), REST routes, GraphQL,
// the App endpoints and install flow, webhooks and the /_sim/ control API. Single-threaded: runs on
// the thread that owns it; usable in-process by tests or through the githubsim executable.
class Server final : public QObject {
    Q_OBJECT
public:
    explicit Server(ServerOptions options, QObject *parent = nullptr);
    ~Server() override;
    Q_DISABLE_COPY_MOVE(Server)

    // TLS: PEM certificate and key files (both empty: plain HTTP).
    bool listen(const QHostAddress &address, quint16 port, QString *error, const QString &tlsCertificate = {},
                const QString &tlsKey = {});
    [[nodiscard]] QString baseUrl() const { return m_renderer.baseUrl(); }
    [[nodiscard]] QByteArray appPrivateKeyPem() const { return m_appPrivateKey; }
    [[nodiscard]] QString startupError() const { return m_startupError; }

    World &world() { return m_world; }
    Auth &auth() { return m_auth; }
    RateLimiter &limits() { return m_limits; }
    WebhookSender &webhooks() { return m_webhooks; }
    const Renderer &renderer() const { return m_renderer; }

    HttpResponse handle(const HttpRequest &request);

    // Shared by the route files.
    struct Context {
        const HttpRequest &request;
        QHash<QString, QString> params;
        Identity identity;
        int slot = -1;
        const Repo *repo = nullptr;
        QJsonObject body;
        QString routeTemplate;
    };
    using RouteHandler = std::function<HttpResponse(Context &)>;

    static HttpResponse json(int status, const QByteArray &body);
    static HttpResponse message(int status, const QString &text, const QString &docs = {});
    // GET /_sim/health?counts=true: objects per collection, named like HubSync's tables.
    [[nodiscard]] QJsonObject collectionCounts() const;
    static HttpResponse noContent();
    static HttpResponse validationFailed(const QString &resource, const QString &field, const QString &code,
                                         const QString &docs = {}, const QString &message = {});
    HttpResponse notFound() const;
    // One page of a list endpoint: writes items [from, to) and adds GitHub's Link header.
    HttpResponse page(Context &c, qint64 total, const std::function<void(JsonWriter &, qint64, qint64)> &items,
                      const char *wrapperKey = nullptr, const std::function<void(JsonWriter &)> &wrapperFields = {});
    // What an installation's tokens see: the organization installation's repositories; the personal
    // installation (installationId == ServerOptions::personalInstallationId) none.
    bool installationSees(int slot, qint64 installationId = 0) const;
    static QString permissionFor(const QString &routePattern);
    [[nodiscard]] QList<int> installationSlots() const;
    void setInstallationRepos(const QList<int> &slots, bool all);
    [[nodiscard]] bool installationAll() const { return m_installationAll; }
    int actorFrom(const QJsonObject &body, int fallback) const;
    QByteArray payload(const Change &change) const;
    void emitWebhook(const QString &event, const QString &action, qint64 repositoryId, const QByteArray &body);
    // Sends installation_repositories added/removed for the difference to `before`.
    void announceInstallationChange(const QList<int> &before);

private:
    struct Route {
        QByteArray method;
        QStringList segments;
        QString pattern;
        RouteHandler handler;
        bool control = false;
    };
    void addRoute(const char *method, const QString &pattern, RouteHandler handler);
    void addControl(const char *method, const QString &pattern, RouteHandler handler);
    const Route *match(const QByteArray &method, const QString &path, QHash<QString, QString> *params, bool *pathKnown,
                       bool control) const;
    HttpResponse dispatchApi(const HttpRequest &request, const QString &path);
    HttpResponse dispatchControl(const HttpRequest &request);
    void finish(HttpResponse &r, const HttpRequest &request, const Identity *identity, const RateLimiter::State *quota,
                const QString &resource, const QByteArray &requestId) const;
    std::optional<HttpResponse> scriptedFault(const HttpRequest &request);
    HttpResponse webFlow(const HttpRequest &request, const QString &path);

    void registerRepoRoutes();
    void registerIssueRoutes();
    void registerCommentRoutes();
    void registerGitRoutes();
    void registerAppRoutes();
    void registerControlRoutes();
    void registerControlContentRoutes();

    ServerOptions m_options;
    World m_world;
    Renderer m_renderer;
    Auth m_auth;
    RateLimiter m_limits;
    WebhookSender m_webhooks;
    std::unique_ptr<GraphqlService> m_graphql;
    std::unique_ptr<HttpListener> m_listener;
    QList<Route> m_routes;
    QList<Route> m_controlRoutes;
    QByteArray m_appPrivateKey;
    QString m_startupError;
    bool m_installationAll = true;
    // A manifest-created App starts with no installation (as on GitHub); an org member's install ends
    // as a request that an admin approves (POST /_sim/installation/requests/approve).
    bool m_installed = true;
    bool m_installRequested = false;
    bool m_requestedAll = true;
    QList<int> m_requestedSlots;
    QSet<QString> m_deniedPermissions; // installation permissions taken away (PUT /_sim/installation)
    QSet<int> m_installationSlots;
    QList<Fault> m_faults;
    QHash<QString, QJsonObject> m_manifestCodes; // app manifest flow: code -> manifest
    QString m_viewerOrgRole;
    double m_failRate = 0;
    // GraphQL queries asking for more nodes than this (0: no such limit) get GitHub's answer to a query too
    // heavy to finish in time: no data, a RESOURCE_LIMITS_EXCEEDED error, and the cost still charged.
    qint64 m_graphqlNodeBudget = 0;
    // Queries over this many nodes take graphql_slow_delay_ms and end in a 502, charged all the same (what
    // GitHub does when a query runs past its time limit); 0 = none.
    qint64 m_graphqlSlowNodes = 0;
    int m_graphqlSlowDelayMs = 0;
    int m_latencyMs = 0;
    quint64 m_faultState = 0;
    qint64 m_requestSerial = 0;
    // Counters for /_sim/counters
    QHash<QString, qint64> m_requestsByEndpoint;
    qint64 m_requestsTotal = 0;
    qint64 m_notModified = 0;
    qint64 m_quotaSpent = 0;
    qint64 m_errors = 0;
    qint64 m_faultsInjected = 0;
    qint64 m_secondaryLimited = 0;
    qint64 m_primaryLimited = 0;
    qint64 m_itemsServed = 0;
    QElapsedTimer m_uptime;
    QElapsedTimer m_monotonic; // never restarted: the clock of the points-per-minute windows

    friend class GraphqlService;
};

} // namespace hubsync::githubsim
