#pragma once

#include "core/errors.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <optional>

namespace hubsync {

// Where HubSync keeps the secrets a first run produces: a GitHub App's private key, webhook secret and
// client secret, a personal access token, a database connection string that may hold a password.
// Never QSettings, never a plain file where a keychain is available.
//
// Calls are synchronous for the caller. The keychain backend runs its D-Bus job in a local event loop
// (bounded by a timeout), so a GUI keeps painting while the keychain answers.
class SecretStore {
public:
    virtual ~SecretStore() = default;

    virtual Error write(const QString &name, const QByteArray &value) = 0;
    // std::nullopt with no error: no such secret. With an error: the store could not be read (or, for
    // the encrypted file, its contents were modified: authentication failed).
    virtual std::optional<QByteArray> read(const QString &name, Error *error) = 0;
    virtual Error remove(const QString &name) = 0;
    // One line for the user: where the secrets are ("the desktop keychain", "an encrypted file in ...").
    [[nodiscard]] virtual QString description() const = 0;
};

// AES-256-GCM encrypted file, for machines without a keychain service (a CI host, a server without a
// D-Bus Secret Service). Threat model, honestly:
// - The 32-byte random master key lives in its own file (mode 0600, in the configuration directory);
//   the ciphertext lives elsewhere (the data directory). A copy of one file alone (a backup of the
//   data directory, a file attached to a bug report) reveals nothing.
// - Other local users cannot read either file (0600, directories 0700); a key file that others can read
//   is refused, as ssh refuses such a private key.
// - Any modification of the ciphertext (a flipped bit, a truncated file, a swapped header) is detected
//   by the GCM tag and reported; it never yields wrong secrets.
// - It does NOT protect against anyone who can read the user's files (the same user's processes,
//   malware running as the user, root, a stolen unencrypted disk): the key sits on the same machine.
//   That is what an OS keychain adds (a login-password-derived key), and why the keychain is preferred.
class EncryptedFileSecretStore final : public SecretStore {
public:
    EncryptedFileSecretStore(QString keyFile, QString storeFile);
    ~EncryptedFileSecretStore() override;
    Q_DISABLE_COPY_MOVE(EncryptedFileSecretStore)

    Error write(const QString &name, const QByteArray &value) override;
    std::optional<QByteArray> read(const QString &name, Error *error) override;
    Error remove(const QString &name) override;
    [[nodiscard]] QString description() const override;

    [[nodiscard]] QString keyFile() const { return m_keyFile; }
    [[nodiscard]] QString storeFile() const { return m_storeFile; }

private:
    struct Entries;
    Error load(Entries *entries) const;
    Error save(const Entries &entries) const;
    Error masterKey(QByteArray *key, bool create) const;

    QString m_keyFile;
    QString m_storeFile;
};

// Which backend openSecretStore() picks.
enum class SecretBackend {
    Auto,     // the OS keychain when one answers, else the encrypted file
    Keychain, // the OS keychain only (fails when none runs)
    File,     // the encrypted file only
};

struct SecretStoreOptions {
    SecretBackend backend = SecretBackend::Auto;
    QString service = QStringLiteral("HubSync"); // keychain service name (tests use their own)
    QString keyFile;                             // encrypted file: master key path
    QString storeFile;                           // encrypted file: ciphertext path
};

// The secret store for this user. Auto probes the keychain once (bounded); with no keychain service
// (no D-Bus session, no Secret Service, qtkeychain not built in) it falls back to the encrypted file.
// HUBSYNC_SECRET_STORE=keychain|file overrides Auto. Returns nullptr with *error set when the chosen
// backend cannot be used.
std::unique_ptr<SecretStore> openSecretStore(const SecretStoreOptions &options, Error *error);

// The default files of the encrypted fallback: key in the user's configuration directory, ciphertext in
// the data directory (see core/paths.h).
SecretStoreOptions defaultSecretStoreOptions(const QString &dataDir);

// True when this build has a keychain backend at all (qtkeychain found at configure time).
bool keychainCompiledIn();

} // namespace hubsync
