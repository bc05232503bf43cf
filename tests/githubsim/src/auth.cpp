#include "auth.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

namespace hubsync::githubsim {

namespace {

constexpr qsizetype maxJwtBytes = 16 * 1024;
constexpr qint64 maxJwtLifetime = 600; // GitHub refuses exp more than 10 minutes after iat
constexpr qint64 clockDrift = 60;      // GitHub tolerates this much drift on iat

QByteArray randomAlnum(int n) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QByteArray out(n, Qt::Uninitialized);
    for (int i = 0; i < n; ++i)
        out[i] = alphabet[QRandomGenerator::system()->bounded(62)];
    return out;
}

std::optional<QJsonObject> jsonPart(const QByteArray &part) {
    const auto decoded =
        QByteArray::fromBase64Encoding(part, QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return std::nullopt;
    return doc.object();
}

bool isIntegral(const QJsonValue &v) {
    return v.isDouble() && v.toDouble() == double(qint64(v.toDouble()));
}

} // namespace

Auth::Auth() = default;

Auth::~Auth() {
    if (m_publicKey)
        EVP_PKEY_free(m_publicKey);
}

void Auth::addToken(const QByteArray &token, bool readOnly) {
    (readOnly ? m_readOnlyTokens : m_tokens).insert(token);
}

bool Auth::setAppPublicKey(const QByteArray &pem, QString *error) {
    EVP_PKEY *key = nullptr;
    OSSL_DECODER_CTX *ctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", nullptr, "RSA", 0, nullptr, nullptr);
    const auto *data = reinterpret_cast<const unsigned char *>(pem.constData());
    size_t length = size_t(pem.size());
    const bool ok = ctx && OSSL_DECODER_from_data(ctx, &data, &length) == 1 && key;
    OSSL_DECODER_CTX_free(ctx);
    if (!ok) {
        if (key)
            EVP_PKEY_free(key);
        *error = QStringLiteral("not an RSA key in PEM form");
        return false;
    }
    if (m_publicKey)
        EVP_PKEY_free(m_publicKey);
    m_publicKey = key;
    return true;
}

QByteArray Auth::generateAppKey(QString *error) {
    EVP_PKEY *key = EVP_RSA_gen(2048);
    if (!key) {
        *error = QStringLiteral("RSA key generation failed");
        return {};
    }
    // "type-specific" = PKCS#1 ("BEGIN RSA PRIVATE KEY"), the form GitHub's App settings page hands out.
    OSSL_ENCODER_CTX *ctx =
        OSSL_ENCODER_CTX_new_for_pkey(key, OSSL_KEYMGMT_SELECT_KEYPAIR, "PEM", "type-specific", nullptr);
    unsigned char *data = nullptr;
    size_t length = 0;
    const bool ok = ctx && OSSL_ENCODER_to_data(ctx, &data, &length) == 1;
    OSSL_ENCODER_CTX_free(ctx);
    if (!ok) {
        EVP_PKEY_free(key);
        *error = QStringLiteral("cannot encode the RSA key");
        return {};
    }
    QByteArray pem(reinterpret_cast<const char *>(data), qsizetype(length));
    OPENSSL_free(data);
    if (m_publicKey)
        EVP_PKEY_free(m_publicKey);
    m_publicKey = key;
    return pem;
}

void Auth::setApp(qint64 appId, qint64 installationId, int tokenLifetimeSeconds, bool installationCanWrite) {
    m_appId = appId;
    m_installationId = installationId;
    m_tokenLifetime = tokenLifetimeSeconds;
    m_installationCanWrite = installationCanWrite;
}

bool Auth::verifyJwt(const QByteArray &jwt, qint64 now, QString *error) const {
    const QString undecodable = QStringLiteral("A JSON web token could not be decoded");
    *error = undecodable;
    if (!hasApp() || jwt.size() > maxJwtBytes)
        return false;
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return false;
    const auto header = jsonPart(parts[0]);
    const auto claims = jsonPart(parts[1]);
    const auto signature = QByteArray::fromBase64Encoding(parts[2], QByteArray::Base64UrlEncoding |
                                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!header || !claims || !signature || header->value(QStringLiteral("alg")).toString() != QLatin1String("RS256"))
        return false;
    const QByteArray signedPart = parts[0] + '.' + parts[1];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const bool verified = ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, m_publicKey) == 1 &&
                          EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char *>(signature.decoded.constData()),
                                           size_t(signature.decoded.size()),
                                           reinterpret_cast<const unsigned char *>(signedPart.constData()),
                                           size_t(signedPart.size())) == 1;
    EVP_MD_CTX_free(ctx);
    if (!verified)
        return false;
    const QJsonValue iat = claims->value(QStringLiteral("iat"));
    const QJsonValue exp = claims->value(QStringLiteral("exp"));
    const QJsonValue iss = claims->value(QStringLiteral("iss"));
    if (!isIntegral(iat) || qint64(iat.toDouble()) > now + clockDrift) {
        *error = QStringLiteral(
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued");
        return false;
    }
    if (!isIntegral(exp) || qint64(exp.toDouble()) <= now) {
        *error = QStringLiteral(
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the "
            "assertion expires");
        return false;
    }
    if (qint64(exp.toDouble()) - qint64(iat.toDouble()) > maxJwtLifetime) {
        *error = QStringLiteral("'Expiration time' claim ('exp') is too far in the future");
        return false;
    }
    const qint64 issuer = iss.isString() ? iss.toString().toLongLong() : isIntegral(iss) ? qint64(iss.toDouble()) : 0;
    if (issuer <= 0) {
        *error = QStringLiteral("'Issuer' claim ('iss') must be an Integer");
        return false;
    }
    if (issuer != m_appId) {
        *error = undecodable; // another App's JWT: GitHub cannot verify it with any key it holds for this App
        return false;
    }
    error->clear();
    return true;
}

Auth::MintedToken Auth::mintInstallationToken(qint64 now, qint64 installationId) {
    // Expired tokens are forgotten when new ones are minted, so the table stays small.
    for (auto it = m_installationTokens.begin(); it != m_installationTokens.end();) {
        if (it.value().expiresAt <= now)
            it = m_installationTokens.erase(it);
        else
            ++it;
    }
    MintedToken t;
    t.token = "ghs_" + randomAlnum(36);
    t.expiresAt = now + m_tokenLifetime;
    m_installationTokens.insert(t.token, {t.expiresAt, installationId ? installationId : m_installationId});
    return t;
}

std::optional<Identity> Auth::authenticate(const QByteArray &authorization, const QString &peer, qint64 now,
                                           AuthFailure *failure) const {
    Identity id;
    if (authorization.isEmpty()) {
        id.kind = Identity::Kind::Anonymous;
        id.quotaKey = QStringLiteral("anon:") + peer;
        id.subject = peer;
        return id;
    }
    QByteArray credential;
    const QByteArray lower = authorization.left(7).toLower();
    if (lower.startsWith("bearer "))
        credential = authorization.mid(7).trimmed();
    else if (lower.startsWith("token "))
        credential = authorization.mid(6).trimmed();
    failure->status = 401;
    failure->message = QStringLiteral("Bad credentials");
    if (credential.isEmpty())
        return std::nullopt;
    if (m_tokens.contains(credential) || m_readOnlyTokens.contains(credential)) {
        id.kind = m_tokens.contains(credential) ? Identity::Kind::Pat : Identity::Kind::ReadOnlyPat;
        id.user = 0;
        id.quotaKey = QStringLiteral("user:0");
        id.subject = QStringLiteral("user ID %1").arg(100000);
        id.canWrite = id.kind == Identity::Kind::Pat;
        return id;
    }
    if (const auto it = m_installationTokens.constFind(credential); it != m_installationTokens.constEnd()) {
        if (it.value().expiresAt <= now)
            return std::nullopt; // expired: GitHub says "Bad credentials"
        id.kind = Identity::Kind::Installation;
        id.installationId = it.value().installationId;
        id.quotaKey = QStringLiteral("installation:%1").arg(id.installationId);
        id.subject = QStringLiteral("installation ID %1").arg(id.installationId);
        id.canWrite = m_installationCanWrite;
        return id;
    }
    if (credential.startsWith("eyJ") && credential.count('.') == 2) {
        QString error;
        if (!verifyJwt(credential, now, &error)) {
            failure->message = error;
            return std::nullopt;
        }
        id.kind = Identity::Kind::AppJwt;
        id.quotaKey = QStringLiteral("app:%1").arg(m_appId);
        id.subject = QStringLiteral("app ID %1").arg(m_appId);
        return id;
    }
    return std::nullopt;
}

} // namespace hubsync::githubsim
