#pragma once

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>
#include <optional>

typedef struct evp_pkey_st EVP_PKEY;

namespace hubsync::githubsim {

// Who a request comes from. The quota key groups requests the way GitHub counts them.
struct Identity {
    enum class Kind { Anonymous, Pat, ReadOnlyPat, AppJwt, Installation };
    Kind kind = Kind::Anonymous;
    QString quotaKey;
    QString subject; // "user ID 100000", "installation ID 1", "127.0.0.1": used in rate-limit messages
    int user = -1;   // the viewer's user index for tokens that act as a user
    qint64 installationId = 0;
    bool canWrite = false;
};

struct AuthFailure {
    int status = 401;
    QString message;
};

// Personal access tokens, the GitHub App's JWTs (RS256 against the App's public key, GitHub's iat/exp/iss
// rules) and the installation tokens minted from them.
class Auth final {
public:
    Auth();
    ~Auth();
    Q_DISABLE_COPY_MOVE(Auth)

    void addToken(const QByteArray &token, bool readOnly);
    // App configuration: a PEM public key (SPKI or PKCS#1) or any RSA private key PEM (public half used).
    bool setAppPublicKey(const QByteArray &pem, QString *error);
    // Generates an RSA-2048 key pair; returns the PKCS#1 private key PEM GitHub hands out.
    QByteArray generateAppKey(QString *error);
    void setApp(qint64 appId, qint64 installationId, int tokenLifetimeSeconds, bool installationCanWrite);
    [[nodiscard]] bool hasApp() const { return m_appId > 0 && m_publicKey; }
    [[nodiscard]] qint64 appId() const { return m_appId; }
    [[nodiscard]] qint64 installationId() const { return m_installationId; }
    [[nodiscard]] int tokenLifetimeSeconds() const { return m_tokenLifetime; }
    void setTokenLifetimeSeconds(int seconds) { m_tokenLifetime = seconds; }
    void setInstallationCanWrite(bool canWrite) { m_installationCanWrite = canWrite; }
    [[nodiscard]] bool installationCanWrite() const { return m_installationCanWrite; }

    // Authorization header -> identity, or GitHub's 401. `peer` names anonymous callers.
    std::optional<Identity> authenticate(const QByteArray &authorization, const QString &peer, qint64 now,
                                         AuthFailure *failure) const;
    bool verifyJwt(const QByteArray &jwt, qint64 now, QString *error) const;

    struct MintedToken {
        QByteArray token;
        qint64 expiresAt = 0;
    };
    // A token of `installationId` (0: the App's organization installation).
    MintedToken mintInstallationToken(qint64 now, qint64 installationId = 0);
    void revokeInstallationToken(const QByteArray &token) { m_installationTokens.remove(token); }

private:
    QSet<QByteArray> m_tokens;
    QSet<QByteArray> m_readOnlyTokens;
    qint64 m_appId = 0;
    qint64 m_installationId = 1;
    int m_tokenLifetime = 3600;
    bool m_installationCanWrite = true;
    EVP_PKEY *m_publicKey = nullptr;
    struct InstallationToken {
        qint64 expiresAt = 0; // epoch seconds
        qint64 installationId = 0;
    };
    QHash<QByteArray, InstallationToken> m_installationTokens;
};

} // namespace hubsync::githubsim
