#include "github/credentials.h"

#include "core/log.h"

#include <QDateTime>
#include <QJsonObject>

namespace hubsync::github {

namespace {

// Installation tokens are no longer fixed-length (ghs_APPID_JWT format from 2026); bound them loosely.
constexpr qsizetype MaxTokenBytes = 4096;
// When GitHub omits expires_at, assume less than the documented one hour.
constexpr qint64 DefaultTokenLifetimeMs = 50LL * 60 * 1000;

bool isTokenText(const QByteArray &token) {
    if (token.isEmpty() || token.size() > MaxTokenBytes)
        return false;
    for (const char c : token) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u > 0x7e)
            return false;
    }
    return true;
}

} // namespace

PatCredentials::PatCredentials(const QString &token, Scheme scheme) {
    const QByteArray t = token.trimmed().toUtf8();
    if (isTokenText(t)) {
        m_header = (scheme == Scheme::Bearer ? QByteArrayLiteral("Bearer ") : QByteArrayLiteral("token ")) + t;
        Log::instance().addSecret(token.trimmed()); // a token that slips into a message is redacted
    }
}

PatCredentials::~PatCredentials() = default;

void PatCredentials::authorization(const TokenRequester &, AuthCallback done) {
    if (m_header.isEmpty()) {
        done({}, Error::make(Error::Kind::GitHubAuth,
                             QStringLiteral("no usable GitHub token configured (--token or GITHUB_TOKEN)")));
        return;
    }
    done(m_header, Error::none());
}

AppCredentials::AppCredentials(qint64 appId, RsaPrivateKey key, qint64 installationId, const Clock &clock)
    : m_appId(appId)
    , m_key(std::move(key))
    , m_installationId(installationId)
    , m_clock(clock) {}

AppCredentials::~AppCredentials() = default;

void AppCredentials::authorization(const TokenRequester &requester, AuthCallback done) {
    if (!m_token.isEmpty() && m_expiresAtMs - m_clock.nowMs() > RefreshMarginMs) {
        done(QByteArrayLiteral("Bearer ") + m_token, Error::none());
        return;
    }
    m_waiters.append(std::move(done));
    if (m_refreshing)
        return; // one refresh serves every request that asked meanwhile
    if (m_appId <= 0 || m_installationId <= 0 || m_key.isNull()) {
        completeWaiters({}, Error::make(Error::Kind::GitHubAuth,
                                        QStringLiteral("GitHub App authentication needs an App ID, an installation "
                                                       "ID and the App's private key")));
        return;
    }
    Error error;
    const QByteArray jwt = makeAppJwt(m_appId, m_key, m_clock.nowMs() / 1000, &error);
    if (error) {
        completeWaiters({}, error);
        return;
    }
    m_refreshing = true;
    logInfo(QStringLiteral("github"), QStringLiteral("requesting an installation token"),
            {{QStringLiteral("app_id"), m_appId}, {QStringLiteral("installation_id"), m_installationId}});
    requester(QStringLiteral("/app/installations/%1/access_tokens").arg(m_installationId),
              QByteArrayLiteral("Bearer ") + jwt, [this](const GitHubResponse &r) { onTokenResponse(r); });
}

void AppCredentials::onTokenResponse(const GitHubResponse &response) {
    m_refreshing = false;
    if (response.error) {
        Error e = response.error;
        if (response.httpStatus == 401 || response.httpStatus == 404)
            e.kind = Error::Kind::GitHubAuth;
        e.message = (response.httpStatus == 404
                         ? QStringLiteral("GitHub App %1 has no installation %2 (check the App ID and installation ID)")
                               .arg(m_appId)
                               .arg(m_installationId)
                         : QStringLiteral("GitHub refused to mint an installation token: %1").arg(e.message));
        completeWaiters({}, e);
        return;
    }
    const QJsonObject o = response.json.object();
    const QByteArray token = o.value(QLatin1String("token")).toString().toUtf8();
    if (!isTokenText(token)) {
        completeWaiters({}, Error::make(Error::Kind::GitHubAuth,
                                        QStringLiteral("GitHub's installation token response has no usable token"),
                                        response.httpStatus));
        return;
    }
    const qint64 now = m_clock.nowMs();
    const QDateTime expires = QDateTime::fromString(o.value(QLatin1String("expires_at")).toString(), Qt::ISODate);
    m_expiresAtMs = expires.isValid() ? expires.toMSecsSinceEpoch() : now + DefaultTokenLifetimeMs;
    if (m_expiresAtMs - now <= RefreshMarginMs) {
        // A token that is already (nearly) expired by our clock means the clocks disagree; use it for
        // a short while instead of refreshing in a loop.
        m_expiresAtMs = now + RefreshMarginMs + 60'000;
    }
    m_token = token;
    completeWaiters(QByteArrayLiteral("Bearer ") + m_token, Error::none());
}

bool AppCredentials::invalidate(const QByteArray &authorization) {
    if (!m_token.isEmpty() && authorization == QByteArrayLiteral("Bearer ") + m_token) {
        m_token.clear(); // revoked or expired early: the next request mints a new one
        m_expiresAtMs = 0;
    }
    return true;
}

void AppCredentials::completeWaiters(const QByteArray &header, const Error &error) {
    const QList<AuthCallback> waiters = std::exchange(m_waiters, {});
    for (const AuthCallback &done : waiters)
        done(header, error);
}

AppJwtCredentials::AppJwtCredentials(qint64 appId, RsaPrivateKey key, const Clock &clock)
    : m_appId(appId)
    , m_key(std::move(key))
    , m_clock(clock) {}

AppJwtCredentials::~AppJwtCredentials() = default;

void AppJwtCredentials::authorization(const TokenRequester &, AuthCallback done) {
    Error error;
    const QByteArray jwt = makeAppJwt(m_appId, m_key, m_clock.nowMs() / 1000, &error);
    done(error ? QByteArray() : QByteArrayLiteral("Bearer ") + jwt, error);
}

} // namespace hubsync::github
