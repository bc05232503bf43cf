#pragma once

#include "core/errors.h"

#include <QByteArray>

#include <memory>

struct evp_pkey_st;

namespace hubsync::github {

// A GitHub App's RSA private key, loaded once from PEM (PKCS#1 "RSA PRIVATE KEY" or PKCS#8
// "PRIVATE KEY"). Only the OpenSSL key object is kept, never the PEM text. Cheap to copy (shared).
class RsaPrivateKey final {
public:
    RsaPrivateKey() = default;

    // Encrypted keys are refused rather than prompting for a passphrase on the terminal.
    static RsaPrivateKey fromPem(const QByteArray &pem, Error *error);
    static RsaPrivateKey fromPemFile(const QString &path, Error *error);

    [[nodiscard]] bool isNull() const { return !m_key; }
    // RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256").
    [[nodiscard]] QByteArray signSha256(const QByteArray &data, Error *error) const;
    [[nodiscard]] evp_pkey_st *handle() const { return m_key.get(); }

private:
    std::shared_ptr<evp_pkey_st> m_key;
};

// base64url without padding (RFC 7515 section 2).
QByteArray base64Url(const QByteArray &data);

// The JWT a GitHub App authenticates with: header {"alg":"RS256","typ":"JWT"}, claims iat = now - 60
// (tolerates clock drift), exp = now + 540 (GitHub refuses more than 10 minutes), iss = the App ID.
QByteArray makeAppJwt(qint64 appId, const RsaPrivateKey &key, qint64 nowSeconds, Error *error);

} // namespace hubsync::github
