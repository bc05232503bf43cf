#include "github/trust.h"

#include <QSslCertificate>
#include <QSslConfiguration>

namespace hubsync::github {

Error trustCertificateFile(const QString &pemFile) {
    const QList<QSslCertificate> certificates = QSslCertificate::fromPath(pemFile, QSsl::Pem);
    if (certificates.isEmpty())
        return Error::make(Error::Kind::Usage, QStringLiteral("no PEM certificate in %1").arg(pemFile));
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    // Explicit CA certificates replace the system's on-demand roots, so the system's are listed too.
    configuration.setCaCertificates(QSslConfiguration::systemCaCertificates() + certificates);
    QSslConfiguration::setDefaultConfiguration(configuration);
    return {};
}

} // namespace hubsync::github
