#include "webhooks/signature.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>

namespace hubsync::webhooks {

QByteArray signatureFor(QByteArrayView body, QByteArrayView secret) {
    QByteArray out = QByteArrayLiteral("sha256=");
    out +=
        QMessageAuthenticationCode::hash(body.toByteArray(), secret.toByteArray(), QCryptographicHash::Sha256).toHex();
    return out;
}

bool constantTimeEquals(QByteArrayView a, QByteArrayView b) {
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

bool verifySignature(QByteArrayView body, QByteArrayView secret, QByteArrayView header) {
    if (secret.isEmpty() || !header.startsWith("sha256="))
        return false;
    // Hex digits may come in either case; compare the lower-case form.
    const QByteArray given = header.toByteArray().toLower();
    return constantTimeEquals(signatureFor(body, secret), given);
}

} // namespace hubsync::webhooks
