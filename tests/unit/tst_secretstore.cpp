// The encrypted-file secret store (the fallback where no keychain runs): round trip, persistence,
// permissions, and detection of any modification of the file.

#include "core/secretstore.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace hubsync;

namespace {

mode_t modeOf(const QString &path) {
    struct stat st {};
    ::stat(QFile::encodeName(path).constData(), &st);
    return st.st_mode & 0777;
}

} // namespace

class TestSecretStore : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    [[nodiscard]] QString keyFile() const { return m_dir.filePath(QStringLiteral("config/HubSync/secret-store.key")); }
    [[nodiscard]] QString storeFile() const { return m_dir.filePath(QStringLiteral("data/secrets.enc")); }

private Q_SLOTS:
    void init() {
        QFile::remove(keyFile());
        QFile::remove(storeFile());
    }

    void roundTrip() {
        const QByteArray pem =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretsecretsecret\n-----END RSA PRIVATE KEY-----\n";
        const QByteArray binary("\x00\x01\xff\xfe zero and high bytes", 24);
        {
            EncryptedFileSecretStore store(keyFile(), storeFile());
            Error error;
            QVERIFY(!store.read(QStringLiteral("missing"), &error).has_value());
            QVERIFY(!error);
            QVERIFY(!store.write(QStringLiteral("github-app-1/private-key"), pem));
            QVERIFY(!store.write(QStringLiteral("binary"), binary));
            QVERIFY(!store.write(QStringLiteral("binary"), binary + "!")); // overwrite
        }
        // A new instance (a restart) reads what the first wrote.
        EncryptedFileSecretStore store(keyFile(), storeFile());
        Error error;
        QCOMPARE(store.read(QStringLiteral("github-app-1/private-key"), &error).value_or(QByteArray()), pem);
        QCOMPARE(store.read(QStringLiteral("binary"), &error).value_or(QByteArray()), binary + "!");
        QVERIFY(!store.remove(QStringLiteral("binary")));
        QVERIFY(!store.read(QStringLiteral("binary"), &error).has_value());
        QVERIFY(!error);
        QVERIFY(!store.remove(QStringLiteral("never-there")));

        // Nothing readable in the file; owner-only permissions on both files.
        QFile file(storeFile());
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QByteArray raw = file.readAll();
        QVERIFY(!raw.contains("secretsecret"));
        QVERIFY(!raw.contains("private-key"));
        QCOMPARE(modeOf(keyFile()), mode_t(0600));
        QCOMPARE(modeOf(storeFile()), mode_t(0600));
        QCOMPARE(QFileInfo(keyFile()).size(), 32);
        QVERIFY(store.description().contains(storeFile()));
    }

    void tamperingIsDetected_data() {
        QTest::addColumn<int>("offset"); // from the end when negative
        QTest::newRow("header") << 3;
        QTest::newRow("nonce") << 20;
        QTest::newRow("ciphertext") << 40;
        QTest::newRow("tag") << -2;
        QTest::newRow("truncated") << 0;
    }
    void tamperingIsDetected() {
        QFETCH(int, offset);
        {
            EncryptedFileSecretStore store(keyFile(), storeFile());
            QVERIFY(!store.write(QStringLiteral("token"), "ghp_secret_value_long_enough_to_cover_offsets"));
        }
        QFile file(storeFile());
        QVERIFY(file.open(QIODevice::ReadWrite));
        QByteArray raw = file.readAll();
        if (offset == 0) {
            raw.chop(5);
        } else {
            const qsizetype at = offset > 0 ? offset : raw.size() + offset;
            raw[at] = char(raw[at] ^ 0x01);
        }
        file.resize(0);
        file.write(raw);
        file.close();
        EncryptedFileSecretStore store(keyFile(), storeFile());
        Error error;
        QVERIFY(!store.read(QStringLiteral("token"), &error).has_value());
        QVERIFY(error);
        QVERIFY2(error.message.contains(QStringLiteral("modified or damaged")), qPrintable(error.message));
        // A write refuses too, rather than silently replacing the damaged secrets.
        QVERIFY(store.write(QStringLiteral("other"), "x"));
    }

    void anotherKeyCannotRead() {
        {
            EncryptedFileSecretStore store(keyFile(), storeFile());
            QVERIFY(!store.write(QStringLiteral("token"), "value"));
        }
        QVERIFY(QFile::remove(keyFile()));
        EncryptedFileSecretStore store(keyFile(), storeFile());
        Error error;
        QVERIFY(!store.read(QStringLiteral("token"), &error).has_value());
        QVERIFY2(error.message.contains(QStringLiteral("key file")), qPrintable(error.message));
        // A fresh key is made only by a write that would otherwise fail: still refused (data present).
        QVERIFY(store.write(QStringLiteral("token"), "new"));
    }

    void keyReadableByOthersIsRefused() {
        EncryptedFileSecretStore store(keyFile(), storeFile());
        QVERIFY(!store.write(QStringLiteral("token"), "value"));
        QVERIFY(::chmod(QFile::encodeName(keyFile()).constData(), 0644) == 0);
        Error error;
        QVERIFY(!store.read(QStringLiteral("token"), &error).has_value());
        QVERIFY2(error.message.contains(QStringLiteral("other users")), qPrintable(error.message));
        QVERIFY(::chmod(QFile::encodeName(keyFile()).constData(), 0600) == 0);
        QCOMPARE(store.read(QStringLiteral("token"), &error).value_or(QByteArray()), QByteArray("value"));
    }

    void openSecretStorePicksTheFileWithoutKeychain() {
        qputenv("HUBSYNC_SECRET_STORE", "file");
        SecretStoreOptions options;
        options.keyFile = keyFile();
        options.storeFile = storeFile();
        Error error;
        const std::unique_ptr<SecretStore> store = openSecretStore(options, &error);
        QVERIFY2(store, qPrintable(error.message));
        QVERIFY(dynamic_cast<EncryptedFileSecretStore *>(store.get()));
        // Auto without a session bus falls back to the file as well.
        qunsetenv("HUBSYNC_SECRET_STORE");
        const QByteArray bus = qgetenv("DBUS_SESSION_BUS_ADDRESS");
        qunsetenv("DBUS_SESSION_BUS_ADDRESS");
        const std::unique_ptr<SecretStore> fallback = openSecretStore(options, &error);
        QVERIFY(fallback && dynamic_cast<EncryptedFileSecretStore *>(fallback.get()));
        options.backend = SecretBackend::Keychain;
        QVERIFY(!openSecretStore(options, &error));
        QVERIFY(error.message.contains(QStringLiteral("keychain")));
        if (!bus.isEmpty())
            qputenv("DBUS_SESSION_BUS_ADDRESS", bus);
    }
};

QTEST_GUILESS_MAIN(TestSecretStore)
#include "tst_secretstore.moc"
