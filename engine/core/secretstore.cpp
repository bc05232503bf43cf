#include "core/secretstore.h"

#include "core/log.h"
#include "core/secretstore_keychain.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMap>
#include <QSaveFile>
#include <QStandardPaths>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

#ifdef Q_OS_UNIX
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace hubsync {

namespace {

constexpr QByteArrayView Magic = "HUBSYNC-SECRETS-1\n";
constexpr int MasterKeyBytes = 32;
constexpr int NonceBytes = 12;
constexpr int TagBytes = 16;
constexpr qsizetype MaxStoreBytes = 4 * 1024 * 1024; // a few keys and tokens; refuse anything huge

Error fileError(const QString &message) {
    ERR_clear_error();
    return Error::make(Error::Kind::Io, message);
}

// HKDF-SHA256: the file's random bytes become the AES key for this purpose and format version only.
bool deriveKey(const QByteArray &master, QByteArray *out) {
    out->resize(32);
    std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr),
                                                                    &EVP_PKEY_CTX_free);
    static const unsigned char salt[] = "hubsync secret store";
    static const unsigned char info[] = "aes-256-gcm v1";
    size_t length = size_t(out->size());
    return ctx && EVP_PKEY_derive_init(ctx.get()) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) > 0 &&
           EVP_PKEY_CTX_set1_hkdf_salt(ctx.get(), salt, int(sizeof salt - 1)) > 0 &&
           EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), reinterpret_cast<const unsigned char *>(master.constData()),
                                      int(master.size())) > 0 &&
           EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), info, int(sizeof info - 1)) > 0 &&
           EVP_PKEY_derive(ctx.get(), reinterpret_cast<unsigned char *>(out->data()), &length) > 0 &&
           length == size_t(out->size());
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

bool seal(const QByteArray &key, const QByteArray &plain, QByteArray *out) {
    QByteArray nonce(NonceBytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char *>(nonce.data()), NonceBytes) != 1)
        return false;
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    QByteArray cipher(plain.size() + 16, '\0');
    int n = 0;
    int total = 0;
    const auto *k = reinterpret_cast<const unsigned char *>(key.constData());
    const auto *iv = reinterpret_cast<const unsigned char *>(nonce.constData());
    if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, iv) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char *>(Magic.data()),
                          int(Magic.size())) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(cipher.data()), &n,
                          reinterpret_cast<const unsigned char *>(plain.constData()), int(plain.size())) != 1)
        return false;
    total = n;
    if (EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(cipher.data()) + total, &n) != 1)
        return false;
    total += n;
    cipher.resize(total);
    QByteArray tag(TagBytes, '\0');
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagBytes, tag.data()) != 1)
        return false;
    *out = Magic.toByteArray();
    out->append(nonce).append(cipher).append(tag);
    return true;
}

// False when the data is not ours or was modified (the GCM tag does not match).
bool unseal(const QByteArray &key, const QByteArray &sealed, QByteArray *plain) {
    if (sealed.size() < Magic.size() + NonceBytes + TagBytes || !sealed.startsWith(Magic))
        return false;
    const QByteArray nonce = sealed.mid(Magic.size(), NonceBytes);
    const QByteArray cipher =
        sealed.mid(Magic.size() + NonceBytes, sealed.size() - Magic.size() - NonceBytes - TagBytes);
    QByteArray tag = sealed.right(TagBytes);
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    plain->resize(cipher.size() + 16);
    int n = 0;
    int total = 0;
    const auto *k = reinterpret_cast<const unsigned char *>(key.constData());
    const auto *iv = reinterpret_cast<const unsigned char *>(nonce.constData());
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, k, iv) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char *>(Magic.data()),
                          int(Magic.size())) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char *>(plain->data()), &n,
                          reinterpret_cast<const unsigned char *>(cipher.constData()), int(cipher.size())) != 1)
        return false;
    total = n;
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagBytes, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char *>(plain->data()) + total, &n) != 1)
        return false;
    plain->resize(total + n);
    return true;
}

bool makePrivateDir(const QString &dir) {
    if (!QDir().mkpath(dir))
        return false;
#ifdef Q_OS_UNIX
    ::chmod(QFile::encodeName(dir).constData(), 0700);
#endif
    return true;
}

} // namespace

struct EncryptedFileSecretStore::Entries {
    QMap<QString, QByteArray> values;
};

EncryptedFileSecretStore::EncryptedFileSecretStore(QString keyFile, QString storeFile)
    : m_keyFile(std::move(keyFile))
    , m_storeFile(std::move(storeFile)) {}

EncryptedFileSecretStore::~EncryptedFileSecretStore() = default;

QString EncryptedFileSecretStore::description() const {
    return QStringLiteral("an encrypted file (%1), its key in %2").arg(m_storeFile, m_keyFile);
}

Error EncryptedFileSecretStore::masterKey(QByteArray *key, bool create) const {
    QFile file(m_keyFile);
    if (!file.exists()) {
        if (!create) {
            key->clear();
            return {};
        }
        if (!makePrivateDir(QFileInfo(m_keyFile).absolutePath()))
            return fileError(QStringLiteral("cannot create the directory of %1").arg(m_keyFile));
        QByteArray fresh(MasterKeyBytes, '\0');
        if (RAND_bytes(reinterpret_cast<unsigned char *>(fresh.data()), MasterKeyBytes) != 1)
            return fileError(QStringLiteral("the system has no random numbers to make a key"));
#ifdef Q_OS_UNIX
        // O_EXCL: two processes racing to create the key cannot both win and encrypt with different keys.
        const int fd = ::open(QFile::encodeName(m_keyFile).constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return fileError(QStringLiteral("cannot create the key file %1").arg(m_keyFile));
        const bool written = ::write(fd, fresh.constData(), size_t(fresh.size())) == fresh.size();
        ::close(fd);
#else
        bool written = file.open(QIODevice::WriteOnly | QIODevice::NewOnly) && file.write(fresh) == fresh.size();
        file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        file.close();
#endif
        if (!written)
            return fileError(QStringLiteral("cannot write the key file %1").arg(m_keyFile));
    }
#ifdef Q_OS_UNIX
    struct stat st {};
    if (::stat(QFile::encodeName(m_keyFile).constData(), &st) != 0)
        return fileError(QStringLiteral("cannot read the key file %1").arg(m_keyFile));
    if ((st.st_mode & 077) != 0)
        return fileError(QStringLiteral("the key file %1 may be read by other users (mode %2); refusing it: "
                                        "chmod 600 it if it is yours")
                             .arg(m_keyFile)
                             .arg(st.st_mode & 0777, 3, 8, QLatin1Char('0')));
#endif
    if (!file.open(QIODevice::ReadOnly))
        return fileError(QStringLiteral("cannot read the key file %1").arg(m_keyFile));
    const QByteArray bytes = file.read(MasterKeyBytes + 1);
    if (bytes.size() != MasterKeyBytes)
        return fileError(
            QStringLiteral("the key file %1 is damaged (it must hold %2 bytes)").arg(m_keyFile).arg(MasterKeyBytes));
    if (!deriveKey(bytes, key))
        return fileError(QStringLiteral("cannot derive the secret store key"));
    return {};
}

Error EncryptedFileSecretStore::load(Entries *entries) const {
    entries->values.clear();
    QFile file(m_storeFile);
    if (!file.exists())
        return {};
    QByteArray key;
    if (Error e = masterKey(&key, false))
        return e;
    if (key.isEmpty())
        return fileError(QStringLiteral("the secret store %1 exists but its key file %2 is missing: the secrets "
                                        "cannot be read; run the setup again")
                             .arg(m_storeFile, m_keyFile));
    if (!file.open(QIODevice::ReadOnly) || file.size() > MaxStoreBytes)
        return fileError(QStringLiteral("cannot read the secret store %1").arg(m_storeFile));
    QByteArray plain;
    if (!unseal(key, file.readAll(), &plain))
        return fileError(QStringLiteral("the secret store %1 was modified or damaged (authentication failed); "
                                        "its secrets were not used: run the setup again")
                             .arg(m_storeFile));
    const QJsonObject object = QJsonDocument::fromJson(plain).object();
    for (auto it = object.begin(); it != object.end(); ++it)
        entries->values.insert(it.key(), QByteArray::fromBase64(it.value().toString().toLatin1()));
    return {};
}

Error EncryptedFileSecretStore::save(const Entries &entries) const {
    QByteArray key;
    if (Error e = masterKey(&key, true))
        return e;
    QJsonObject object;
    for (auto it = entries.values.begin(); it != entries.values.end(); ++it)
        object.insert(it.key(), QString::fromLatin1(it.value().toBase64()));
    QByteArray sealed;
    if (!seal(key, QJsonDocument(object).toJson(QJsonDocument::Compact), &sealed))
        return fileError(QStringLiteral("cannot encrypt the secret store"));
    if (!makePrivateDir(QFileInfo(m_storeFile).absolutePath()))
        return fileError(QStringLiteral("cannot create the directory of %1").arg(m_storeFile));
    // Atomic replace: a crash mid-write leaves the previous file, never a half-written one.
    QSaveFile file(m_storeFile);
    if (!file.open(QIODevice::WriteOnly))
        return fileError(QStringLiteral("cannot write the secret store %1").arg(m_storeFile));
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(sealed);
    if (!file.commit())
        return fileError(QStringLiteral("cannot write the secret store %1").arg(m_storeFile));
    return {};
}

Error EncryptedFileSecretStore::write(const QString &name, const QByteArray &value) {
    Entries entries;
    if (Error e = load(&entries))
        return e;
    entries.values.insert(name, value);
    return save(entries);
}

std::optional<QByteArray> EncryptedFileSecretStore::read(const QString &name, Error *error) {
    Entries entries;
    *error = load(&entries);
    if (*error || !entries.values.contains(name))
        return std::nullopt;
    return entries.values.value(name);
}

Error EncryptedFileSecretStore::remove(const QString &name) {
    Entries entries;
    if (Error e = load(&entries))
        return e;
    if (entries.values.remove(name) == 0)
        return {};
    return save(entries);
}

SecretStoreOptions defaultSecretStoreOptions(const QString &dataDir) {
    SecretStoreOptions options;
    QString config = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
    if (config.isEmpty())
        config = QDir::homePath() + QStringLiteral("/.config");
    options.keyFile = config + QStringLiteral("/HubSync/secret-store.key");
    options.storeFile = dataDir + QStringLiteral("/secrets.enc");
    return options;
}

std::unique_ptr<SecretStore> openSecretStore(const SecretStoreOptions &options, Error *error) {
    *error = Error::none();
    SecretBackend backend = options.backend;
    const QString forced = qEnvironmentVariable("HUBSYNC_SECRET_STORE");
    if (backend == SecretBackend::Auto && forced == QLatin1String("file"))
        backend = SecretBackend::File;
    else if (backend == SecretBackend::Auto && forced == QLatin1String("keychain"))
        backend = SecretBackend::Keychain;

    if (backend != SecretBackend::File) {
        QString why;
        if (std::unique_ptr<SecretStore> keychain = openKeychainSecretStore(options.service, &why))
            return keychain;
        if (backend == SecretBackend::Keychain) {
            *error = Error::make(Error::Kind::Io, QStringLiteral("no keychain service: %1").arg(why));
            return {};
        }
        logInfo(QStringLiteral("secrets"),
                QStringLiteral("no keychain service (%1): secrets go to an encrypted file").arg(why));
    }
    if (options.keyFile.isEmpty() || options.storeFile.isEmpty()) {
        *error = Error::make(Error::Kind::Usage, QStringLiteral("the encrypted secret store needs its file paths"));
        return {};
    }
    return std::make_unique<EncryptedFileSecretStore>(options.keyFile, options.storeFile);
}

} // namespace hubsync
