#pragma once

#include "core/errors.h"
#include "github/clock.h"
#include "github/githubresponse.h"
#include "github/jwt.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <functional>

namespace hubsync::github {

// Supplies the Authorization header of every request. App credentials mint installation tokens through
// `TokenRequester` (a POST the client performs outside the quota planner: it spends the App's own
// budget, and requests holding planner slots are the ones waiting for the token).
class Credentials {
public:
    using AuthCallback = std::function<void(const QByteArray &authorization, const Error &error)>;
    using TokenRequester =
        std::function<void(const QString &path, const QByteArray &authorization, ResponseCallback done)>;

    virtual ~Credentials() = default;

    // Calls `done` with the header value (possibly before returning) or with a GitHubAuth error.
    virtual void authorization(const TokenRequester &requester, AuthCallback done) = 0;
    // GitHub answered 401 to a request sent with `authorization`. Returns true when asking again may
    // give different credentials (the client then retries that request once).
    virtual bool invalidate(const QByteArray &authorization) = 0;
    [[nodiscard]] virtual bool isInstallation() const = 0;
};

// A personal access token (classic or fine-grained) or any other bearer token.
class PatCredentials final : public Credentials {
public:
    enum class Scheme { Bearer, Token }; // "Bearer <t>" (current docs) or "token <t>" (older servers)
    explicit PatCredentials(const QString &token, Scheme scheme = Scheme::Bearer);
    Q_DISABLE_COPY_MOVE(PatCredentials)
    ~PatCredentials() override;

    void authorization(const TokenRequester &requester, AuthCallback done) override;
    bool invalidate(const QByteArray &) override { return false; }
    [[nodiscard]] bool isInstallation() const override { return false; }

private:
    QByteArray m_header;
};

// A GitHub App installation: RS256 JWT -> POST /app/installations/{id}/access_tokens -> a token used
// until less than five minutes of it remain. Concurrent requests during a refresh share one refresh.
class AppCredentials final : public Credentials {
public:
    AppCredentials(qint64 appId, RsaPrivateKey key, qint64 installationId, const Clock &clock);
    Q_DISABLE_COPY_MOVE(AppCredentials)
    ~AppCredentials() override;

    void authorization(const TokenRequester &requester, AuthCallback done) override;
    bool invalidate(const QByteArray &authorization) override;
    [[nodiscard]] bool isInstallation() const override { return true; }

    // When the cached token expires (epoch ms; 0 = none cached). For tests and diagnostics.
    [[nodiscard]] qint64 tokenExpiresAtMs() const { return m_expiresAtMs; }

    static constexpr qint64 RefreshMarginMs = 5 * 60 * 1000;

private:
    void onTokenResponse(const GitHubResponse &response);
    void completeWaiters(const QByteArray &header, const Error &error);

    qint64 m_appId;
    RsaPrivateKey m_key;
    qint64 m_installationId;
    const Clock &m_clock;
    QByteArray m_token;
    qint64 m_expiresAtMs = 0;
    bool m_refreshing = false;
    QList<AuthCallback> m_waiters;
};

// The App itself (not one installation): every request carries a fresh RS256 JWT. For the App-level
// endpoints such as /app/hook/deliveries, which refuse installation tokens.
class AppJwtCredentials final : public Credentials {
public:
    AppJwtCredentials(qint64 appId, RsaPrivateKey key, const Clock &clock);
    Q_DISABLE_COPY_MOVE(AppJwtCredentials)
    ~AppJwtCredentials() override;

    void authorization(const TokenRequester &requester, AuthCallback done) override;
    bool invalidate(const QByteArray &) override { return true; } // the next JWT is minted anew
    [[nodiscard]] bool isInstallation() const override { return false; }

private:
    qint64 m_appId;
    RsaPrivateKey m_key;
    const Clock &m_clock;
};

} // namespace hubsync::github
