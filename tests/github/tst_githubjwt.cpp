// App JWTs: signed with our code, verified independently with OpenSSL's EVP_DigestVerify.

#include "github/jwt.h"
#include "recordedhttp.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryFile>
#include <QTest>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>

using namespace hubsync;
using namespace hubsync::github;

namespace {

using PKeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

// EVP_RSA_gen/EVP_EC_gen are macros with C casts (-Wold-style-cast); call what they expand to.
EVP_PKEY *rsaKey(int bits) {
    return EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t(bits));
}
EVP_PKEY *ecKey() {
    return EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
}

enum class PemFormat { Pkcs8, Pkcs1, Pkcs8Encrypted };

QByteArray bioText(BIO *bio) {
    char *data = nullptr;
    const long n = BIO_ctrl(bio, BIO_CTRL_INFO, 0, static_cast<void *>(&data)); // BIO_get_mem_data

    return QByteArray(data, qsizetype(n));
}

QByteArray pemOf(EVP_PKEY *key, PemFormat format) {
    BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
    int ok = 0;
    if (format == PemFormat::Pkcs8)
        ok = PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else if (format == PemFormat::Pkcs1)
        ok = PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        ok = PEM_write_bio_PrivateKey(bio.get(), key, EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                      const_cast<char *>("passphrase"));
    return ok == 1 ? bioText(bio.get()) : QByteArray();
}

QByteArray publicPemOf(EVP_PKEY *key) {
    BioPtr bio(BIO_new(BIO_s_mem()), &BIO_free);
    return PEM_write_bio_PUBKEY(bio.get(), key) == 1 ? bioText(bio.get()) : QByteArray();
}

// Verifies an RS256 JWS with a public key in PEM, the way GitHub (or the simulator) would.
bool verifyRs256(const QByteArray &jwt, const QByteArray &publicPem) {
    const QList<QByteArray> parts = jwt.split('.');
    if (parts.size() != 3)
        return false;
    const QByteArray input = parts[0] + '.' + parts[1];
    const QByteArray signature =
        QByteArray::fromBase64(parts[2], QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    BioPtr bio(BIO_new_mem_buf(publicPem.constData(), int(publicPem.size())), &BIO_free);
    PKeyPtr pub(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
    if (!pub)
        return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pub.get()) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char *>(signature.constData()),
                            size_t(signature.size()), reinterpret_cast<const unsigned char *>(input.constData()),
                            size_t(input.size())) == 1;
}

QJsonObject decodePart(const QByteArray &part) {
    return QJsonDocument::fromJson(
               QByteArray::fromBase64(part, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals))
        .object();
}

} // namespace

class TestGitHubJwt : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        m_key.reset(rsaKey(2048));
        QVERIFY(m_key);
    }

    void signsAndVerifies_data() {
        QTest::addColumn<int>("format");
        QTest::newRow("PKCS#8 (BEGIN PRIVATE KEY)") << int(PemFormat::Pkcs8);
        QTest::newRow("PKCS#1 (BEGIN RSA PRIVATE KEY)") << int(PemFormat::Pkcs1);
    }

    void signsAndVerifies() {
        QFETCH(int, format);
        const QByteArray pem = pemOf(m_key.get(), PemFormat(format));
        QVERIFY(pem.contains(format == int(PemFormat::Pkcs1) ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY"));
        Error error;
        const RsaPrivateKey key = RsaPrivateKey::fromPem(pem, &error);
        QVERIFY2(!error, qPrintable(error.message));

        const qint64 now = 1'700'000'000;
        const QByteArray jwt = makeAppJwt(123456, key, now, &error);
        QVERIFY2(!error, qPrintable(error.message));
        QVERIFY(!jwt.contains('=') && !jwt.contains('+') && !jwt.contains('/')); // base64url, unpadded

        const QByteArray publicPem = publicPemOf(m_key.get());
        QVERIFY(verifyRs256(jwt, publicPem));

        const QList<QByteArray> parts = jwt.split('.');
        const QJsonObject header = decodePart(parts[0]);
        QCOMPARE(header.value(QLatin1String("alg")).toString(), QStringLiteral("RS256"));
        QCOMPARE(header.value(QLatin1String("typ")).toString(), QStringLiteral("JWT"));
        const QJsonObject claims = decodePart(parts[1]);
        QCOMPARE(claims.value(QLatin1String("iat")).toInteger(), now - 60);
        QCOMPARE(claims.value(QLatin1String("exp")).toInteger(), now + 540);
        QVERIFY(claims.value(QLatin1String("exp")).toInteger() - claims.value(QLatin1String("iat")).toInteger() <= 600);
        QCOMPARE(claims.value(QLatin1String("iss")).toInteger(), 123456);

        // Any change to the signed part or the signature breaks verification.
        QByteArray tamperedClaims = parts[1];
        tamperedClaims[5] = tamperedClaims[5] == 'A' ? 'B' : 'A';
        QVERIFY(!verifyRs256(parts[0] + '.' + tamperedClaims + '.' + parts[2], publicPem));
        QByteArray tamperedSig = parts[2];
        tamperedSig[10] = tamperedSig[10] == 'A' ? 'B' : 'A';
        QVERIFY(!verifyRs256(parts[0] + '.' + parts[1] + '.' + tamperedSig, publicPem));
        // And another key does not verify it.
        PKeyPtr other(rsaKey(2048), &EVP_PKEY_free);
        QVERIFY(!verifyRs256(jwt, publicPemOf(other.get())));
    }

    // GitHub's documented example key (apps.create-from-manifest response, field `pem`).
    void documentedExampleKey() {
        QFile file(test::fixturesDir() + QStringLiteral("/rest/examples/apps.create-from-manifest.json"));
        QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
        const QByteArray pem =
            QJsonDocument::fromJson(file.readAll()).object().value(QLatin1String("pem")).toString().toUtf8();
        QVERIFY(pem.contains("BEGIN RSA PRIVATE KEY"));
        Error error;
        const RsaPrivateKey key = RsaPrivateKey::fromPem(pem, &error);
        QVERIFY2(!error, qPrintable(error.message));
        const QByteArray jwt = makeAppJwt(1, key, 1'700'000'000, &error);
        QVERIFY2(!error, qPrintable(error.message));
        QVERIFY(verifyRs256(jwt, publicPemOf(key.handle())));
    }

    void loadsFromFile() {
        QTemporaryFile file;
        QVERIFY(file.open());
        file.write(pemOf(m_key.get(), PemFormat::Pkcs1));
        file.close();
        Error error;
        const RsaPrivateKey key = RsaPrivateKey::fromPemFile(file.fileName(), &error);
        QVERIFY2(!error, qPrintable(error.message));
        QVERIFY(!key.isNull());

        const RsaPrivateKey missing = RsaPrivateKey::fromPemFile(QStringLiteral("/nonexistent/app.pem"), &error);
        QCOMPARE(error.kind, Error::Kind::GitHubAuth);
        QVERIFY(error.message.contains(QLatin1String("/nonexistent/app.pem")));
        QVERIFY(missing.isNull());
    }

    void badKeys_data() {
        QTest::addColumn<QByteArray>("pem");
        QTest::addColumn<QString>("message");
        const QString notPem = QStringLiteral("the App private key file is not a valid PEM RSA key");
        QTest::newRow("empty") << QByteArray() << notPem;
        QTest::newRow("text") << QByteArray("hello, I am not a key") << notPem;
        QTest::newRow("truncated") << QByteArray(
                                          "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuEPzOUE+kiEH1WLiMeBytTEF\n")
                                   << notPem;
        QTest::newRow("certificate-like")
            << QByteArray("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") << notPem;
        QTest::newRow("huge") << QByteArray("-----BEGIN PRIVATE KEY-----\n") + QByteArray(1 << 20, 'A') << notPem;

        PKeyPtr ec(ecKey(), &EVP_PKEY_free);
        QTest::newRow("EC key") << pemOf(ec.get(), PemFormat::Pkcs8) << QStringLiteral("not an RSA key");
        PKeyPtr rsa(rsaKey(2048), &EVP_PKEY_free);
        QTest::newRow("encrypted") << pemOf(rsa.get(), PemFormat::Pkcs8Encrypted) << QStringLiteral("encrypted");
        PKeyPtr small(rsaKey(1024), &EVP_PKEY_free);
        QTest::newRow("1024-bit") << pemOf(small.get(), PemFormat::Pkcs8) << QStringLiteral("2048");
    }

    void badKeys() {
        QFETCH(QByteArray, pem);
        QFETCH(QString, message);
        Error error;
        const RsaPrivateKey key = RsaPrivateKey::fromPem(pem, &error);
        QVERIFY(key.isNull());
        QCOMPARE(error.kind, Error::Kind::GitHubAuth);
        QVERIFY2(error.message.contains(message), qPrintable(error.message));
        QVERIFY(!error.message.contains(QLatin1String("MII"))); // never echo key material
        const QByteArray jwt = makeAppJwt(1, key, 1'700'000'000, &error);
        QVERIFY(jwt.isEmpty());
        QVERIFY(error);
    }

private:
    PKeyPtr m_key{nullptr, &EVP_PKEY_free};
};

QTEST_GUILESS_MAIN(TestGitHubJwt)
#include "tst_githubjwt.moc"
