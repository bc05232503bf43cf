// The keychain backend of the secret store against a real Secret Service: ctest runs this under
// with-keyring.sh (a private D-Bus session with a throwaway gnome-keyring). Without a keychain it skips,
// unless HUBSYNC_REQUIRE_KEYCHAIN=1 (set by the wrapper) makes that a failure.

#include "core/secretstore.h"

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QTest>

using namespace hubsync;

class TestKeychainStore : public QObject {
    Q_OBJECT
private:
    std::unique_ptr<SecretStore> m_store;
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase() {
        if (!keychainCompiledIn())
            QSKIP("built without qtkeychain");
        SecretStoreOptions options;
        options.backend = SecretBackend::Keychain;
        options.service = QStringLiteral("HubSync-test-%1").arg(QCoreApplication::applicationPid());
        Error error;
        m_store = openSecretStore(options, &error);
        if (!m_store && qEnvironmentVariable("HUBSYNC_REQUIRE_KEYCHAIN") != QLatin1String("1"))
            QSKIP(qPrintable(QStringLiteral("no keychain here: ") + error.message));
        QVERIFY2(m_store, qPrintable(error.message));
        QVERIFY(m_store->description().contains(QStringLiteral("keychain")));
    }

    void roundTrip() {
        const QByteArray pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEkeychainsecret\n-----END RSA PRIVATE KEY-----\n";
        const QByteArray binary("\x00\xff\x01 binary", 10);
        Error error;
        QVERIFY(!m_store->read(QStringLiteral("github-app-1/private-key"), &error).has_value());
        QVERIFY2(!error, qPrintable(error.message));
        QVERIFY(!m_store->write(QStringLiteral("github-app-1/private-key"), pem));
        QVERIFY(!m_store->write(QStringLiteral("binary"), binary));
        QCOMPARE(m_store->read(QStringLiteral("github-app-1/private-key"), &error).value_or(QByteArray()), pem);
        QCOMPARE(m_store->read(QStringLiteral("binary"), &error).value_or(QByteArray()), binary);
        QVERIFY(!m_store->write(QStringLiteral("binary"), "replaced"));
        QCOMPARE(m_store->read(QStringLiteral("binary"), &error).value_or(QByteArray()), QByteArray("replaced"));
        QVERIFY(!m_store->remove(QStringLiteral("binary")));
        QVERIFY(!m_store->read(QStringLiteral("binary"), &error).has_value());
        QVERIFY(!error);
        QVERIFY(!m_store->remove(QStringLiteral("never-there")));
        QVERIFY(!m_store->remove(QStringLiteral("github-app-1/private-key")));
    }

    // Auto prefers the keychain when one answers: secrets do not go to the file then.
    void autoPrefersTheKeychain() {
        SecretStoreOptions options;
        options.service = QStringLiteral("HubSync-test-auto-%1").arg(QCoreApplication::applicationPid());
        options.keyFile = m_dir.filePath(QStringLiteral("key"));
        options.storeFile = m_dir.filePath(QStringLiteral("secrets.enc"));
        Error error;
        const std::unique_ptr<SecretStore> store = openSecretStore(options, &error);
        QVERIFY2(store, qPrintable(error.message));
        QVERIFY(!dynamic_cast<EncryptedFileSecretStore *>(store.get()));
        QVERIFY(!store->write(QStringLiteral("token"), "ghp_x"));
        QVERIFY(!QFileInfo::exists(options.storeFile));
        QVERIFY(!store->remove(QStringLiteral("token")));
    }
};

QTEST_GUILESS_MAIN(TestKeychainStore)
#include "tst_keychainstore.moc"
