// The HTTP front of the simulated GitHub: routing, authentication, quotas, ETags, faults and headers.

#include "server.h"

#include "graphqlservice.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonDocument>
#include <QLocale>
#include <QRandomGenerator>

#include <openssl/sha.h>

namespace hubsync::githubsim {

namespace {

const QString docsRoot = QStringLiteral("https://docs.github.com/rest");

QByteArray httpDate() {
    return QLocale::c()
        .toString(QDateTime::currentDateTimeUtc(), QStringLiteral("ddd, dd MMM yyyy hh:mm:ss 'GMT'"))
        .toLatin1();
}

// If-None-Match may list several tags and may mark them weak; GitHub compares them weakly.
bool etagMatches(const QByteArray &ifNoneMatch, const QByteArray &etag) {
    const auto strip = [](QByteArray t) {
        t = t.trimmed();
        if (t.startsWith("W/"))
            t = t.mid(2);
        return t;
    };
    const QByteArray mine = strip(etag);
    for (const QByteArray &candidate : ifNoneMatch.split(',')) {
        if (strip(candidate) == mine || candidate.trimmed() == "*")
            return true;
    }
    return false;
}

} // namespace

Server::Server(ServerOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_world(m_options.dataset)
    , m_renderer(m_world)
    , m_graphql(std::make_unique<GraphqlService>(*this)) {
    m_uptime.start();
    m_world.setViewerLogin(m_options.viewerLogin);
    if (m_options.tokens.isEmpty() && m_options.readOnlyTokens.isEmpty())
        m_options.tokens << QByteArrayLiteral("ghp_sandbox");
    for (const QByteArray &t : std::as_const(m_options.tokens))
        m_auth.addToken(t, false);
    for (const QByteArray &t : std::as_const(m_options.readOnlyTokens))
        m_auth.addToken(t, true);
    if (m_options.appId > 0) {
        QString error;
        if (m_options.generateAppKey)
            m_appPrivateKey = m_auth.generateAppKey(&error);
        else if (!m_options.appPublicKeyPem.isEmpty())
            m_auth.setAppPublicKey(m_options.appPublicKeyPem, &error);
        else
            error = QStringLiteral("an App needs --app-public-key or --app-key-out");
        if (!error.isEmpty())
            m_startupError = error;
        m_auth.setApp(m_options.appId, m_options.installationId, m_options.tokenLifetimeSeconds,
                      m_options.installationCanWrite);
        m_webhooks.setInstallationId(m_options.installationId);
    }
    if (!m_options.installationRepos.isEmpty()) {
        QList<int> slots;
        for (const QString &full : std::as_const(m_options.installationRepos)) {
            const int slot = m_world.findRepo(full.section(QLatin1Char('/'), 0, 0), full.section(QLatin1Char('/'), 1));
            if (slot < 0)
                m_startupError = QStringLiteral("--installation-repos: unknown repository ") + full;
            slots << slot;
        }
        setInstallationRepos(slots, false);
    }
    m_limits.configure(m_options.rateLimit, m_options.graphqlRateLimit, m_options.rateWindowSeconds, 60);
    m_limits.setMaxConcurrent(m_options.maxConcurrent);
    m_monotonic.start();
    m_limits.configurePoints(m_options.restPointsPerMinute, m_options.graphqlPointsPerMinute,
                             m_options.pointsWindowSeconds);
    m_webhooks.configure(m_options.webhookUrl, m_options.webhookSecret);
    m_viewerOrgRole = m_options.viewerOrgRole;
    m_failRate = m_options.failRate;
    m_latencyMs = m_options.latencyMs;
    m_faultState = m_options.faultSeed ? m_options.faultSeed : QRandomGenerator::system()->generate64();
    m_world.setChangeHandler([this](const Change &change) {
        const Repo *r = m_world.repo(change.slot);
        const QByteArray body = payload(change);
        if (!body.isEmpty())
            emitWebhook(change.event, change.action, r ? r->id : 0, body);
    });

    registerRepoRoutes();
    registerIssueRoutes();
    registerCommentRoutes();
    registerGitRoutes();
    registerAppRoutes();
    registerControlRoutes();
    registerControlContentRoutes();
    addRoute("POST", QStringLiteral("/graphql"), [this](Context &c) { return m_graphql->handle(c); });
}

Server::~Server() = default;

bool Server::listen(const QHostAddress &address, quint16 port, QString *error, const QString &tlsCertificate,
                    const QString &tlsKey) {
    m_listener = std::make_unique<HttpListener>([this](const HttpRequest &r) { return handle(r); });
    if (!tlsCertificate.isEmpty() && !m_listener->useTls(tlsCertificate, tlsKey)) {
        *error = m_listener->errorString();
        return false;
    }
    if (!m_listener->listen(address, port)) {
        *error = m_listener->errorString();
        return false;
    }
    const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                             ? QLatin1Char('[') + address.toString() + QLatin1Char(']')
                             : address.toString();
    m_renderer.setBaseUrl(QStringLiteral("%1://%2:%3")
                              .arg(m_listener->tls() ? QStringLiteral("https") : QStringLiteral("http"), host)
                              .arg(m_listener->port()));
    return true;
}

void Server::addRoute(const char *method, const QString &pattern, RouteHandler handler) {
    m_routes.append(
        Route{method, pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts), pattern, std::move(handler), false});
}

void Server::addControl(const char *method, const QString &pattern, RouteHandler handler) {
    m_controlRoutes.append(
        Route{method, pattern.split(QLatin1Char('/'), Qt::SkipEmptyParts), pattern, std::move(handler), true});
}

const Server::Route *Server::match(const QByteArray &method, const QString &path, QHash<QString, QString> *params,
                                   bool *pathKnown, bool control) const {
    // The most specific route wins: /issues/comments beats /issues/{number}.
    const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    *pathKnown = false;
    const Route *best = nullptr;
    int bestScore = -1;
    for (const Route &route : control ? m_controlRoutes : m_routes) {
        QHash<QString, QString> found;
        bool ok = true;
        int literals = 0;
        qsizetype i = 0;
        for (; i < route.segments.size() && ok; ++i) {
            const QString &seg = route.segments[i];
            if (seg.startsWith(QLatin1String("{+"))) { // the rest of the path, e.g. a ref name with slashes
                ok = i < parts.size();
                if (ok)
                    found.insert(seg.mid(2, seg.size() - 3), parts.mid(i).join(QLatin1Char('/')));
                literals -= 1000; // a catch-all loses to any exact route
                i = parts.size();
                break;
            }
            if (i >= parts.size()) {
                ok = false;
            } else if (seg.startsWith(QLatin1Char('{'))) {
                found.insert(seg.mid(1, seg.size() - 2), parts[i]);
            } else if (seg != parts[i]) {
                ok = false;
            } else {
                ++literals;
            }
        }
        if (!ok || i != parts.size())
            continue;
        *pathKnown = true;
        if ((route.method == method || (method == "HEAD" && route.method == "GET")) && literals + 2000 > bestScore) {
            bestScore = literals + 2000;
            best = &route;
            *params = found;
        }
    }
    return best;
}

HttpResponse Server::json(int status, const QByteArray &body) {
    HttpResponse r;
    r.status = status;
    r.body = body;
    r.setHeader("Content-Type", "application/json; charset=utf-8");
    return r;
}

// The installation permission a repository endpoint needs (GitHub's permission names).
QString Server::permissionFor(const QString &pattern) {
    const QString rest = pattern.mid(int(qstrlen("/repos/{owner}/{repo}")));
    if (rest.startsWith(QLatin1String("/issues")) || rest.startsWith(QLatin1String("/labels")) ||
        rest.startsWith(QLatin1String("/milestones")))
        return QStringLiteral("issues");
    if (rest.startsWith(QLatin1String("/pulls")))
        return QStringLiteral("pull_requests");
    if (rest.startsWith(QLatin1String("/commits")) || rest.startsWith(QLatin1String("/git/")) ||
        rest.startsWith(QLatin1String("/releases")) || rest.startsWith(QLatin1String("/branches")) ||
        rest.startsWith(QLatin1String("/tags")))
        return QStringLiteral("contents");
    return QStringLiteral("metadata");
}

HttpResponse Server::message(int status, const QString &text, const QString &docs) {
    QByteArray out;
    JsonWriter w(&out);
    w.beginObject().field("message", text).field("documentation_url", docs.isEmpty() ? docsRoot : docs);
    if (status >= 400 && status != 401 && status != 403 && status != 404 && status != 410 && status != 422 &&
        status != 400)
        w.field("status", QString::number(status));
    w.endObject();
    return json(status, out);
}

HttpResponse Server::noContent() {
    HttpResponse r;
    r.status = 204;
    return r;
}

HttpResponse Server::validationFailed(const QString &resource, const QString &field, const QString &code,
                                      const QString &docs, const QString &text) {
    QByteArray out;
    JsonWriter w(&out);
    w.beginObject().field("message", "Validation Failed").key("errors").beginArray().beginObject();
    w.field("resource", resource).field("code", code).field("field", field);
    if (!text.isEmpty())
        w.field("message", text);
    w.endObject().endArray().field("documentation_url", docs.isEmpty() ? docsRoot : docs).endObject();
    return json(422, out);
}

HttpResponse Server::notFound() const {
    return message(404, QStringLiteral("Not Found"), docsRoot);
}

bool Server::installationSees(int slot, qint64 installationId) const {
    if (installationId != 0 && installationId == m_options.personalInstallationId)
        return false;
    return m_installationAll || m_installationSlots.contains(slot);
}

QList<int> Server::installationSlots() const {
    QList<int> slots;
    for (const int s : m_world.liveRepos()) {
        if (installationSees(s))
            slots << s;
    }
    return slots;
}

void Server::setInstallationRepos(const QList<int> &slots, bool all) {
    m_installationAll = all;
    m_installationSlots = QSet<int>(slots.cbegin(), slots.cend());
}

int Server::actorFrom(const QJsonObject &body, int fallback) const {
    const QJsonValue as = body.value(QStringLiteral("as"));
    if (as.isString()) {
        const int u = m_world.userByLogin(as.toString());
        return u >= 0 ? u : fallback;
    }
    return fallback;
}

std::optional<HttpResponse> Server::scriptedFault(const HttpRequest &request) {
    for (qsizetype i = 0; i < m_faults.size(); ++i) {
        Fault &f = m_faults[i];
        if ((!f.method.isEmpty() && f.method.toLatin1() != request.method) || !f.path.match(request.path).hasMatch())
            continue;
        HttpResponse r;
        if (f.kind == QLatin1String("timeout")) {
            r.fault = HttpResponse::Fault::Hang;
        } else if (f.kind == QLatin1String("reset")) {
            r.fault = HttpResponse::Fault::Reset;
        } else if (f.kind == QLatin1String("latency")) {
            r.delayMs = f.delayMs;
        } else if (f.kind != QLatin1String("truncate")) {
            r = message(f.status,
                        f.status == 502 ? QStringLiteral("Server Error") : QStringLiteral("Service Unavailable"));
            r.delayMs = f.delayMs;
        }
        const bool truncate = f.kind == QLatin1String("truncate");
        if (f.count > 0 && --f.count == 0)
            m_faults.removeAt(i);
        ++m_faultsInjected;
        if (truncate) { // the real answer, cut in half: marked for the caller to render first
            r.fault = HttpResponse::Fault::Truncate;
            r.status = -1;
        }
        return r;
    }
    if (m_failRate > 0) {
        m_faultState = mix(m_faultState, 1);
        if (double(m_faultState % 1000000) / 1000000.0 < m_failRate) {
            ++m_faultsInjected;
            static const int statuses[] = {500, 502, 503};
            const int status = statuses[(m_faultState >> 20) % 3];
            return message(status,
                           status == 500 ? QStringLiteral("Server Error") : QStringLiteral("Service Unavailable"));
        }
    }
    return std::nullopt;
}

HttpResponse Server::handle(const HttpRequest &request) {
    HttpResponse response;
    if (request.path.startsWith(QLatin1String("/_sim/")) || request.path == QLatin1String("/_sim"))
        response = dispatchControl(request);
    else
        response = dispatchApi(request, request.path);
    if (m_latencyMs > 0)
        response.delayMs += m_latencyMs;
    return response;
}

void Server::finish(HttpResponse &r, const HttpRequest &request, const Identity *identity,
                    const RateLimiter::State *quota, const QString &resource, const QByteArray &requestId) const {
    HeaderList h;
    const auto add = [&h](const char *name, const QByteArray &value) { h.append({QByteArray(name), value}); };
    add("Server", "GitHub.com");
    add("Date", httpDate());
    const QByteArray contentType = r.header("Content-Type");
    if (!contentType.isEmpty())
        add("Content-Type", contentType);
    if (request.method == "GET" || request.method == "HEAD")
        add("Cache-Control", identity && identity->kind != Identity::Kind::Anonymous
                                 ? "private, max-age=60, s-maxage=60"
                                 : "public, max-age=60, s-maxage=60");
    add("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP");
    for (const char *name : {"ETag", "Last-Modified", "Location", "Retry-After"}) {
        const QByteArray v = r.header(name);
        if (!v.isEmpty())
            add(name, v);
    }
    if (identity && (identity->kind == Identity::Kind::Pat || identity->kind == Identity::Kind::ReadOnlyPat)) {
        add("X-OAuth-Scopes", identity->canWrite ? "repo, read:org, read:discussion" : "read:org");
        add("X-Accepted-OAuth-Scopes", "repo");
    }
    if (const QByteArray link = r.header("Link"); !link.isEmpty())
        add("Link", link);
    add("X-GitHub-Media-Type", "github.v3; format=json");
    add("X-GitHub-Api-Version-Selected", "2022-11-28");
    if (quota) {
        add("X-RateLimit-Limit", QByteArray::number(quota->limit));
        add("X-RateLimit-Remaining", QByteArray::number(quota->remaining()));
        add("X-RateLimit-Reset", QByteArray::number(quota->reset));
        add("X-RateLimit-Used", QByteArray::number(quota->used));
        add("X-RateLimit-Resource", resource.toLatin1());
    }
    for (const char *name :
         {"X-Poll-Interval", "X-GitHub-SSO", "X-Accepted-GitHub-Permissions", "Deprecation", "Sunset"}) {
        const QByteArray v = r.header(name);
        if (!v.isEmpty())
            add(name, v);
    }
    add("Access-Control-Expose-Headers",
        "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, "
        "X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, "
        "X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset");
    add("Access-Control-Allow-Origin", "*");
    add("Strict-Transport-Security", "max-age=31536000; includeSubdomains; preload");
    add("X-Frame-Options", "deny");
    add("X-Content-Type-Options", "nosniff");
    add("X-XSS-Protection", "0");
    add("Referrer-Policy", "origin-when-cross-origin, strict-origin-when-cross-origin");
    add("Content-Security-Policy", "default-src 'none'");
    add("Vary", "Accept-Encoding, Accept, X-Requested-With");
    add("X-GitHub-Request-Id", requestId);
    if (r.header("WWW-Authenticate").size())
        add("WWW-Authenticate", r.header("WWW-Authenticate"));
    r.headers = h;
}

HttpResponse Server::dispatchApi(const HttpRequest &request, const QString &rawPath) {
    ++m_requestsTotal;
    // Shaped like GitHub's ids (0685:5DDC:10B68F9:25FA1BE:62D6354D): unique per request.
    const qint64 serial = ++m_requestSerial;
    const QByteArray requestId = QByteArray::number(0x1000 + (serial & 0xfff), 16).toUpper() +
                                 ":5DDC:" + QByteArray::number(0x10B68F9 + serial, 16).toUpper() + ':' +
                                 QByteArray::number(0x25FA1BE + serial * 3, 16).toUpper() + ':' +
                                 QByteArray::number(m_uptime.elapsed() / 1000 + 0x62D6354D, 16).toUpper();
    QString path = rawPath;
    while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
        path.chop(1);
    // GitHub's own Link headers address repositories by id.
    if (path.startsWith(QLatin1String("/repositories/"))) {
        const QString id = path.section(QLatin1Char('/'), 2, 2);
        const int slot = m_world.repoById(id.toLongLong());
        if (const Repo *r = m_world.repo(slot))
            path = QStringLiteral("/repos/") + r->fullName() +
                   path.section(QLatin1Char('/'), 3, -1, QString::SectionIncludeLeadingSep);
    }
    // The install flow and other web pages are not API calls.
    if (path.startsWith(QLatin1String("/apps/")) || path == QLatin1String("/settings/apps/new"))
        return webFlow(request, path);

    QHash<QString, QString> params;
    bool pathKnown = false;
    const Route *route = match(request.method, path, &params, &pathKnown, false);
    const QString resource = path == QLatin1String("/graphql") ? QStringLiteral("graphql") : QStringLiteral("core");
    m_requestsByEndpoint[QString::fromLatin1(request.method) + QLatin1Char(' ') +
                         (route ? route->pattern : QStringLiteral("(unknown)"))] += 1;

    std::optional<HttpResponse> fault = scriptedFault(request);
    if (fault && fault->status != -1) {
        finish(*fault, request, nullptr, nullptr, resource, requestId);
        return *fault;
    }

    AuthFailure failure;
    const qint64 now = m_world.now();
    const auto identity =
        m_auth.authenticate(request.header("Authorization"), QStringLiteral("127.0.0.1"), now, &failure);
    if (!identity) {
        ++m_errors;
        HttpResponse r = message(failure.status, failure.message);
        finish(r, request, nullptr, nullptr, resource, requestId);
        return r;
    }
    if (identity->kind == Identity::Kind::Anonymous && resource == QLatin1String("graphql")) {
        HttpResponse r = message(
            401, QStringLiteral("This endpoint requires you to be authenticated."),
            QStringLiteral(
                "https://docs.github.com/graphql/guides/forming-calls-with-graphql#authenticating-with-graphql"));
        finish(r, request, &*identity, nullptr, resource, requestId);
        return r;
    }
    Context c{request, params, *identity, -1, nullptr, {}, route ? route->pattern : QString()};
    const bool anonymous = identity->kind == Identity::Kind::Anonymous;
    const bool free = path == QLatin1String("/rate_limit") || path.startsWith(QLatin1String("/app-manifests/"));
    RateLimiter::State &quota = m_limits.bucket(identity->quotaKey, resource, anonymous, now);

    HttpResponse r;
    int retryAfter = 60, secondaryStatus = 403;
    const bool tooConcurrent = m_listener && m_listener->inFlight() > m_limits.maxConcurrent();
    // GitHub's points: 1 for a read (or a GraphQL query), 5 for a change (or a GraphQL mutation).
    const auto points = [&] {
        if (resource == QLatin1String("graphql"))
            return QJsonDocument::fromJson(request.body)
                           .object()
                           .value(QStringLiteral("query"))
                           .toString()
                           .trimmed()
                           .startsWith(QLatin1String("mutation"))
                       ? 5
                       : 1;
        return request.method == "GET" || request.method == "HEAD" || request.method == "OPTIONS" ? 1 : 5;
    };
    const bool overPoints =
        !free && m_limits.pointsLimited() &&
        !m_limits.spendPoints(identity->quotaKey, resource, points(), m_monotonic.elapsed(), &retryAfter);
    if (m_limits.takeSecondary(&retryAfter, &secondaryStatus) || tooConcurrent || overPoints) {
        ++m_secondaryLimited;
        r = message(
            secondaryStatus,
            QStringLiteral(
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you "
                "reach out to GitHub Support for help, please include the request ID %1.")
                .arg(QString::fromLatin1(requestId)),
            QStringLiteral(
                "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"));
        r.setHeader("Retry-After", QByteArray::number(retryAfter));
        finish(r, request, identity ? &*identity : nullptr, &quota, resource, requestId);
        return r;
    }
    if (!free && quota.remaining() <= 0) {
        ++m_primaryLimited;
        const QString text =
            QStringLiteral("API rate limit exceeded for %1.").arg(identity->subject) +
            (anonymous ? QStringLiteral(" (But here's the good news: Authenticated requests get a higher rate limit. "
                                        "Check out the documentation for more details.)")
                       : QString());
        if (resource == QLatin1String("graphql")) {
            QByteArray out;
            JsonWriter w(&out);
            w.beginObject()
                .key("errors")
                .beginArray()
                .beginObject()
                .field("type", "RATE_LIMITED")
                .field("message", text);
            w.endObject().endArray().endObject();
            r = json(200, out);
        } else {
            r = message(
                403, text,
                QStringLiteral("https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"));
        }
        finish(r, request, &*identity, &quota, resource, requestId);
        return r;
    }

    if (!route) {
        r = notFound();
    } else {
        const bool write = request.method != "GET" && request.method != "HEAD";
        bool bodyOk = true;
        if (!request.body.trimmed().isEmpty()) {
            QJsonParseError error{};
            const QJsonDocument doc = QJsonDocument::fromJson(request.body, &error);
            bodyOk = error.error == QJsonParseError::NoError && (doc.isObject() || doc.isArray());
            c.body = doc.object();
            if (doc.isArray()) // POST /issues/{n}/labels accepts a bare array of names
                c.body = QJsonObject{{QStringLiteral("labels"), doc.array()}};
        }
        if (!bodyOk) {
            r = message(400, QStringLiteral("Problems parsing JSON"));
        } else if (route->pattern.startsWith(QLatin1String("/repos/{owner}/{repo}"))) {
            c.slot = m_world.findRepo(params.value(QStringLiteral("owner")), params.value(QStringLiteral("repo")));
            c.repo = m_world.repo(c.slot);
            const bool visible = c.repo && identity->kind != Identity::Kind::AppJwt &&
                                 (identity->kind != Identity::Kind::Installation ||
                                  installationSees(c.slot, identity->installationId)) &&
                                 (!anonymous || !c.repo->isPrivate);
            if (identity->kind == Identity::Kind::AppJwt &&
                route->pattern != QLatin1String("/repos/{owner}/{repo}/installation"))
                r = message(403, QStringLiteral("Resource not accessible by integration"));
            else if (!visible && route->pattern != QLatin1String("/repos/{owner}/{repo}/installation"))
                r = notFound();
            else if (write && anonymous)
                r = message(401, QStringLiteral("Requires authentication"));
            else if (write && !identity->canWrite)
                r = message(403, identity->kind == Identity::Kind::Installation
                                     ? QStringLiteral("Resource not accessible by integration")
                                     : QStringLiteral("Resource not accessible by personal access token"));
            else if (const QString permission = permissionFor(route->pattern);
                     identity->kind == Identity::Kind::Installation && m_deniedPermissions.contains(permission)) {
                // GitHub names the permission the endpoint needs in X-Accepted-GitHub-Permissions.
                r = message(403, QStringLiteral("Resource not accessible by integration"));
                r.setHeader("X-Accepted-GitHub-Permissions", permission.toLatin1() + (write ? "=write" : "=read"));
            } else if (!c.repo->hasIssues && route->pattern.startsWith(QLatin1String("/repos/{owner}/{repo}/issues")))
                r = message(410, QStringLiteral("Issues are disabled for this repo"),
                            QStringLiteral("https://docs.github.com/rest/issues/issues"));
            else
                r = route->handler(c);
        } else {
            r = route->handler(c);
        }
    }
    if (r.status >= 400)
        ++m_errors;

    if (r.status == 201 && r.header("Location").isEmpty()) { // GitHub points at what it created
        const QString url = QJsonDocument::fromJson(r.body).object().value(QStringLiteral("url")).toString();
        if (!url.isEmpty())
            r.setHeader("Location", url.toUtf8());
    }
    if ((r.status == 200 || r.status == 201) && !r.body.isEmpty()) {
        // GitHub tags every successful JSON answer; conditional requests only matter for GET.
        // SHA-256 like GitHub's tags; OpenSSL's is hardware-accelerated (Qt's portable one dominated page cost).
        unsigned char digest[SHA256_DIGEST_LENGTH];
        SHA256(reinterpret_cast<const unsigned char *>(r.body.constData()), size_t(r.body.size()), digest);
        const QByteArray etag =
            "W/\"" + QByteArray(reinterpret_cast<const char *>(digest), SHA256_DIGEST_LENGTH).toHex() + '"';
        r.setHeader("ETag", etag);
    }
    if ((request.method == "GET" || request.method == "HEAD") && r.status == 200) {
        const QByteArray etag = r.header("ETag");
        const QByteArray ifNoneMatch = request.header("If-None-Match");
        if (!ifNoneMatch.isEmpty() && etagMatches(ifNoneMatch, etag)) {
            // Conditional requests answered 304 cost no quota (GitHub's documented behaviour).
            ++m_notModified;
            r.status = 304;
            r.body.clear();
            finish(r, request, &*identity, &quota, resource, requestId);
            return r;
        }
    }
    if (!free && r.status != 401) {
        const int cost = r.header("X-Sim-Cost").isEmpty() ? 1 : r.header("X-Sim-Cost").toInt();
        quota.used += cost;
        m_quotaSpent += cost;
    }
    // /rate_limit is free but carries the X-RateLimit-* headers like every API answer (as GitHub's does).
    const bool rateHeaders = !free || path == QLatin1String("/rate_limit");
    finish(r, request, &*identity, rateHeaders ? &quota : nullptr, resource, requestId);
    if (fault) // a "truncate" fault: the real answer, cut short on the wire
        r.fault = HttpResponse::Fault::Truncate;
    return r;
}

HttpResponse Server::page(Context &c, qint64 total, const std::function<void(JsonWriter &, qint64, qint64)> &items,
                          const char *wrapperKey, const std::function<void(JsonWriter &)> &wrapperFields) {
    const QUrlQuery &q = c.request.query;
    bool ok = true;
    int perPage =
        q.hasQueryItem(QStringLiteral("per_page")) ? q.queryItemValue(QStringLiteral("per_page")).toInt(&ok) : 30;
    if (!ok || perPage < 1)
        perPage = 30;
    perPage = qMin(perPage, 100);
    qint64 pageNumber =
        q.hasQueryItem(QStringLiteral("page")) ? q.queryItemValue(QStringLiteral("page")).toLongLong(&ok) : 1;
    if (!ok || pageNumber < 1)
        pageNumber = 1;
    const qint64 from = qMin(total, (pageNumber - 1) * perPage);
    const qint64 to = qMin(total, from + perPage);
    m_itemsServed += to - from;

    QByteArray out;
    JsonWriter w(&out);
    if (wrapperKey) {
        w.beginObject().field("total_count", total);
        if (wrapperFields)
            wrapperFields(w);
        w.key(wrapperKey);
    }
    w.beginArray();
    items(w, from, to);
    w.endArray();
    if (wrapperKey)
        w.endObject();
    HttpResponse r = json(200, out);

    // Link: GitHub addresses repositories by id and appends page= to the query as sent.
    QString linkPath = c.request.path;
    while (linkPath.size() > 1 && linkPath.endsWith(QLatin1Char('/')))
        linkPath.chop(1);
    if (c.repo && linkPath.startsWith(QLatin1String("/repos/")))
        linkPath = QStringLiteral("/repositories/%1").arg(c.repo->id) +
                   linkPath.section(QLatin1Char('/'), 4, -1, QString::SectionIncludeLeadingSep);
    QList<QPair<QString, QString>> items0 = q.queryItems(QUrl::FullyEncoded);
    items0.removeIf([](const QPair<QString, QString> &p) { return p.first == QLatin1String("page"); });
    const qint64 last = qMax<qint64>(1, (total + perPage - 1) / perPage);
    const auto url = [&](qint64 p) -> QByteArray {
        QString query;
        for (const auto &[k, v] : items0)
            query += k + QLatin1Char('=') + v + QLatin1Char('&');
        query += QStringLiteral("page=") + QString::number(p);
        return (baseUrl() + linkPath + QLatin1Char('?') + query).toUtf8();
    };
    QList<QByteArray> links;
    if (pageNumber > 1)
        links << "<" + url(qMin(pageNumber - 1, last)) + ">; rel=\"prev\"";
    if (pageNumber < last)
        links << "<" + url(pageNumber + 1) + ">; rel=\"next\""
              << "<" + url(last) + ">; rel=\"last\"";
    if (pageNumber > 1)
        links << "<" + url(1) + ">; rel=\"first\"";
    if (!links.isEmpty())
        r.setHeader("Link", links.join(", "));
    return r;
}

void Server::emitWebhook(const QString &event, const QString &action, qint64 repositoryId, const QByteArray &body) {
    m_webhooks.send(event, action, repositoryId, body);
}

} // namespace hubsync::githubsim
