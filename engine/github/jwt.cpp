#include "github/jwt.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace hubsync::github {

namespace {

// Real RSA keys in PEM are a few KiB; refuse to feed megabytes of junk to the decoder.
constexpr qsizetype MaxPemBytes = 64 * 1024;

Error keyError(const QString &message) {
    ERR_clear_error(); // never leave OpenSSL's queue to confuse the next caller (Qt's TLS shares it)
    return Error::make(Error::Kind::GitHubAuth, message);
}

int refusePassphrase(char *, int, int, void *) {
    return -1;
}

} // namespace

RsaPrivateKey RsaPrivateKey::fromPem(const QByteArray &pem, Error *error) {
    *error = Error::none();
    RsaPrivateKey key;
    if (pem.isEmpty() || pem.size() > MaxPemBytes || !pem.contains("-----BEGIN ")) {
        *error = keyError(QStringLiteral("the App private key file is not a valid PEM RSA key"));
        return key;
    }
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.constData(), int(pem.size())), &BIO_free);
    if (!bio) {
        *error = keyError(QStringLiteral("out of memory while reading the App private key"));
        return key;
    }
    EVP_PKEY *raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, &refusePassphrase, nullptr);
    if (!raw) {
        const bool encrypted = pem.contains("ENCRYPTED");
        *error = keyError(encrypted ? QStringLiteral("the App private key is encrypted; use the unencrypted .pem file "
                                                     "GitHub lets you download")
                                    : QStringLiteral("the App private key file is not a valid PEM RSA key"));
        return key;
    }
    key.m_key.reset(raw, &EVP_PKEY_free);
    if (EVP_PKEY_get_base_id(raw) != EVP_PKEY_RSA) {
        *error = keyError(QStringLiteral("the App private key is not an RSA key (GitHub Apps use RSA)"));
        return {};
    }
    if (EVP_PKEY_get_bits(raw) < 2048) {
        *error = keyError(QStringLiteral("the App private key is shorter than 2048 bits"));
        return {};
    }
    return key;
}

RsaPrivateKey RsaPrivateKey::fromPemFile(const QString &path, Error *error) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error =
            Error::make(Error::Kind::GitHubAuth,
                        QStringLiteral("cannot read the App private key file %1: %2").arg(path, file.errorString()));
        return {};
    }
    QByteArray pem = file.read(MaxPemBytes + 1);
    RsaPrivateKey key = fromPem(pem, error);
    pem.fill('\0'); // don't leave the key text in freed heap memory
    if (*error)
        error->message += QStringLiteral(" (%1)").arg(path);
    return key;
}

QByteArray RsaPrivateKey::signSha256(const QByteArray &data, Error *error) const {
    *error = Error::none();
    if (!m_key) {
        *error = Error::make(Error::Kind::GitHubAuth, QStringLiteral("no App private key loaded"));
        return {};
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    size_t length = 0;
    const auto *bytes = reinterpret_cast<const unsigned char *>(data.constData());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, m_key.get()) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &length, bytes, size_t(data.size())) != 1) {
        *error = keyError(QStringLiteral("signing the App JWT failed"));
        return {};
    }
    QByteArray signature(qsizetype(length), Qt::Uninitialized);
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char *>(signature.data()), &length, bytes,
                       size_t(data.size())) != 1) {
        *error = keyError(QStringLiteral("signing the App JWT failed"));
        return {};
    }
    signature.truncate(qsizetype(length));
    return signature;
}

QByteArray base64Url(const QByteArray &data) {
    return data.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

QByteArray makeAppJwt(qint64 appId, const RsaPrivateKey &key, qint64 nowSeconds, Error *error) {
    const QByteArray header = QByteArrayLiteral(R"({"alg":"RS256","typ":"JWT"})");
    QJsonObject claims;
    claims.insert(QStringLiteral("iat"), nowSeconds - 60);
    claims.insert(QStringLiteral("exp"), nowSeconds + 540);
    claims.insert(QStringLiteral("iss"), appId);
    const QByteArray signingInput =
        base64Url(header) + '.' + base64Url(QJsonDocument(claims).toJson(QJsonDocument::Compact));
    const QByteArray signature = key.signSha256(signingInput, error);
    if (*error)
        return {};
    return signingInput + '.' + base64Url(signature);
}

} // namespace hubsync::github
