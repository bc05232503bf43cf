#pragma once

#include "core/secretstore.h"

namespace hubsync {

// The OS keychain through qtkeychain (Secret Service or KWallet over D-Bus on Linux, the Keychain on
// macOS, the Credential Manager on Windows). Returns nullptr and says why when none answers: no D-Bus
// session, no service on it, or a build without qtkeychain. The probe is bounded (a few seconds).
std::unique_ptr<SecretStore> openKeychainSecretStore(const QString &service, QString *why);

} // namespace hubsync
