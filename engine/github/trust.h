#pragma once

#include "core/errors.h"

#include <QString>

namespace hubsync::github {

// Adds the PEM certificates in `pemFile` to the roots every TLS connection of this process trusts, next to
// the system's: for a GitHub Enterprise Server (or a test server) whose certificate a private CA signed.
// Process-wide (QSslConfiguration's default), so call it once at start-up, before any connection.
// A file without a certificate is a usage error.
Error trustCertificateFile(const QString &pemFile);

} // namespace hubsync::github
